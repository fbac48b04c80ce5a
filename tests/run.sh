#!/bin/bash
# Runs every test program and sums their "N passed, N failed" lines:
# unit tests (build/tests/test-*), fuzz corpus replays (build/tests/fuzz-*)
# and integration tests (tests/integration/*.sh). Ends with one line
# "N passed, N failed"; exits non-zero if anything failed.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
export TEST_DATA_DIR=$PWD/tests/data DECKHAND_BUILD=$PWD/$BUILD
passed=0 failed=0
run_one() {
        local name=$1; shift
        local out rc
        out=$("$@" 2>&1); rc=$?
        local line
        line=$(printf '%s\n' "$out" | grep -E '^[^ ]*:? ?[0-9]+ passed, [0-9]+ failed' | tail -n 1)
        if [ -z "$line" ]; then
                printf '%s\n' "$out" | tail -n 20
                echo "$name: no result line (exit $rc)"
                failed=$((failed + 1))
                return
        fi
        local p f
        p=$(sed -E 's/.*\b([0-9]+) passed.*/\1/' <<<"$line")
        f=$(sed -E 's/.*passed, ([0-9]+) failed.*/\1/' <<<"$line")
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
                f=1
        fi
        if [ "$f" -ne 0 ]; then
                printf '%s\n' "$out" | grep -vE '^[^ ]*:? ?[0-9]+ passed' | tail -n 60
                # the failures themselves, whatever the log around them
                printf '%s\n' "$out" | grep -E '^ *FAIL' | head -n 20
        fi
        echo "$name: $p passed, $f failed"
        passed=$((passed + p)); failed=$((failed + f))
}
for t in "$BUILD"/tests/test-*; do
        [ -x "$t" ] && run_one "$(basename "$t")" "$t"
done
for t in "$BUILD"/tests/fuzz-*; do
        [ -x "$t" ] || continue
        corpus=tests/fuzz/corpus/${t##*/fuzz-}
        run_one "$(basename "$t") (corpus replay)" "$t" "$corpus"
done
for t in tests/integration/*.sh; do
        [ -f "$t" ] && run_one "$(basename "$t")" bash "$t"
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
