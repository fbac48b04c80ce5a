#!/usr/bin/env python3
"""A read-only registry (distribution API v2, just enough to pull) serving
one OCI layout on 127.0.0.1 that sends big blobs slowly, so a transfer
takes a few seconds and progress callbacks (at most one a second) are sure
to run. For tests/integration/pulls.sh.

    slowregistry.py LAYOUT PORTFILE [SECONDS]

Every tag of the layout is served under any repository name; blobs over
512 KiB are sent in 32 chunks spread over SECONDS (default 2.5). Writes
the port to PORTFILE once listening."""
import json
import os
import re
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

layout, portfile = sys.argv[1], sys.argv[2]
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 2.5
index = json.load(open(os.path.join(layout, "index.json")))
tags = {m.get("annotations", {}).get("org.opencontainers.image.ref.name"): m for m in index["manifests"]}
media = {m["digest"]: m["mediaType"] for m in index["manifests"]}


def blob_path(digest):
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        return None
    p = os.path.join(layout, "blobs", "sha256", digest[7:])
    return p if os.path.isfile(p) else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", ctype="application/json", digest=None, slow=False):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if digest:
            self.send_header("Docker-Content-Digest", digest)
        self.end_headers()
        if self.command == "HEAD":
            return
        if not slow:
            self.wfile.write(body)
            return
        step = (len(body) + 31) // 32
        for i in range(0, len(body), step):
            self.wfile.write(body[i:i + step])
            self.wfile.flush()
            time.sleep(seconds / 32)

    def do_GET(self):
        if self.path == "/v2/":
            return self.reply(200, b"{}")
        m = re.fullmatch(r"/v2/.+/(manifests|blobs)/([^/]+)", self.path)
        if not m:
            return self.reply(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"unknown"}]}')
        kind, ref = m.groups()
        if kind == "manifests" and ref in tags:
            ref = tags[ref]["digest"]
        p = blob_path(ref)
        if not p:
            code = "MANIFEST_UNKNOWN" if kind == "manifests" else "BLOB_UNKNOWN"
            return self.reply(404, json.dumps({"errors": [{"code": code, "message": "unknown"}]}).encode())
        body = open(p, "rb").read()
        if kind == "manifests":
            ctype = media.get(ref) or json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
            return self.reply(200, body, ctype, ref)
        return self.reply(200, body, "application/octet-stream", ref, slow=len(body) > 512 * 1024)

    do_HEAD = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that went away mid-blob is not news


srv = Server(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
