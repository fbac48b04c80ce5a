#!/bin/bash
# The agent for real: deckhand --pod-manifest-path runs static pods on the
# built-in runtime. A pod file appearing starts its container; a container
# that keeps exiting is restarted and then backs off; removing the file
# stops and removes the pod; SIGTERM leaves the pod running and a new agent
# adopts it without restarting it.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash
CTL=$BUILD_DIR/deckctl
. tests/integration/agent.bash
rt_setup agent
cleanup() {
        agent_kill
        rt_cleanup
}
trap cleanup EXIT
agent_env
pod() { # file name command restartPolicy
        cat >"$tmp/$1.tmp" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $2
spec:
  restartPolicy: $4
  terminationGracePeriodSeconds: 2
  containers:
  - name: $2
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: $3
EOF
        mv "$tmp/$1.tmp" "$tmp/manifests/$1"
}

agent_start
pod web.yaml web '["sleep", "1000"]' Always
web_runs() { [ -n "$(running_id web)" ]; }
check "a static pod file runs its container" poll 30 web_runs
web=$(running_id web)
check "the pod's sandbox is listed" poll 5 grep -q "web-node1" <("$CTL" pods)

# --- a container that keeps exiting is restarted, then backs off ---
pod crash.yaml crash '["sh", "-c", "exit 3"]' Always
attempts() { ctr crash | wc -l; }
restarted() { [ "$(attempts)" -ge 2 ]; }
check "an exiting container is restarted (attempt 1 exists)" poll 40 restarted
max_attempt() { ctr crash | awk '{print $3}' | sort -n | tail -1; }
check "the restart carries a higher attempt ($(max_attempt))" test "$(max_attempt)" -ge 1
n=$(attempts)
sleep 3
check "then it backs off (no new attempt within 3 s: $n -> $(attempts))" test "$(attempts)" -le $((n + 1))
check "the agent logs the phase" grep -q '"Pod phase changed" pod=.* phase="Running"' "$tmp/agent.log"

# --- the agent serves its pods: deckctl get pods (<root-dir>/agent.sock) ---
sock=$DECKHAND_ROOT_DIR/agent.sock
check "the agent's socket is root-only (0600)" test "$(stat -c %a "$sock")" = 600
web_listed_running() {
        "$CTL" get pods -o json >"$tmp/pods.json" 2>/dev/null &&
                jq -e '.items[] | select(.metadata.name == "web-node1") | .status.phase == "Running"' \
                        "$tmp/pods.json" >/dev/null
}
check "get pods -o json shows web-node1 Running" poll 20 web_listed_running
jqf() { jq -e "$1" "$2" >/dev/null; } # FILTER FILE: the filter holds
check "the JSON is a v1 PodList" jqf '.kind == "PodList" and .apiVersion == "v1"' "$tmp/pods.json"
check "it lists the static pods by their node-suffixed names" \
        jqf '[.items[].metadata.name] | index("web-node1") and index("crash-node1")' "$tmp/pods.json"
check "items carry namespace, uid, the static-pod annotations and the spec" jqf \
        '.items[] | select(.metadata.name == "web-node1") | .metadata.namespace == "default" and
         (.metadata.uid | length > 0) and .metadata.annotations["kubernetes.io/config.source"] == "file" and
         .spec.containers[0].name == "web"' "$tmp/pods.json"
crash_restarts() {
        "$CTL" get pods -o json 2>/dev/null | jq -e '.items[] | select(.metadata.name == "crash-node1") |
                .status.containerStatuses[0].restartCount >= 1' >/dev/null
}
check "containerStatuses carry restartCount (crash restarted)" poll 20 crash_restarts
check "web's container status is running and ready" jqf '.items[] | select(.metadata.name == "web-node1") |
        .status.containerStatuses[0] | .ready == true and .restartCount == 0 and (.state.running != null)' \
        "$tmp/pods.json"
"$CTL" get pods >"$tmp/pods.txt" 2>&1
check "the table has kubectl's columns" grep -qE '^NAME +READY +STATUS +RESTARTS +AGE' "$tmp/pods.txt"
check "the table lists web-node1 as 1/1 Running" grep -qE '^web-node1 +1/1 +Running +0 ' "$tmp/pods.txt"
check "and crash-node1" grep -q '^crash-node1 ' "$tmp/pods.txt"
check "-o wide adds the node" bash -c "'$CTL' get pods -o wide | grep -qE '^web-node1 .* node1\$'"
# raw SOCKET REQUEST: sends REQUEST, prints the response.
raw() { python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode())
b=b""
while True:
    d=s.recv(65536)
    if not d: break
    b+=d
sys.stdout.write(b.decode())' "$@"; }
unknown_request() { raw "$sock" $'nope\n' | jq -se 'length == 1 and .[0].kind == "Status" and .[0].code == 400' >/dev/null; }
check "an unknown request gets a Status" unknown_request
long_request() { raw "$sock" "$(printf 'x%.0s' $(seq 4096))" | jq -se 'length == 1 and .[0].code == 400' >/dev/null; }
check "a request line over the limit gets a Status" long_request
check "--agent-socket names the socket" bash -c "'$CTL' get pods --agent-socket '$sock' | grep -q web-node1"

# --- imagePullPolicy Never without the image: ErrImageNeverPull, no container ---
cat >"$tmp/manifests/noimg.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: noimg
spec:
  containers:
  - name: noimg
    image: deckhand.local/missing:1
    imagePullPolicy: Never
EOF
never_pull() { grep -q '"Container start failed in pod" err=.* containerName="noimg" reason="ErrImageNeverPull"' "$tmp/agent.log"; }
check "a missing image with pull policy Never is ErrImageNeverPull" poll 20 never_pull
check "and no container is created" test -z "$(ctr noimg)"
rm "$tmp/manifests/noimg.yaml"
noimg_gone() { ! "$CTL" pods | grep -q noimg-node1; }
check "its sandbox goes with the file" poll 20 noimg_gone

# --- probes: a liveness failure restarts the container, readiness flips Ready ---
probe_pod() { # file name script probeKind file-the-probe-cats
        cat >"$tmp/$1.tmp" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $2
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: $2
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "$3"]
    $4:
      exec:
        command: ["cat", "$5"]
      periodSeconds: 1
      failureThreshold: 2
EOF
        mv "$tmp/$1.tmp" "$tmp/manifests/$1"
}
probe_pod live.yaml live "touch /tmp/healthy; sleep 4; rm /tmp/healthy; exec sleep 1000" livenessProbe /tmp/healthy
probe_pod ready.yaml ready "touch /tmp/ready; sleep 4; rm /tmp/ready; exec sleep 1000" readinessProbe /tmp/ready
live_runs() { [ -n "$(running_id live)" ]; }
check "a pod with a liveness probe runs" poll 30 live_runs
t0=$SECONDS
live_attempt() { ctr live | awk '{print $3}' | sort -n | tail -1; }
live_restarted() { [ "$(ctr live | wc -l)" -ge 2 ] && [ -n "$(running_id live)" ]; }
# 4 s healthy + period 1 s * failureThreshold 2 + the stop and start: 20 s is slack.
check "a failed liveness probe restarts the container" poll 20 live_restarted
check "  within $((SECONDS - t0)) s, as attempt $(live_attempt)" test "$(live_attempt)" -ge 1
check "the agent logs the liveness kill" \
        grep -q '"Killing unwanted container for pod" pod="default/live-node1" .*containerName="live" .*containerMessage="Container live failed liveness probe, will be restarted"' "$tmp/agent.log"
ready_flips() { grep '"Pod ready condition changed" pod="default/ready-node1"' "$tmp/agent.log" |
        awk '/ ready=true/ {t = 1} / ready=false/ && t {f = 1} END {exit !f}'; }
check "readiness succeeds then fails: the log shows Ready true then false" poll 30 ready_flips
cat >"$tmp/manifests/noip.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: noip
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: noip
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sleep", "1000"]
    readinessProbe:
      tcpSocket:
        port: 80
      periodSeconds: 1
EOF
noip_failed() { grep -q '"Probe failed" probeType="Readiness" pod="default/noip-node1" .*containerName="noip" probeResult="failure" output="pod has no IP yet' "$tmp/agent.log"; }
# No pod networking yet: a tcp/http probe of a pod without an IP fails, saying so.
check "a tcpSocket probe of a pod without an IP fails with 'pod has no IP yet'" poll 30 noip_failed
rm "$tmp/manifests/live.yaml" "$tmp/manifests/ready.yaml" "$tmp/manifests/noip.yaml"
probes_gone() { [ -z "$(ctr live)" ] && [ -z "$(ctr ready)" ] && [ -z "$(ctr noip)" ]; }
check "the probed pods go with their files" poll 30 probes_gone

# --- removing the file stops and removes the pod ---
rm "$tmp/manifests/crash.yaml"
crash_gone() { [ -z "$(ctr crash)" ]; }
check "removing the file removes the containers" poll 30 crash_gone
check "and the sandbox" poll 10 bash -c "! '$CTL' pods | grep -q crash-node1"
check "the other pod keeps running" test "$(running_id web)" = "$web"

# --- SIGTERM leaves pods running; a new agent adopts them ---
kill -TERM "$agent_pid"
check "the agent exits on SIGTERM" poll 10 bash -c "! kill -0 $agent_pid 2>/dev/null"
wait "$agent_pid" 2>/dev/null
check "the socket goes with the agent" test ! -e "$sock"
not_running_msg() { ! "$CTL" get pods >/dev/null 2>"$tmp/get.err" && grep -q "agent is not running" "$tmp/get.err"; }
check "get pods says the agent is not running" not_running_msg
check "the pod's container still runs" test "$(running_id web)" = "$web"
agent_start
adopted() { sed -n '/signal=15/,$p' "$tmp/agent.log" | grep -q '"Pod phase changed" pod="default/web-node1" .*phase="Running"'; }
check "the new agent sees the pod running" poll 20 adopted
sleep 2
check "it adopted the container without restarting it" test "$(running_id web)" = "$web"
check "no second web container" test "$(ctr web | wc -l)" -eq 1

# --- a manifest removed while no agent runs: the next agent removes the pod ---
kill -TERM "$agent_pid"
wait "$agent_pid" 2>/dev/null
rm "$tmp/manifests/web.yaml"
agent_start
web_gone() { [ -z "$(ctr web)" ] && ! "$CTL" pods | grep -q web-node1; }
check "an orphaned pod is removed by the next agent" poll 30 web_gone

kill -9 "$agent_pid"
wait "$agent_pid" 2>/dev/null
agent_pid=
# Under make SANITIZE=1 a report is a failure.
unstructured=$(klog_unstructured "$tmp/agent.log")
check "every line the agent logged is a klog structured line" test -z "$unstructured"
[ -z "$unstructured" ] || head -5 <<<"$unstructured" | sed 's/^/    not structured: /' >&2
check "no sanitizer report from the agent" bash -c "! grep -qE 'Sanitizer|runtime error:' '$tmp/agent.log'"
[ "$T_FAILED" -eq 0 ] || sed 's/^/    agent: /' "$tmp/agent.log" | tail -40 >&2
finish
