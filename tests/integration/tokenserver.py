#!/usr/bin/env python3
"""A tiny Bearer token server for tests/integration/registry.sh (stdlib only).

    tokenserver.py KEY.pem CERT.pem ISSUER PORTFILE LOGFILE [USER:PASS]

Listens on 127.0.0.1 (a free port, written to PORTFILE) and answers
GET /token?service=S&scope=repository:NAME:ACTIONS with {"token": JWT}:
an RS256 JWT signed by `openssl dgst -sha256 -sign KEY.pem`, whose header
carries CERT.pem as "x5c" (the registry trusts it via rootcertbundle).
With USER:PASS, requests without those Basic credentials get 401. Each
request is logged to LOGFILE as "scope=... auth=basic|none status=N".
"""
import base64, json, subprocess, sys, time, uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs

key, cert, issuer, portfile, logfile = sys.argv[1:6]
creds = sys.argv[6] if len(sys.argv) > 6 else None


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cert_der_b64():
    pem = open(cert).read()
    body = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
    return body  # x5c is standard base64 of the DER, i.e. the PEM body


def make_token(service, scopes):
    access = []
    for s in scopes:
        parts = s.split(":")
        if len(parts) >= 3 and parts[0] == "repository":
            access.append({"type": "repository", "name": ":".join(parts[1:-1]),
                           "actions": parts[-1].split(",")})
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [cert_der_b64()]}
    claims = {"iss": issuer, "sub": "deckhand-test", "aud": service, "exp": now + 600,
              "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode())).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input,
                         capture_output=True, check=True).stdout
    return signing_input.decode() + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, status, body, scope, auth):
        with open(logfile, "a") as f:
            f.write("scope=%s auth=%s status=%d\n" % (",".join(scope) or "-", auth, status))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        scope = q.get("scope", [])
        hdr = self.headers.get("Authorization", "")
        auth = "none"
        if hdr.startswith("Basic "):
            auth = "basic"
            given = base64.b64decode(hdr[6:]).decode(errors="replace")
            if creds and given != creds:
                return self.reply(401, {"details": "bad credentials"}, scope, "badbasic")
        if u.path != "/token":
            return self.reply(404, {}, scope, auth)
        if creds and auth != "basic":
            return self.reply(401, {"details": "credentials required"}, scope, auth)
        token = make_token(q.get("service", [""])[0], scope)
        self.reply(200, {"token": token, "expires_in": 600}, scope, auth)


srv = HTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
