#!/bin/bash
# Lifecycle hooks and graceful termination with the real agent: postStart
# runs before the pod's next container starts and a failing one kills the
# container with PostStartHookError; preStop (exec, httpGet, sleep) runs
# before the stop signal; the grace period is honoured, with at least 2 s
# left after a preStop hook; termination messages reach the status.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash
CTL=$BUILD_DIR/deckctl
. tests/integration/agent.bash
rt_setup hooks
cleanup() {
        set +e
        agent_kill
        rt_cleanup
}
trap cleanup EXIT
agent_env
mkdir -p "$tmp/out"
chmod 777 "$tmp/out"
agent_start
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }

# --- postStart runs before the next container starts; preStop then TERM ---
put order.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: order}
spec:
  terminationGracePeriodSeconds: 10
  volumes: [{name: out, hostPath: {path: $tmp/out}}]
  containers:
  - name: first
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "trap 'echo TERM >> /out/order.log; exit 0' TERM; echo first-started >> /out/order.log; while true; do sleep 0.1; done"]
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "sleep 1; echo poststart-done >> /out/order.log"]}
      preStop:
        exec: {command: ["sh", "-c", "echo prestop >> /out/order.log; sleep 1"]}
  - name: second
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "trap 'exit 0' TERM; echo second-started >> /out/order.log; while true; do sleep 0.1; done"]
    volumeMounts: [{name: out, mountPath: /out}]
EOF
both_run() { [ -n "$(running_id first)" ] && [ -n "$(running_id second)" ]; }
check "a pod with postStart and preStop hooks runs" poll 40 both_run
second_wrote() { grep -q second-started "$tmp/out/order.log" 2>/dev/null; }
check "  its second container wrote its line" poll 10 second_wrote
order=$(tr '\n' ' ' <"$tmp/out/order.log")
check "postStart completed before the next container started ($order)" \
        grep -q "poststart-done second-started" <<<"$order"
t0=$(now_ms)
rm "$tmp/manifests/order.yaml"
gone() { [ -z "$(ctr "$1")" ]; }
check "removing the file removes the pod" poll 30 gone first
order=$(tr '\n' ' ' <"$tmp/out/order.log")
check "preStop ran, then the container got SIGTERM ($order)" grep -q "prestop TERM" <<<"$order"
check "the container stopped gracefully, not killed at the grace period ($(( $(now_ms) - t0 )) ms)" \
        test $(( $(now_ms) - t0 )) -lt 9000

# --- the grace period: TERM ignored → SIGKILL when the grace period ends ---
stubborn() { # NAME GRACE PRESTOP-HANDLER
        put "$1.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: $2
  containers:
  - name: $1
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"]
    lifecycle:
      preStop: $3
EOF
}
stubborn graceful 5 '{sleep: {seconds: 2}}'
# (a sleep action longer than the grace period is invalid; an exec is not)
stubborn shortgrace 3 '{exec: {command: ["sleep", "10"]}}'
g_runs() { [ -n "$(running_id graceful)" ] && [ -n "$(running_id shortgrace)" ]; }
check "  (both running)" poll 40 g_runs
t0=$(now_ms)
rm "$tmp/manifests/graceful.yaml" "$tmp/manifests/shortgrace.yaml"
g_done=0 s_done=0
end=$((SECONDS + 30))
while [ $SECONDS -lt $end ] && { [ "$g_done" = 0 ] || [ "$s_done" = 0 ]; }; do
        [ "$g_done" = 0 ] && ! ctr graceful | grep -q RUNNING && g_done=$(( $(now_ms) - t0 ))
        [ "$s_done" = 0 ] && ! ctr shortgrace | grep -q RUNNING && s_done=$(( $(now_ms) - t0 ))
        sleep 0.1
done
# graceful: preStop sleeps 2 s of the 5 s, SIGKILL 3 s later: ~5 s.
check "grace 5 s with a 2 s preStop sleep: killed after ${g_done} ms (5 s expected)" \
        test "$g_done" -ge 4500 -a "$g_done" -le 8000
# shortgrace: the 10 s preStop is cut at the 3 s grace period, then 2 s more: ~5 s.
check "grace 3 s with a 10 s preStop: killed after ${s_done} ms (3 s + the 2 s minimum)" \
        test "$s_done" -ge 4500 -a "$s_done" -le 8500

# --- a failing postStart kills the container: PostStartHookError ---
put hookfail.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: hookfail}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sleep", "1000"]
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "echo no way; exit 3"]}
EOF
# ErrorS: the kubelet's hook message (Go-quoted) in err="...", then the keys.
hookfail_logged() {
        grep -F '"Failed to execute PostStartHook" err="Exec lifecycle hook ([sh -c echo no way; exit 3]) for Container \"app\" in Pod \"hookfail-node1_default(' "$tmp/agent.log" |
                grep -q '" pod="default/hookfail-node1" podUID="[^"]*" containerName="app" reason="PostStartHookError"$'
}
check "a failing postStart hook is PostStartHookError with the kubelet's message" poll 30 hookfail_logged
check "  and its output" grep -qF 'exited with 3: , message: \"no way\\n\"" pod=' "$tmp/agent.log"
hookfail_failed() { podis hookfail '.status.phase == "Failed" and
        (.status.containerStatuses[0].state.terminated != null)'; }
check "the container was killed; restartPolicy Never: the pod fails" poll 30 hookfail_failed
rm "$tmp/manifests/hookfail.yaml"

# --- preStop httpGet goes to the pod (hostNetwork: 127.0.0.1) ---
port=$((20000 + RANDOM % 20000))
put httphook.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: httphook}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 3
  volumes: [{name: out, hostPath: {path: $tmp/out}}]
  containers:
  - name: web
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "mkdir -p /www/cgi-bin && echo ok > /www/index.html && printf '#!/bin/sh\\necho \"\$HTTP_USER_AGENT \$HTTP_X_HOOK \$REQUEST_URI\" > /out/hook\\necho Content-Type: text/plain\\necho\\necho bye\\n' > /www/cgi-bin/bye && chmod +x /www/cgi-bin/bye && exec httpd -f -p 127.0.0.1:$port -h /www"]
    ports: [{name: http, containerPort: $port}]
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      preStop:
        httpGet: {path: /cgi-bin/bye, port: http, httpHeaders: [{name: X-Hook, value: prestop}]}
EOF
check "a hostNetwork pod with an httpGet preStop runs" poll 40 bash -c "curl -sf http://127.0.0.1:$port/ >/dev/null"
web_id=$(running_id web)
rm "$tmp/manifests/httphook.yaml"
check "it goes with its file" poll 30 gone web
# The CGI script wrote the request's User-Agent, X-Hook header and URI.
hook=$(cat "$tmp/out/hook" 2>/dev/null)
check "the preStop hook requested /cgi-bin/bye on the named port ($hook)" contains "$hook" "prestop /cgi-bin/bye"
check "  with User-Agent kube-lifecycle/<version>" grep -q "^kube-lifecycle/[0-9]" <<<"$hook"

# --- termination messages ---
put msg.yaml <<EOF
apiVersion: v1
kind: Pod
metadata: {name: msg}
spec:
  restartPolicy: Never
  containers:
  - name: file
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "echo ignored; printf bye > /dev/termination-log; exit 3"]
  - name: logs
    image: deckhand.local/busybox
    imagePullPolicy: Never
    terminationMessagePolicy: FallbackToLogsOnError
    command: ["sh", "-c", "echo one; echo two >&2; exit 1"]
  - name: custom
    image: deckhand.local/busybox
    imagePullPolicy: Never
    terminationMessagePath: /tmp/why
    command: ["sh", "-c", "echo custom-path > /tmp/why"]
EOF
msg_done() { podis msg '.status.phase == "Failed"'; }
check "a pod whose containers exit fails" poll 40 msg_done
tmsg() { podjson msg | jq -r --arg c "$1" '.status.containerStatuses[] | select(.name == $c) | .state.terminated.message'; }
check "terminationMessagePath's content is the message ($(tmsg file))" test "$(tmsg file)" = "bye"
check "FallbackToLogsOnError: the log's last lines ($(tmsg logs | tr '\n' '|'))" test "$(tmsg logs)" = $'one\ntwo'
check "a custom terminationMessagePath ($(tmsg custom))" test "$(tmsg custom)" = "custom-path"
rm "$tmp/manifests/msg.yaml"
check "the pods go" poll 30 bash -c "! '$CTL' pods | grep -q node1"

[ -n "${HOOKS_PAUSE:-}" ] && sleep "$HOOKS_PAUSE"
agent_kill
unstructured=$(klog_unstructured "$tmp/agent.log")
check "every line the agent logged is a klog structured line" test -z "$unstructured"
[ -z "$unstructured" ] || head -5 <<<"$unstructured" | sed 's/^/    not structured: /' >&2
check "no sanitizer report from the agent" bash -c "! grep -qE 'Sanitizer|runtime error:' '$tmp/agent.log'"
[ "$T_FAILED" -eq 0 ] || sed 's/^/    agent: /' "$tmp/agent.log" | tail -40 >&2
finish
