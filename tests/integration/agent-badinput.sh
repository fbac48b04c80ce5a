#!/bin/bash
# Bad input to the real agent, each bounded and kept to its own pod: an
# exec probe that prints without end, one that fails with long output
# full of terminal escapes, one that fork-bombs (podPidsLimit),
# an httpGet probe into a server that never answers, a container that
# exits in a tight loop, a missing image, an invalid manifest. A quiet pod
# runs beside them all the while and is never restarted.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash
CTL=$BUILD_DIR/deckctl
. tests/integration/agent.bash
rt_setup badin
cleanup() {
        set +e
        agent_kill
        rt_cleanup
}
trap cleanup EXIT
agent_env "podPidsLimit: 64"
# Started with SIGPIPE and glibc's own real-time signals ignored, as some
# parents leave them: its containers must not inherit that.
AGENT_WRAP="$BUILD_DIR/tests/sigign 13 32 33 --" agent_start

logged() { grep -q -- "$1" "$tmp/agent.log"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$agent_pid/status"; }
# A pod with one container running COMMAND and a probe (YAML, indented 4).
probe_pod() { # NAME COMMAND PROBE-YAML [hostNetwork]
        put "$1.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  hostNetwork: ${4:-false}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "$2"]
$3
EOF
}

put quiet.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: quiet}
spec:
  containers:
  - name: c
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sleep", "100000"]
EOF
quiet_running() { podis quiet '.status.phase == "Running"'; }
check "a quiet pod runs" poll 30 quiet_running
quiet_id=$(podjson quiet | jq -r '.status.containerStatuses[0].containerID')

# An exec probe printing ~1 GB: its output is cut at 10 KiB, the agent stays small.
probe_pod flood "exec sleep 100000" '    readinessProbe:
      exec: {command: ["sh", "-c", "yes 0123456789012345678901234567890123456789 | head -c 1000000000"]}
      timeoutSeconds: 5
      periodSeconds: 2'
# An exec probe that fork-bombs: podPidsLimit 64 holds it in the container.
probe_pod forkbomb "exec sleep 100000" '    livenessProbe:
      exec: {command: ["sh", "-c", "b() { b | b & }; b; sleep 5"]}
      timeoutSeconds: 1
      periodSeconds: 3
      failureThreshold: 100'
# An exec probe failing with 20 kB of output behind terminal escapes: the
# log line quotes them and cuts the output.
probe_pod chatty "exec sleep 100000" '    readinessProbe:
      exec: {command: ["sh", "-c", "printf \"evil\\033[2J\\nline2 \"; yes 0123456789 | head -c 20000; exit 1"]}
      timeoutSeconds: 10
      periodSeconds: 2'
# httpGet into a server that accepts and never answers (nc on loopback).
port=$((20000 + RANDOM % 20000))
probe_pod blackhole "while true; do sleep 100000 | nc -l -p $port >/dev/null; done" "    readinessProbe:
      httpGet: {port: $port, path: /}
      timeoutSeconds: 1
      periodSeconds: 2" true
# A container that exits at once, over and over.
put tight.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: tight}
spec:
  containers:
  - name: c
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["true"]
EOF
# A missing image, and an invalid manifest.
put noimage.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: noimage}
spec:
  containers:
  - name: c
    image: deckhand.local/not-there:1
    imagePullPolicy: Never
EOF
put invalid.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: invalid}
spec:
  restartPolicy: Sometimes
  containers:
  - name: c
    image: deckhand.local/busybox
    ports: [{containerPort: 70000}]
EOF

# kubelet's ErrorS: "Could not process manifest file" err="<file>: pod ...: [errors]" path="<file>".
check "the invalid manifest is logged with its file and pod" poll 20 logged \
        '"Could not process manifest file" err="[^"]*/invalid.yaml: pod \\"default/invalid\\": .*" path="[^"]*/invalid.yaml"$'
check "  and each field path" logged 'err=".*spec.containers\[0\].ports\[0\].containerPort: Invalid value: 70000'
check "  (both of them)" logged 'err=".*spec.restartPolicy: Unsupported value: \\"Sometimes\\"'
# probe_failed TYPE POD: the start of kubelet's "Probe failed" line for container c of POD-node1.
probe_failed() {
        printf '"Probe failed" probeType="%s" pod="default/%s-node1" podUID="[^"]*" containerName="c" probeResult="failure" output=' "$1" "$2"
}
noimage_reason() { podis noimage '.status.containerStatuses[0].state.waiting.reason == "ErrImageNeverPull"'; }
check "the missing image: ErrImageNeverPull in the status" poll 20 noimage_reason
flood_failed() { logged "$(probe_failed Readiness flood)"; }
check "the flooding probe fails (its output bounded) and is logged" poll 40 flood_failed
# (its output: `yes | head` ends when yes dies of SIGPIPE, which it did
# not while container processes inherited the shim's ignored signals)
chatty_failed() { logged "$(probe_failed Readiness chatty)\"evil"; }
check "a probe's long output with terminal escapes is logged" poll 40 chatty_failed
chatty_line=$(grep "$(probe_failed Readiness chatty)\"evil" "$tmp/agent.log" | head -1)
check "  quoted as Go's %q quotes it" grep -qF 'output="evil\x1b[2J\nline2 0123456789\n0123456789\n' <<<"$chatty_line"
check "  cut at 1 KiB with a marker (a line of ${#chatty_line} bytes)" \
        bash -c '[ "${#1}" -le 1400 ] && grep -q "\[truncated [0-9]* bytes\]\"$" <<<"$1"' _ "$chatty_line"
check "  and no raw escape reaches the log" bash -c "! grep -q $'\x1b' '$tmp/agent.log'"
# Container processes start with every signal at its default, whatever
# the agent ignores (this one: SIGPIPE, 32 and 33 from sigign, SIGINT and
# SIGQUIT from its background start): its main process and an exec.
sigign=$("$CTL" exec -s --timeout 5 "${quiet_id#*://}" grep -h SigIgn /proc/1/status /proc/self/status)
check "container processes ignore no signal (main, exec): $(echo $sigign)" \
        test "$(echo $sigign)" = "SigIgn: 0000000000000000 SigIgn: 0000000000000000"
flood_unready() { podis flood '.status.conditions[] | select(.type == "Ready") | .status == "False"'; }
check "  and the pod is not Ready" flood_unready
bomb_failed() { logged "$(probe_failed Liveness forkbomb)"; }
check "the fork-bombing probe fails (timed out) and is logged" poll 40 bomb_failed
bomb_pids() {
        local cg
        cg=$(find /sys/fs/cgroup/pids/"$cgparent" -name pids.max -path "*$(podjson forkbomb | jq -r '.status.containerStatuses[0].containerID | sub(".*://"; "")')*" 2>/dev/null | head -1)
        [ -n "$cg" ] && [ "$(cat "$cg")" = 64 ]
}
if [ -d /sys/fs/cgroup/pids ]; then
        check "  held by the container's pids.max of 64" bomb_pids
fi
hole_failed() { logged "$(probe_failed Readiness blackhole)"'"Get \\"http://127.0.0.1:'"$port"'/\\": context deadline exceeded'; }
check "the black-hole httpGet probe times out with Go's message" poll 40 hole_failed
tight_backoff() { podis tight '.status.containerStatuses[0].state.waiting.reason == "CrashLoopBackOff"'; }
check "the tight-loop container ends in CrashLoopBackOff" poll 40 tight_backoff
tight_restarts=$(podjson tight | jq -r '.status.containerStatuses[0].restartCount')
check "  after a few restarts, not hundreds ($tight_restarts)" test "$tight_restarts" -le 4
flood_rounds() { [ "$(grep -c "$(probe_failed Readiness flood)" "$tmp/agent.log")" -ge 3 ]; }
check "the flooding probe keeps running (3 rounds)" poll 60 flood_rounds
# (ASan's shadow memory and quarantine make the sanitizer build's agent
# ~120 MB at rest: it gets a bound of its own, still far below the
# gigabyte the probe prints.)
rss_bound=40000
[ -n "$T_SAN_DIR" ] && rss_bound=400000
check "the agent's RSS stays small under the flood ($(rss_kb) kB < $rss_bound)" test "$(rss_kb)" -lt "$rss_bound"
check "the quiet pod's container was never restarted" \
        test "$(podjson quiet | jq -r '.status.containerStatuses[0].containerID + " " + (.status.containerStatuses[0].restartCount | tostring)')" = "$quiet_id 0"
check "and it is still Running" quiet_running

rm -f "$tmp"/manifests/*.yaml
check "every pod goes with its file" poll 60 bash -c "! '$CTL' pods | grep -q node1"
agent_kill
unstructured=$(klog_unstructured "$tmp/agent.log")
check "every line the agent logged is a klog structured line" test -z "$unstructured"
[ -z "$unstructured" ] || head -5 <<<"$unstructured" | sed 's/^/    not structured: /' >&2
check "no sanitizer report from the agent" bash -c "! grep -qE 'Sanitizer|runtime error:' '$tmp/agent.log'"
[ "$T_FAILED" -eq 0 ] || sed 's/^/    agent: /' "$tmp/agent.log" | tail -40 >&2
finish
