#!/bin/bash
# The registry client (cri/image/registry.h) against the real Debian
# docker-registry on 127.0.0.1, driven through build/tests/regclient:
# anonymous pulls, htpasswd Basic auth (right, wrong and no credentials),
# Bearer tokens from a local token server, a tampered blob, an unknown
# tag, concurrent blobs, a mirror list whose first mirror is down, and a
# multi-platform index. Ends with "registry.sh: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/integration/common.bash
source tests/integration/registry.bash
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
RC=$BUILD_DIR/tests/regclient

for tool in docker-registry skopeo htpasswd openssl python3 "$RC"; do
        if ! command -v "$tool" >/dev/null; then
                echo "registry.sh: $tool is missing (make deps; make test builds regclient)"
                echo "registry.sh: 0 passed, 1 failed"
                exit 1
        fi
done
tmp=$(mktemp -d /tmp/deckhand-regtest.XXXXXX) || exit 1
TOKEN_PID=
cleanup() {
        [ -n "$TOKEN_PID" ] && kill "$TOKEN_PID" 2>/dev/null && wait "$TOKEN_PID" 2>/dev/null
        registry_stop_all
        rm -rf "$tmp"
}
trap cleanup EXIT

# rc WANT OUT: the last regclient run exited WANT, with no sanitizer report.
OUT= RCODE=
client() { run_capture OUT RCODE "$RC" "$@"; }
ok_run() {
        local what=$1
        if grep -qE "Sanitizer|runtime error:" <<<"$OUT"; then
                fail "$what: sanitizer report"; printf '%s\n' "$OUT" | head -30 >&2; return 1
        fi
        if [ "$RCODE" -ne "$2" ]; then
                fail "$what: exit $RCODE, want $2"; printf '%s\n' "$OUT" | head -20 >&2; return 1
        fi
        return 0
}
expect() { # expect WHAT TEXT: the last output contains TEXT
        if contains "$OUT" "$2"; then pass; else fail "$1: output lacks: $2"; printf '%s\n' "$OUT" | head -20 >&2; fi
}
count_committed() { grep -c '^committed ' <<<"$OUT"; }
# The manifest digest the registry reports for REF (HOST/NAME:TAG).
registry_digest() {
        local host=${1%%/*} rest=${1#*/}
        curl -s -o /dev/null -D - -H "Accept: application/vnd.oci.image.manifest.v1+json" \
                -H "Accept: application/vnd.oci.image.index.v1+json" \
                "http://$host/v2/${rest%:*}/manifests/${rest##*:}" |
                tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

scripts/build-test-image "$tmp/small" >/dev/null || { fail "build-test-image small"; finish; exit 1; }
scripts/build-test-image "$tmp/big" --filler 50 >/dev/null || { fail "build-test-image big"; finish; exit 1; }
registry_start REG || { fail "registry_start"; finish; exit 1; }
check "push small" registry_push "$tmp/small" latest "$REG/test/app:v1"
check "push big" registry_push "$tmp/big" latest "$REG/test/big:v1"

# --- anonymous pull ---
client pull "$REG/test/app:v1" "$tmp/store1"
if ok_run "anonymous pull" 0; then
        pass
        check "anonymous pull: config and 2 layers committed" [ "$(count_committed)" -eq 3 ]
        want=$(registry_digest "$REG/test/app:v1")
        expect "manifest digest is the registry's" "manifest $want application/vnd.oci.image.manifest.v1+json"
        for d in $(sed -n 's/^committed sha256:\([0-9a-f]*\) .*/\1/p' <<<"$OUT"); do
                check "blob $d in the store" test -f "$tmp/store1/blobs/sha256/$d"
        done
fi
DIGEST=$(registry_digest "$REG/test/app:v1")
client manifest "$REG/test/app@$DIGEST"
ok_run "manifest by digest" 0 && expect "manifest by digest" "manifest $DIGEST"

# --- unknown tag ---
client manifest "$REG/test/app:nope"
if ok_run "unknown tag" 1; then
        expect "unknown tag" "error[ENOENT]"
        expect "unknown tag" "/v2/test/app/manifests/nope: 404 Not Found: MANIFEST_UNKNOWN: manifest unknown"
fi

# --- concurrent blobs: the 50 MB layer starts first and finishes last ---
client pull "$REG/test/big:v1" "$tmp/store2"
if ok_run "big pull" 0; then
        sizes=$(sed -n 's/^committed [^ ]* //p' <<<"$OUT" | tr '\n' ' ')
        last=$(sed -n 's/^committed [^ ]* //p' <<<"$OUT" | tail -n 1)
        if [ "$(count_committed)" -eq 4 ] && [ "$last" -gt 50000000 ]; then pass
        else fail "small blobs should complete before the 50 MB one (sizes in completion order: $sizes)"; fi
fi

# --- htpasswd Basic auth ---
registry_start REGB alice:wonderland || fail "registry_start basic"
check "push to basic-auth registry" registry_push "$tmp/small" latest "$REGB/test/app:v1" alice:wonderland
client --user alice:wonderland pull "$REGB/test/app:v1" "$tmp/store3"
ok_run "basic auth, right credentials" 0 && check "basic auth: 3 blobs" [ "$(count_committed)" -eq 3 ]
client --user alice:wrong manifest "$REGB/test/app:v1"
if ok_run "basic auth, wrong credentials" 1; then
        expect "wrong credentials" "error[EACCES]"
        expect "wrong credentials" "401 Unauthorized: authorization failed for registry $REGB"
fi
client manifest "$REGB/test/app:v1"
if ok_run "basic auth, no credentials" 1; then
        expect "no credentials" "error[EACCES]"
        expect "no credentials" "authorization failed for registry $REGB"
fi
printf '{"auths":{"http://%s/v2/":{"auth":"%s"},"%s/other":{"auth":"%s"}}}' "$REGB" \
        "$(printf alice:wonderland | base64)" "$REGB" "$(printf x:y | base64)" >"$tmp/config.json"
client --dockercfg "$tmp/config.json" manifest "$REGB/test/app:v1"
ok_run "credentials from a docker config.json" 0 && pass

# --- Bearer tokens: a token server and a registry with auth: token: ---
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/token.key" -out "$tmp/token.crt" -days 2 \
        -subj /CN=deckhand-token-test >/dev/null 2>&1 || fail "openssl req"
python3 tests/integration/tokenserver.py "$tmp/token.key" "$tmp/token.crt" deckhand-issuer \
        "$tmp/token.port" "$tmp/token.log" bob:builder &
TOKEN_PID=$!
for _ in $(seq 1 100); do [ -s "$tmp/token.port" ] && break; sleep 0.05; done
TPORT=$(cat "$tmp/token.port" 2>/dev/null)
registry_start_token REGT "$(registry_data_dir "$REG")" "http://127.0.0.1:$TPORT/token" \
        deckhand-registry deckhand-issuer "$tmp/token.crt" || fail "registry_start_token"
client --user bob:builder pull "$REGT/test/app:v1" "$tmp/store4"
if ok_run "bearer token pull" 0; then
        check "bearer token pull: 3 blobs" [ "$(count_committed)" -eq 3 ]
        check "token asked with Basic credentials for repository:test/app:pull" \
                grep -q "scope=repository:test/app:pull auth=basic status=200" "$tmp/token.log"
fi
client manifest "$REGT/test/app:v1"
if ok_run "bearer token, no credentials" 1; then
        expect "token refused" "error[EACCES]"
        expect "token refused" "authorization failed for registry $REGT"
fi
client --user bob:wrong manifest "$REGT/test/app:v1"
ok_run "bearer token, wrong credentials" 1 && expect "token, wrong credentials" "authorization failed"

# --- mirrors: the first is a closed loopback port, the second works ---
DEAD1=$(registry_free_port) DEAD2=$(registry_free_port)
cat >"$tmp/registries.yaml" <<CFG
mirrors:
  "127.0.0.1:$DEAD1":
    endpoint: ["http://127.0.0.1:$DEAD2", "http://$REG"]
CFG
client --config "$tmp/registries.yaml" pull "127.0.0.1:$DEAD1/test/app:v1" "$tmp/store5"
ok_run "mirror fallback" 0 && check "mirror fallback: 3 blobs" [ "$(count_committed)" -eq 3 ]
client manifest "127.0.0.1:$DEAD1/test/app:v1"
ok_run "no mirror, registry down" 1 && expect "registry down" "error[ECONNREFUSED]"

# --- a multi-platform index ---
scripts/build-test-image "$tmp/arm" --arch arm64 >/dev/null || fail "build-test-image arm64"
python3 - "$tmp/small" "$tmp/arm" "$tmp/multi" <<'PY' || fail "index layout"
import hashlib, json, os, shutil, sys
a, b, out = sys.argv[1:4]
os.makedirs(out + "/blobs/sha256", exist_ok=True)
entries = []
for src, arch in ((a, "amd64"), (b, "arm64")):
    for f in os.listdir(src + "/blobs/sha256"):
        shutil.copy(src + "/blobs/sha256/" + f, out + "/blobs/sha256/" + f)
    d = json.load(open(src + "/index.json"))["manifests"][0]
    entries.append({"mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"],
                    "platform": {"architecture": arch, "os": "linux"}})
idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": entries}).encode()
h = hashlib.sha256(idx).hexdigest()
open(out + "/blobs/sha256/" + h, "wb").write(idx)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json",
           "digest": "sha256:" + h, "size": len(idx),
           "annotations": {"org.opencontainers.image.ref.name": "multi"}}]}, open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
PY
check "push index" timeout 120 skopeo copy -q --all --dest-tls-verify=false "oci:$tmp/multi:multi" \
        "docker://$REG/test/multi:v1"
client manifest "$REG/test/multi:v1"
if ok_run "index manifest" 0; then
        expect "index manifest" "application/vnd.oci.image.index.v1+json"
        expect "index entries" "linux/amd64"
        expect "index entries" "linux/arm64"
fi
client pull "$REG/test/multi:v1" "$tmp/store6"
ok_run "index pull resolves linux/amd64" 0 && expect "index pull" "manifest $DIGEST"

# --- a tampered blob in the registry's storage (last: it spoils test/app) ---
LAYER=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/blobs/sha256/"+json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:])); print(sorted(m["layers"], key=lambda l: l["size"])[0]["digest"][7:])' "$tmp/small")
DATA=$(registry_data_dir "$REG")/docker/registry/v2/blobs/sha256/${LAYER:0:2}/$LAYER/data
if [ -f "$DATA" ]; then
        size=$(stat -c %s "$DATA")
        head -c "$size" /dev/zero >"$DATA"
        client pull "$REG/test/app:v1" "$tmp/store7"
        if ok_run "tampered blob" 1; then
                expect "tampered blob" "commit sha256:$LAYER"
                expect "tampered blob" "digest mismatch"
                check "tampered blob not in the store" test ! -e "$tmp/store7/blobs/sha256/$LAYER"
        fi
else
        fail "tampered blob: $DATA not found"
fi
finish
