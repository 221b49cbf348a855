#!/usr/bin/env bash
# tests/fault/xlsx.sh — out-of-memory fault injection for the .xlsx reader.
#
#   bash tests/fault/xlsx.sh [BOOK.xlsx]   (default fixtures/xlsx/libreoffice-style.xlsx)
#
# Runs $FAULT_BUILD/xlsx_read (plain) and $FAULT_BUILD/asan/xlsx_read
# (ASan+UBSan, LeakSanitizer at exit) on the workbook with
# $FAULT_BUILD/faultinject.so preloaded, failing the Nth allocation for every
# N of a normal run (about 600: seconds). Every run must exit 0 (the failure
# was tolerated) or 3 with "3 BOOK: ..." (the machine's failure), never die
# of a signal, hang, leak or print a sanitizer report. The workbook is valid,
# so exit 1 (the file blamed) is wrong, with one known exception: libzip
# 1.7.3 reports an allocation failure while reading the central directory as
# "Not a zip archive" (ZIP_ER_NOZIP): that message is counted apart as
# libzip's, and tolerated. libzip's own leak on a failed zip_fopen_index is
# suppressed in tests/fault/lsan.supp.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$ROOT" || exit 2
FAULT_BUILD=${FAULT_BUILD:-build/fault}
BOOK=${1:-fixtures/xlsx/libreoffice-style.xlsx}
LIB=$FAULT_BUILD/faultinject.so
# fast_unwind_on_malloc=0: libzip has no frame pointers, and the suppression
# names a libzip function that only the slow unwinder sees.
export ASAN_OPTIONS=${ASAN_OPTIONS:-verify_asan_link_order=0:detect_leaks=1:fast_unwind_on_malloc=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/fault/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for driver in "$FAULT_BUILD/xlsx_read" "$FAULT_BUILD/asan/xlsx_read"; do
    [ -x "$driver" ] || { echo "fault-xlsx: no $driver (make fault-xlsx builds it)" >&2; exit 2; }
    count=$(mktemp)
    if ! FAULT_COUNT_FILE=$count LD_PRELOAD=$LIB "$driver" "$BOOK" >/dev/null 2>&1; then
        echo "fault-xlsx: $driver $BOOK fails without fault injection" >&2
        exit 1
    fi
    total=$(cat "$count")
    rm -f "$count"
    ok=0 system=0 libzip=0 bad=0
    for n in $(seq 1 "$total"); do
        out=$(FAULT_FAIL_AT=$n LD_PRELOAD=$LIB timeout 60 "$driver" "$BOOK" 2>&1)
        rc=$?
        if [ $rc = 0 ] && [ -z "$out" ]; then
            ok=$((ok + 1))
        elif [ $rc = 3 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] &&
            [[ $out == "3 $BOOK: "* ]]; then
            system=$((system + 1))
        elif [ $rc = 1 ] && [ "$out" = "1 $BOOK: is not an .xlsx workbook: a damaged zip archive: Not a zip archive" ]; then
            libzip=$((libzip + 1))
        else
            bad=$((bad + 1))
            status=1
            echo "---- FAULT_FAIL_AT=$n LD_PRELOAD=$LIB $driver $BOOK: exit $rc" >&2
            printf '%s\n' "$out" | head -20 >&2
        fi
    done
    printf 'fault-xlsx %-28s %4d allocations: %d tolerated, %d out of memory, %d libzip "not a zip", %d WRONG\n' \
        "$driver" "$total" $ok $system $libzip $bad
done
exit $status
