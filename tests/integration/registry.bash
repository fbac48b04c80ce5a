# A real registry for integration tests (sourced): Debian's docker-registry
# (distribution v2) on 127.0.0.1, storage in a temp dir, optionally behind
# htpasswd basic auth. Nothing here reaches beyond loopback.
#
#   registry_start VAR [USER:PASS]   starts one; VAR gets "127.0.0.1:PORT"
#   registry_start_token VAR DATADIR REALM SERVICE ISSUER CERT
#                                    one with Bearer token auth, serving the
#                                    storage DATADIR of another registry
#   registry_start_tls VAR CERT KEY  one serving HTTPS with this certificate
#   registry_push LAYOUT TAG HOSTPORT/NAME:TAG [USER:PASS]
#   registry_stop_all                stops every registry started here
REGISTRY_PIDS=()
REGISTRY_DIRS=()

# A free loopback port (bind-and-release; racy in theory, fine for tests).
registry_free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

registry_start() {
        local __var=$1 creds=${2:-} dir port auth="" data tls="" scheme=http
        dir=$(mktemp -d /tmp/deckhand-registry.XXXXXX)
        if [ -n "${DH_REGISTRY_TLS_CERT:-}" ]; then
                tls="  tls:
    certificate: $DH_REGISTRY_TLS_CERT
    key: $DH_REGISTRY_TLS_KEY"
                scheme=https
        fi
        data=${DH_REGISTRY_DATA_DIR:-$dir/data}
        port=$(registry_free_port)
        if [ -n "${DH_REGISTRY_AUTH_YAML:-}" ]; then
                auth=$DH_REGISTRY_AUTH_YAML
        elif [ -n "$creds" ]; then
                htpasswd -Bbc "$dir/htpasswd" "${creds%%:*}" "${creds#*:}" 2>/dev/null
                auth="auth:
  htpasswd:
    realm: deckhand-test
    path: $dir/htpasswd"
        fi
        cat >"$dir/config.yml" <<CFG
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$tls
$auth
CFG
        setsid docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
        REGISTRY_PIDS+=($!)
        REGISTRY_DIRS+=("$dir")
        local i
        for i in $(seq 1 100); do
                curl -sk -o /dev/null "$scheme://127.0.0.1:$port/v2/" && break
                sleep 0.05
        done
        curl -sk -o /dev/null "$scheme://127.0.0.1:$port/v2/" || {
                echo "registry_start: docker-registry did not come up:" >&2
                cat "$dir/log" >&2
                return 1
        }
        printf -v "$__var" '%s' "127.0.0.1:$port"
}

registry_start_tls() {
        DH_REGISTRY_TLS_CERT=$2 DH_REGISTRY_TLS_KEY=$3 registry_start "$1"
}

registry_start_token() {
        DH_REGISTRY_DATA_DIR=$2 DH_REGISTRY_AUTH_YAML="auth:
  token:
    realm: $3
    service: $4
    issuer: $5
    rootcertbundle: $6" registry_start "$1"
}

# How many blob GETs the registry at HOSTPORT has served (from its access
# log), to show what a pull downloaded.
registry_blob_gets() {
        local i port=${1##*:}
        for i in "${!REGISTRY_DIRS[@]}"; do
                grep -q "127.0.0.1:$port\$" "${REGISTRY_DIRS[$i]}/config.yml" || continue
                grep -c '"GET /v2/[^ ]*/blobs/sha256:' "${REGISTRY_DIRS[$i]}/log"
                return 0
        done
        return 1
}

# The registry's storage directory for HOSTPORT (to tamper with blobs).
registry_data_dir() {
        local i port=${1##*:}
        for i in "${!REGISTRY_DIRS[@]}"; do
                grep -q "127.0.0.1:$port\$" "${REGISTRY_DIRS[$i]}/config.yml" &&
                        { sed -n 's/^ *rootdirectory: //p' "${REGISTRY_DIRS[$i]}/config.yml"; return 0; }
        done
        return 1
}

registry_push() {
        local layout=$1 tag=$2 dest=$3 creds=${4:-}
        local a=()
        [ -n "$creds" ] && a=(--dest-creds "$creds")
        timeout 120 skopeo copy -q --dest-tls-verify=false "${a[@]}" \
                "oci:$layout:$tag" "docker://$dest" >/dev/null
}

registry_stop_all() {
        local p d
        for p in "${REGISTRY_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
        for p in "${REGISTRY_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
        for d in "${REGISTRY_DIRS[@]}"; do rm -rf "$d"; done
        REGISTRY_PIDS=() REGISTRY_DIRS=()
}
