#!/bin/bash
# The built-in runtime for real, through deckctl: sandboxes and containers
# in real namespaces and cgroups on a busybox rootfs. Checks the isolation
# issue 3 asks for, exits recorded with no client attached, OOM kills,
# graceful and forced stops, logs, exec, a hostile rootfs, and that removal
# leaves no process, mount, cgroup or file behind.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash
CTL=$BUILD_DIR/deckctl
rt_setup rt
cleanup() { rt_cleanup; }
trap cleanup EXIT
scripts/busybox-rootfs.sh "$tmp/rootfs" >/dev/null
# A device node shipped in the image (char 1:1, /dev/mem), as a layer may carry.
mknod "$tmp/rootfs/imgmem" c 1 1
mkdir -p "$tmp/logs" "$tmp/vol" "$tmp/outside"
echo secret > "$tmp/vol/data.txt"

pod_config() { # name uid [extra json]; NODNS=1: no dns_config at all
        local dns='"dns_config": {"servers": ["10.96.0.10"], "searches": ["default.svc.cluster.local"], "options": ["ndots:5"]},'
        [ -n "${NODNS:-}" ] && dns=
        cat > "$tmp/$1.pod.json" <<J
{"metadata": {"name": "$1", "uid": "$2", "namespace": "default"},
 "hostname": "$1-host", "log_directory": "$tmp/logs/$1", $dns
 "linux": {"cgroup_parent": "$cgparent/pod$2",
           "security_context": {"namespace_options": {"pid": "${PIDNS:-CONTAINER}"}}${3:-}}}
J
        mkdir -p "$tmp/logs/$1"
}
ctr_config() { # file name json-args [extra]; kubelet always says which PID namespace
        cat > "$tmp/$1" <<J
{"metadata": {"name": "$2"}, "image": {"image": "rootfs:$tmp/rootfs"},
 "command": $3, "log_path": "$2.log",
 "linux": {"security_context": {"namespace_options": {"pid": "${PIDNS:-CONTAINER}"}}${5:-}}${4:-}}
J
}
run_ctr() { # pod-id pod-name ctr-file → container id
        local id
        id=$("$CTL" create "$1" "$tmp/$3" "$tmp/$2.pod.json") && "$CTL" start "$id" >/dev/null && echo "$id"
}
cpid() { "$CTL" inspect "$1" | sed -n 's/.*"pid": \([0-9]*\).*/\1/p' | head -1; }
field() { "$CTL" inspect "$1" | sed -n "s/.*\"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" | head -1; }
gone() { local i; for i in $(seq 50); do [ -d "/proc/$1" ] || return 0; sleep 0.1; done; return 1; }
wait_exited() { # id → waits up to 10 s for CONTAINER_EXITED
        local i
        for i in $(seq 100); do
                [ "$(field "$1" state)" = CONTAINER_EXITED ] && return 0
                sleep 0.1
        done
        return 1
}

# --- a pod with two containers sharing net/UTS/IPC, not mounts ---
pod_config web 1111
sid=$("$CTL" runp "$tmp/web.pod.json")
check "runp prints a 64-hex id" grep -qE '^[0-9a-f]{64}$' <<<"$sid"
shim=$("$CTL" inspectp "$sid" | sed -n 's/.*"shim_pid": \([0-9]*\).*/\1/p')
check "the shim runs" test -n "$shim" -a -d "/proc/$shim"
check "the sandbox is READY" contains "$("$CTL" inspectp "$sid")" SANDBOX_READY
ctr_config web.json web '["httpd","-f","-p","8080","-h","/var/www"]' "" \
        ', "resources": {"memory_limit_in_bytes": 67108864, "cpu_shares": 512, "cpu_quota": 50000, "cpu_period": 100000}'
ctr_config side.json side '["sh","-c","echo sidecar up; echo to-stderr >&2; exec sleep 1000"]'
web=$(run_ctr "$sid" web web.json)
side=$(run_ctr "$sid" web side.json)
check "both containers are running" test "$(field "$web" state)" = CONTAINER_RUNNING -a "$(field "$side" state)" = CONTAINER_RUNNING
pw=$(cpid "$web"); ps_=$(cpid "$side")
for ns in net uts ipc; do
        check "$ns namespace shared" test "$(readlink /proc/$pw/ns/$ns)" = "$(readlink /proc/$ps_/ns/$ns)"
        check "$ns namespace is not the host's" test "$(readlink /proc/$pw/ns/$ns)" != "$(readlink /proc/self/ns/$ns)"
done
check "mount namespaces differ" test "$(readlink /proc/$pw/ns/mnt)" != "$(readlink /proc/$ps_/ns/mnt)"
check "pid namespaces differ" test "$(readlink /proc/$pw/ns/pid)" != "$(readlink /proc/$ps_/ns/pid)"
run_capture out rc "$CTL" exec -s "$side" wget -qO- http://127.0.0.1:8080/index.html
check "the sidecar reaches httpd over localhost ($out)" contains "$out" "hello from deckhand"
run_capture out rc "$CTL" exec -s "$side" hostname
check "hostname is the pod's ($out)" test "$out" = web-host
run_capture out rc "$CTL" exec -s "$side" cat /etc/resolv.conf
check "resolv.conf from dns_config" contains "$out" "nameserver 10.96.0.10"
run_capture out rc "$CTL" exec -s "$side" ip addr show lo
check "loopback is up" contains "$out" "inet 127.0.0.1"
# Our environment (the sanitizer build's ASAN_OPTIONS/UBSAN_OPTIONS reach
# the shim) is not the container's: the init and an exec get their own.
run_capture out rc "$CTL" exec -s "$side" sh -c 'env; tr "\0" "\n" </proc/1/environ'
own_env() { [ "$rc" -eq 0 ] && contains "$out" PATH= && ! contains "$out" SAN_OPTIONS= && ! contains "$out" DECKHAND_; }
check "containers and execs get only their own environment" own_env

# --- security: seccomp, capabilities, masked paths ---
run_capture out rc "$CTL" exec -s "$web" cat /proc/self/status
check "Seccomp: 2 in the container" grep -qE '^Seccomp:\s+2' <<<"$out"
check "default capability set" grep -qE '^CapEff:\s+00000000a80425fb' <<<"$out"
check "bounding set equals the default" grep -qE '^CapBnd:\s+00000000a80425fb' <<<"$out"
run_capture out rc "$CTL" exec -s "$web" cat /proc/kcore
check "/proc/kcore is masked (empty or unreadable)" test -z "$out" -o "$rc" -ne 0
run_capture out rc "$CTL" exec -s "$web" sh -c 'echo 1 > /proc/sys/kernel/panic'
check "/proc/sys is read-only (rc $rc)" test "$rc" -ne 0
run_capture out rc "$CTL" exec -s "$web" sh -c 'touch /sys/x'
check "/sys is read-only (rc $rc)" test "$rc" -ne 0
run_capture out rc "$CTL" exec -s "$web" ls /dev
for d in null zero full random urandom tty ptmx pts shm fd stdin stdout stderr; do
        check "/dev/$d exists" grep -qx "$d" <<<"$out"
done

# --- cgroups as requested ---
cgmem=/sys/fs/cgroup/memory/$cgparent/pod1111/$web
if [ -d /sys/fs/cgroup/memory/$cgparent ]; then
        check "memory limit applied" test "$(cat $cgmem/memory.limit_in_bytes)" = 67108864
        check "cpu shares applied" test "$(cat /sys/fs/cgroup/cpu/$cgparent/pod1111/$web/cpu.shares)" = 512
        check "cfs quota applied" test "$(cat /sys/fs/cgroup/cpu/$cgparent/pod1111/$web/cpu.cfs_quota_us)" = 50000
        check "the container is in its cgroup" grep -q "$web" /proc/$pw/cgroup
else
        check "memory.max applied (v2)" test "$(cat /sys/fs/cgroup/$cgparent/pod1111/$web/memory.max)" = 67108864
fi
run_capture out rc "$CTL" stats "$web"
check "stats lists the container" contains "$out" "web"

# --- devices: runc's default allowlist, CRI devices, privileged ---
if [ -d /sys/fs/cgroup/devices ]; then
        devlist=$(cat /sys/fs/cgroup/devices/$cgparent/pod1111/$web/devices.list)
        check "devices.list is runc's allowlist ($(echo $devlist | head -c 60)...)" \
                grep -qx 'c 1:3 rwm' <<<"$devlist"
        check "devices.list has no allow-all" test -z "$(grep -x 'a \*:\* rwm' <<<"$devlist")"
        check "devices.list allows mknod only for wildcards" grep -qx 'b \*:\* m' <<<"$devlist"
fi
run_capture out rc "$CTL" exec -s "$web" sh -c 'echo hi > /dev/null && head -c 4 /dev/zero | wc -c'
check "/dev/null and /dev/zero work ($out)" test "$rc" -eq 0 -a "$(echo $out)" = 4
run_capture out rc "$CTL" exec -s "$web" sh -c 'mknod /tmp/sda b 8 0 && mknod /tmp/loop b 7 0 && mknod /dev/x b 7 0 && echo made'
check "CAP_MKNOD still makes nodes ($out)" contains "$out" made
for n in /tmp/sda /tmp/loop /dev/x /imgmem; do
        run_capture out rc "$CTL" exec -s "$web" head -c 1 "$n"
        check "opening $n fails with EPERM ($out)" contains "$out" "$n: Operation not permitted"
done
cat > "$tmp/priv.json" <<J
{"metadata": {"name": "priv"}, "image": {"image": "rootfs:$tmp/rootfs"}, "command": ["sleep", "1000"],
 "log_path": "priv.log", "linux": {"security_context": {"privileged": true, "namespace_options": {"pid": "CONTAINER"}}}}
J
priv=$(run_ctr "$sid" web priv.json)
run_capture out rc "$CTL" exec -s "$priv" sh -c 'head -c 512 /tmp/loop >/dev/null && echo opened'
check "a privileged container opens the node ($out)" test "$out" = opened
"$CTL" rm -f "$priv" >/dev/null
if [ -c /dev/fuse ]; then
        ctr_config dev.json dev '["sleep","1000"]' \
                ', "devices": [{"container_path": "/dev/mydev", "host_path": "/dev/fuse", "permissions": "r"}]'
        dev=$(run_ctr "$sid" web dev.json)
        run_capture out rc "$CTL" exec -s "$dev" ls -l /dev/mydev
        check "a CRI device is created with the host's numbers ($out)" grep -qE '^crw.* 10, +229 .*/dev/mydev$' <<<"$out"
        run_capture out rc "$CTL" exec -s "$dev" sh -c ': < /dev/mydev && echo read-ok'
        check "and opens for reading ($out)" contains "$out" read-ok
        run_capture out rc "$CTL" exec -s "$dev" sh -c ': > /dev/mydev'
        check "but not for writing: permissions \"r\" ($out)" contains "$out" "Operation not permitted"
        "$CTL" rm -f "$dev" >/dev/null
else
        fail "no /dev/fuse on this host: the CRI device check needs a device outside runc's default list"
fi

# --- logs in the CRI format ---
run_capture out rc "$CTL" logs "$side"
check "logs show stdout ($out)" contains "$out" "sidecar up"
check "logs show stderr" contains "$out" "to-stderr"
check "log file is CRI format" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z stdout F sidecar up$' "$tmp/logs/web/side.log"

# --- exits recorded with no client attached; OOM; stop ---
ctr_config exit3.json exit3 '["sh","-c","sleep 1; exit 3"]'
e3=$(run_ctr "$sid" web exit3.json)
sleep 2 # nobody talks to the shim while the container exits
check "exit while no client was attached is recorded" wait_exited "$e3"
check "exit code 3 ($(field "$e3" exit_code))" test "$(field "$e3" exit_code)" = 3
check "reason Error" test "$(field "$e3" reason)" = Error
ctr_config oom.json oom '["sh","-c","x=$(head -c 100000000 /dev/zero | tr \"\\\\0\" a); echo survived"]' "" \
        ', "resources": {"memory_limit_in_bytes": 16777216}'
oom=$(run_ctr "$sid" web oom.json)
check "OOM container exits" wait_exited "$oom"
check "reason OOMKilled ($(field "$oom" reason))" test "$(field "$oom" reason)" = OOMKilled
check "exit code 137" test "$(field "$oom" exit_code)" = 137
ctr_config stubborn.json stubborn '["sh","-c","trap \"\" TERM; while true; do sleep 1; done"]'
st=$(run_ctr "$sid" web stubborn.json)
start=$(date +%s%N)
"$CTL" stop -t 1 "$st" >/dev/null
took=$(( ($(date +%s%N) - start) / 1000000 ))
check "stop ignores nothing: killed after the 1 s timeout (took ${took} ms)" test "$took" -ge 900 -a "$(field "$st" exit_code)" = 137
"$CTL" stop -t 10 "$web" >/dev/null
check "httpd stops on SIGTERM within its timeout" test "$(field "$web" state)" = CONTAINER_EXITED

# --- a missing binary is a StartError with exit code 128 ---
ctr_config nobin.json nobin '["/bin/does-not-exist"]'
nb=$("$CTL" create "$sid" "$tmp/nobin.json" "$tmp/web.pod.json")
run_capture out rc "$CTL" start "$nb"
check "start of a missing binary fails" test "$rc" -ne 0
check "the error names the binary ($out)" contains "$out" 'exec "/bin/does-not-exist": No such file or directory'
check "StartError recorded" test "$(field "$nb" reason)" = StartError -a "$(field "$nb" exit_code)" = 128

# --- a hostile rootfs cannot make a mount land outside it ---
cp -a "$tmp/rootfs" "$tmp/evilroot"
ln -s /etc "$tmp/evilroot/evil"
ln -s ../../../../../../$tmp/outside "$tmp/evilroot/up"
cat > "$tmp/evil.json" <<J
{"metadata": {"name": "evil"}, "image": {"image": "rootfs:$tmp/evilroot"},
 "command": ["sh","-c","cat /evil/x/data.txt; cat /up/y/data.txt; exec sleep 100"], "log_path": "evil.log",
 "mounts": [{"container_path": "/evil/x", "host_path": "$tmp/vol"},
            {"container_path": "/up/y", "host_path": "$tmp/vol"},
            {"container_path": "/../../../zz", "host_path": "$tmp/vol", "readonly": true}]}
J
ev=$(run_ctr "$sid" web evil.json)
check "hostile rootfs container runs" test -n "$ev"
check "nothing was created in the host's /etc" test ! -e /etc/x
check "nothing was created in the host dir the symlink pointed at" test -z "$(ls -A "$tmp/outside")"
run_capture out rc "$CTL" exec -s "$ev" cat /zz/data.txt
check "'..' in a mount target stays inside the rootfs" test "$out" = secret
run_capture out rc "$CTL" exec -s "$ev" sh -c 'echo x > /zz/new'
check "a readonly mount is read-only" test "$rc" -ne 0

# --- clients come and go; the shim and its containers don't care ---
ctr_config long.json long '["sh","-c","while true; do echo tick; sleep 0.2; done"]'
lg=$(run_ctr "$sid" web long.json)
lpid=$(cpid "$lg")
"$CTL" exec "$lg" sleep 30 & cl=$!
exec_running() { local i; for i in $(seq 50); do pgrep -f "^sleep 30$" >/dev/null && return 0; sleep 0.1; done; return 1; }
check "the exec'd process runs before its client is killed" exec_running
kill -9 "$cl"; wait "$cl" 2>/dev/null
check "a client killed mid-exec leaves the container running" test "$(field "$lg" state)" = CONTAINER_RUNNING
check "with the same pid" test "$(cpid "$lg")" = "$lpid"
run_capture out rc "$CTL" exec -s "$lg" echo still-served
check "the shim still serves ($out)" test "$out" = still-served
# interactive exec: stdin passed through; with -t, a pty and its window size
run_capture out rc sh -c "echo piped-in | '$CTL' exec '$lg' cat"
check "stdin reaches a non-tty exec ($out)" test "$out" = piped-in
run_capture out rc "$CTL" exec "$lg" sh -c 'exit 7'
check "interactive exec returns the exit code ($rc)" test "$rc" -eq 7
if command -v script >/dev/null; then
        run_capture out rc script -qec "stty rows 33 cols 99; '$CTL' exec -it '$lg' sh -c '[ -t 0 ] && echo TTY-OK; stty size; exit 5'" /dev/null
        check "exec -it gets a terminal ($out)" contains "$out" TTY-OK
        check "with the caller's window size" contains "$out" "33 99"
        check "and its exit code ($rc)" test "$rc" -eq 5
else
        fail "util-linux script is missing (make deps installs it)"
fi
# log rotation: the agent renames the file, then ReopenContainerLog
fi_wait() { local i; for i in $(seq 50); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
mv "$tmp/logs/web/long.log" "$tmp/logs/web/long.log.1"
run_capture out rc "$CTL" reopen-log "$lg"
check "reopen-log succeeds ($out)" test "$rc" -eq 0
check "new output goes to a new file after reopening" fi_wait "$tmp/logs/web/long.log" "stdout F tick"
check "the rotated file kept the earlier output" grep -q "stdout F tick" "$tmp/logs/web/long.log.1"
# UpdateContainerResources
run_capture out rc "$CTL" update --memory 33554432 --cpu-share 300 "$lg"
check "update succeeds ($out)" test "$rc" -eq 0
if [ -d /sys/fs/cgroup/memory/$cgparent ]; then
        check "memory limit updated" test "$(cat /sys/fs/cgroup/memory/$cgparent/pod1111/$lg/memory.limit_in_bytes)" = 33554432
        check "cpu shares updated" test "$(cat /sys/fs/cgroup/cpu/$cgparent/pod1111/$lg/cpu.shares)" = 300
fi

# --- a shim killed with SIGKILL: removal still leaves nothing ---
pod_config doomed 3333
d_sid=$("$CTL" runp "$tmp/doomed.pod.json")
ctr_config d.json d '["sleep","1000"]'
dc=$(run_ctr "$d_sid" doomed d.json)
dpid=$(cpid "$dc")
dshim=$("$CTL" inspectp "$d_sid" | sed -n 's/.*"shim_pid": \([0-9]*\).*/\1/p')
kill -9 "$dshim"
notready() { local i; for i in $(seq 50); do contains "$("$CTL" inspectp "$1")" SANDBOX_NOTREADY && return 0; sleep 0.1; done; return 1; }
check "a sandbox whose shim died is NOTREADY" notready "$d_sid"
"$CTL" rmp "$d_sid" >/dev/null
check "its container process was killed" gone "$dpid"
check "its mounts are gone" test -z "$(grep "$d_sid" /proc/self/mountinfo)"
check "its state is gone" test ! -e "$DECKHAND_STATE_DIR/sandboxes/$d_sid"
check "its cgroup is gone" test -z "$(find /sys/fs/cgroup -path "*$cgparent/pod3333*" -type d 2>/dev/null | head -1)"

# --- shareProcessNamespace: one PID namespace with a pause process as PID 1 ---
NODNS=1 PIDNS=POD pod_config shared 2222
sh_sid=$("$CTL" runp "$tmp/shared.pod.json")
PIDNS=POD ctr_config a.json a '["sleep","1000"]'
PIDNS=POD ctr_config b.json b '["sleep","1001"]'
ca=$(run_ctr "$sh_sid" shared a.json); cb=$(run_ctr "$sh_sid" shared b.json)
check "shared PID namespace" test "$(readlink /proc/$(cpid "$ca")/ns/pid)" = "$(readlink /proc/$(cpid "$cb")/ns/pid)"
run_capture out rc "$CTL" exec -s "$cb" ps
check "each container sees the other's processes ($out)" contains "$out" "sleep 1000"
check "PID 1 of the shared namespace is deckhand-pause" grep -qE '^ *1 .*deckhand-pause' <<<"$out"
run_capture out rc "$CTL" exec -s "$cb" cat /proc/self/mountinfo
check "without dns_config nothing is mounted over the image's resolv.conf" test -z "$(grep ' /etc/resolv.conf ' <<<"$out")"
check "while /etc/hostname is the sandbox's" contains "$out" " /etc/hostname "
"$CTL" rmp "$sh_sid" >/dev/null

# --- hostNetwork and hostIPC: the host's namespaces, the pod's own UTS too ---
cat > "$tmp/hostnet.pod.json" <<J
{"metadata": {"name": "hostnet", "uid": "4444", "namespace": "default"}, "hostname": "$(hostname)",
 "log_directory": "$tmp/logs/hostnet",
 "linux": {"cgroup_parent": "$cgparent/pod4444",
           "security_context": {"namespace_options": {"network": "NODE", "ipc": "NODE", "pid": "CONTAINER"}}}}
J
mkdir -p "$tmp/logs/hostnet"
hn_sid=$("$CTL" runp "$tmp/hostnet.pod.json")
hn=$(run_ctr "$hn_sid" hostnet side.json)
hp=$(cpid "$hn")
for ns in net ipc uts; do
        check "hostNetwork/hostIPC pod shares the host's $ns namespace" test "$(readlink /proc/$hp/ns/$ns)" = "$(readlink /proc/self/ns/$ns)"
done
check "but still has its own mount namespace" test "$(readlink /proc/$hp/ns/mnt)" != "$(readlink /proc/self/ns/mnt)"
"$CTL" rmp "$hn_sid" >/dev/null

# --- teardown leaves nothing ---
"$CTL" rmp "$sid" >/dev/null
check "the shim is gone" gone "$shim"
check "no container process is left" test ! -d "/proc/$ps_"
check "no mount under the state dir is left" test -z "$(grep "$tmp" /proc/self/mountinfo)"
check "the sandbox state dir is gone" test ! -e "$DECKHAND_STATE_DIR/sandboxes/$sid"
check "no container layer dir is left" test -z "$(ls -A "$DECKHAND_ROOT_DIR/containers" 2>/dev/null)"
left=$(find /sys/fs/cgroup -path "*$cgparent/pod1111*" -type d 2>/dev/null | head -3)
check "no pod cgroup is left ($left)" test -z "$left"

# --- a creation cut short (config.json written, the creator killed before
# the shim started) is reaped by the next list; one in progress is not ---
half() { # ID: a sandbox dir as a killed creator leaves it
        mkdir -p "$DECKHAND_STATE_DIR/sandboxes/$1/containers"
        echo '{}' >"$DECKHAND_STATE_DIR/sandboxes/$1/config.json"
}
cut=$(printf 'c%.0s' $(seq 64)) busy=$(printf 'b%.0s' $(seq 64))
half "$cut"
half "$busy"
flock "$DECKHAND_STATE_DIR/sandboxes/$busy/config.json" sleep 3 &
locker=$!
held() { ! flock -n "$DECKHAND_STATE_DIR/sandboxes/$busy/config.json" true; }
check "(the test's creator holds its lock)" poll 5 held
"$CTL" pods >/dev/null
check "a sandbox whose creation was cut short is reaped by the next list" \
        test ! -e "$DECKHAND_STATE_DIR/sandboxes/$cut"
check "one whose creator still holds its lock is left alone" \
        test -e "$DECKHAND_STATE_DIR/sandboxes/$busy/config.json"
wait "$locker"
"$CTL" pods >/dev/null
check "  and reaped once the lock is free" test ! -e "$DECKHAND_STATE_DIR/sandboxes/$busy"
finish
