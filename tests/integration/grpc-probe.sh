#!/bin/bash
# grpc probes against a real gRPC server (grpcio's grpc.health.v1 servicer,
# tests/integration/grpchealth.py) on loopback: first one probe at a time
# through build/tests/grpcprobe (statuses, named services, RPC errors, a
# server without the Health service, one that never answers, one that is
# not HTTP/2, a closed port, a server that comes up during the timeout),
# then the real agent: a hostNetwork static pod whose readinessProbe is
# grpc flips Ready as the server's status changes.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash
CTL=$BUILD_DIR/deckctl
PROBE=$BUILD_DIR/tests/grpcprobe
if ! python3 -c 'import grpc, grpc_health.v1.health' 2>/dev/null; then
        echo "$T_NAME: python3 grpcio and grpcio-health-checking are missing (run scripts/deps.sh)" >&2
        echo "$T_NAME: 0 passed, 1 failed"
        exit 1
fi
. tests/integration/agent.bash
rt_setup grpc
servers=()
cleanup() {
        set +e
        agent_kill
        for p in "${servers[@]}"; do kill "$p" 2>/dev/null; done
        for p in "${servers[@]}"; do wait "$p" 2>/dev/null; done
        rt_cleanup
}
trap cleanup EXIT

# serve NAME MODE [PORT]: starts grpchealth.py; its port lands in $tmp/NAME.port.
serve() {
        python3 tests/integration/grpchealth.py --mode "$2" --port "${3:-0}" --port-file "$tmp/$1.port" \
                --control "$tmp/control" --lifetime 240 2>>"$tmp/server.log" &
        servers+=($!)
}
port_of() { poll 20 test -s "$tmp/$1.port" && cat "$tmp/$1.port"; }
# expect DESC PORT SERVICE TIMEOUT_MS RESULT OUTPUT: one probe, exact output.
expect() {
        local line
        line=$("$PROBE" 127.0.0.1 "$2" "$3" "$4")
        local res=${line%% *} rest=${line#* }
        local out=${rest#* }
        last_ms=${rest%% *}
        if [ "$res" = "$5" ] && [ "$out" = "$6" ]; then pass; else fail "$1: got '$line'"; fi
}
control() { printf '%s\n' "$@" >"$tmp/control.tmp" && mv "$tmp/control.tmp" "$tmp/control"; }

# --- one probe at a time ---
control "- SERVING" "svc NOT_SERVING" "down abort:UNAVAILABLE:going down" \
        "pct abort:INTERNAL:50% done, ünïcode" "slow sleep:3"
serve health health
serve nohealth nohealth
serve silent silent
serve http1 http1
P=$(port_of health)
check "the gRPC server listens" test -n "$P"
expect "the server as a whole is SERVING" "$P" "" 1000 success "service healthy"
check "  the User-Agent is kube-probe/<major>.<minor>" grep -qE '^user-agent kube-probe/1\.[0-9]+( |$)' "$tmp/control.seen"
seen_deadline() { awk '/^deadline/ {exit !($2 > 0.5 && $2 <= 1.0)}' "$tmp/control.seen"; }
check "  grpc-timeout carries the probe's timeout" seen_deadline
expect "a named service NOT_SERVING fails" "$P" svc 1000 failure 'service unhealthy (responded with "NOT_SERVING")'
check "  at once (${last_ms} ms)" test "$last_ms" -lt 900
control "- NOT_SERVING" "svc SERVING"
expect "the status flips: the server NOT_SERVING" "$P" "" 1000 failure 'service unhealthy (responded with "NOT_SERVING")'
expect "  and the service SERVING" "$P" svc 1000 success "service healthy"
control "- UNKNOWN" "svc SERVICE_UNKNOWN" "down abort:UNAVAILABLE:going down" \
        "pct abort:INTERNAL:50% done, ünïcode" "slow sleep:3"
expect "UNKNOWN fails" "$P" "" 1000 failure 'service unhealthy (responded with "UNKNOWN")'
expect "SERVICE_UNKNOWN fails" "$P" svc 1000 failure 'service unhealthy (responded with "SERVICE_UNKNOWN")'
expect "a service the server does not know: NotFound" "$P" nosuch 1000 failure \
        "error: health rpc probe failed: rpc error: code = NotFound desc = unknown service"
expect "an RPC error in grpc-go's words" "$P" down 1000 failure \
        "error: health rpc probe failed: rpc error: code = Unavailable desc = going down"
expect "grpc-message is percent-decoded" "$P" pct 1000 failure \
        "error: health rpc probe failed: rpc error: code = Internal desc = 50% done, ünïcode"
expect "a Check slower than the timeout" "$P" slow 1000 failure "timeout: health rpc did not complete within 1s"
check "  ends at the timeout (${last_ms} ms)" test "$last_ms" -ge 950 -a "$last_ms" -lt 2500

NP=$(port_of nohealth)
expect "a gRPC server without the Health service" "$NP" "" 1000 failure \
        "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): Method not found!"
SP=$(port_of silent)
# grpc-go would say "failed to connect" (no SETTINGS came); curl cannot tell (see probes/grpc.c)
expect "a server that accepts and never answers" "$SP" "" 1000 failure "timeout: health rpc did not complete within 1s"
check "  ends at the timeout (${last_ms} ms)" test "$last_ms" -ge 950 -a "$last_ms" -lt 2500
HP=$(port_of http1)
expect "an HTTP/1 server is no gRPC transport" "$HP" "" 1000 failure \
        "timeout: failed to connect service \"127.0.0.1:$HP\" within 1s: context deadline exceeded"
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect "a closed port fails when the timeout is up" "$free_port" "" 1000 failure \
        "timeout: failed to connect service \"127.0.0.1:$free_port\" within 1s: context deadline exceeded"
check "  not before (${last_ms} ms)" test "$last_ms" -ge 950 -a "$last_ms" -lt 2500
# grpc-go dials again (1 s, then 1.6 s later): a server up within the timeout answers
control "- SERVING"
(sleep 0.3; exec python3 tests/integration/grpchealth.py --port "$free_port" --port-file "$tmp/late.port" \
        --control "$tmp/control" --lifetime 60 2>>"$tmp/server.log") &
servers+=($!)
expect "a server that comes up during the timeout is probed" "$free_port" "" 5000 success "service healthy"
check "  on a later dial (${last_ms} ms)" test "$last_ms" -ge 900 -a "$last_ms" -lt 5000

# --- the agent: a grpc readinessProbe flips Ready ---
agent_env
control "- SERVING" "svc NOT_SERVING"
agent_start
grpc_pod() { # NAME SERVICE
        cat >"$tmp/$1.tmp" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sleep", "100000"]
    readinessProbe:
      grpc: {port: $P, service: "$2"}
      periodSeconds: 1
      failureThreshold: 1
YAML
        mv "$tmp/$1.tmp" "$tmp/manifests/$1.yaml"
}
grpc_pod whole ""
grpc_pod named svc
ready_of() { # NAME → "True"/"False" from the pod's Ready condition
        "$CTL" get pods -o json 2>/dev/null | jq -r --arg n "$1-node1" \
                '.items[] | select(.metadata.name == $n) | .status.conditions[]? | select(.type == "Ready") | .status'
}
is_ready() { [ "$(ready_of "$1")" = "$2" ]; }
check "the pod probing the SERVING server becomes Ready" poll 40 is_ready whole True
check "the pod probing the NOT_SERVING service is not Ready" poll 10 is_ready named False
check "  the agent logs why" poll 10 grep -q \
        '"Probe failed" probeType="Readiness" pod="default/named-node1" podUID="[^"]*" containerName="c" probeResult="failure" output="service unhealthy (responded with \\"NOT_SERVING\\")"$' \
        "$tmp/agent.log"
control "- NOT_SERVING" "svc SERVING"
check "the server turns NOT_SERVING: that pod is no longer Ready" poll 15 is_ready whole False
check "the service turns SERVING: the other pod becomes Ready" poll 15 is_ready named True
control "- SERVING" "svc SERVING"
check "SERVING again: Ready again" poll 15 is_ready whole True
kill "${servers[0]}"
wait "${servers[0]}" 2>/dev/null
check "the server gone: neither pod is Ready" poll 20 bash -c "[ \"\$('$CTL' get pods -o json | jq -r \
        '[.items[] | .status.conditions[]? | select(.type == \"Ready\") | .status] | unique | join(\",\")')\" = False ]"
timeout_logged() {
        grep -F "\"Probe failed\" probeType=\"Readiness\" pod=\"default/whole-node1\" " "$tmp/agent.log" |
                grep -qF "output=\"timeout: failed to connect service \\\"127.0.0.1:$P\\\" within 1s: context deadline exceeded\""
}
check "  the agent logs kubelet's connect timeout" timeout_logged
rm "$tmp/manifests/whole.yaml" "$tmp/manifests/named.yaml"
pods_gone() { ! "$CTL" pods | grep -qE "(whole|named)-node1"; }
check "the pods go with their files" poll 30 pods_gone
kill -TERM "$agent_pid"
check "the agent exits on SIGTERM" poll 10 bash -c "! kill -0 $agent_pid 2>/dev/null"
wait "$agent_pid" 2>/dev/null
agent_pid=
unstructured=$(klog_unstructured "$tmp/agent.log")
check "every line the agent logged is a klog structured line" test -z "$unstructured"
[ -z "$unstructured" ] || head -5 <<<"$unstructured" | sed 's/^/    not structured: /' >&2
finish
