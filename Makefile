# kaohe — build, test and benchmark.
#
#   make              build ./kaohe and the fixture databases
#   make test         unit, end-to-end, rule and conformance tests, then the
#                     same suite again under -fsanitize=address,undefined
#   make test-fast    the suite once, without the sanitizer build
#   make valgrind     the end-to-end suite under valgrind memcheck
#   make format       clang-format every C file; make format-check for CI
#   make install      PREFIX=/usr/local DESTDIR= : the binary, the shipped rules
#                     and profiles, the sample, the editor files, kaohe.1 and
#                     the bash completion; make uninstall removes them
#
# Sources are found by wildcard: a new engine/LAYER/foo.c or
# tests/unit/test_foo.c needs no edit here. The layers, lowest first (a module
# includes only its own layer and those before it; make layers checks):

ENGINE_LAYERS := base rules data eval results check output cli

CC      ?= cc
PKGS    := lua5.4 sqlite3 libpcre2-8 jansson libcrypto xlsxwriter libmicrohttpd libzip expat
BUILD   ?= build
SANITIZE ?=

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS)) -lm -lpthread

# Messages are cut to their buffers on purpose, so truncation is not an error.
CFLAGS_WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wvla -Wno-format-truncation
CFLAGS_OPT  ?= -O2 -g
ifeq ($(SANITIZE),1)
CFLAGS_OPT  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS_SAN := -fsanitize=address,undefined
endif
ALL_CFLAGS := $(CFLAGS_WARN) $(CFLAGS_OPT) -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
              $(PKG_CFLAGS) $(addprefix -I engine/,$(ENGINE_LAYERS)) -I build/gen $(CFLAGS)

# EXCLUDE=engine/layer/x.c leaves out a module still being written.
ENGINE_SRC  := $(filter-out $(EXCLUDE),$(wildcard engine/*/*.c))
ENGINE_HDR  := $(wildcard engine/*/*.h)
# The library is every layer but cli/; unit tests and fuzzers link it alone.
LIB_OBJ     := $(patsubst engine/%.c,$(BUILD)/obj/%.o,$(filter-out engine/cli/%,$(ENGINE_SRC)))
MAIN_OBJ    := $(patsubst engine/%.c,$(BUILD)/obj/%.o,$(filter engine/cli/%,$(ENGINE_SRC)))
EMBEDDED    := $(patsubst %.lua,build/gen/%_lua.h,$(notdir $(wildcard engine/*/*.lua))) \
               $(patsubst %.sql,build/gen/%_sql.h,$(notdir $(wildcard engine/*/*.sql))) \
               $(patsubst %.html,build/gen/%_html.h,$(notdir $(wildcard engine/*/*.html)))
vpath %.lua $(addprefix engine/,$(ENGINE_LAYERS))
vpath %.sql $(addprefix engine/,$(ENGINE_LAYERS))
vpath %.html $(addprefix engine/,$(ENGINE_LAYERS))
UNIT_SRC    := $(wildcard tests/unit/test_*.c)
UNIT_BIN    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FIXTURE_SQL := $(wildcard fixtures/*.sql)
FIXTURE_DB  := $(FIXTURE_SQL:.sql=.db)

ifeq ($(BUILD),build)
KAOHE_BIN := kaohe
else
KAOHE_BIN := $(BUILD)/kaohe
endif

.PHONY: install uninstall all layers browser test test-fast test-asan unit e2e conformance ruletests valgrind format format-check clean bench

all: $(KAOHE_BIN) $(FIXTURE_DB)

$(KAOHE_BIN): $(MAIN_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS_SAN) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/obj/%.o: engine/%.c $(ENGINE_HDR) $(EMBEDDED)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Generated headers are kept, not treated as intermediate files.
.SECONDARY: $(EMBEDDED)

# Files compiled into the binary: the rule DSL preludes and the two schema
# contracts (copies of ../shared/spec, checked equal by the e2e suite).
build/gen/%_lua.h: %.lua
	@mkdir -p build/gen
	cd $(dir $<) && xxd -i $(notdir $<) > $(abspath $@).tmp && mv $(abspath $@).tmp $(abspath $@)
build/gen/%_sql.h: %.sql
	@mkdir -p build/gen
	cd $(dir $<) && xxd -i $(notdir $<) > $(abspath $@).tmp && mv $(abspath $@).tmp $(abspath $@)
build/gen/%_html.h: %.html
	@mkdir -p build/gen
	cd $(dir $<) && xxd -i $(notdir $<) > $(abspath $@).tmp && mv $(abspath $@).tmp $(abspath $@)

fixtures/%.db: fixtures/%.sql
	@rm -f $@ $@.tmp
	sqlite3 $@.tmp < $<
	@mv $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS_SAN) -I tests/unit -o $@ $< $(LIB_OBJ) $(PKG_LIBS) -lcmocka

# --- tests -----------------------------------------------------------------
test: test-fast test-asan

test-fast: format-check layers unit e2e browser ruletests conformance fuzz-regress

# No module includes a header of a layer above its own.
layers:
	@bash tests/layers.sh $(ENGINE_LAYERS)

unit: $(UNIT_BIN) $(FIXTURE_DB)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

e2e: $(KAOHE_BIN) $(FIXTURE_DB)
	KAOHE=$(abspath $(KAOHE_BIN)) bash tests/e2e/run.sh

# The workbench in headless Chromium (playwright-core from npm, pinned in
# tests/browser/package-lock.json); skipped with a message without node or
# chromium unless BROWSER_REQUIRED=1 (.ci/run).
browser: $(KAOHE_BIN) $(FIXTURE_DB)
	KAOHE=$(abspath $(KAOHE_BIN)) KAOHE_SHOTS=$(abspath $(BUILD))/shots bash tests/browser/run.sh

ruletests: $(KAOHE_BIN)
	./$(KAOHE_BIN) test
	@for p in rules/profiles/*/; do [ -d "$$p/tests" ] && ./$(KAOHE_BIN) test --rules "$$p" || exit 1; done; true

# The public conformance kit (../shared/conformance), default parameters and
# the scenario overrides; skipped with a message when ../shared is absent.
conformance: $(KAOHE_BIN)
	@if [ -x ../shared/conformance/run.sh ]; then \
	  mkdir -p $(BUILD); \
	  ../shared/conformance/run.sh --kaohe ./$(KAOHE_BIN) > $(BUILD)/conformance-default.log 2>&1; d=$$?; \
	  ../shared/conformance/run.sh --kaohe ./$(KAOHE_BIN) --scenario > $(BUILD)/conformance-scenario.log 2>&1; s=$$?; \
	  echo "default:  $$(tail -n 1 $(BUILD)/conformance-default.log)"; \
	  echo "scenario: $$(tail -n 1 $(BUILD)/conformance-scenario.log)"; \
	  if [ $$d != 0 ] || [ $$s != 0 ]; then cat $(BUILD)/conformance-*.log; exit 1; fi; \
	else echo "conformance: ../shared/conformance not found, skipped"; fi

test-asan:
	$(MAKE) BUILD=build/asan SANITIZE=1 test-fast

valgrind: $(KAOHE_BIN) $(FIXTURE_DB)
	KAOHE=$(abspath $(KAOHE_BIN)) KAOHE_WRAPPER="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99" bash tests/e2e/run.sh

format:
	clang-format -i engine/*/*.c engine/*/*.h tests/unit/*.c tests/unit/*.h

format-check:
	clang-format --dry-run -Werror engine/*/*.c engine/*/*.h tests/unit/*.c tests/unit/*.h

bench: $(KAOHE_BIN)
	bash bench/run.sh

# libFuzzer harnesses and fault injection: make fuzz (FUZZ_SECONDS each),
# make fuzz-regress (every corpus and crash input once, part of make test),
# make fault (the Nth allocation fails along an eval). See tests/fuzz/README.md.
include tests/fuzz/fuzz.mk

# --- install ---------------------------------------------------------------
# The installed binary finds its rules in PREFIX/share/kaohe (cli.c,
# cli_default_root), wherever it is run from. INSTALL_BIN: the binary to
# install (the e2e test installs the one it tests).
PREFIX      ?= /usr/local
DESTDIR     ?=
INSTALL_BIN ?= $(KAOHE_BIN)
SHARE_DIR   := $(DESTDIR)$(PREFIX)/share/kaohe

install: $(INSTALL_BIN) fixtures/sample.db
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE_DIR)/fixtures $(SHARE_DIR)/editor \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(INSTALL_BIN) $(DESTDIR)$(PREFIX)/bin/kaohe
	cp -R indicators rules $(SHARE_DIR)/
	install -m 644 fixtures/sample.db $(SHARE_DIR)/fixtures/sample.db
	cp -R editor/. $(SHARE_DIR)/editor/
	$(abspath $(INSTALL_BIN)) help --man > $(DESTDIR)$(PREFIX)/share/man/man1/kaohe.1
	$(abspath $(INSTALL_BIN)) help --completion > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/kaohe

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/kaohe $(DESTDIR)$(PREFIX)/share/man/man1/kaohe.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/kaohe
	rm -rf $(SHARE_DIR)

clean:
	rm -rf build kaohe fixtures/*.db
