#!/bin/bash
# Concurrent pulls through the image service (cri/image/images.h), driven
# by build/tests/pullclient against the real Debian docker-registry on
# 127.0.0.1: a small image overtakes a big one, one reference asked for
# three times (spelled two ways) is downloaded once, two tags sharing a
# layer, a pull by digest, a failing pull next to a good one, progress
# reports, and a pull
# killed with SIGKILL whose leftovers the next run cleans. Needs no root.
# Ends with "pulls.sh: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/integration/common.bash
source tests/integration/registry.bash
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
PC=$BUILD_DIR/tests/pullclient

for tool in docker-registry skopeo python3 "$PC"; do
        if ! command -v "$tool" >/dev/null; then
                echo "pulls.sh: $tool is missing (make deps; make test builds pullclient)"
                echo "pulls.sh: 0 passed, 1 failed"
                exit 1
        fi
done
tmp=$(mktemp -d /tmp/deckhand-pulls.XXXXXX) || exit 1
shm=
BG_PID=
cleanup() {
        [ -n "$BG_PID" ] && kill -9 "$BG_PID" 2>/dev/null && wait "$BG_PID" 2>/dev/null
        registry_stop_all
        rm -rf "$tmp"
        [ -n "$shm" ] && rm -rf "$shm"
}
trap cleanup EXIT

OUT= RCODE=
pull() { run_capture OUT RCODE "$PC" "$@"; }
# no_sanitizer WHAT TEXT: TEXT (a run's output) has no sanitizer report.
no_sanitizer() {
        if grep -qE "Sanitizer|runtime error:" <<<"$2"; then
                fail "$1: sanitizer report"; printf '%s\n' "$2" | head -30 >&2; return 1
        fi
        return 0
}
# ok_run WHAT WANT: the last pullclient run exited WANT, with no sanitizer report.
ok_run() {
        no_sanitizer "$1" "$OUT" || return 1
        if [ "$RCODE" -ne "$2" ]; then
                fail "$1: exit $RCODE, want $2"; printf '%s\n' "$OUT" | head -20 >&2; return 1
        fi
        return 0
}
done_lines() { grep '^done ' <<<"$OUT"; }
id_of() { sed -n "s|^done $1 ||p" <<<"$OUT"; } # the id the last run reported for REF

# layout_info LAYOUT TAG FIELD: from an OCI layout, the manifest digest
# ("manifest"), config digest ("config"), number of blobs the registry
# serves for it ("blobs": layers + config), its largest layer's digest
# ("biggest") or diffIDs ("diffids").
layout_info() {
        python3 - "$@" <<'PY'
import json, sys
d, tag, field = sys.argv[1:4]
blob = lambda dg: json.load(open(d + "/blobs/sha256/" + dg[7:]))
desc = [m for m in json.load(open(d + "/index.json"))["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag][0]
man = blob(desc["digest"])
if field == "manifest": print(desc["digest"])
elif field == "config": print(man["config"]["digest"])
elif field == "blobs": print(len(man["layers"]) + 1)
elif field == "biggest": print(max(man["layers"], key=lambda l: l["size"])["digest"])
elif field == "diffids": print("\n".join(blob(man["config"]["digest"])["rootfs"]["diff_ids"]))
PY
}

# blob_gets_since BEFORE WANT: blob GETs the registry served since BEFORE,
# waiting (with a deadline) until at least WANT are in its access log: it
# may log a request just after the client has its response.
blob_gets_since() {
        local n i
        for i in $(seq 1 50); do
                n=$(( $(registry_blob_gets "$REG") - $1 ))
                [ "$n" -ge "$2" ] && break
                sleep 0.1
        done
        echo "$n"
}

# clean_root WHAT ROOT: nothing partial is left under ROOT.
clean_root() {
        check "$1: ingest is empty" [ -z "$(ls -A "$2/ingest")" ]
        check "$1: no .tmp-* left in layers" [ -z "$(find "$2/layers" -maxdepth 1 -name '.tmp-*')" ]
}

# record_field ROOT REF FIELD: a field (repoTags, repoDigests) of the
# record whose id is REF, from ROOT/images.json, one value a line.
record_field() {
        python3 - "$@" <<'PY'
import json, sys
root, ident, field = sys.argv[1:4]
for r in json.load(open(root + "/images.json"))["images"]:
    if r["id"] == ident:
        print("\n".join(r.get(field) or []))
PY
}

# --- test images, built locally, pushed to a local registry ---
scripts/build-test-image "$tmp/oci" --tag small >/dev/null &&
        scripts/build-test-image "$tmp/oci" --tag other >/dev/null &&
        scripts/build-test-image "$tmp/big" --tag big --filler 60 >/dev/null ||
        { fail "build-test-image"; finish; exit 1; }
registry_start REG || { fail "registry_start"; finish; exit 1; }
check "push small" registry_push "$tmp/oci" small "$REG/test/small:latest"
check "push small as v1" registry_push "$tmp/oci" small "$REG/test/small:v1"
check "push shared:a" registry_push "$tmp/oci" small "$REG/test/shared:a"
check "push shared:b" registry_push "$tmp/oci" other "$REG/test/shared:b"
check "push big" registry_push "$tmp/big" big "$REG/test/big:v1"
SMALL_ID=$(layout_info "$tmp/oci" small config)
OTHER_ID=$(layout_info "$tmp/oci" other config)
BIG_ID=$(layout_info "$tmp/big" big config)
BIG_FILLER=$(layout_info "$tmp/big" big biggest)
SMALL_BLOBS=$(layout_info "$tmp/oci" small blobs)

# --- a small image next to a big one: the small one is not held up ---
# On tmpfs: each unpacked layer is made durable with syncfs() (layers.c),
# and on a journalling disk (ext4, data=ordered) that waits for the big
# layer's data being written at the same time, so there the two can finish
# together whatever the pulls do. What this checks is the pull scheduling.
if shm=$(mktemp -d /dev/shm/deckhand-pulls.XXXXXX 2>/dev/null); then R1=$shm/r1
else R1=$tmp/r1; echo "pulls.sh: no /dev/shm; small-vs-big runs on $tmp (may tie on disk flushes)" >&2; fi
pull --progress "$R1" "$REG/test/big:v1" "$REG/test/small:v1"
if ok_run "small and big at once" 0; then
        check "small and big: two completions" [ "$(done_lines | wc -l)" -eq 2 ]
        first=$(done_lines | head -n 1)
        if [ "$first" = "done $REG/test/small:v1 $SMALL_ID" ]; then pass
        else fail "small completes first (got: $first)"; printf '%s\n' "$OUT" | grep -v ^progress >&2; fi
        check "big completes with its id" [ "$(id_of "$REG/test/big:v1")" = "$BIG_ID" ]
        # pullclient asks for progress every millisecond, so the big layer
        # reports as it arrives.
        check "progress lines are well formed" \
                [ -z "$(grep '^progress' <<<"$OUT" | grep -vE '^progress sha256:[0-9a-f]{64} [0-9]+/[0-9]+$')" ]
        check "progress for the big layer" \
                [ "$(grep -c "^progress $BIG_FILLER " <<<"$OUT")" -ge 2 ]
fi
clean_root "small and big" "$R1"

# --- one reference three times at once (two spellings): one download ---
before=$(registry_blob_gets "$REG")
pull "$tmp/r2" "$REG/test/small:latest" "$REG/test/small:latest" "$REG/test/small"
if ok_run "same reference three times" 0; then
        check "same reference: three completions" [ "$(done_lines | wc -l)" -eq 3 ]
        check "same reference: every waiter gets the image id" \
                [ "$(done_lines | awk '{print $3}' | sort -u)" = "$SMALL_ID" ]
        got=$(blob_gets_since "$before" "$SMALL_BLOBS")
        check "same reference: each blob served once ($got GETs, want $SMALL_BLOBS)" \
                [ "$got" -eq "$SMALL_BLOBS" ]
fi
clean_root "same reference" "$tmp/r2"

# --- two tags sharing their base layer ---
before=$(registry_blob_gets "$REG")
pull "$tmp/r3" "$REG/test/shared:a" "$REG/test/shared:b"
if ok_run "two tags sharing a layer" 0; then
        check "shared: a has its id" [ "$(id_of "$REG/test/shared:a")" = "$SMALL_ID" ]
        check "shared: b has its id" [ "$(id_of "$REG/test/shared:b")" = "$OTHER_ID" ]
        base=$(layout_info "$tmp/oci" small diffids | sed -n 1p)
        check "shared: both images start with the same layer" \
                [ "$base" = "$(layout_info "$tmp/oci" other diffids | sed -n 1p)" ]
        check "shared: the shared layer is unpacked" test -d "$tmp/r3/layers/${base#sha256:}/diff"
        want=$( (layout_info "$tmp/oci" small diffids; layout_info "$tmp/oci" other diffids) | sort -u | wc -l)
        check "shared: one directory per distinct layer ($want)" \
                [ "$(find "$tmp/r3/layers" -mindepth 1 -maxdepth 1 | wc -l)" -eq "$want" ]
        # Two configs, two top layers, and the shared base layer once.
        got=$(blob_gets_since "$before" 5)
        check "shared: the shared blob is downloaded once ($got GETs, want 5)" [ "$got" -eq 5 ]
fi
clean_root "two tags" "$tmp/r3"

# --- by digest: recorded with a repo digest and no tag ---
DIGEST=$(layout_info "$tmp/oci" small manifest)
pull "$tmp/r4" "$REG/test/small@$DIGEST"
if ok_run "pull by digest" 0; then
        check "by digest: the image id" [ "$(id_of "$REG/test/small@$DIGEST")" = "$SMALL_ID" ]
        check "by digest: repo digest recorded" \
                [ "$(record_field "$tmp/r4" "$SMALL_ID" repoDigests)" = "$REG/test/small@$DIGEST" ]
        check "by digest: no tag recorded" [ -z "$(record_field "$tmp/r4" "$SMALL_ID" repoTags)" ]
fi
clean_root "by digest" "$tmp/r4"

# --- a failing pull next to a good one ---
pull "$tmp/r5" "$REG/test/small:nope" "$REG/test/small:v1"
if ok_run "failing and good pull" 1; then
        check "the unknown tag fails" grep -q "^error $REG/test/small:nope: .*manifest unknown" <<<"$OUT"
        check "the good pull still succeeds" [ "$(id_of "$REG/test/small:v1")" = "$SMALL_ID" ]
        check "only the good image is recorded" \
                [ "$(record_field "$tmp/r5" "$SMALL_ID" repoTags)" = "$REG/test/small:v1" ]
fi
clean_root "failing and good pull" "$tmp/r5"

# --- killed mid-pull: the next run cleans up and completes ---
"$PC" "$tmp/r6" "$REG/test/big:v1" >"$tmp/crash.out" 2>&1 &
BG_PID=$!
# Mid-download: an ingest file has grown past a megabyte (the filler layer).
mid=
for _ in $(seq 1 400); do
        if [ -n "$(find "$tmp/r6/ingest" -type f -size +1M 2>/dev/null)" ]; then mid=1; break; fi
        kill -0 "$BG_PID" 2>/dev/null || break
        sleep 0.02
done
kill -9 "$BG_PID" 2>/dev/null
wait "$BG_PID" 2>/dev/null
BG_PID=
check "crash: killed while downloading" [ -n "$mid" ]
# Layer unpacks in forked children die with the pull (they share its
# locked ingest files); a zombie has closed its files, and has no command
# line for pgrep to match.
alive() { pgrep -f -- "$PC $tmp/r6 " >/dev/null; }
for _ in $(seq 1 250); do alive || break; sleep 0.02; done
if alive; then fail "crash: the unpack children outlived the pull"; else pass; fi
no_sanitizer "crash: first run" "$(cat "$tmp/crash.out")" && pass
check "crash: the killed pull left a partial download" [ -n "$(ls -A "$tmp/r6/ingest")" ]
check "crash: nothing recorded" [ ! -e "$tmp/r6/images.json" ] || \
        [ -z "$(record_field "$tmp/r6" "$BIG_ID" repoTags)" ]
pull "$tmp/r6" "$REG/test/big:v1"
if ok_run "pull after a crash" 0; then
        check "after a crash: the image id" [ "$(id_of "$REG/test/big:v1")" = "$BIG_ID" ]
fi
clean_root "after a crash" "$tmp/r6"
finish
