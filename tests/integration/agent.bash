# Shared by the integration tests that run the real agent (sourced after
# common.bash and rt_setup): the local busybox image imported as
# deckhand.local/busybox, a KubeletConfiguration, the agent started on
# $tmp/manifests, manifests put in place whole, and the agent's view of
# its pods (deckctl get pods) and of its containers (deckctl inspect).

# agent_config [LINE...]: $tmp/kubelet.yaml, with extra lines.
agent_config() {
        {
                cat <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
podLogsDir: $tmp/logs
cgroupRoot: /$cgparent
resolvConf: ""
EOF
                local line
                for line in "$@"; do printf '%s\n' "$line"; done
        } >"$tmp/kubelet.yaml"
}

# agent_env [LINE...]: the image imported, $tmp/manifests and $tmp/logs
# made, and agent_config with the extra lines.
agent_env() {
        scripts/build-test-image "$tmp/img" >/dev/null
        "$BUILD_DIR/deckctl" images import "$tmp/img" --name deckhand.local/busybox >/dev/null ||
                fail "image import"
        mkdir -p "$tmp/manifests" "$tmp/logs"
        agent_config "$@"
}

# agent_start [FLAG...]: the agent on $tmp/manifests as node Node1 (pods
# named <name>-node1), logging to $tmp/agent.log; $agent_pid. $AGENT_WRAP,
# if set, is a command the agent is started through (it must exec it).
agent_pid=
agent_start() {
        ${AGENT_WRAP:-} "$BUILD_DIR/deckhand" --config "$tmp/kubelet.yaml" --root-dir "$DECKHAND_ROOT_DIR" \
                --pod-manifest-path "$tmp/manifests" --hostname-override Node1 "$@" \
                >>"$tmp/agent.log" 2>&1 &
        agent_pid=$!
}
# agent_kill: SIGKILL, for the EXIT trap and for restart tests.
agent_kill() {
        [ -n "$agent_pid" ] && kill -9 "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
        agent_pid=
        return 0
}

# put FILE: the manifest on stdin, moved into $tmp/manifests whole.
put() { cat >"$tmp/$1.tmp" && mv "$tmp/$1.tmp" "$tmp/manifests/$1"; }

# podjson POD: the pod POD-node1 of the agent's PodList, one line of JSON.
podjson() {
        "$BUILD_DIR/deckctl" get pods -o json 2>/dev/null |
                jq -c --arg n "$1-node1" '.items[] | select(.metadata.name == $n)'
}
# podis POD FILTER: the filter gives true for the pod (jq 1.6's -e passes
# on empty input, so the output is compared instead).
podis() { [ "$(podjson "$1" | jq -r "$2")" = true ]; }

# ctr NAME: "id state attempt created" of each container named NAME,
# newest first.
ctr() {
        local id
        for id in $("$BUILD_DIR/deckctl" ps -a -q); do
                "$BUILD_DIR/deckctl" inspect "$id" 2>/dev/null | jq -r --arg n "$1" \
                        '.status | select(.metadata.name == $n) | "\(.id) \(.state) \(.metadata.attempt // 0) \(.created_at)"'
        done | sort -k4 -rn
}
running_id() { ctr "$1" | awk '$2 == "CONTAINER_RUNNING" {print $1; exit}'; }

# klog_unstructured FILE: the lines of the agent's log that are not klog
# structured lines (header, "message", then key=value with Go-quoted
# strings, bare numbers or ["ns/name"] lists); the restart markers the
# tests write are left out. Empty when every line is structured.
KLOG_Q='"([^"\\]|\\.)*"'
KLOG_LINE='^[IWE][0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} +[0-9]+ [A-Za-z0-9_.-]+:[0-9]+\] '"$KLOG_Q"
KLOG_LINE+='( [A-Za-z][A-Za-z0-9]*=('"$KLOG_Q"'|[^ "[]+|\['"$KLOG_Q"'(,'"$KLOG_Q"')*\]))*( \[truncated\])?$'
klog_unstructured() { grep -avE "$KLOG_LINE" "$1" | grep -av '^--- agent restarted ---$'; }
