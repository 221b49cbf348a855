# tests/fuzz/fuzz.mk — libFuzzer harnesses and fault injection, as a makefile
# fragment. The top-level Makefile needs only
#
#     include tests/fuzz/fuzz.mk
#
# (anywhere: it keeps the Makefile's default goal, defines only FUZZ_* and
# FAULT_* variables and targets, and repeats the Makefile's build/gen/*.h
# rules unchanged so that it also works alone).
# It also works alone, without editing anything:
#
#     make -f tests/fuzz/fuzz.mk fuzz-regress
#
# Targets:
#   fuzz-build     build/fuzz/fuzz_<harness> for every harness (clang,
#                  -fsanitize=fuzzer,address,undefined)
#   fuzz           run each harness for FUZZ_SECONDS (default 60), FUZZ_JOBS at a
#                  time (default 1), from the seed corpora, with libFuzzer's
#                  random seed FUZZ_SEED (default: a new one each run); new
#                  inputs go to build/fuzz/corpus/<harness>, crashes to
#                  build/fuzz/crashes/<harness>; fails on any crash, printing
#                  how to reproduce it (see tests/fuzz/run.sh)
#   fuzz-regress   run every file of tests/fuzz/corpus/<harness> and
#                  tests/fuzz/regress/<harness> once (for make test; seconds)
#   fault, fault-exhaustive, fault-build   (tests/fault/fault.mk, included below)
#
# FUZZ_CC (default clang) must support -fsanitize=fuzzer (Debian: clang and
# libclang-rt-dev). When it does not, fuzz-regress prints SKIPPED and
# succeeds, unless FUZZ_REQUIRED=1.

FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

FUZZ_DIR      := tests/fuzz
FUZZ_BUILD    ?= build/fuzz
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_JOBS     ?= 1
FUZZ_SEED     ?=
FUZZ_REQUIRED ?= 0
FUZZ_HARNESSES := rules snapshot schema admission params scenario import results sql web xlsx

# The Makefile's PKGS (read from it when this file is used alone).
FUZZ_PKGS     := $(or $(PKGS),$(shell sed -n 's/^PKGS *:= *//p' Makefile))
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   := -std=c11 -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) \
                 -Wall -Wextra -Wno-unused-parameter -Wno-unknown-warning-option \
                 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
                 -DKAOHE_SOURCE_ROOT='"$(abspath .)"' \
                 $(shell pkg-config --cflags $(FUZZ_PKGS)) $(addprefix -I engine/,$(or $(ENGINE_LAYERS),base rules data eval results check output cli)) -I build/gen -I $(FUZZ_DIR)
FUZZ_LIBS     := $(shell pkg-config --libs $(FUZZ_PKGS)) -lm -lpthread

FUZZ_ENGINE_SRC := $(filter-out engine/cli/% $(EXCLUDE),$(wildcard engine/*/*.c))
FUZZ_ENGINE_OBJ := $(patsubst engine/%.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_ENGINE_SRC))
FUZZ_EMBEDDED   := $(patsubst %.lua,build/gen/%_lua.h,$(notdir $(wildcard engine/*/*.lua))) \
                   $(patsubst %.sql,build/gen/%_sql.h,$(notdir $(wildcard engine/*/*.sql))) \
                   $(patsubst %.html,build/gen/%_html.h,$(notdir $(wildcard engine/*/*.html)))
vpath %.lua $(wildcard engine/*/)
vpath %.sql $(wildcard engine/*/)
vpath %.html $(wildcard engine/*/)
FUZZ_BINS       := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_HARNESSES))

.PHONY: fuzz-build fuzz fuzz-regress fuzz-check-cc

# True (prints "yes") when FUZZ_CC can build and link a libFuzzer target.
FUZZ_CC_OK = $(shell printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){return 0;}\n' | \
               $(FUZZ_CC) -x c -fsanitize=fuzzer,address -o /dev/null - >/dev/null 2>&1 && echo yes)

fuzz-check-cc:
	@if [ "$(FUZZ_CC_OK)" != yes ]; then \
	  echo "fuzz: $(FUZZ_CC) cannot build libFuzzer targets (install clang and libclang-rt-dev)"; \
	  exit 1; fi

fuzz-build: fuzz-check-cc $(FUZZ_BINS)

# The engine's library objects, instrumented for coverage and the sanitizers.
$(FUZZ_BUILD)/obj/%.o: engine/%.c $(wildcard engine/*/*.h) $(FUZZ_EMBEDDED)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/harness/%.o: $(FUZZ_DIR)/%.c $(FUZZ_DIR)/fuzz_common.h $(wildcard engine/*/*.h) $(FUZZ_EMBEDDED)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# --wrap=lua_sethook: the engine's count hook also feeds Lua line coverage of
# the DSL preludes to libFuzzer (fuzz_common.c).
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/harness/fuzz_%.o $(FUZZ_BUILD)/harness/fuzz_common.o $(FUZZ_ENGINE_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -Wl,--wrap=lua_sethook -o $@ $^ $(FUZZ_LIBS)

fuzz: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SEED=$(FUZZ_SEED) bash $(FUZZ_DIR)/run.sh --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS) $(FUZZ_HARNESSES)

# The probe runs only here, not each time make reads this file.
fuzz-regress:
	@if [ "$(FUZZ_CC_OK)" != yes ]; then \
	  echo "fuzz-regress: SKIPPED: $(FUZZ_CC) cannot build libFuzzer targets (install clang and libclang-rt-dev)"; \
	  [ "$(FUZZ_REQUIRED)" != 1 ]; \
	else \
	  $(MAKE) --no-print-directory -s -f $(FUZZ_DIR)/fuzz.mk $(FUZZ_BINS) && \
	  FUZZ_BUILD=$(FUZZ_BUILD) bash $(FUZZ_DIR)/run.sh --regress $(FUZZ_HARNESSES); \
	fi

# The generated headers, as the Makefile makes them (the same rule, so this
# file also works alone: make -f tests/fuzz/fuzz.mk fuzz-build).
build/gen/%_lua.h: %.lua
	@mkdir -p build/gen
	cd $(dir $<) && xxd -i $(notdir $<) > $(abspath $@).tmp && mv $(abspath $@).tmp $(abspath $@)
build/gen/%_sql.h: %.sql
	@mkdir -p build/gen
	cd $(dir $<) && xxd -i $(notdir $<) > $(abspath $@).tmp && mv $(abspath $@).tmp $(abspath $@)
build/gen/%_html.h: %.html
	@mkdir -p build/gen
	cd $(dir $<) && xxd -i $(notdir $<) > $(abspath $@).tmp && mv $(abspath $@).tmp $(abspath $@)
.SECONDARY: $(FUZZ_EMBEDDED)

include $(FUZZ_DIR)/../fault/fault.mk

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
