#!/bin/bash
# Runs the built deckhand binary and checks its command line: --help,
# --version, usage errors (exit 2, one clear message), --config failures
# naming the file, precedence of flags over the file, and the standalone
# static pod check (--check-manifests). Ends with "cli.sh: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
BIN=${DECKHAND_BUILD:-build}/deckhand
DATA=${TEST_DATA_DIR:-tests/data}
VERSION=$(cat VERSION)
passed=0 failed=0

if [ ! -x "$BIN" ]; then
        echo "cli.sh: $BIN is not built (run make first)"
        echo "cli.sh: 0 passed, 1 failed"
        exit 1
fi
tmp=$(mktemp -d /tmp/deckhand-cli.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

pass() { passed=$((passed + 1)); }
fail() {
        failed=$((failed + 1))
        echo "FAIL: $*"
        sed 's/^/    stdout: /' "$tmp/out" | head -n 8
        sed 's/^/    stderr: /' "$tmp/err" | head -n 8
}

# t NAME WANT_STATUS STREAM TEXT ARGS...: runs deckhand ARGS; the exit
# status must be WANT_STATUS ("nonzero" allowed) and the stream (out, err,
# or - for none) must contain TEXT literally.
t() {
        local name=$1 want=$2 stream=$3 text=$4
        shift 4
        "$BIN" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
        local st=$?
        # Under make SANITIZE=1 a report is a failure, whatever the status.
        if grep -qE "Sanitizer|runtime error:" "$tmp/err"; then
                fail "$name: sanitizer report"
                return
        fi
        if [ "$want" = nonzero ]; then
                [ "$st" -ne 0 ] || { fail "$name: exit $st, want non-zero"; return; }
        elif [ "$st" -ne "$want" ]; then
                fail "$name: exit $st, want $want"
                return
        fi
        if [ "$stream" != - ] && ! grep -qF -- "$text" "$tmp/$stream"; then
                fail "$name: std$stream lacks: $text"
                return
        fi
        pass
}

# count STREAM TEXT N: the last run's stream holds TEXT on exactly N lines.
count() {
        local n
        n=$(grep -cF -- "$2" "$tmp/$1")
        if [ "$n" -eq "$3" ]; then pass; else fail "\"$2\" on $n lines of std$1, want $3"; fi
}

# --help and --version
t "--help" 0 out "--pod-manifest-path" --help
t "--help lists --config" 0 out "--config string" --help
count err "" 0
t "-h" 0 out "Usage:" -h
t "--help wins over later flags" 0 out "--max-pods" --max-pods=3 --help --bogus
t "--version" 0 out "deckhand version v$VERSION" --version
count out "" 1

# usage errors: exit 2, the message once, and a pointer to --help
t "unknown flag" 2 err "deckhand: unknown flag: --foo" --foo
count err "unknown flag" 1
t "unknown flag hint" 2 err "deckhand --help" --foo
t "unknown shorthand" 2 err "unknown shorthand flag: 'x' in -x" -x
t "network-plugin is gone (as in kubelet >= 1.24)" 2 err "unknown flag: --network-plugin" --network-plugin=cni
t "bad integer" 2 err "deckhand: invalid value \"abc\" for flag --max-pods: must be an integer" --max-pods=abc
count err "invalid value" 1
t "negative integer" 2 err "invalid value \"-1\" for flag --max-pods: must not be negative" --max-pods=-1
t "bad integer, separate value" 2 err "invalid value \"lots\" for flag --max-pods" --max-pods lots
t "missing value" 2 err "flag needs an argument: --max-pods" --max-pods
t "missing -v value" 2 err "flag needs an argument: 'v' in -v" -v
t "bad -v" 2 err "invalid value \"x\" for flag --v" -v=x
t "bad boolean" 2 err "invalid value \"maybe\" for flag --fail-swap-on" --fail-swap-on=maybe
t "bad duration" 2 err "invalid value \"5x\" for flag --sync-frequency" --sync-frequency=5x
t "bad node label" 2 err "invalid value \"a b=c\" for flag --node-labels" "--node-labels=a b=c"
t "bad taint" 2 err "for flag --register-with-taints" --register-with-taints=k=v:Never
t "stray argument" 2 err "unexpected argument \"run\"" run
t "stdout stays clean on errors" 2 - "" --foo
count out "" 0

# --config problems: non-zero, and the file is named
t "config: type error" 1 err "maxpods-lots.yaml: maxPods: Invalid value: \"lots\": must be an integer" \
        --config="$DATA/config/maxpods-lots.yaml"
count err "maxPods" 1
t "config: wrong kind" nonzero err "wrong-kind.yaml: kind is \"KubeProxyConfiguration\"" \
        --config "$DATA/config/wrong-kind.yaml"
t "config: wrong apiVersion" nonzero err "wrong-api.yaml: apiVersion is" --config="$DATA/config/wrong-api.yaml"
t "config: syntax error" nonzero err "syntax.yaml: line" --config="$DATA/config/syntax.yaml"
t "config: missing file" nonzero err "$tmp/absent.yaml" --config="$tmp/absent.yaml"
t "config: directory" nonzero err "$tmp" --config="$tmp"
t "config: invalid combination" 1 err "invalid configuration: cgroupDriver" \
        --config="$DATA/config/bad-driver.yaml"
t "flag repairs config" 0 - "" --config="$DATA/config/bad-driver.yaml" --cgroup-driver=systemd
t "--version skips the config file" 0 out "deckhand version" --version --config="$tmp/absent.yaml"

# standalone mode: static pods are checked, not run (no runtime yet)
mkdir -p "$tmp/good" "$tmp/bad"
cat >"$tmp/good/web.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: kube-system
spec:
  containers:
  - name: app
    image: registry.k8s.io/pause:3.10
EOF
printf 'not a manifest\n' >"$tmp/good/.README"
printf 'kind: Pod\n' >"$tmp/good/.hidden.yaml"
# kubelet reads every non-hidden file in the directory, whatever its name.
cp "$tmp/good/web.yaml" "$tmp/bad/web.yaml~"
printf 'not a manifest\n' >"$tmp/bad/README"
cat >"$tmp/bad/noimage.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: broken
spec:
  containers:
  - name: app
EOF
t "no manifest path: nothing to do" 0 err "nothing to do"
t "valid static pods" 0 err "\"Static pod is valid\" path=\"$tmp/good/web.yaml\" pod=\"kube-system/web\" qosClass=\"BestEffort\"" \
        --check-manifests --pod-manifest-path="$tmp/good"
count err "\"Static pod is valid\"" 1
count err "\"Configuration\"" 0
t "single manifest file" 0 err "\"Static pod is valid\" path=\"$tmp/good/web.yaml\"" \
        --check-manifests --pod-manifest-path="$tmp/good/web.yaml"
# One klog ErrorS line per field error: err="<field error>" path="..." pod="ns/name".
t "invalid static pod" 1 err "\"Invalid static pod manifest\" err=\"spec.containers[0].image: Required value\" path=\"$tmp/bad/noimage.yaml\" pod=\"default/broken\"" \
        --check-manifests --pod-manifest-path="$tmp/bad"
t "every non-hidden file is read" 1 err "err=\"document: Invalid value: \\\"not a manifest\\\": must be an object\" path=\"$tmp/bad/README\" object=\"document 1\"" \
        --check-manifests --pod-manifest-path="$tmp/bad"
t "editor backups are read too" 1 err "\"Static pod is valid\" path=\"$tmp/bad/web.yaml~\" pod=\"kube-system/web\"" \
        --check-manifests --pod-manifest-path="$tmp/bad"
t "missing manifest dir" 1 err "\"Unable to read static pod path\" err=\"$tmp/none: open" \
        --check-manifests --pod-manifest-path="$tmp/none"
t "flags beat the config file" 0 err "\"Checking static pod manifests\" staticPodPath=\"$tmp/good\"" \
        --config="$DATA/config/good.yaml" --check-manifests --pod-manifest-path="$tmp/good"
t "-v from flags" 0 - "" -v 4 --check-manifests --pod-manifest-path="$tmp/good"
t "-v 1 logs the configuration" 0 err "\"Configuration\" config=\"\" staticPodPath=\"$tmp/good\" maxPods=110 cgroupDriver=\"cgroupfs\"" \
        -v 1 --check-manifests --pod-manifest-path="$tmp/good"
t "cluster mode not implemented" 1 err "\"Cluster mode is not implemented yet; " --kubeconfig="$tmp/kubeconfig"

echo "cli.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
