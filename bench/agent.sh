#!/bin/bash
# The agent's figures (issue 5), taken with the real thing: build/deckhand
# --pod-manifest-path on the built-in runtime with the local busybox image,
# state and root dirs in a temporary directory. It prints a table of
#  1. one pod: manifest renamed into the watched directory -> its container's
#     command runs (median and p90 of --runs single pods), and -> the agent's
#     status says Running;
#  2. --pods pods at once: all their containers run, and the agent reports
#     them all Running, (a) moved into the directory of a running agent and
#     (b) present before the agent starts;
#  3. steady state: --pods hostNetwork pods each serving busybox httpd on
#     its own 127.0.0.1 port with an httpGet readinessProbe every 10 s; once
#     all are Ready, the agent's RSS (and VmHWM) and CPU over --window
#     seconds, plus the shims' total RSS for information;
# each next to its target with PASS/MISS. Like every benchmark here it
# asserts nothing about time: it exits non-zero only when something fails
# functionally (a pod that never runs, the agent dying).
#
# A container "runs" when its command writes its name into a FIFO on a
# hostPath volume, which the bench keeps open (read-write, so neither side
# blocks in open) and reads with bash's builtin read: the moment is taken
# with $EPOCHREALTIME, no polling and no fork. The agent's status is polled
# through `deckctl get pods` every --poll-ms, so those figures carry that
# resolution and the poller competes for the CPU. While the pods of 2a and
# 2b start and go, another poller times `deckctl get pods` round trips
# every 200 ms: the longest is how long the agent's event loop was busy
# with something else (inotify, probes and the API wait as long).
#
# Prerequisites: a built tree (make -j2) and root (namespaces, mounts,
# cgroups). Run from anywhere:
#   bench/agent.sh [--runs N] [--pods N] [--window S] [--port-base P]
#                  [--poll-ms MS] [--agent-v LEVEL] [--keep DIR]
#                  [--state-parent DIR]
# --agent-v passes -v LEVEL to the agent; --keep DIR keeps the agent's log,
# its /proc/PID/smaps at the end of the window (smaps-window) and the raw
# samples (wall-clock microseconds, comparable with the log's timestamps)
# for profiling. The runtime's state dir is made under
# --state-parent (default /dev/shm: tmpfs, as /run/deckhand is meant to be;
# /tmp puts it on disk, where every state file write is fsynced), the rest
# under /tmp. $DECKHAND_BUILD picks the build directory (default build/).
# Whatever happens (Ctrl-C included) the pods are removed through their
# files, the agent is stopped, and leftover sandboxes, shims, mounts,
# cgroups and the temporary directories are removed.
set -u
cd "$(dirname "$0")/.."
runs=20 npods=100 window=60 port_base=18100 poll_ms=20 agent_v="" keep="" state_parent=/dev/shm
usage() {
        echo "usage: bench/agent.sh [--runs N] [--pods N] [--window S] [--port-base P]" \
                "[--poll-ms MS] [--agent-v LEVEL] [--keep DIR] [--state-parent DIR]" >&2
        exit 2
}
while [ $# -gt 0 ]; do
        case $1 in
        --runs) runs=$2; shift 2 ;;
        --pods) npods=$2; shift 2 ;;
        --window) window=$2; shift 2 ;;
        --port-base) port_base=$2; shift 2 ;;
        --poll-ms) poll_ms=$2; shift 2 ;;
        --agent-v) agent_v=$2; shift 2 ;;
        --keep) keep=$2; shift 2 ;;
        --state-parent) state_parent=$2; shift 2 ;;
        *) usage ;;
        esac
done
for v in "$runs" "$npods" "$window" "$port_base" "$poll_ms"; do
        [[ $v =~ ^[1-9][0-9]*$ ]] || usage
done
[ "$(id -u)" -eq 0 ] || { echo "bench/agent.sh: needs root (namespaces, mounts, cgroups)" >&2; exit 1; }
BUILD_DIR=${DECKHAND_BUILD:-$PWD/build}
CTL=$BUILD_DIR/deckctl AGENT=$BUILD_DIR/deckhand
for b in "$CTL" "$AGENT" "$BUILD_DIR/deckhand-shim"; do
        [ -x "$b" ] || { echo "bench/agent.sh: $b missing: run make -j2 first" >&2; exit 1; }
done

TARGET_ONE_MS=100 TARGET_MANY_MS=3000 TARGET_RSS_KB=10240 TARGET_CPU_PCT=1
GRACE_WAIT_S=120 # bound on any wait for pods to come or go

# The runtime's state dir on tmpfs as its default (/run/deckhand) is meant
# to be; the root dir (layers, volumes) and the rest on disk, like
# /var/lib/deckhand.
tmp=$(mktemp -d /tmp/deckhand-bench-agent.XXXXXX)
sdir=$(mktemp -d "$state_parent/deckhand-bench-agent-state.XXXXXX") || { rm -rf "$tmp"; exit 1; }
export DECKHAND_STATE_DIR=$sdir DECKHAND_ROOT_DIR=$tmp/root DECKHAND_SHIM=$BUILD_DIR/deckhand-shim
cgparent=deckhand-bench-agent-$$
man=$tmp/manifests stage=$tmp/stage shared=$tmp/shared www=$tmp/www
agent_pid="" poller_pid=""

# --- time, waiting, statistics ---
now_us() { echo "${EPOCHREALTIME/./}"; }
ms_since() { # START_US [END_US] -> milliseconds with 2 decimals
        local d=$((${2:-$(now_us)} - $1))
        printf '%d.%02d' $((d / 1000)) $((d % 1000 / 10))
}
# pause MS: sleeps without a fork (a read that times out on a FIFO nobody
# writes to).
pause() { read -r -t "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))" -u 4 _ 2>/dev/null; }
die() { echo "bench/agent.sh: $*" >&2; exit 1; }
# stats FILE -> "median p90 min max n" of the numbers in FILE, one a line.
stats() {
        sort -n "$1" | awk '{ v[NR] = $1 } END {
                if (NR == 0) { print "nan nan nan nan 0"; exit }
                med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                r = int(0.9 * NR); if (r < 0.9 * NR) r++
                printf "%.2f %.2f %.2f %.2f %d\n", med, v[r], v[1], v[NR], NR }'
}
verdict() { awk -v x="$1" -v t="$2" 'BEGIN { print (x + 0 <= t + 0) ? "PASS" : "MISS" }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# --- the agent ---
agent_alive() { [ -n "$agent_pid" ] && kill -0 "$agent_pid" 2>/dev/null; }
start_agent() {
        "$AGENT" --config "$tmp/kubelet.yaml" --root-dir "$DECKHAND_ROOT_DIR" \
                --pod-manifest-path "$man" --hostname-override bench ${agent_v:+-v "$agent_v"} \
                >>"$tmp/agent.log" 2>&1 &
        agent_pid=$!
}
wait_agent_socket() {
        local end=$((SECONDS + 20))
        until "$CTL" get pods >/dev/null 2>&1; do
                agent_alive || die "the agent exited (see its log: --keep DIR)"
                [ $SECONDS -lt $end ] || die "the agent's socket never answered"
                pause 10
        done
}
stop_agent() {
        agent_alive || { agent_pid=""; return 0; }
        kill -TERM "$agent_pid"
        local end=$((SECONDS + 15))
        while agent_alive && [ $SECONDS -lt $end ]; do pause 50; done
        agent_alive && kill -KILL "$agent_pid"
        wait "$agent_pid" 2>/dev/null
        agent_pid=""
}
# kb PID FIELD: a /proc/PID/status field in kB (VmRSS, VmHWM, RssAnon...).
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# mem_split PID -> "anon file pss" kB (RssAnon, RssFile+RssShmem, Pss).
mem_split() {
        echo "$(kb "$1" RssAnon) $(($(kb "$1" RssFile) + $(kb "$1" RssShmem)))" \
                "$(awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup")"
}
# "NAME STATUS READY" of the agent's pods, one a line.
pod_states() { "$CTL" get pods 2>/dev/null | awk 'NR > 1 { print $1, $3, $2 }'; }
count_running() { pod_states | awk '$2 == "Running" { n++ } END { print n + 0 }'; }
count_ready() { pod_states | awk '$2 == "Running" { split($3, r, "/"); if (r[1] == r[2]) n++ } END { print n + 0 }'; }
# wait_count FN N: polls FN until it prints >= N; echoes when (us) or fails.
wait_count() {
        local end=$((SECONDS + GRACE_WAIT_S))
        while [ "$($1)" -lt "$2" ]; do
                agent_alive || die "the agent exited"
                [ $SECONDS -lt $end ] || die "$1 stayed below $2 for ${GRACE_WAIT_S} s"
                pause "$poll_ms"
        done
        now_us
}
# No manifests, no sandboxes, the agent lists no pods.
all_gone() {
        [ -z "$("$CTL" pods -q 2>/dev/null)" ] || return 1
        ! agent_alive || [ -z "$(pod_states)" ]
}
remove_all_pods() {
        rm -f "$man"/*
        local end=$((SECONDS + GRACE_WAIT_S))
        until all_gone; do
                [ $SECONDS -lt $end ] || { echo "bench/agent.sh: pods still there after ${GRACE_WAIT_S} s" >&2; return 1; }
                pause 50
        done
        return 0
}

# --- the agent's responsiveness: its loop answers the local API ---
# api_poller FILE: until killed, "start_us round_trip_ms" of `deckctl get
# pods` every 200 ms. A long round trip is the event loop busy elsewhere
# (pod syncs run inside it): inotify, probes and the API all wait as long.
api_poller() {
        local a b
        while :; do
                a=$(now_us)
                "$CTL" get pods >/dev/null 2>&1
                b=$(now_us)
                echo "$a $(((b - a) / 1000))" >>"$1"
                pause 200
        done
}
start_poller() { api_poller "$1" & poller_pid=$!; }
stop_poller() {
        [ -n "$poller_pid" ] || return 0
        kill "$poller_pid" 2>/dev/null
        wait "$poller_pid" 2>/dev/null
        poller_pid=""
}
# longest_stall FILE START_US -> "MS at +S s" of the longest round trip.
longest_stall() {
        sort -k2 -n "$1" | tail -1 | awk -v t0="$2" '{ printf "%d ms at +%.1f s\n", $2, ($1 - t0) / 1e6 }'
}

# --- cleanup, also on Ctrl-C and failures ---
our_shims() { # pids of the shims of this bench's state dir
        local d args
        for d in /proc/[0-9]*; do
                mapfile -d '' -t args 2>/dev/null <"$d/cmdline" || continue
                [[ ${args[0]-} == *deckhand-shim && " ${args[*]} " == *" $sdir "* ]] && echo "${d#/proc/}"
        done
}
cleanup() {
        set +e
        trap - INT TERM
        stop_poller
        if agent_alive; then
                remove_all_pods
                stop_agent
        fi
        local p
        for p in $("$CTL" pods -q 2>/dev/null); do
                timeout 20 "$CTL" stopp "$p" >/dev/null 2>&1
                timeout 20 "$CTL" rmp "$p" >/dev/null 2>&1
        done
        for p in $(our_shims); do kill -KILL "$p" 2>/dev/null; done
        [ -n "$keep" ] && mkdir -p "$keep" && cp "$tmp"/agent.log "$tmp"/raw-* "$keep"/ 2>/dev/null
        awk -v a="$tmp" -v b="$sdir" 'index($5, a "/") == 1 || index($5, b "/") == 1 || $5 == a || $5 == b { print $5 }' \
                /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
        # Anything still in the bench's cgroups is a container of ours that
        # outlived its shim.
        local c q
        for c in /sys/fs/cgroup/*/"$cgparent" /sys/fs/cgroup/"$cgparent"; do
                [ -d "$c" ] || continue
                for q in $(find "$c" -name cgroup.procs -exec cat {} + 2>/dev/null); do kill -KILL "$q" 2>/dev/null; done
        done
        for c in /sys/fs/cgroup/*/"$cgparent" /sys/fs/cgroup/"$cgparent"; do
                [ -d "$c" ] && for _ in 1 2 3 4 5; do
                        find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
                        [ -d "$c" ] || break
                        pause 100
                done
        done
        exec 3>&- 4>&-
        rm -rf "$tmp" "$sdir"
}
trap cleanup EXIT
trap 'echo "bench/agent.sh: interrupted" >&2; exit 130' INT TERM

# --- setup: image, configuration, FIFOs, manifests ---
mkdir -p "$man" "$stage" "$shared" "$www" "$tmp/logs"
mkfifo "$shared/ran" "$tmp/idle"
exec 3<>"$shared/ran" 4<>"$tmp/idle"
echo ok >"$www/index.html"
scripts/build-test-image "$tmp/img" >/dev/null || die "scripts/build-test-image failed"
"$CTL" images import "$tmp/img" --name deckhand.local/busybox >/dev/null || die "image import failed"
cat >"$tmp/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
podLogsDir: $tmp/logs
cgroupRoot: /$cgparent
resolvConf: ""
EOF

# sleep_pod NAME: a pod whose container announces itself on the FIFO, then
# idles until SIGTERM (which it handles, so removal does not wait out the
# grace period as an init process ignoring SIGTERM would).
sleep_pod() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "trap 'exit 0' TERM; echo $1 >/bench/ran; while :; do sleep 1 & wait \$!; done"]
    volumeMounts:
    - {name: bench, mountPath: /bench}
  volumes:
  - name: bench
    hostPath: {path: $shared, type: Directory}
EOF
}
# web_pod NAME PORT: hostNetwork, httpd on 127.0.0.1:PORT, an httpGet
# readiness probe every 10 s.
web_pod() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
  - name: web
    image: deckhand.local/busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "trap 'exit 0' TERM; echo $1 >/bench/ran; httpd -f -p 127.0.0.1:$2 -h /www & wait \$!"]
    readinessProbe:
      httpGet: {host: 127.0.0.1, port: $2, path: /index.html}
      periodSeconds: 10
    volumeMounts:
    - {name: bench, mountPath: /bench}
    - {name: www, mountPath: /www, readOnly: true}
  volumes:
  - name: bench
    hostPath: {path: $shared, type: Directory}
  - name: www
    hostPath: {path: $www, type: Directory}
EOF
}
drain_fifo() { while read -r -t 0.01 -u 3 _; do :; done; }
# read_one VAR: the next announcement into VAR; fails once the agent is
# gone or after GRACE_WAIT_S.
read_one() {
        local end=$((SECONDS + GRACE_WAIT_S))
        until read -r -t 1 -u 3 "$1"; do
                agent_alive && [ $SECONDS -lt $end ] || return 1
        done
}
# read_ran N FILE: reads N announcements, appending "us name" lines to FILE.
read_ran() {
        local i line
        for ((i = 0; i < $1; i++)); do
                read_one line || die "only $i of $1 containers ran (the agent exited, or ${GRACE_WAIT_S} s passed)"
                echo "$(now_us) $line" >>"$2"
        done
}
# The n-th of the sorted "us name" lines of FILE, as ms since START_US.
nth_ms() { ms_since "$3" "$(sort -n "$1" | sed -n "${2}p" | cut -d' ' -f1)"; }

echo "deckhand agent benchmark: $(nproc) CPUs, $(uname -r), load average $(load) at start"
echo "root dir on $(stat -f -c %T "$tmp"), state dir on $(stat -f -c %T "$sdir"); $runs single pods, $npods pods at once, ${window} s window"

# --- 1. one pod at a time ---
start_agent
wait_agent_socket
idle_rss=$(kb "$agent_pid" VmRSS)
read -r idle_anon idle_file idle_pss < <(mem_split "$agent_pid")
: >"$tmp/one-ran" && : >"$tmp/one-running"
for ((i = 1; i <= runs; i++)); do
        sleep_pod "one-$i" >"$stage/one.yaml"
        drain_fifo
        t0=$(now_us)
        mv "$stage/one.yaml" "$man/one.yaml"
        read_one _ || die "pod one-$i never ran"
        t1=$(now_us)
        t2=$(wait_count count_running 1) || exit 1
        ran=$(ms_since "$t0" "$t1") running=$(ms_since "$t0" "$t2")
        echo "$i $t0 $t1 $t2" >>"$tmp/raw-one"
        echo "$ran" >>"$tmp/one-ran"
        echo "$running" >>"$tmp/one-running"
        echo "  one pod $i: container ran after $ran ms, agent said Running after $running ms"
        remove_all_pods || die "pod one-$i was not removed"
done
read -r one_med one_p90 one_min one_max _ < <(stats "$tmp/one-ran")
read -r onr_med onr_p90 onr_min onr_max _ < <(stats "$tmp/one-running")
echo "load average after 1: $(load)"

# --- 2a. many pods moved into the directory of a running agent ---
for ((i = 1; i <= npods; i++)); do sleep_pod "many-$i" >"$stage/many-$i.yaml"; done
drain_fifo
: >"$tmp/2a"
t0=$(now_us)
echo "start $t0" >"$tmp/raw-2a"
start_poller "$tmp/raw-api-2a"
mv "$stage"/many-*.yaml "$man"/
read_ran "$npods" "$tmp/2a"
cat "$tmp/2a" >>"$tmp/raw-2a"
t2=$(wait_count count_running "$npods") || exit 1
a_first=$(nth_ms "$tmp/2a" 1 "$t0") a_half=$(nth_ms "$tmp/2a" $(((npods + 1) / 2)) "$t0")
a_all=$(nth_ms "$tmp/2a" "$npods" "$t0") a_running=$(ms_since "$t0" "$t2")
t_rm=$(now_us)
remove_all_pods || die "the $npods pods were not removed"
a_removed=$(ms_since "$t_rm")
stop_poller
a_stall=$(longest_stall "$tmp/raw-api-2a" "$t0")
echo "load average after 2a: $(load)"

# --- 2b. the same pods present before the agent starts ---
stop_agent
for ((i = 1; i <= npods; i++)); do sleep_pod "many-$i" >"$man/many-$i.yaml"; done
drain_fifo
: >"$tmp/2b"
t0=$(now_us)
echo "start $t0" >"$tmp/raw-2b"
start_poller "$tmp/raw-api-2b"
start_agent
read_ran "$npods" "$tmp/2b"
cat "$tmp/2b" >>"$tmp/raw-2b"
t2=$(wait_count count_running "$npods") || exit 1
b_first=$(nth_ms "$tmp/2b" 1 "$t0") b_half=$(nth_ms "$tmp/2b" $(((npods + 1) / 2)) "$t0")
b_all=$(nth_ms "$tmp/2b" "$npods" "$t0") b_running=$(ms_since "$t0" "$t2")
t_rm=$(now_us)
remove_all_pods || die "the $npods pods were not removed"
b_removed=$(ms_since "$t_rm")
stop_poller
b_stall=$(longest_stall "$tmp/raw-api-2b" "$t0")
echo "load average after 2b: $(load)"

# --- 3. steady state: probed hostNetwork web pods, a fresh agent ---
stop_agent
busy=$(ss -Hltn | awk '{ n = split($4, a, ":"); print a[n] }' |
        awk -v lo="$port_base" -v hi=$((port_base + npods - 1)) '$1 >= lo && $1 <= hi' | sort -un | tr '\n' ' ')
[ -z "$busy" ] || die "ports in use in $port_base-$((port_base + npods - 1)): $busy(pick another --port-base)"
for ((i = 1; i <= npods; i++)); do web_pod "web-$i" $((port_base + i - 1)) >"$man/web-$i.yaml"; done
log_start=$(wc -l <"$tmp/agent.log")
drain_fifo
: >"$tmp/3"
t0=$(now_us)
echo "start $t0" >"$tmp/raw-3"
start_agent
read_ran "$npods" "$tmp/3"
cat "$tmp/3" >>"$tmp/raw-3"
t2=$(wait_count count_running "$npods") || exit 1
t3=$(wait_count count_ready "$npods") || exit 1
w_all=$(nth_ms "$tmp/3" "$npods" "$t0") w_running=$(ms_since "$t0" "$t2") w_ready=$(ms_since "$t0" "$t3")
echo "load average before the window: $(load)"
hz=$(getconf CLK_TCK)
# cpu_ticks PID -> "self children" ticks (utime+stime, cutime+cstime).
cpu_ticks() {
        local s
        s=$(<"/proc/$1/stat") || return 1
        s=${s##*) }
        read -r -a f <<<"$s"
        echo $((f[11] + f[12])) $((f[13] + f[14]))
}
: >"$tmp/rss"
log_window=$(wc -l <"$tmp/agent.log")
read -r c0 cc0 < <(cpu_ticks "$agent_pid")
w0=$(now_us)
end=$((SECONDS + window))
while [ $SECONDS -lt $end ]; do
        agent_alive || die "the agent exited during the window"
        kb "$agent_pid" VmRSS >>"$tmp/rss"
        pause 1000
done
read -r c1 cc1 < <(cpu_ticks "$agent_pid")
log_end=$(wc -l <"$tmp/agent.log")
# Failed probes as the agent logs them ("Probe failed" probeType="Readiness" ...):
# httpd on 127.0.0.1 answers at once, so these are the agent's own delays.
failed_probes() { sed -n "$(($1 + 1)),${2}p" "$tmp/agent.log" | grep -c '"Probe failed" probeType="Readiness"'; }
fails_start=$(failed_probes "$log_start" "$log_window") fails_window=$(failed_probes "$log_window" "$log_end")
w1=$(now_us)
hwm=$(kb "$agent_pid" VmHWM)
[ -n "$keep" ] && mkdir -p "$keep" && cp "/proc/$agent_pid/smaps" "$keep/smaps-window"
read -r w_anon w_file w_pss < <(mem_split "$agent_pid")
ready_after=$(count_ready)
read -r rss_med _ rss_min rss_max _ < <(stats "$tmp/rss")
cpu=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v us=$((w1 - w0)) 'BEGIN { printf "%.2f", 100 * t / hz / (us / 1e6) }')
cpu_ch=$(awk -v t=$((cc1 - cc0)) -v hz="$hz" -v us=$((w1 - w0)) 'BEGIN { printf "%.2f", 100 * t / hz / (us / 1e6) }')
# One shim per sandbox (its --id); a second process with the same id is
# a short-lived fork, counted apart and not in the RSS.
shim_kb=0 nshims=0 nforks=0
declare -A shim_seen=()
for p in $(our_shims); do
        mapfile -d '' -t args 2>/dev/null <"/proc/$p/cmdline" || continue
        sid=${args[2]-?}
        [ -n "${shim_seen[$sid]-}" ] && { nforks=$((nforks + 1)); continue; }
        shim_seen[$sid]=1
        r=$(kb "$p" VmRSS) && [ -n "$r" ] && shim_kb=$((shim_kb + r)) nshims=$((nshims + 1))
done
echo "load average after the window: $(load)"
t_rm=$(now_us)
remove_all_pods || die "the web pods were not removed"
w_removed=$(ms_since "$t_rm")

# --- the table ---
row() { printf '%-52s %-36s %-12s %s\n' "$@"; }
echo
row "figure" "measured" "target" "verdict"
row "1. one pod: manifest -> container runs" "median $one_med ms, p90 $one_p90" "<= $TARGET_ONE_MS ms" \
        "$(verdict "$one_med" "$TARGET_ONE_MS")"
row "   (min / max, n=$runs)" "$one_min / $one_max ms" "" ""
row "   one pod: manifest -> agent says Running" "median $onr_med ms, p90 $onr_p90" "" "info"
row "2a. $npods pods moved in (agent running): all ran" "$a_all ms" "<= $TARGET_MANY_MS ms" \
        "$(verdict "$a_all" "$TARGET_MANY_MS")"
row "    first / median container ran" "$a_first / $a_half ms" "" "info"
row "    agent says all Running" "$a_running ms" "" "info"
row "    files removed -> all pods gone" "$a_removed ms" "" "info"
row "    longest local API round trip (loop busy)" "$a_stall" "" "info"
row "2b. $npods pods present at agent start: all ran" "$b_all ms" "<= $TARGET_MANY_MS ms" \
        "$(verdict "$b_all" "$TARGET_MANY_MS")"
row "    first / median container ran" "$b_first / $b_half ms" "" "info"
row "    agent says all Running" "$b_running ms" "" "info"
row "    files removed -> all pods gone" "$b_removed ms" "" "info"
row "    longest local API round trip (loop busy)" "$b_stall" "" "info"
row "3. $npods probed web pods: all ran / Running / Ready" "$w_all / $w_running / $w_ready ms" "" "info"
row "   agent RSS over ${window} s (VmRSS max)" "${rss_max%.*} kB (median ${rss_med%.*})" "<= $TARGET_RSS_KB kB" \
        "$(verdict "$rss_max" "$TARGET_RSS_KB")"
row "   agent VmHWM (peak since its start)" "$hwm kB" "" "info"
row "   agent at the end: anon / file-backed / Pss" "$w_anon / $w_file / $w_pss kB" "" "info"
row "   (idle agent, no pods: VmRSS; anon / file / Pss)" "$idle_rss kB; $idle_anon / $idle_file / $idle_pss" "" "info"
row "   agent CPU over ${window} s (utime+stime)" "$cpu % of a core" "<= $TARGET_CPU_PCT %" \
        "$(verdict "$cpu" "$TARGET_CPU_PCT")"
row "   its reaped helpers' CPU (cutime+cstime)" "$cpu_ch % of a core" "" "info"
row "   shims: $nshims (+$nforks forks), total RSS" "$shim_kb kB" "" "info"
row "   pods still Ready after the window" "$ready_after of $npods" "" "info"
row "   failed probes (agent log): until Ready / window" "$fails_start / $fails_window" "" "info"
row "   files removed -> all pods gone" "$w_removed ms" "" "info"
