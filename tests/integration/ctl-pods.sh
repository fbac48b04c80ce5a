#!/bin/bash
# deckctl logs and exec by pod, as kubectl names things, on pods the real
# agent runs from static manifests: -c and kubectl's default-container
# notice, the default-container annotation, -n, --previous after a
# restart, --tail, -f, exec into a chosen container and into one that is
# not running, the bare static name next to the full one, and the errors
# for an unknown container, an unknown or ambiguous pod. The old forms by
# container ID keep working.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash
CTL=$BUILD_DIR/deckctl
. tests/integration/agent.bash
rt_setup ctlpods
cleanup() {
        agent_kill
        rt_cleanup
}
trap cleanup EXIT
agent_env

# A container entry: name, env WHO=name, the shell script it runs (this
# ctr writes YAML; agent.bash's container lister is not used here).
ctr() {
        cat <<EOF
  - name: $1
    image: deckhand.local/busybox
    imagePullPolicy: Never
    env: [{name: WHO, value: $1}]
    command: ["sh", "-c", "$2"]
EOF
}
pod() { # NAME [NAMESPACE [ANNOTATION-YAML]]: the pod's head, containers follow
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  namespace: ${2:-default}
  annotations: {${3:-}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
EOF
}

{ pod two; ctr main "echo main-says-hi; exec sleep 1000"; ctr side "echo side-says-hi; exec sleep 1000"; } |
        put two.yaml
{ pod anno tools "kubectl.kubernetes.io/default-container: side"
  ctr main "echo anno-main; exec sleep 1000"; ctr side "echo anno-side; exec sleep 1000"; } | put anno.yaml
# Each start counts in an emptyDir (which lives as long as the pod): the
# first instance prints run-1 and fails, the second prints run-2 and stays.
{ pod rs; ctr count "n=\$(cat /data/n 2>/dev/null || echo 0); n=\$((n + 1)); echo \$n >/data/n;
      echo run-\$n; echo last-\$n; [ \$n -ge 2 ] && exec sleep 1000; exit 1"
  cat <<EOF
    volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, emptyDir: {}}]
EOF
} | put rs.yaml
{ pod done; ctr bye "echo bye"; echo "  restartPolicy: Never"; } | put done.yaml
{ pod amb-a; ctr a "exec sleep 1000"; } | put amb-a.yaml
{ pod amb-b; ctr b "exec sleep 1000"; } | put amb-b.yaml

agent_start

# deckctl ps's NAME column is the third from the end (CREATED has spaces).
running() { "$CTL" ps | awk '{print $(NF-2)}' | grep -qx "$1"; }
all_up() {
        local n
        for n in main side count a b; do running "$n" || return 1; done
        [ "$("$CTL" ps | awk '$(NF-2) == "main"' | wc -l)" -eq 2 ]
}
check "the pods run (main, side x2, count restarted, a, b)" poll 90 all_up
done_exited() { "$CTL" ps -a | grep -E ' Exited +bye ' >/dev/null; }
check "the done pod's container exited" poll 30 done_exited

# --- logs by pod ---
run_capture out rc "$CTL" logs two-node1 -c side
check "logs POD -c side: side's log ($out)" test "$rc" -eq 0 -a "$out" = side-says-hi
run_capture out rc "$CTL" logs two-node1 -c main
check "logs POD -c main: main's log ($out)" test "$rc" -eq 0 -a "$out" = main-says-hi
"$CTL" logs two-node1 >"$tmp/o" 2>"$tmp/e"; rc=$?
check "logs POD without -c: the first container ($(cat "$tmp/o"))" test "$rc" -eq 0 -a "$(cat "$tmp/o")" = main-says-hi
check "and kubectl's notice on stderr ($(cat "$tmp/e"))" \
        test "$(cat "$tmp/e")" = 'Defaulted container "main" out of: main, side'
run_capture out rc "$CTL" logs two -c side
check "the bare static name works too ($out)" test "$rc" -eq 0 -a "$out" = side-says-hi
run_capture out rc "$CTL" logs two -c nope
check "an unknown -c fails naming the pod's containers ($out)" test "$rc" -eq 1 -a \
        "$out" = "deckctl: logs: container nope is not valid for pod two-node1 out of: main, side"

# -n and the default-container annotation
run_capture out rc "$CTL" logs anno
check "a pod in another namespace needs -n ($out)" test "$rc" -eq 1
check "  the error names pod and namespace" contains "$out" 'pods "anno" not found in namespace "default"'
"$CTL" logs -n tools anno >"$tmp/o" 2>"$tmp/e"; rc=$?
check "logs -n NS POD: the annotated default container ($(cat "$tmp/o"))" \
        test "$rc" -eq 0 -a "$(cat "$tmp/o")" = anno-side
check "  without a notice" test ! -s "$tmp/e"
run_capture out rc "$CTL" logs --namespace=tools anno-node1 --container=main
check "--namespace=NS and --container=C ($out)" test "$rc" -eq 0 -a "$out" = anno-main

# restarts: the newest instance, --previous the one before, --tail
run_capture out rc "$CTL" logs rs
check "logs POD: the newest instance ($out)" test "$rc" -eq 0 -a "$out" = "run-2
last-2"
run_capture out rc "$CTL" logs rs --previous
check "logs --previous: the instance before ($out)" test "$rc" -eq 0 -a "$out" = "run-1
last-1"
run_capture out rc "$CTL" logs -p rs -c count --tail 1
check "-p with --tail 1 ($out)" test "$rc" -eq 0 -a "$out" = last-1
run_capture out rc "$CTL" logs rs --tail=1
check "--tail=1 on the current instance ($out)" test "$rc" -eq 0 -a "$out" = last-2
run_capture out rc "$CTL" logs two -c side --previous
check "--previous without one fails as kubectl's ($out)" test "$rc" -eq 1 -a \
        "$out" = 'deckctl: logs: previous terminated container "side" in pod "two-node1" not found'

# -f: a running container is followed until interrupted, an exited one ends
timeout 3 "$CTL" logs -f two -c side >"$tmp/o" 2>&1; rc=$?
check "logs -f POD follows a running container (rc $rc: timeout)" test "$rc" -eq 124
check "  having printed its log ($(cat "$tmp/o"))" test "$(cat "$tmp/o")" = side-says-hi
run_capture out rc "$CTL" logs -f done
check "logs -f POD of an exited container ends ($rc: $out)" test "$rc" -eq 0 -a "$out" = bye

# --- ambiguity and unknown pods ---
run_capture out rc "$CTL" logs amb
check "an ambiguous bare name fails ($out)" test "$rc" -eq 1
check "  listing the candidates" contains "$out" \
        'pod name "amb" is ambiguous in namespace "default": amb-a-node1, amb-b-node1'
run_capture out rc "$CTL" logs amb-a
check "a unique bare name of those works" test "$rc" -eq 0
run_capture out rc "$CTL" exec nosuch -c x -- true
check "exec into an unknown pod fails naming pod and namespace ($out)" test "$rc" -eq 1 -a \
        "$out" = 'deckctl: exec: pods "nosuch" not found in namespace "default"'

# --- exec by pod ---
run_capture out rc "$CTL" exec -s two -c side -- sh -c 'echo $WHO'
check "exec -s POD -c side runs in side ($out)" test "$rc" -eq 0 -a "$out" = side
"$CTL" exec two-node1 -- sh -c 'echo $WHO' </dev/null >"$tmp/o" 2>"$tmp/e"; rc=$?
check "exec POD without -c: the first container ($(cat "$tmp/o"))" test "$rc" -eq 0 -a "$(cat "$tmp/o")" = main
check "  with the notice" grep -qx 'Defaulted container "main" out of: main, side' "$tmp/e"
run_capture out rc "$CTL" exec -c side two -- cat /etc/hostname
check "exec -c before the pod, cat /etc/hostname ($out)" test "$rc" -eq 0 -a -n "$out"
run_capture out rc "$CTL" exec -n tools anno -- sh -c 'exit 3'
check "exec POD passes the exit code ($rc)" test "$rc" -eq 3
run_capture out rc "$CTL" exec done -- echo hi
check "exec into a container that is not running fails ($out)" test "$rc" -eq 1 -a \
        "$out" = 'deckctl: exec: container bye is not running in pod "done-node1" (namespace "default")'
run_capture out rc "$CTL" exec two -c nope -- true
check "exec with an unknown -c fails ($out)" contains "$out" "container nope is not valid for pod two-node1"

# --- the container-ID forms keep working ---
side=$("$CTL" ps | awk '$(NF-2) == "side" {print $1; exit}')
side_full=$("$CTL" ps -q | grep "^$side")
run_capture out rc "$CTL" logs "$side_full"
check "logs ID" test "$rc" -eq 0 -a -n "$out"
run_capture out rc "$CTL" logs "${side_full:0:8}"
check "logs ID-PREFIX" test "$rc" -eq 0 -a -n "$out"
run_capture out rc "$CTL" exec -s "$side_full" sh -c 'echo $WHO'
check "exec -s ID CMD... (no --) ($out)" test "$rc" -eq 0 -a -n "$out"
run_capture out rc "$CTL" exec "${side_full:0:8}" echo -- x
check "exec ID-PREFIX CMD keeps a later -- in the command ($out)" test "$rc" -eq 0 -a "$out" = "-- x"
count_now=$("$CTL" ps | awk '$(NF-2) == "count" {print $1; exit}')
count_full=$("$CTL" ps -q | grep "^$count_now")
run_capture out rc "$CTL" logs --previous "$count_full"
check "logs --previous ID: the instance before that one ($out)" test "$rc" -eq 0 -a "$out" = "run-1
last-1"

agent_kill
# Under make SANITIZE=1 a report is a failure.
unstructured=$(klog_unstructured "$tmp/agent.log")
check "every line the agent logged is a klog structured line" test -z "$unstructured"
[ -z "$unstructured" ] || head -5 <<<"$unstructured" | sed 's/^/    not structured: /' >&2
check "no sanitizer report from the agent" bash -c "! grep -qE 'Sanitizer|runtime error:' '$tmp/agent.log'"
[ "$T_FAILED" -eq 0 ] || sed 's/^/    agent: /' "$tmp/agent.log" | tail -40 >&2
finish
