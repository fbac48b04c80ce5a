#!/bin/bash
# Pull + unpack of a ~100 MB multi-layer image from a local registry
# (Debian's docker-registry on 127.0.0.1): deckhand against `skopeo copy`
# + `umoci unpack` of the same image, in the same run; then a second
# deckhand pull of the same image, which must download and unpack nothing.
# Prints figures; asserts nothing about time.
#
#   bench/pull.sh [--mb TOTAL] [--runs N]      (needs root; make first)
set -eu
cd "$(dirname "$0")/.."
. tests/integration/registry.bash
mb=100 runs=3
while [ $# -gt 0 ]; do
        case $1 in
        --mb) mb=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        *) echo "usage: bench/pull.sh [--mb TOTAL] [--runs N]" >&2; exit 2 ;;
        esac
done
CTL=${DECKHAND_BUILD:-$PWD/build}/deckctl
tmp=$(mktemp -d /tmp/deckhand-bench-pull.XXXXXX)
trap 'set +e; registry_stop_all; rm -rf "$tmp"' EXIT
# Four filler layers of random (incompressible) data plus busybox.
per=$((mb / 4))
scripts/build-test-image "$tmp/oci" --tag big --filler $per --filler $per --filler $per --filler $per >/dev/null
size=$(du -sm "$tmp/oci/blobs" | cut -f1)
registry_start REG
registry_push "$tmp/oci" big "$REG/bench/big:1"
echo "image: $REG/bench/big:1, 6 layers, ${size} MiB compressed (gzip)"

now() { date +%s.%N; }
best() { sort -n | head -1; }
dh=() sk=() again=()
for i in $(seq "$runs"); do
        root=$tmp/dh$i
        t0=$(now)
        DECKHAND_ROOT_DIR=$root DECKHAND_STATE_DIR=$tmp/state "$CTL" images pull "$REG/bench/big:1" >/dev/null 2>&1
        t1=$(now)
        gets=$(registry_blob_gets "$REG")
        DECKHAND_ROOT_DIR=$root DECKHAND_STATE_DIR=$tmp/state "$CTL" images pull "$REG/bench/big:1" >/dev/null 2>&1
        t2=$(now)
        [ "$(registry_blob_gets "$REG")" = "$gets" ] || echo "WARNING: the second pull downloaded blobs" >&2
        dh+=("$(awk "BEGIN{print $t1 - $t0}")")
        again+=("$(awk "BEGIN{print $t2 - $t1}")")
        rm -rf "$root"
        t0=$(now)
        skopeo copy -q --src-tls-verify=false "docker://$REG/bench/big:1" "oci:$tmp/sk$i:big" >/dev/null
        umoci unpack --image "$tmp/sk$i:big" "$tmp/sk$i-bundle" >/dev/null
        t1=$(now)
        sk+=("$(awk "BEGIN{print $t1 - $t0}")")
        rm -rf "$tmp/sk$i" "$tmp/sk$i-bundle"
done
printf 'deckhand pull+unpack:           best %.2f s  (runs: %s)\n' "$(printf '%s\n' "${dh[@]}" | best)" "${dh[*]}"
printf 'skopeo copy + umoci unpack:     best %.2f s  (runs: %s)\n' "$(printf '%s\n' "${sk[@]}" | best)" "${sk[*]}"
printf 'deckhand second pull (cached):  best %.3f s  (blobs downloaded: 0)\n' "$(printf '%s\n' "${again[@]}" | best)"
