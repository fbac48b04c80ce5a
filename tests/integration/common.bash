# Shared helpers for integration tests (sourced, not run). Each test counts
# checks and ends with `<name>: N passed, N failed`.
BUILD_DIR=${DECKHAND_BUILD:-$PWD/build}
T_PASSED=0
T_FAILED=0
T_NAME=$(basename "$0")

pass() { T_PASSED=$((T_PASSED + 1)); }
fail() { T_FAILED=$((T_FAILED + 1)); echo "  FAIL: $*" >&2; }

# check "description" command...: passes when the command exits 0. With
# T_VERBOSE=1 passing checks are printed too (say, to show the figures a
# description carries).
T_VERBOSE=${T_VERBOSE:-0}
check() {
        local what=$1; shift
        if "$@"; then
                pass
                [ "$T_VERBOSE" = 1 ] && echo "  ok: $what"
        else
                fail "$what"
        fi
        return 0
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

# poll SECONDS command...: until the command succeeds or the deadline.
poll() {
        local end=$((SECONDS + $1)); shift
        while [ $SECONDS -lt $end ]; do
                "$@" && return 0
                sleep 0.2
        done
        return 1
}

finish() {
        san_check || :
        echo "$T_NAME: $T_PASSED passed, $T_FAILED failed"
        [ "$T_FAILED" -eq 0 ]
}

# --- tests that run containers (root: namespaces, mounts, cgroups) ---

# rt_setup TAG: exits the test as failed unless root; otherwise makes $tmp
# (a fresh directory), points deckctl's runtime at it (DECKHAND_STATE_DIR,
# DECKHAND_ROOT_DIR, DECKHAND_SHIM) and names $cgparent, the cgroup parent
# the test's pods must use. Call rt_cleanup from the test's EXIT trap.
rt_setup() {
        if [ "$(id -u)" -ne 0 ]; then
                echo "$T_NAME: needs root (namespaces, mounts, cgroups)" >&2
                echo "$T_NAME: 0 passed, 1 failed"
                exit 1
        fi
        tmp=$(mktemp -d "/tmp/deckhand-$1.XXXXXX")
        export DECKHAND_STATE_DIR=$tmp/state DECKHAND_ROOT_DIR=$tmp/root DECKHAND_SHIM=$BUILD_DIR/deckhand-shim
        cgparent=deckhand-test-$1-$$
        san_setup
}

# --- sanitizer reports (make SANITIZE=1, build-san/) ---
# A report goes to the stderr of the process that made it, and most of our
# processes' stderr is read by no test: the shim's is /dev/null, the agent's
# a log file. Under the sanitizer build every report is written to a file
# under $tmp/san instead (ASan/LSan: asan.<pid>, UBSan: ubsan.<pid>); any
# such file fails the test (finish, then rt_cleanup once the shims exit).
# The variables reach the agent, deckctl and, through the runtime, the shims
# (exec'd with the caller's environment); containers get only their own
# configured environment (execvpe with the plan's env).
T_SAN_DIR=
T_SAN_SEEN=
san_build() {
        case $BUILD_DIR in */build-san | */build-san/) return 0 ;; esac
        grep -qa __asan_init "$BUILD_DIR/deckhand-shim" 2>/dev/null
}
san_setup() {
        san_build || return 0
        T_SAN_DIR=$tmp/san
        mkdir -p "$T_SAN_DIR"
        # Options already set (detect_leaks=0, ...) are kept; log_path wins.
        export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T_SAN_DIR/asan
        export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:log_path=$T_SAN_DIR/ubsan
}
# Counts a failure for, and prints the start of, each report not seen yet.
# Returns 1 if any report exists at all.
san_check() {
        [ -n "$T_SAN_DIR" ] && [ -d "$T_SAN_DIR" ] || return 0
        local f any=0
        for f in "$T_SAN_DIR"/*; do
                [ -f "$f" ] || continue
                any=1
                case " $T_SAN_SEEN " in *" $f "*) continue ;; esac
                T_SAN_SEEN="$T_SAN_SEEN $f"
                fail "sanitizer report ${f##*/}"
                head -n 40 "$f" | sed 's/^/    san: /' >&2
        done
        [ "$any" -eq 0 ]
}
# Removes the test's pods, then anything of them that survived: a shim this
# test started that did not go away is killed (a failure was reported
# already), mounts under $tmp, the test's cgroups, and $tmp. Nothing else on
# the machine is touched. Under the sanitizer build, a report from any
# process (the shims exit here) makes the test exit 1.
rt_cleanup() {
        local p c i san_bad=0 shims="deckhand-shim --id [0-9a-f]* --state-dir $tmp/state"
        for p in $("$BUILD_DIR/deckctl" pods -q 2>/dev/null); do
                timeout 20 "$BUILD_DIR/deckctl" rmp "$p" >/dev/null 2>&1
        done
        # A removed pod's shim replies, then exits (and, under ASan, checks
        # for leaks first): give it the time before killing what is left.
        for i in $(seq 50); do
                pgrep -f "$shims" >/dev/null || break
                sleep 0.1
        done
        pkill -9 -f "$shims" 2>/dev/null
        if ! san_check; then
                san_bad=1
                echo "$T_NAME: sanitizer reports (see above); failing" >&2
        fi
        grep "$tmp" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
        for c in /sys/fs/cgroup/*/"$cgparent" /sys/fs/cgroup/"$cgparent"; do
                [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
        done
        rm -rf "$tmp"
        [ "$san_bad" -eq 0 ] || exit 1
}
