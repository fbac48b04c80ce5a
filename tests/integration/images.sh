#!/bin/bash
# Images end to end through deckctl against a real registry (Debian's
# docker-registry on 127.0.0.1, anonymous and behind htpasswd): pulls of
# gzip, zstd and plain layers, a second pull that downloads nothing,
# credentials (--creds and a docker config.json), a tampered blob, mirrors,
# imports of OCI layouts and docker save archives, containers run from the
# image's config, removal refused while in use, and prune.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash
. tests/integration/registry.bash
CTL=$BUILD_DIR/deckctl
rt_setup img
cleanup() {
        rt_cleanup
        registry_stop_all
}
trap cleanup EXIT

# --- test images, built locally, pushed to local registries ---
scripts/build-test-image "$tmp/oci" --tag app --compression gzip --filler 2 \
        --entrypoint '["/bin/sh","-c"]' --cmd '["echo \"user=$(id -u) cwd=$(pwd) greet=$GREETING\"; cat /etc/deckhand-image; ls /var/www | wc -l"]' \
        --env GREETING=hello-from-image --workdir /home/app --user 1000 --stop-signal SIGUSR1 >/dev/null
scripts/build-test-image "$tmp/oci" --tag zstd --compression zstd >/dev/null
scripts/build-test-image "$tmp/oci" --tag plain --compression none >/dev/null
scripts/build-test-image "$tmp/oci" --tag victim --compression gzip --filler 1 >/dev/null
registry_start REG || { echo "images.sh: 0 passed, 1 failed"; exit 1; }
registry_start AREG alice:s3cret || { echo "images.sh: 0 passed, 1 failed"; exit 1; }
for t in app zstd plain victim; do registry_push "$tmp/oci" $t "$REG/test/img:$t"; done
registry_push "$tmp/oci" zstd "$AREG/private/img:app" alice:s3cret

# --- pulls ---
run_capture out rc "$CTL" images pull "$REG/test/img:app"
check "pull of a gzip image succeeds" test "$rc" = 0
check "pull prints the image id" grep -qE '^Image is up to date for sha256:[0-9a-f]{64}$' <<<"$out"
app_id=$(sed -n 's/^Image is up to date for //p' <<<"$out")
run_capture out rc "$CTL" images ls
check "ls lists the tag" grep -qE "^$REG/test/img +app +${app_id:7:13}" <<<"$out"
run_capture out rc "$CTL" images ls --digests
check "ls --digests shows the manifest digest" grep -qE "^$REG/test/img +app +[0-9a-f]{19} " <<<"$out"
run_capture out rc "$CTL" images inspect "$REG/test/img:app"
check "inspect reports the id" contains "$out" "\"id\": \"$app_id\""
check "inspect reports the repo digest" grep -qE "\"$REG/test/img@sha256:[0-9a-f]{64}\"" <<<"$out"
check "inspect reports the image's numeric user as uid" contains "$out" '"value": 1000'
run_capture out rc "$CTL" images inspect "${app_id:7:12}"
check "an id prefix finds the image" contains "$out" "$app_id"
layers_before=$(ls "$tmp/root/images/layers" | grep -c '^[0-9a-f]')
check "the image's 3 layers are unpacked" test "$layers_before" = 3
check "layer blobs are dropped once unpacked" test "$(ls "$tmp/root/images/blobs/sha256" | wc -l)" = 2
gets=$(registry_blob_gets "$REG")
run_capture out rc "$CTL" images pull "$REG/test/img:app"
check "a second pull succeeds" test "$rc" = 0
check "a second pull downloads no blob" test "$(registry_blob_gets "$REG")" = "$gets"
for t in zstd plain; do
        run_capture out rc "$CTL" images pull "$REG/test/img:$t"
        check "pull of the $t image succeeds" test "$rc" = 0
done
check "gzip, zstd and plain images share layers by diffID (5 distinct, not 7)" \
        test "$(ls "$tmp/root/images/layers" | grep -c '^[0-9a-f]')" = 5
run_capture out rc "$CTL" images pull "$REG/test/img:nosuchtag"
check "an unknown tag fails" test "$rc" != 0
check "an unknown tag says not found" grep -qi "not found\|unknown" <<<"$out"
run_capture out rc "$CTL" images pull "$REG/Bad Name"
check "an invalid reference fails clearly" grep -q "invalid reference format" <<<"$out"

# --- Docker schema 2 manifests, image indexes, platform selection ---
scripts/build-test-image "$tmp/multi" --tag amd >/dev/null
scripts/build-test-image "$tmp/multi" --tag arm --arch arm64 >/dev/null
scripts/build-test-image "$tmp/multi" --tag win --os windows >/dev/null
make_index() { # TAG ENTRY-TAG...: an OCI index of the entries' manifests, tagged TAG
        local tag=$1 sel d; shift
        sel=$(printf '"%s",' "$@"); sel="[${sel%,}]"
        jq -c --argjson s "$sel" '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
                manifests: [.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] as $n | $s | index($n)) | del(.annotations)]}' \
                "$tmp/multi/index.json" >"$tmp/index.blob"
        d=$(sha256sum <"$tmp/index.blob" | cut -d' ' -f1)
        mv "$tmp/index.blob" "$tmp/multi/blobs/sha256/$d"
        jq -c --arg d "sha256:$d" --arg t "$tag" --argjson n "$(stat -c %s "$tmp/multi/blobs/sha256/$d")" \
                '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $n, annotations: {"org.opencontainers.image.ref.name": $t}}]' \
                "$tmp/multi/index.json" >"$tmp/index.new" && mv "$tmp/index.new" "$tmp/multi/index.json"
}
make_index multi arm amd
make_index winonly win
timeout 120 skopeo copy -q --all --dest-tls-verify=false "oci:$tmp/multi:multi" "docker://$REG/test/multi:1" >/dev/null
timeout 120 skopeo copy -q --all --dest-tls-verify=false "oci:$tmp/multi:winonly" "docker://$REG/test/winonly:1" >/dev/null
amd_cfg=$(jq -r '.config.digest' "$tmp/multi/blobs/sha256/$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="amd") | .digest' "$tmp/multi/index.json" | cut -d: -f2)")
run_capture out rc "$CTL" images pull "$REG/test/multi:1"
check "a multi-platform index pulls" test "$rc" = 0
check "... its linux/amd64 entry" contains "$out" "$amd_cfg"
run_capture out rc "$CTL" images inspect "$REG/test/multi:1"
check "the repo digest names the index" grep -q "\"$REG/test/multi@sha256:" <<<"$out"
run_capture out rc "$CTL" images pull "$REG/test/winonly:1"
check "an image with no linux/amd64 entry fails" test "$rc" != 0
check "... saying which platforms it has" contains "$out" "no matching manifest for linux/amd64 in the manifest list entries (available: windows/amd64)"
timeout 120 skopeo copy -q --format v2s2 --dest-tls-verify=false "oci:$tmp/oci:app" "docker://$REG/test/v2s2:1" >/dev/null
check "the registry holds a Docker schema 2 manifest" \
        grep -q 'application/vnd.docker.distribution.manifest.v2+json' < <(curl -s -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REG/v2/test/v2s2/manifests/1")
run_capture out rc "$CTL" images pull "$REG/test/v2s2:1"
check "a Docker schema 2 image pulls" test "$rc" = 0

# --- credentials ---
run_capture out rc "$CTL" images pull "$AREG/private/img:app"
check "an auth registry refuses anonymous pulls" test "$rc" != 0
check "... with an authorization error" grep -qi "auth" <<<"$out"
run_capture out rc "$CTL" images pull --creds alice:wrong "$AREG/private/img:app"
check "wrong credentials fail" test "$rc" != 0
run_capture out rc "$CTL" images pull --creds alice:s3cret "$AREG/private/img:app"
check "--creds pulls from the auth registry" test "$rc" = 0
"$CTL" images rm "$AREG/private/img:app" >/dev/null
printf '{"auths":{"%s":{"auth":"%s"}}}' "$AREG" "$(printf alice:s3cret | base64)" >"$tmp/config.json"
run_capture out rc "$CTL" images pull --credentials "$tmp/config.json" "$AREG/private/img:app"
check "a docker config.json credentials file works" test "$rc" = 0

# --- HTTPS: verified against the registry config's CA, or not at all when insecure ---
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/tls.key" -out "$tmp/tls.crt" -days 2 \
        -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
registry_start_tls TREG "$tmp/tls.crt" "$tmp/tls.key" || { echo "images.sh: 0 passed, 1 failed"; exit 1; }
timeout 120 skopeo copy -q --dest-tls-verify=false "oci:$tmp/oci:plain" "docker://$TREG/tls/img:1" >/dev/null
run_capture out rc "$CTL" images pull "$TREG/tls/img:1"
check "an HTTPS registry with an unknown CA is refused" test "$rc" != 0
check "... and the TLS failure is named" contains "$out" "self-signed certificate"
printf 'configs:\n  "%s":\n    ca_file: %s\n' "$TREG" "$tmp/tls.crt" >"$tmp/tls-ca.yaml"
run_capture out rc "$CTL" images pull --registry-config "$tmp/tls-ca.yaml" "$TREG/tls/img:1"
check "the registry config's ca_file verifies it" test "$rc" = 0
"$CTL" images rm "$TREG/tls/img:1" >/dev/null
printf 'configs:\n  "%s":\n    insecure: true\n' "$TREG" >"$tmp/tls-insecure.yaml"
run_capture out rc "$CTL" images pull --registry-config "$tmp/tls-insecure.yaml" "$TREG/tls/img:1"
check "insecure: true skips verification" test "$rc" = 0
"$CTL" images rm "$TREG/tls/img:1" >/dev/null

# --- a tampered blob in the registry ---
victim_layer=$(jq -r '.layers[1].digest' "$tmp/oci/blobs/sha256/$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="victim") | .digest' "$tmp/oci/index.json" | cut -d: -f2)")
data=$(registry_data_dir "$REG")/docker/registry/v2/blobs/sha256/${victim_layer:7:2}/${victim_layer:7}/data
check "the victim blob is in the registry" test -f "$data"
printf 'tampered' | dd of="$data" bs=1 seek=100 conv=notrunc status=none
run_capture out rc "$CTL" images pull "$REG/test/img:victim"
check "a tampered blob fails the pull" test "$rc" != 0
check "... with a digest error naming the blob" grep -q "digest mismatch.*${victim_layer:7:12}\|${victim_layer:7:12}.*digest mismatch" <<<"$out"
check "nothing of the tampered blob is kept" test ! -e "$tmp/root/images/blobs/sha256/${victim_layer:7}"
check "no partial download is left" test -z "$(ls "$tmp/root/images/ingest")"

# --- mirrors: docker.io served by the local registry, nothing leaves loopback ---
registry_push "$tmp/oci" app "$REG/library/mirrored:1.0"
printf 'mirrors:\n  docker.io:\n    endpoint: ["http://127.0.0.1:1", "http://%s"]\n' "$REG" >"$tmp/registries.yaml"
run_capture out rc "$CTL" images pull --registry-config "$tmp/registries.yaml" mirrored:1.0
check "a docker.io image comes from the mirror (first mirror down)" test "$rc" = 0
run_capture out rc "$CTL" images ls
check "it is named as docker.io" grep -q "^docker.io/library/mirrored *1.0" <<<"$out"

# --- containers run from the image's config ---
cat >"$tmp/pod.json" <<J
{"metadata": {"name": "img", "uid": "u-img", "namespace": "default"}, "hostname": "img",
 "log_directory": "$tmp/logs", "linux": {"cgroup_parent": "$cgparent/podimg"}}
J
mkdir -p "$tmp/logs"
cat >"$tmp/ctr.json" <<J
{"metadata": {"name": "app"}, "image": {"image": "$REG/test/img:app"}, "log_path": "app.log",
 "envs": [{"key": "OTHER", "value": "x"}]}
J
sid=$("$CTL" runp "$tmp/pod.json")
cid=$("$CTL" create "$sid" "$tmp/ctr.json" "$tmp/pod.json")
check "a container is created from the pulled image" test -n "$cid"
"$CTL" start "$cid" >/dev/null
for i in $(seq 50); do "$CTL" inspect "$cid" | grep -q CONTAINER_EXITED && break; sleep 0.1; done
run_capture out rc "$CTL" logs "$cid"
check "Entrypoint+Cmd, User, WorkingDir and Env come from the image" \
        contains "$out" "user=1000 cwd=/home/app greet=hello-from-image"
check "layers stack (the top layer's file is visible)" contains "$out" "tag=app compression=gzip"
check "the top layer's whiteout hides the base layer's file" grep -qx 0 <<<"$out"
run_capture out rc "$CTL" inspect "$cid"
check "the container reports the image id as image_ref" contains "$out" "\"image_ref\": \"$app_id\""
cat >"$tmp/ctr-sig.json" <<J
{"metadata": {"name": "sig"}, "image": {"image": "$REG/test/img:app"}, "log_path": "sig.log",
 "command": ["sh", "-c", "trap 'echo got-usr1; exit 0' USR1; echo ready; while :; do sleep 0.1; done"]}
J
sig=$("$CTL" create "$sid" "$tmp/ctr-sig.json" "$tmp/pod.json")
"$CTL" start "$sig" >/dev/null
for i in $(seq 50); do "$CTL" logs "$sig" 2>/dev/null | grep -q ready && break; sleep 0.1; done
"$CTL" stop -t 10 "$sig" >/dev/null
run_capture out rc "$CTL" logs "$sig"
check "stop sends the image's StopSignal (SIGUSR1)" contains "$out" "got-usr1"
"$CTL" rm "$sig" >/dev/null
run_capture out rc "$CTL" images rm "$REG/test/img:app"
check "removing an image in use is refused" test "$rc" != 0
check "... naming the container" contains "$out" "in use by container ${cid:0:12}"
"$CTL" rm "$cid" >/dev/null
run_capture out rc "$CTL" images rm "$REG/test/img:app"
check "once unused, the image is removed" test "$rc" = 0
run_capture out rc "$CTL" images inspect "$REG/test/img:app"
check "... and is gone" test "$rc" != 0
"$CTL" rmp "$sid" >/dev/null

# --- imports ---
run_capture out rc "$CTL" images import "$tmp/oci"
check "importing an OCI layout directory succeeds" test "$rc" = 0
check "it imports all four images" test "$(grep -c '^Imported sha256:' <<<"$out")" = 4
timeout 120 skopeo copy -q "oci:$tmp/oci:plain" "docker-archive:$tmp/saved.tar:saved/img:v1" >/dev/null 2>&1
run_capture out rc "$CTL" images import "$tmp/saved.tar"
check "importing a docker save archive succeeds" test "$rc" = 0
run_capture out rc "$CTL" images ls
check "the archive's RepoTags name it" grep -q "^docker.io/saved/img *v1" <<<"$out"
tar -C "$tmp/oci" -cf "$tmp/oci.tar" .
run_capture out rc "$CTL" images import "$tmp/oci.tar" --name example.test/renamed
check "importing an OCI archive succeeds" test "$rc" = 0
run_capture out rc "$CTL" images ls
check "--name gives the layout's bare tags a repository" \
        test "$(grep -cE '^example.test/renamed +(app|zstd|plain|victim) ' <<<"$out")" = 4
run_capture out rc "$CTL" images import "$tmp/nonexistent.tar"
check "a missing file is a clear error" contains "$out" "nonexistent.tar"

# --- the example pods' image, built locally and imported once ---
run_capture out rc scripts/example-images --root-dir "$DECKHAND_ROOT_DIR"
check "example-images imports deckhand.local/busybox:1.35" contains "$out" "imported deckhand.local/busybox:1.35"
run_capture out rc scripts/example-images --root-dir "$DECKHAND_ROOT_DIR"
check "example-images is idempotent" contains "$out" "is present"
run_capture out rc "$CTL" images ls
check "it is tagged 1.35" grep -q "^deckhand.local/busybox *1.35 " <<<"$out"

# --- garbage collection: unused images go, the one a container uses stays ---
cat >"$tmp/ctr2.json" <<J
{"metadata": {"name": "keep"}, "image": {"image": "saved/img:v1"}, "command": ["true"], "log_path": "keep.log"}
J
sid=$("$CTL" runp "$tmp/pod.json")
cid=$("$CTL" create "$sid" "$tmp/ctr2.json" "$tmp/pod.json")
check "a container uses the imported image" test -n "$cid"
n_before=$("$CTL" images ls -q | wc -l)
run_capture out rc "$CTL" images gc --high 1 --low 0 --min-age 0s
check "gc runs" test "$rc" = 0
check "gc deletes the unused images" test "$(grep -c '^Deleted: ' <<<"$out")" = "$((n_before - 1))"
run_capture out rc "$CTL" images ls
check "the image in use survives gc" grep -q "^docker.io/saved/img *v1" <<<"$out"
check "only it survives" test "$("$CTL" images ls -q | wc -l)" = 1
run_capture out rc "$CTL" images gc --high 90 --low 95
check "gc validates thresholds as the kubelet does" test "$rc" != 0
"$CTL" rm "$cid" >/dev/null
"$CTL" rmp "$sid" >/dev/null

# --- prune ---
run_capture out rc "$CTL" images prune
check "prune succeeds" test "$rc" = 0
run_capture out rc "$CTL" images ls -q
check "prune removed every unused image" test -z "$out"
check "prune removed every layer" test -z "$(ls "$tmp/root/images/layers" | grep '^[0-9a-f]')"
check "prune removed every blob" test -z "$(ls "$tmp/root/images/blobs/sha256")"

finish
