#!/bin/bash
# Installs every build and test dependency with apt-get, then builds
# deckhand's libcurl (scripts/build-curl). Idempotent and quick when
# everything is present: apt-get runs only for missing packages, and curl
# is built only when its cached build is missing.
set -eu
PKGS=(
        gcc make pkg-config
        libjansson-dev libyaml-dev libssl-dev libseccomp-dev
        cmake libnghttp2-dev libc-ares-dev   # scripts/build-curl: libcurl built lean (HTTP/2, c-ares)
        libprotobuf-c-dev          # grpc probes (probes/grpc-health.pb-c.c is generated and committed)
        # The healthz server (lib/httpserver.c), later the kubelet API (TLS,
        # websockets for exec/attach): libwebsockets, not libmicrohttpd, whose
        # Debian build initialises GnuTLS in its constructor (~1.5 MB RSS for
        # plain HTTP). Debian's lws has no external-poll callbacks, so it runs
        # on a libuv loop embedded in ours: libuv1-dev, and the lws plugin
        # that it dlopens at run time (libwebsockets-evlib-uv).
        libwebsockets-dev libuv1-dev libwebsockets-evlib-uv
        zlib1g-dev libzstd-dev     # gzip and zstd image layers
        docker-registry apache2-utils skopeo umoci   # image tests: a real registry, htpasswd; bench baseline
        clang libclang-rt-14-dev   # libFuzzer builds (make fuzz)
        busybox-static             # rootfs content for runtime tests and examples
        jq tar gzip                # scripts/build-test-image and the import tests
        iproute2 util-linux bsdutils procps   # bsdutils: script(1) gives tests a pty
)
# The grpc probe tests talk to a real gRPC server: grpcio and its standard
# health servicer (tests/integration/grpchealth.py), from PyPI.
if ! python3 -c 'import grpc, grpc_health.v1.health' 2>/dev/null; then
        echo "deps: installing grpcio grpcio-health-checking (pip)"
        python3 -m pip install --quiet --root-user-action=ignore grpcio grpcio-health-checking
fi
missing=()
for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
        echo "deps: all ${#PKGS[@]} packages present"
else
        SUDO=
        [ "$(id -u)" -eq 0 ] || SUDO=sudo
        echo "deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        echo "deps: done"
fi
# deckhand's libcurl: curl's release source through the Go module proxy,
# built once into ~/.cache/deckhand (see the script for why).
curl_prefix=$(scripts/build-curl)
echo "deps: libcurl in $curl_prefix"
