#!/bin/bash
# The agent's healthz endpoint for real: deckhand --healthz-port serves
# GET /healthz -> 200 "ok" on 127.0.0.1 (other paths 404); --healthz-port
# 0 disables it; healthzPort in the config file works too; a port that is
# already taken is logged clearly (address and port, as the
# KubeletConfiguration's healthzBindAddress and healthzPort) and the agent
# still runs its pods, and serves healthz once the port frees up.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash
CTL=$BUILD_DIR/deckctl
. tests/integration/agent.bash
rt_setup healthz
holder_pid=
cleanup() {
        agent_kill
        [ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null
        rt_cleanup
}
trap cleanup EXIT
agent_env
config() { agent_config "$@"; } # extra KubeletConfiguration lines
start_agent() { # extra flags; each agent's log on its own
        : >"$tmp/agent.log"
        agent_start "$@"
}
stop_agent() {
        kill -TERM "$agent_pid"
        wait "$agent_pid" 2>/dev/null
        agent_pid=
}
# A port nothing listens on right now (the kernel's pick, released).
free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
healthz_ok() { [ "$(curl -s --max-time 2 "http://127.0.0.1:$1/healthz")" = ok ]; }
status_of() { curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1$2"; }

config ""
port=$(free_port)
start_agent --healthz-port "$port"
check "GET /healthz on --healthz-port $port answers ok" poll 10 healthz_ok "$port"
check "with 200" test "$(status_of "$port" /healthz)" = 200
check "as text/plain" bash -c "curl -s -D - -o /dev/null http://127.0.0.1:$port/healthz |
        grep -qi '^content-type: text/plain; charset=utf-8'"
check "/nope is 404" test "$(status_of "$port" /nope)" = 404
check "/healthz/ping and /healthz/syncloop answer ok" \
        test "$(curl -s "http://127.0.0.1:$port/healthz/ping")$(curl -s "http://127.0.0.1:$port/healthz/syncloop")" = okok
check "a request with a body is refused (413)" \
        test "$(curl -s -o /dev/null -w '%{http_code}' --data hello "http://127.0.0.1:$port/healthz")" = 413
check "the agent logs where it serves" grep -qF "\"Serving healthz\" url=\"http://127.0.0.1:$port/healthz\"" "$tmp/agent.log"
stop_agent
check "the port is released when the agent exits" test "$(status_of "$port" /healthz)" = 000

# --- --healthz-port 0 disables it; healthzPort in the file is honoured ---
config "healthzPort: $port"
start_agent --healthz-port 0
running() { grep -q '"Running static pods"' "$tmp/agent.log"; }
check "with --healthz-port 0 the agent runs" poll 10 running
sleep 1
check "and serves no healthz" test "$(status_of "$port" /healthz)" = 000
check "nor says it does" bash -c "! grep -q 'Serving healthz' '$tmp/agent.log'"
stop_agent
start_agent --healthz-port "$port" --healthz-bind-address localhost
bad_address() { grep -qF '"Failed to start healthz server; running without it" err="localhost: not a numeric IP address" healthzBindAddress="localhost"' "$tmp/agent.log"; }
check "--healthz-bind-address localhost (no IP) is logged" poll 10 bad_address
check "  and the agent runs on" poll 10 running
stop_agent
port2=$(free_port)
config "healthzPort: $port2
healthzBindAddress: 127.0.0.1"
start_agent
check "healthzPort $port2 from the config file serves /healthz" poll 10 healthz_ok "$port2"
stop_agent

# --- a taken port: a clear error, the pods still run, healthz comes later ---
taken=$(free_port)
python3 -c "
import socket, time
s = socket.socket(); s.bind(('127.0.0.1', $taken)); s.listen(1)
time.sleep(120)" &
holder_pid=$!
held() { ss -ltnH "sport = :$taken" | grep -q .; }
check "a process holds port $taken" poll 10 held
config ""
start_agent --healthz-port "$taken"
cat >"$tmp/manifests/web.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sleep", "1000"]
EOF
clear_error() {
        grep -qF "\"Failed to start healthz server; running without it, retrying\" err=\"listen on 127.0.0.1:$taken: Address already in use\" healthzBindAddress=\"127.0.0.1\" healthzPort=$taken retryPeriodSeconds=5" \
                "$tmp/agent.log"
}
check "the taken port is logged with the address and port" poll 10 clear_error
web_runs() {
        local id
        for id in $("$CTL" ps -q); do
                "$CTL" inspect "$id" 2>/dev/null |
                        jq -e '.status | .metadata.name == "web" and .state == "CONTAINER_RUNNING"' >/dev/null &&
                        return 0
        done
        return 1
}
check "the agent still runs its pods" poll 30 web_runs
check "the agent is still up" kill -0 "$agent_pid"
kill "$holder_pid"
wait "$holder_pid" 2>/dev/null
holder_pid=
# Retried every 5 s.
check "once the port is free, healthz is served there" poll 15 healthz_ok "$taken"
rm "$tmp/manifests/web.yaml"
web_gone() { ! web_runs; }
check "the pod goes with its file" poll 30 web_gone
stop_agent
finish
