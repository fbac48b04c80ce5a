#!/bin/bash
# The standalone agent's pod lifecycle end to end (deckhand
# --pod-manifest-path on the built-in runtime), checked against the
# kubelet's behaviour: liveness restarts, readiness flipping the pod's
# conditions, CrashLoopBackOff windows, init containers in order, sidecars,
# manifest files added / changed / renamed / removed, the agent killed with
# SIGKILL mid-flight, activeDeadlineSeconds, termination messages.
#
# Pods have no IP yet (no pod networking), so probes are exec probes, or
# httpGet/tcpSocket probes of a hostNetwork pod on 127.0.0.1. Independent
# pods start together; a sampler records the agent's PodList every 0.5 s so
# that transient states (a back-off message, a Ready flip) can be checked
# after the fact. Measured times are printed in the check descriptions.
#
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash
CTL=$BUILD_DIR/deckctl
T_VERBOSE=1 # the descriptions carry the times measured
. tests/integration/agent.bash
rt_setup agentpods
sampler_pid=
cleanup() {
        [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
        agent_kill
        rt_cleanup
}
trap cleanup EXIT
agent_env
M=$tmp/manifests

# Container GC (a round a minute) would remove the exited instances whose
# times the checks read: not during this test.
start_agent() { DECKHAND_CONTAINER_GC_PERIOD_MS=3600000 agent_start; }
now() { date +%s.%N; }
# calc EXPR: floating point arithmetic, one decimal.
calc() { awk "BEGIN { printf \"%.1f\", $* }"; }
# holds EXPR: a floating point comparison.
holds() { awk "BEGIN { exit !($*) }"; }
# The pod header: put-able YAML for pod NAME with restartPolicy POLICY.
head_yaml() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: $2
  terminationGracePeriodSeconds: 2
EOF
}
# A container running SCRIPT that exits at once on SIGTERM (pid 1 ignores
# signals it does not handle).
SLEEPER='trap \"exit 0\" TERM; while :; do sleep 0.2; done'
# ctr_yaml NAME SCRIPT: a container list entry running sh -c SCRIPT (its
# further fields are appended by the caller, indented by four).
ctr_yaml() {
        cat <<EOF
  - name: $1
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "$2"]
EOF
}

# --- what the agent says: its PodList, now and sampled over time ---

# list: the agent's PodList now, into $tmp/pl.json.
list() { "$CTL" get pods -o json >"$tmp/pl.tmp" 2>/dev/null && mv "$tmp/pl.tmp" "$tmp/pl.json"; }
# q POD FILTER: the filter holds for pod POD's status in the last list.
q() { jq -e --arg n "$1-node1" ".items[] | select(.metadata.name == \$n) | .status | $2" \
        "$tmp/pl.json" >/dev/null 2>&1; }
# val POD FILTER: the filter's value (raw) for pod POD's status in the last list.
val() { jq -r --arg n "$1-node1" ".items[] | select(.metadata.name == \$n) | .status | $2" \
        "$tmp/pl.json" 2>/dev/null; }
# now_q POD FILTER: list, then q.
now_q() { list && q "$@"; }
# meta POD FILTER: pod POD's metadata, raw, from the last list.
meta() { jq -r --arg n "$1-node1" ".items[] | select(.metadata.name == \$n) | .metadata | $2" \
        "$tmp/pl.json" 2>/dev/null; }
sampler() {
        while :; do
                "$CTL" get pods -o json 2>/dev/null | jq -c --arg t "$(now)" \
                        '{t: ($t | tonumber), items: [.items[] | {name: .metadata.name, uid: .metadata.uid, status}]}' \
                        >>"$tmp/samples.jsonl"
                sleep 0.5
        done
}
# ever POD FILTER: some sample had the filter hold for POD's status.
ever() { jq -e -n --arg n "$1-node1" "any(inputs | .items[] | select(.name == \$n) | .status; $2)" \
        "$tmp/samples.jsonl" >/dev/null 2>&1; }
# first_t POD FILTER: the time of the first sample where it held ("" if none).
first_t() { jq -r -n --arg n "$1-node1" "first(inputs | .t as \$t | .items[] |
        select(.name == \$n) | .status | select($2) | \$t) // empty" "$tmp/samples.jsonl" 2>/dev/null; }

# --- what the runtime says: every container, with times in ns ---

# ctrs: every container's CRI status, one compact JSON line each, into $tmp/ctrs.
ctrs() {
        local id
        for id in $("$CTL" ps -a -q); do
                "$CTL" inspect "$id" 2>/dev/null | jq -c '.status | {id, state, started_at, finished_at,
                        exit_code, pod: .labels["io.kubernetes.pod.name"], uid: .labels["io.kubernetes.pod.uid"],
                        name: .metadata.name, attempt: (.metadata.attempt // 0), log_path}'
        done >"$tmp/ctrs"
}
# cq POD CTR FILTER: the filter over the array of CTR's instances in POD,
# by attempt (from the last ctrs), raw.
cq() { jq -r -s --arg p "$1-node1" --arg c "$2" \
        "[.[] | select(.pod == \$p and .name == \$c)] | sort_by(.attempt) | $3" "$tmp/ctrs"; }
running() { # POD CTR: the running instance's id, from a fresh ctrs
        ctrs
        cq "$1" "$2" 'map(select(.state == "CONTAINER_RUNNING")) | .[0].id // empty'
}
is_running() { [ -n "$(running "$1" "$2")" ]; }
# secs NS1 NS2: NS2 - NS1 in seconds.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
# cpid ID: the host pid of container ID's first process (pid 1 in its
# pid namespace), found through its cgroup.
cpid() {
        local d pid
        [ -n "$1" ] || return 1
        d=$(find /sys/fs/cgroup -path "*/$cgparent/*" -type d -name "*$1*" 2>/dev/null | head -1)
        [ -n "$d" ] || return 1
        for pid in $(cat "$d/cgroup.procs"); do
                awk '/^NSpid:/ && $NF == 1 {found = 1} END {exit !found}' "/proc/$pid/status" 2>/dev/null &&
                        { echo "$pid"; return 0; }
        done
        return 1
}
# The containers that run for the whole test (bar a change of their own).
STABLE="ready/ready web/web init/app side/sc side/app"
stable_ids() { # "pod/ctr id pid" for each, from a fresh ctrs
        local pc id
        ctrs
        for pc in $STABLE; do
                id=$(cq "${pc%/*}" "${pc#*/}" 'map(select(.state == "CONTAINER_RUNNING")) | .[0].id // empty')
                echo "$pc $id $(cpid "$id")"
        done
}
stable_up() { ! stable_ids | awk 'NF < 3 {bad = 1} END {exit !bad}'; }

start_agent
sampler &
sampler_pid=$!
t_start=$(now)

# ============ the pods that run side by side ============

# 1. Liveness: /tmp/healthy never exists; initialDelay 2 s, period 2 s,
# failureThreshold 3.
{ head_yaml live Always; echo "  containers:"; ctr_yaml live "$SLEEPER"; cat <<EOF
    livenessProbe:
      exec: {command: ["cat", "/tmp/healthy"]}
      initialDelaySeconds: 2
      periodSeconds: 2
      failureThreshold: 3
EOF
} | put live.yaml
# 2. Readiness: ready while /tmp/ready exists, probed every second.
{ head_yaml ready Always; echo "  containers:"; ctr_yaml ready "$SLEEPER"; cat <<EOF
    readinessProbe:
      exec: {command: ["cat", "/tmp/ready"]}
      periodSeconds: 1
EOF
} | put ready.yaml
# ... and over HTTP and TCP: a hostNetwork pod's httpd on 127.0.0.1.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
{ head_yaml web Always; cat <<EOF
  hostNetwork: true
  containers:
EOF
ctr_yaml web "mkdir -p /tmp/www && echo ok >/tmp/www/healthz && exec httpd -f -p 127.0.0.1:$port -h /tmp/www"
cat <<EOF
    readinessProbe:
      httpGet: {host: 127.0.0.1, port: $port, path: /healthz}
      periodSeconds: 1
    livenessProbe:
      tcpSocket: {host: 127.0.0.1, port: $port}
      periodSeconds: 1
      failureThreshold: 2
EOF
} | put web.yaml
# 3. Back-off: exits at once, again and again.
{ head_yaml crash Always; echo "  containers:"; ctr_yaml crash "exit 1"; } | put crash.yaml
# 4. Init containers in order, sharing an emptyDir.
{ head_yaml init Always; cat <<EOF
  volumes:
  - name: work
    emptyDir: {}
  initContainers:
EOF
for n in one two three; do
        ctr_yaml "$n" "printf '$n ' >>/work/order; sleep 0.3"
        printf '    volumeMounts: [{name: work, mountPath: /work}]\n'
done
echo "  containers:"
ctr_yaml app "cat /work/order; echo; $SLEEPER"
printf '    volumeMounts: [{name: work, mountPath: /work}]\n'
} | put init.yaml
# ... a failing init container under restartPolicy Never, and Always.
for pol in Never Always; do
        p=initfail-$(tr A-Z a-z <<<"$pol")
        { head_yaml "$p" "$pol"; echo "  initContainers:"; ctr_yaml bad "exit 2"
          echo "  containers:"; ctr_yaml app "$SLEEPER"; } | put "$p.yaml"
done
# 5. Sidecars: sc is up after 3 s (its startup probe), which gates the
# init container after it; then the app runs beside it.
{ head_yaml side Always; echo "  initContainers:"
  ctr_yaml sc "sleep 3; touch /tmp/up; $SLEEPER"; cat <<EOF
    restartPolicy: Always
    startupProbe:
      exec: {command: ["cat", "/tmp/up"]}
      periodSeconds: 1
      failureThreshold: 30
EOF
  ctr_yaml after "true"; echo "  containers:"; ctr_yaml app "$SLEEPER"; } | put side.yaml
# ... a sidecar that exits is restarted under the pod policies Never
# (it fails) and OnFailure (it succeeds).
for pol in Never OnFailure; do
        p=sideexit-$(tr A-Z a-z <<<"$pol")
        code=1; [ "$pol" = OnFailure ] && code=0
        { head_yaml "$p" "$pol"; echo "  initContainers:"; ctr_yaml sc "sleep 1; exit $code"
          echo "    restartPolicy: Always"; echo "  containers:"; ctr_yaml app "$SLEEPER"; } | put "$p.yaml"
done
# 8. activeDeadlineSeconds.
{ head_yaml deadline Always; echo "  activeDeadlineSeconds: 5"; echo "  containers:"
  ctr_yaml deadline "$SLEEPER"; } | put deadline.yaml
t_deadline=$(now)
# 9. Termination messages: from the file, and from the log on error.
{ head_yaml termmsg Never; echo "  containers:"; ctr_yaml termmsg "printf bye >/dev/termination-log; exit 3"; } |
        put termmsg.yaml
{ head_yaml fallback Never; echo "  containers:"
  ctr_yaml fallback "for i in \$(seq 1 100); do echo line \$i; done; exit 1"
  echo "    terminationMessagePolicy: FallbackToLogsOnError"; } | put fallback.yaml
# ... and one whose last 80 lines hold more than 2048 bytes.
PAD=$(printf 'x%.0s' $(seq 90))
{ head_yaml fallbig Never; echo "  containers:"
  ctr_yaml fallbig "for i in \$(seq 1 100); do echo line \$i $PAD; done; exit 1"
  echo "    terminationMessagePolicy: FallbackToLogsOnError"; } | put fallbig.yaml

# ============ 1. liveness ============
cond() { echo "(.conditions[] | select(.type == \"$1\"))"; }
live_restarted() { ctrs; [ "$(cq live live 'map(select(.attempt >= 1)) | length')" -ge 1 ]; }
check "a failing liveness probe restarts the container" poll 40 live_restarted
live0_started=$(cq live live '.[0].started_at') live0_finished=$(cq live live '.[0].finished_at')
live1_started=$(cq live live '.[1].started_at') live0=$(cq live live '.[0].id')
t=$(secs "$live0_started" "$live0_finished")
# Probes wait initialDelaySeconds (2), then 3 failures 2 s apart; the
# first probe comes at most a period after the delay.
check "  killed $t s after it started: >= initialDelay + (failureThreshold-1)*period = 6 s" holds "$t >= 5.9"
check "  and <= initialDelay + failureThreshold*period + 3 s = 11 s" holds "$t <= 11"
t=$(secs "$live0_finished" "$live1_started")
check "  restarted $t s after it stopped (no back-off for a first restart)" holds "$t <= 3"
check "  the agent logs why" grep -q 'pod="default/live-node1" .*containerMessage="Container live failed liveness probe, will be restarted"' "$tmp/agent.log"
live_counted() { now_q live ".containerStatuses[0] | .restartCount >= 1 and .state.running != null"; }
check "  restartCount goes up in the PodList" poll 10 live_counted
# The newest exited instance is the one lastState shows (it may have
# been killed again meanwhile: poll for a consistent view).
live_last() {
        ctrs && list || return 1
        local id; id=$(cq live live 'map(select(.state == "CONTAINER_EXITED")) | last | .id')
        q live ".containerStatuses[0].lastState.terminated | .containerID == \"deckhand://$id\" and
                (.exitCode | type == \"number\") and .finishedAt != null and .startedAt != null"
}
check "  lastState.terminated is the killed container" poll 10 live_last

# ============ 6. manifest files: add, no-op changes, change, rename, remove ============
edit_pod() { # ENV-VALUE [EXTRA LINE]
        { head_yaml edit Always; echo "  containers:"; ctr_yaml edit "$SLEEPER"
          printf '    env: [{name: FOO, value: "%s"}]\n' "$1"; [ $# -gt 1 ] && echo "$2"; }
}
t0=$(now)
edit_pod 1 | put edit.yaml
check "adding a file starts its pod" poll 30 is_running edit edit
c1=$(running edit edit)
# Timed by the container's own start (polling every container is slow).
since_t0() { secs "$(calc "$t0 * 1e9")" "$(cq edit edit "map(select(.id == \"$1\")) | .[0].started_at")"; }
check "  (its container started $(since_t0 "$c1") s after the file appeared)" test -n "$c1"
list
u1=$(meta edit .uid)
p1=$(cpid "$c1")
sleep 1
touch "$M/edit.yaml"
edit_pod 1 "# a comment changes nothing" | put edit.yaml
# The file source reacts within its 100 ms debounce; 3 s is ample.
sleep 3
list
check "touching the file or adding a comment keeps the pod's UID" test "$(meta edit .uid)" = "$u1"
check "  and its container" test "$(running edit edit)" = "$c1"
check "  with the same process ($p1)" test "$(cpid "$c1")" = "$p1"
check "  and one instance only" test "$(cq edit edit length)" = 1
check "  and the agent logs no stop for it" bash -c "! grep -E '\"(Killing|Stopping)[^\"]*\" pod=\"default/edit-node1\"' '$tmp/agent.log'"
t0=$(now)
edit_pod 2 | put edit.yaml
new_edit() { list && [ "$(meta edit .uid)" != "$u1" ] && q edit '.phase == "Running"' && is_running edit edit; }
check "changing an env var recreates the pod" poll 30 new_edit
c2=$(running edit edit)
u2=$(meta edit .uid)
check "  with a new UID ($u1 -> $u2)" test "$u2" != "$u1"
check "  and a new container, started $(since_t0 "$c2") s after the change" test "$c2" != "$c1"
old_gone() { ctrs; [ "$(jq -r -s --arg u "$1" 'map(select(.uid == $u)) | length' "$tmp/ctrs")" = 0 ]; }
check "  the old pod's container is removed" poll 20 old_gone "$u1"
one_sandbox() { [ "$("$CTL" pods | grep -c " $1-node1 ")" = 1 ]; }
check "  its sandbox too" poll 20 one_sandbox edit
check "  the new container sees the new value" test "$("$CTL" exec "$c2" sh -c 'echo $FOO' 2>&1)" = 2
mv "$M/edit.yaml" "$M/edit-renamed.yaml"
# kubelet hashes the file's path into a static pod's UID: a renamed file
# is a new pod (the old one goes).
renamed() { list && [ "$(meta edit .uid)" != "$u2" ] && q edit '.phase == "Running"' && is_running edit edit; }
check "renaming the file makes a new pod (the path is part of the UID)" poll 30 renamed
u3=$(meta edit .uid)
c3=$(running edit edit)
check "  the old one is removed" poll 20 old_gone "$u2"
check "  one edit pod listed" test "$(jq '[.items[] | select(.metadata.name == "edit-node1")] | length' "$tmp/pl.json")" = 1
# An invalid file: reported with the field, the other pods untouched.
check "  the long-running pods are up" poll 30 stable_up
stable_ids >"$tmp/stable.before"
{ head_yaml bad Sometimes; echo "  containers:"; ctr_yaml bad "$SLEEPER"; } | put bad.yaml
bad_logged() { grep '"Could not process manifest file" .*path="[^"]*/bad.yaml"$' "$tmp/agent.log" | grep -q "spec.restartPolicy"; }
check "an invalid file is logged with the field path" poll 10 bad_logged
grep "bad.yaml" "$tmp/agent.log" | head -2 | sed 's/^/    agent: /'
sleep 2
ctrs
check "  no pod is made of it" test "$(cq bad bad length)" = 0
check "  the other pods' containers are untouched" diff "$tmp/stable.before" <(stable_ids)
rm "$M/bad.yaml"
rm "$M/edit-renamed.yaml"
t0=$(now)
edit_removed() { ctrs; [ "$(cq edit edit length)" = 0 ] && ! "$CTL" pods | grep -q ' edit-node1 '; }
check "removing the file stops and removes the pod" poll 30 edit_removed
list
check "  ($(calc "$(now) - $t0") s) and it is no longer listed" \
        jq -e '[.items[] | select(.metadata.name == "edit-node1")] | length == 0' "$tmp/pl.json" >/dev/null

# ============ 2. readiness ============
ready_id=$(running ready ready)
ready_false() { q ready "$(cond Ready).status == \"False\" and $(cond ContainersReady).status == \"False\" and
        .containerStatuses[0].ready == false and .containerStatuses[0].started == true"; }
now_ready_false() { list && ready_false; }
check "a container whose readiness probe fails is running but not ready" poll 20 now_ready_false
list
ltt0=$(val ready "$(cond Ready).lastTransitionTime")
sleep 1.1 # transition times have whole seconds
t0=$(now)
"$CTL" exec "$ready_id" touch /tmp/ready
ready_true() { now_q ready "$(cond Ready).status == \"True\" and $(cond ContainersReady).status == \"True\" and
        .containerStatuses[0].ready == true"; }
check "creating the probed file makes the pod Ready (Ready, ContainersReady, ready)" poll 10 ready_true
check "  $(calc "$(now) - $t0") s after the file appeared (period 1 s)" holds "$(now) - $t0 < 4"
ltt1=$(val ready "$(cond Ready).lastTransitionTime")
check "  Ready's lastTransitionTime moves ($ltt0 -> $ltt1)" test "$ltt1" \> "$ltt0"
check "  ContainersReady's too" test "$(val ready "$(cond ContainersReady).lastTransitionTime")" \> "$ltt0"
sleep 1.1
t0=$(now)
"$CTL" exec "$ready_id" rm /tmp/ready
unready() { now_q ready "$(cond Ready).status == \"False\" and $(cond ContainersReady).status == \"False\" and
        $(cond ContainersReady).reason == \"ContainersNotReady\" and .containerStatuses[0].ready == false"; }
check "removing it makes the pod not Ready again" poll 10 unready
# failureThreshold 3 (the default): three failed probes a period apart.
t=$(calc "$(now) - $t0")
check "  $t s after the file went: >= (failureThreshold-1)*period = 2 s" holds "$t >= 2"
check "  and <= failureThreshold*period + 2 s = 5 s" holds "$t <= 5"
ltt2=$(val ready "$(cond Ready).lastTransitionTime")
check "  Ready's lastTransitionTime moves again ($ltt1 -> $ltt2)" test "$ltt2" \> "$ltt1"
check "  the message names the container" q ready \
        "$(cond Ready).message == \"containers with unready status: [ready]\""
check "  the container was not restarted" q ready ".containerStatuses[0].restartCount == 0"
# Over HTTP: httpd on the host's 127.0.0.1 (hostNetwork), ready while
# /healthz answers 200; its tcpSocket liveness probe keeps passing.
web_ready() { now_q web "$(cond Ready).status == \"$1\" and .containerStatuses[0].ready == $2"; }
check "an httpGet readiness probe of a hostNetwork pod passes (port $port)" poll 30 web_ready True true
web_id=$(running web web)
"$CTL" exec "$web_id" rm /tmp/www/healthz
t0=$(now)
check "  a 404 makes it not ready" poll 10 web_ready False false
t=$(calc "$(now) - $t0")
check "  ($t s: three failures a second apart)" holds "$t >= 2 && $t <= 5"
"$CTL" exec "$web_id" sh -c 'echo ok >/tmp/www/healthz'
check "  200 again makes it ready" poll 10 web_ready True true
check "  its tcpSocket liveness probe passes: no restart" q web ".containerStatuses[0].restartCount == 0"

# ============ 3. CrashLoopBackOff ============
crash_attempts() { ctrs; [ "$(cq crash crash length)" -ge 4 ]; }
check "a container that keeps exiting is restarted 3 times within 60 s" poll 60 crash_attempts
gap() { secs "$(cq crash crash ".[$1].finished_at")" "$(cq crash crash ".[$(($1 + 1))].started_at")"; }
g0=$(gap 0) g1=$(gap 1) g2=$(gap 2)
check "  the first restart is immediate (${g0} s)" holds "$g0 < 3"
check "  the second waits the 10 s back-off (${g1} s)" holds "$g1 >= 9.9 && $g1 <= 13"
check "  the third 20 s (${g2} s)" holds "$g2 >= 19.9 && $g2 <= 23.5"
check "  the wait grows: $g2 >= 1.6 * $g1" holds "$g2 >= 1.6 * $g1"
list
crash_uid=$(meta crash .uid)
msg() { echo "back-off $1 restarting failed container=crash pod=crash-node1_default($crash_uid)"; }
waiting_msg() { echo ".containerStatuses[0].state.waiting | select(. != null) | .reason == \"CrashLoopBackOff\" and .message == \"$(msg "$1")\""; }
check "  while waiting: CrashLoopBackOff, \"$(msg 10s)\"" ever crash "$(waiting_msg 10s)"
check "  then \"back-off 20s ...\"" ever crash "$(waiting_msg 20s)"
t10=$(first_t crash "$(waiting_msg 10s)") t20=$(first_t crash "$(waiting_msg 20s)")
check "  in that order" holds "${t10:-1e20} < ${t20:-0}"
check "  restartCount in the PodList: $(val crash '.containerStatuses[0].restartCount')" \
        q crash ".containerStatuses[0].restartCount >= 3"

# ============ 4. init containers ============
check "init containers run, then the app" poll 30 is_running init app
app_out=$("$CTL" logs "$(running init app)" 2>&1 | head -1)
check "  in order: the app reads '$app_out'" test "$app_out" = "one two three "
ctrs
ts() { cq init "$1" ".[0].$2"; }
check "  each starts after the previous finished" bash -c "[ $(ts one finished_at) -le $(ts two started_at) ] &&
        [ $(ts two finished_at) -le $(ts three started_at) ]"
check "  the app started $(secs "$(ts three finished_at)" "$(ts app started_at)") s after the last finished" \
        test "$(ts three finished_at)" -le "$(ts app started_at)"
check "  each ran once" test "$(cq init one length)$(cq init two length)$(cq init three length)" = 111
init_done() { now_q init "[.initContainerStatuses[] | .state.terminated | .reason == \"Completed\" and
        .exitCode == 0] == [true, true, true] and $(cond Initialized).status == \"True\" and .phase == \"Running\""; }
check "  initContainerStatuses are terminated Completed, Initialized is True" poll 10 init_done
never_failed() { now_q initfail-never '.phase == "Failed"'; }
check "a failed init container under restartPolicy Never fails the pod" poll 30 never_failed
ctrs
check "  the init container ran once" test "$(cq initfail-never bad length)" = 1
check "  the app never started" test "$(cq initfail-never app length)" = 0
check "  its status: terminated, exit code 2, Initialized False" q initfail-never \
        ".initContainerStatuses[0].state.terminated.exitCode == 2 and $(cond Initialized).status == \"False\""
always_retried() { now_q initfail-always '.initContainerStatuses[0].restartCount >= 2'; }
check "under restartPolicy Always it is retried" poll 30 always_retried
ia_uid=$(meta initfail-always .uid)
check "  with back-off (CrashLoopBackOff, back-off 10s)" ever initfail-always \
        ".initContainerStatuses[0].state.waiting | select(. != null) | .reason == \"CrashLoopBackOff\" and
         .message == \"back-off 10s restarting failed container=bad pod=initfail-always-node1_default($ia_uid)\""
ctrs
check "  the app never started" test "$(cq initfail-always app length)" = 0
check "  the pod stays Pending, not Initialized" q initfail-always \
        ".phase == \"Pending\" and $(cond Initialized).status == \"False\" and .initContainerStatuses[0].restartCount >= 2"

# ============ 5. sidecars ============
check "a pod with a sidecar runs its app" poll 30 is_running side app
ctrs
sc_s=$(cq side sc '.[0].started_at') after_s=$(cq side after '.[0].started_at')
after_f=$(cq side after '.[0].finished_at') app_s=$(cq side app '.[0].started_at')
t=$(secs "$sc_s" "$after_s")
check "  the next init container waits for the sidecar's startup probe (${t} s; up after 3 s)" holds "$t >= 3"
check "  and not much longer (period 1 s)" holds "$t <= 6"
check "  the app starts after it ($(secs "$after_f" "$app_s") s)" test "$after_f" -le "$app_s"
check "  the sidecar started $(secs "$sc_s" "$app_s") s before the app" test "$sc_s" -lt "$app_s"
check "  the sidecar keeps running beside the app" test "$(cq side sc 'map(.state) | join(",")')" = CONTAINER_RUNNING
side_status() { now_q side ".initContainerStatuses[0] | .name == \"sc\" and .state.running != null and .started == true and .restartCount == 0"; }
check "  its status: running, started" poll 5 side_status
check "  the regular init container: Completed" q side '.initContainerStatuses[1].state.terminated.reason == "Completed"'
for pol in never onfailure; do
        p=sideexit-$pol
        sc_restarted() { now_q "$p" '.initContainerStatuses[0].restartCount >= 1 and .containerStatuses[0].state.running != null'; }
        check "an exiting sidecar is restarted though the pod's policy is $pol" poll 30 sc_restarted
        ctrs
        check "  the app keeps running, once" q "$p" '.containerStatuses[0].restartCount == 0 and .phase == "Running"'
        check "  (sidecar restartCount $(val "$p" '.initContainerStatuses[0].restartCount'), app instances $(cq "$p" app length))" \
                test "$(cq "$p" app length)" = 1
done

# ============ 8. activeDeadlineSeconds ============
deadline_failed() { now_q deadline '.phase == "Failed"'; }
check "a pod past activeDeadlineSeconds fails" poll 30 deadline_failed
t=$(calc "$(first_t deadline '.phase == "Failed"') - $t_deadline")
check "  ${t} s after its file appeared (deadline 5 s)" holds "$t >= 5 && $t <= 10"
check "  reason DeadlineExceeded" q deadline '.reason == "DeadlineExceeded" and
        .message == "Pod was active on the node longer than the specified deadline"'
deadline_stopped() { ctrs; [ "$(cq deadline deadline 'map(select(.state != "CONTAINER_EXITED")) | length')" = 0 ]; }
check "  its container is stopped" poll 10 deadline_stopped
check "  and reported terminated" poll 10 now_q deadline '.containerStatuses[0].state.terminated != null'
check "  and not restarted" test "$(cq deadline deadline length)" = 1

# ============ 9. termination messages ============
# message_is POD FILE: the pod's container terminated with FILE's text as
# its message (in the last list).
message_is() {
        jq -e --rawfile w "$2" --arg n "$1-node1" '.items[] | select(.metadata.name == $n) |
                .status.containerStatuses[0].state.terminated.message == $w' "$tmp/pl.json" >/dev/null
}
termination_messages() {
        check "a container's termination message file is reported (exit 3, \"bye\")" \
                poll 30 now_q termmsg '.containerStatuses[0].state.terminated.exitCode == 3'
        check "  message: $(val termmsg '.containerStatuses[0].state.terminated.message | tojson')" \
                q termmsg '.containerStatuses[0].state.terminated.message == "bye"'
        check "FallbackToLogsOnError: a failed container without a message" \
                poll 30 now_q fallback '.containerStatuses[0].state.terminated.exitCode == 1'
        # kubelet: the log's last 80 lines, then at most their last 2048
        # bytes, each line with its newline.
        seq 21 100 | sed 's/^/line /' >"$tmp/want.fallback"
        check "  reports the last 80 lines of its log (got $(val fallback '.containerStatuses[0].state.terminated.message | tojson' | cut -c1-40)...)" \
                message_is fallback "$tmp/want.fallback"
        for i in $(seq 1 100); do echo "line $i $PAD"; done | tail -n 80 | tail -c 2048 >"$tmp/want.fallbig"
        check "  (one more, with long lines, terminated)" \
                poll 30 now_q fallbig '.containerStatuses[0].state.terminated.exitCode == 1'
        check "  at most their last 2048 bytes (got $(val fallbig '.containerStatuses[0].state.terminated.message | length') characters)" \
                message_is fallbig "$tmp/want.fallbig"
}
# ============ 6b. a static pod's new incarnation waits for the old ============
# kubelet (pod_workers.go, allowStaticPodStart) starts a static pod only
# when no other static pod of the same full name is started: a changed or
# renamed file's pod waits until the old one has terminated.
# log_line UID MESSAGE: the agent log's first line number with MESSAGE for pod UID.
log_line() { grep -n "\"$2\" pod=\"[^\"]*\" podUID=\"$1\"" "$tmp/agent.log" | head -1 | cut -d: -f1; }
log_time() { grep "\"$2\" pod=\"[^\"]*\" podUID=\"$1\"" "$tmp/agent.log" | head -1 | awk '{print $2}'; }
STOPPED="Pod stopped and removed" CREATING="Creating PodSandbox for pod"
new_after_old() { # OLD-UID NEW-UID
        local stopped created
        stopped=$(log_line "$1" "$STOPPED") created=$(log_line "$2" "$CREATING")
        [ -n "$stopped" ] && [ -n "$created" ] && [ "$stopped" -lt "$created" ]
}
static_pod_handover() {
        check "a changed file's pod starts once the old one stopped (old stopped $(log_time "$u1" "$STOPPED"), new began $(log_time "$u2" "$CREATING"))" \
                new_after_old "$u1" "$u2"
        check "a renamed file's pod too (old stopped $(log_time "$u2" "$STOPPED"), new began $(log_time "$u3" "$CREATING"))" \
                new_after_old "$u2" "$u3"
}
termination_messages
static_pod_handover

# ============ 7. the agent killed with SIGKILL mid-flight ============
# The pods that keep changing go first; those left must not change at all.
for f in live crash initfail-never initfail-always sideexit-never sideexit-onfailure deadline termmsg fallback fallbig; do
        rm "$M/$f.yaml"
done
only_stable_left() {
        ctrs
        [ "$(jq -s '[.[].pod] | unique | sort' "$tmp/ctrs" | jq -c .)" = '["init-node1","ready-node1","side-node1","web-node1"]' ]
}
check "removed pods' containers go" poll 40 only_stable_left
stable_ids >"$tmp/stable.before"
jq -s -c 'group_by(.pod + "/" + .name) | map({(.[0].pod + "/" + .[0].name): length}) | add' "$tmp/ctrs" >"$tmp/counts.before"
list
jq -c '[.items[] | {(.metadata.name): [(.status.initContainerStatuses // [])[], .status.containerStatuses[] | .restartCount]}] | add' \
        "$tmp/pl.json" >"$tmp/restarts.before"
# First a file the agent may not even have read (its debounce is 100 ms).
{ head_yaml early Always; echo "  containers:"; ctr_yaml early "$SLEEPER"; } | put early.yaml
sleep 0.05
kill -9 "$agent_pid"
wait "$agent_pid" 2>/dev/null
echo "  (agent killed 50 ms after early.yaml appeared, having logged $(grep -c 'early-node1' "$tmp/agent.log") lines about it)"
echo "--- agent restarted ---" >>"$tmp/agent.log"
start_agent
early_runs() { now_q early '.phase == "Running" and .containerStatuses[0].state.running != null'; }
check "after a restart a pod whose file came just before the kill runs" poll 30 early_runs
# Then one whose start is under way.
{ head_yaml late Always; echo "  initContainers:"; ctr_yaml prep "sleep 1"
  echo "  containers:"; ctr_yaml late "$SLEEPER"; } | put late.yaml
t0=$(now)
# Killed as soon as the agent starts creating its sandbox (or 5 s).
poll_log() { local i; for i in $(seq 500); do grep -q '"Creating PodSandbox for pod" pod="default/late-node1"' "$tmp/agent.log" && return; sleep 0.01; done; }
poll_log
kill -9 "$agent_pid"
wait "$agent_pid" 2>/dev/null
ctrs
half_made=$(($(ls "$DECKHAND_STATE_DIR/sandboxes" 2>/dev/null | wc -l) - $("$CTL" pods -q | wc -l)))
at_kill="sandboxes $("$CTL" pods | grep -c ' late-node1 ') (and $half_made half made), containers: $(jq -r -s \
        'map(select(.pod == "late-node1") | "\(.name) \(.state | ascii_downcase | sub("container_"; ""))") | join(", ")' "$tmp/ctrs")"
killed_after=$(calc "($(now) - $t0) * 1000")
echo "  (agent killed $killed_after ms after late.yaml appeared; it had logged:" \
        "$(grep -c 'late-node1' "$tmp/agent.log") lines about it, the last:" \
        "$(grep 'late-node1' "$tmp/agent.log" | tail -1 | sed 's/.*\] //'); $at_kill)"
start_in_flight() { grep -q '"Creating PodSandbox for pod" pod="default/late-node1"' "$tmp/agent.log" &&
        ! grep -q '"Started container" pod="default/late-node1" podUID="[^"]*" containerName="late"' "$tmp/agent.log"; }
check "  (killed with the pod's start in flight: sandbox begun, app not started)" start_in_flight
echo "--- agent restarted ---" >>"$tmp/agent.log"
start_agent
t0=$(now)
late_runs() { now_q late '.phase == "Running" and .containerStatuses[0].state.running != null'; }
check "after another restart the interrupted pod runs" poll 30 late_runs
check "  ($(calc "$(now) - $t0") s after the restart)" true
sleep 15
check "  15 s later every running container has its ID and pid" diff "$tmp/stable.before" <(stable_ids)
check "  no container was started again" diff "$tmp/counts.before" <(jq -s -c \
        'map(select(.pod != "late-node1" and .pod != "early-node1")) | group_by(.pod + "/" + .name) | map({(.[0].pod + "/" + .[0].name): length}) | add' "$tmp/ctrs")
list
check "  restart counts are unchanged" diff "$tmp/restarts.before" <(jq -c \
        '[.items[] | select(.metadata.name != "late-node1" and .metadata.name != "early-node1") | {(.metadata.name): [(.status.initContainerStatuses // [])[], .status.containerStatuses[] | .restartCount]}] | add' "$tmp/pl.json")
check "  the early pod has one sandbox" one_sandbox early
ctrs
check "  its container was created once and runs" test "$(cq early early 'map(.state) | join(",")')" = CONTAINER_RUNNING
check "  the interrupted pod has one sandbox" one_sandbox late
# Killed between creating a container and starting it, the agent finds
# it created: the kubelet then starts a new instance (counted as a
# restart) and leaves the created one to the GC. Whatever the moment:
ctrs
check "  its app container was created once, and runs" test "$(cq late late 'map(.state) | join(",")')" = CONTAINER_RUNNING
check "  its init container ran once ($(cq late prep 'map("\(.attempt) \(.state | ascii_downcase | sub("container_"; ""))") | join(", ")'))" \
        test "$(cq late prep 'map(select(.started_at > 0)) | length')" = 1
list
check "  restart counts: init $(val late '.initContainerStatuses[0].restartCount') (instances - 1), app $(val late '.containerStatuses[0].restartCount')" \
        q late "[.initContainerStatuses[0].restartCount, .containerStatuses[0].restartCount] == [$(cq late prep 'length - 1'), 0]"

# ============ the end: every pod goes with its file ============
rm -f "$M"/*.yaml
all_gone() { ctrs; [ ! -s "$tmp/ctrs" ] && [ -z "$("$CTL" pods -q)" ]; }
check "removing every file removes every container and sandbox" poll 40 all_gone
# A sandbox whose creation was cut short (config.json written, no shim)
# is reaped by the runtime's next list: nobody holds its creation lock.
no_sandbox_state() { [ -z "$(ls -A "$DECKHAND_STATE_DIR/sandboxes" 2>/dev/null)" ]; }
check "no sandbox state is left behind ($half_made half made when the agent was killed)" \
        poll 10 no_sandbox_state
kill "$sampler_pid"
wait "$sampler_pid" 2>/dev/null
sampler_pid=
kill -9 "$agent_pid"
wait "$agent_pid" 2>/dev/null
agent_pid=
echo "  (whole run: $(calc "$(now) - $t_start") s)"
# Under make SANITIZE=1 a report is a failure.
unstructured=$(klog_unstructured "$tmp/agent.log")
check "every line the agent logged is a klog structured line" test -z "$unstructured"
[ -z "$unstructured" ] || head -5 <<<"$unstructured" | sed 's/^/    not structured: /' >&2
check "no sanitizer report from the agent" bash -c "! grep -qE 'Sanitizer|runtime error:' '$tmp/agent.log'"
[ "$T_FAILED" -eq 0 ] || sed 's/^/    agent: /' "$tmp/agent.log" | grep -v '"Pod ready condition changed"' | tail -60 >&2
finish
