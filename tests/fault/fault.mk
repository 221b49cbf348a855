# tests/fault/fault.mk — out-of-memory fault injection (tests/fault/run.sh).
# Included by tests/fuzz/fuzz.mk, so `include tests/fuzz/fuzz.mk` in the
# Makefile brings these targets too:
#
#   fault-build        build/fault/faultinject.so (LD_PRELOAD library) and
#                      build/fault/asan/kaohe (the Makefile's SANITIZE=1 build)
#   fault              every N up to FAULT_BOUND (300), then FAULT_SAMPLE (300)
#                      N spread over the rest, plain build then ASan build,
#                      then the plain build with every allocation from the
#                      Nth on failing (--persist, 200 N), then a new results
#                      file written while the run is computed (--new
#                      --threads, ASan build, 200 N with --jobs 1 and 2)
#                      (about 4 minutes on 2 cores)
#   fault-xlsx         the .xlsx reader alone: every N of reading a workbook,
#                      plain and ASan builds (tests/fault/xlsx.sh; seconds;
#                      also run by fault)
#   fault-exhaustive   every N of a normal run (about 37,000), ASan build
#                      (53 minutes with 2 jobs on 2 cores; for a nightly job)
#
# FAULT_JOBS: runs at a time (default: one per core).
#
# Each N is one `kaohe eval fixtures/small.db --out RESULTS` whose Nth
# allocation fails; see tests/fault/run.sh for what is checked.

FAULT_BUILD  ?= build/fault
FAULT_BOUND  ?= 300
FAULT_SAMPLE ?= 300
FAULT_JOBS   ?=
FAULT_LIB    := $(FAULT_BUILD)/faultinject.so

.PHONY: fault fault-build fault-exhaustive

$(FAULT_LIB): tests/fault/faultinject.c
	@mkdir -p $(dir $@)
	$(or $(CC),cc) -shared -fPIC -O2 -g -Wall -Wextra -o $@ $< -ldl

# The engine with ASan+UBSan, built by the Makefile itself (its `all` with
# BUILD=$(FAULT_BUILD)/asan SANITIZE=1) in a directory of its own, so it never
# races with make test-asan over build/asan. No rule here names the binary:
# the Makefile includes this file, and a rule for $(FAULT_ASAN) here would
# replace the Makefile's own and recurse. FAULT_SUBMAKE stops any recursion.
.PHONY: fault-asan
fault-asan:
ifeq ($(FAULT_SUBMAKE),)
	$(MAKE) --no-print-directory -f Makefile BUILD=$(FAULT_BUILD)/asan SANITIZE=1 FAULT_SUBMAKE=1 all
endif

fault-build: $(FAULT_LIB) fault-asan

fault: fault-build
	@$(MAKE) --no-print-directory -f Makefile FAULT_SUBMAKE=1 kaohe fixtures/small.db
	@s=0; \
	FAULT_BOUND=$(FAULT_BOUND) FAULT_SAMPLE=$(FAULT_SAMPLE) bash tests/fault/run.sh $(if $(FAULT_JOBS),--jobs $(FAULT_JOBS)) || s=1; \
	FAULT_BOUND=$(FAULT_BOUND) FAULT_SAMPLE=$(FAULT_SAMPLE) bash tests/fault/run.sh --asan $(if $(FAULT_JOBS),--jobs $(FAULT_JOBS)) || s=1; \
	bash tests/fault/run.sh --persist --bound 100 --sample 100 $(if $(FAULT_JOBS),--jobs $(FAULT_JOBS)) || s=1; \
	bash tests/fault/run.sh --new --asan --threads --bound 100 --sample 100 $(if $(FAULT_JOBS),--jobs $(FAULT_JOBS)) || s=1; \
	$(MAKE) --no-print-directory -f Makefile FAULT_SUBMAKE=1 fault-xlsx || s=1; \
	exit $$s

# The .xlsx reader alone (tests/fault/xlsx.sh): every N of reading
# fixtures/xlsx/libreoffice-style.xlsx, plain and ASan builds (seconds).
FAULT_XLSX_SRC := engine/data/xlsx.c engine/base/buffer.c engine/base/error.c engine/base/text.c
FAULT_XLSX_CC  = $(or $(CC),cc) -std=c11 -O1 -g -fno-omit-frame-pointer -D_POSIX_C_SOURCE=200809L \
                 -D_DEFAULT_SOURCE -I engine/base -I engine/data \
                 $(shell pkg-config --cflags libzip expat sqlite3)
FAULT_XLSX_LIBS = $(shell pkg-config --libs libzip expat sqlite3) -lm

$(FAULT_BUILD)/xlsx_read: tests/fault/xlsx_read.c $(FAULT_XLSX_SRC) engine/data/xlsx.h
	@mkdir -p $(dir $@)
	$(FAULT_XLSX_CC) -o $@ tests/fault/xlsx_read.c $(FAULT_XLSX_SRC) $(FAULT_XLSX_LIBS)

$(FAULT_BUILD)/asan/xlsx_read: tests/fault/xlsx_read.c $(FAULT_XLSX_SRC) engine/data/xlsx.h
	@mkdir -p $(dir $@)
	$(FAULT_XLSX_CC) -fsanitize=address,undefined -fno-sanitize-recover=all -o $@ \
	  tests/fault/xlsx_read.c $(FAULT_XLSX_SRC) $(FAULT_XLSX_LIBS)

.PHONY: fault-xlsx
fault-xlsx: $(FAULT_LIB) $(FAULT_BUILD)/xlsx_read $(FAULT_BUILD)/asan/xlsx_read
	FAULT_BUILD=$(FAULT_BUILD) bash tests/fault/xlsx.sh

fault-exhaustive: fault-build
	@$(MAKE) --no-print-directory -f Makefile FAULT_SUBMAKE=1 fixtures/small.db
	bash tests/fault/run.sh --asan --exhaustive $(if $(FAULT_JOBS),--jobs $(FAULT_JOBS))
