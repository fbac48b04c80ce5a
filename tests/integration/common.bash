# Shared helpers for integration tests (sourced, not run). Each test counts
# checks and ends with `<name>: N passed, N failed`.
BUILD_DIR=${DECKHAND_BUILD:-$PWD/build}
T_PASSED=0
T_FAILED=0
T_NAME=$(basename "$0")

pass() { T_PASSED=$((T_PASSED + 1)); }
fail() { T_FAILED=$((T_FAILED + 1)); echo "  FAIL: $*" >&2; }

# check "description" command...: passes when the command exits 0.
check() {
        local what=$1; shift
        if "$@"; then pass; else fail "$what"; fi
}

# run_capture VAR_OUT VAR_RC cmd...: runs cmd with a 20 s bound, capturing
# stdout+stderr and the exit status.
run_capture() {
        local __out=$1 __rc=$2; shift 2
        local o r
        o=$(timeout 20 "$@" 2>&1); r=$?
        printf -v "$__out" '%s' "$o"
        printf -v "$__rc" '%s' "$r"
}

contains() { grep -qF -- "$2" <<<"$1"; }

finish() {
        echo "$T_NAME: $T_PASSED passed, $T_FAILED failed"
        [ "$T_FAILED" -eq 0 ]
}
