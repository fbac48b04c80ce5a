#!/bin/bash
# Container garbage collection for real. A crash-looping init container
# is pruned before each restart (pruneInitContainersBeforeStart): never
# more than its newest dead instance plus the new one. A crash-looping
# container piles up dead instances until a GC round runs (every minute,
# the kubelet's ContainerGCPeriod; DECKHAND_CONTAINER_GC_PERIOD_MS=1000
# here), which leaves the running or newest instance and one dead one;
# restart counts and lastState survive it.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash
CTL=$BUILD_DIR/deckctl
. tests/integration/agent.bash
rt_setup containergc
cleanup() {
        agent_kill
        rt_cleanup
}
trap cleanup EXIT
agent_env "healthzPort: 0"
start_agent() { agent_start -v 2; }
instances() { ctr "$1" | wc -l; }
max_attempt() { ctr "$1" | awk '{print $3}' | sort -n | tail -1; }
attempt_at_least() { [ "$(max_attempt "$1")" -ge "$2" ] 2>/dev/null; }

cat >"$tmp/manifests/initcrash.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: initcrash
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: init
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "exit 1"]
  containers:
  - name: app
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sleep", "1000"]
EOF
cat >"$tmp/manifests/crash.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: crash
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
  - name: crash
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "exit 1"]
EOF
start_agent
t0=$SECONDS
# The first restart comes at once, the next after the 10 s back-off:
# attempt 2 about 11 s in, well before the first GC round (60 s).
check "the failing init container reaches attempt 2" poll 50 attempt_at_least init 2
at_most_two() { [ "$(instances "$1")" -le 2 ]; }
check "  and the prune left at most 2 instances of it ($(instances init))" poll 5 at_most_two init
check "the crashing container reaches attempt 2 too" poll 20 attempt_at_least crash 2
check "  and, before any GC round ($((SECONDS - t0)) s in), keeps all 3 instances ($(instances crash))" \
        test "$(instances crash)" -ge 3
check "the prune is logged" grep -q '"Removing container" cause="initContainerPrune" pod="default/initcrash-node1" podUID="[^"]*" containerName="init" containerID="[^"]*"$' "$tmp/agent.log"
check "no GC round ran yet" bash -c "! grep -q 'cause=\"containerGC\"' '$tmp/agent.log'"

# --- a GC round every second ---
kill -TERM "$agent_pid"
wait "$agent_pid" 2>/dev/null
newest=$(max_attempt crash)
DECKHAND_CONTAINER_GC_PERIOD_MS=1000 start_agent
# The new agent restarts the container at once (no back-off memory), so
# the round sees attempt $newest + 1 running (it keeps the newest dead one
# too) or already dead (it is the one dead instance kept).
check "a GC round leaves at most 2 instances of the crashing container" poll 15 at_most_two crash
check "  the newest among them" attempt_at_least crash "$newest"
kept_dead() { ctr crash | awk '$2 == "CONTAINER_EXITED"' | grep -q .; }
check "  and a dead one (lastState, logs of the previous run)" kept_dead
check "the GC round is logged at -v 2" \
        grep -q '"Removing container" cause="containerGC" podUID="[^"]*" containerName="crash" containerID="[^"]*"$' "$tmp/agent.log"
# The restarted agent has no back-off memory: it restarts the container
# right away, counting on from the newest instance's annotation.
before=$(max_attempt crash)
check "the next restart comes as attempt $((before + 1))" poll 20 attempt_at_least crash $((before + 1))
restarts() {
        "$CTL" get pods -o json 2>/dev/null | jq -r '.items[] | select(.metadata.name == "crash-node1") |
                .status.containerStatuses[0] | "\(.restartCount) \(.lastState.terminated.exitCode // "none")"'
}
restart_count_kept() { [ "$(restarts)" = "$before 1" ] || [ "$(restarts)" = "$((before + 1)) 1" ]; }
check "restartCount counts on ($(restarts)) with lastState exit code 1" poll 20 restart_count_kept
check "and the GC keeps it at 2 instances after" poll 15 at_most_two crash
check "the init container still has at most 2 instances" at_most_two init

# --- removing the pods removes everything of them ---
rm "$tmp/manifests/crash.yaml" "$tmp/manifests/initcrash.yaml"
all_gone() { [ -z "$(ctr crash)$(ctr init)$(ctr app)" ]; }
check "removing the files removes every container" poll 30 all_gone
check "and the sandboxes" poll 10 bash -c "! '$CTL' pods | grep -q 'crash-node1'"
kill -TERM "$agent_pid"
wait "$agent_pid" 2>/dev/null
agent_pid=
finish
