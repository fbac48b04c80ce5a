#!/usr/bin/env python3
"""A real gRPC server for the grpc probe tests (grpcio and its standard
grpc.health.v1 servicer), on 127.0.0.1.

  grpchealth.py --port-file F [--port N] [--control C] [--mode M] [--lifetime S]

Modes:
  health    the Health service; statuses come from the control file, read
            again on every Check: one line per service, "<service> <what>"
            with "-" for the server as a whole (the empty service name),
            <what> one of SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN,
            abort:<CODE>:<message> (the RPC fails with that status code) or
            sleep:<seconds> (answers SERVING that late). A service the file
            does not name is unknown to the servicer (NOT_FOUND).
  nohealth  a gRPC server without the Health service (UNIMPLEMENTED).
  silent    accepts TCP connections and never says a word.
  http1     a plain HTTP/1.1 server answering 200 "hello".

Each Check writes what the client sent beside the control file, in
<control>.seen: "user-agent <value>" and "deadline <seconds left>" (from
grpc-timeout; "none" without one).

The port (kernel-chosen unless --port) is written to the port file once the
server listens. The server stops by itself after --lifetime seconds
(default 300), or on SIGTERM/SIGINT.
"""
import argparse
import http.server
import os
import signal
import socket
import sys
import threading
import time


def write_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, path)


def read_control(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split(None, 1)
                if len(parts) == 2:
                    out["" if parts[0] == "-" else parts[0]] = parts[1].strip()
    except FileNotFoundError:
        pass
    return out


def record(path, context):
    md = dict(context.invocation_metadata())
    left = context.time_remaining()
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("user-agent %s\n" % md.get("user-agent", ""))
        f.write("deadline %s\n" % ("none" if left is None else "%.3f" % left))
    os.rename(tmp, path)


def grpc_server(args, with_health):
    from concurrent import futures

    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    class ControlledHealth(health.HealthServicer):
        def Check(self, request, context):
            record(args.control + ".seen", context)
            what = read_control(args.control).get(request.service)
            if what is None:
                context.set_code(grpc.StatusCode.NOT_FOUND)
                context.set_details("unknown service")
                return health_pb2.HealthCheckResponse()
            if what.startswith("abort:"):
                _, code, msg = what.split(":", 2)
                context.abort(getattr(grpc.StatusCode, code), msg)
            if what.startswith("sleep:"):
                time.sleep(float(what.split(":", 1)[1]))
                what = "SERVING"
            status = health_pb2.HealthCheckResponse.ServingStatus.Value(what)
            return health_pb2.HealthCheckResponse(status=status)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    if with_health:
        health_pb2_grpc.add_HealthServicer_to_server(ControlledHealth(), server)
    port = server.add_insecure_port("127.0.0.1:%d" % args.port)
    server.start()
    return port, lambda: server.stop(0)


def silent_server(args):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.port))
    lsock.listen(64)
    held = []

    def accept_forever():
        while True:
            try:
                conn, _ = lsock.accept()
            except OSError:
                return
            held.append(conn)  # kept open, never read nor written
            del held[:-64]

    threading.Thread(target=accept_forever, daemon=True).start()
    return lsock.getsockname()[1], lsock.close


def http1_server(args):
    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello")

        do_POST = do_GET

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Hello)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1], srv.shutdown


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--control", default="/dev/null")
    ap.add_argument("--mode", default="health", choices=["health", "nohealth", "silent", "http1"])
    ap.add_argument("--lifetime", type=float, default=300)
    args = ap.parse_args()

    stop_event = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop_event.set())
    signal.signal(signal.SIGINT, lambda *a: stop_event.set())
    if args.mode in ("health", "nohealth"):
        port, stop = grpc_server(args, args.mode == "health")
    elif args.mode == "silent":
        port, stop = silent_server(args)
    else:
        port, stop = http1_server(args)
    write_port(args.port_file, port)
    stop_event.wait(args.lifetime)
    stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
