#!/usr/bin/python3
"""A gRPC upstream for the HTTP/2 integration tests (Debian python3-grpcio, generic handlers,
raw bytes, no code generation). Prints "PORT <n>" once serving on 127.0.0.1, then serves until
stdin closes or it is killed. Also prints "DUAL <n>": a port that speaks both versions, as a
service behind faultline's one-port listener would: connections opening with the HTTP/2
preface are relayed to the gRPC server, HTTP/1.1 requests get "200 http1 ok" (the request's
Upgrade header, if any, is echoed in x-saw-upgrade).

Methods (service test.Echo):
  Unary:  returns the request bytes unchanged; initial metadata x-seen lists the x-* metadata
          keys of the request (or "none").
  Stream: request = b"<count>:<size>"; returns <count> messages of <size> bytes, message i
          filled with the byte (i % 251).
  Slow:   request = b"<ms>"; sleeps that long, then returns b"slow".

With arguments `--tls CERT KEY` the gRPC port serves TLS (ALPN h2) with that certificate,
and DUAL names the same port (a TLS upstream has no h2c/HTTP/1.1 dual port).
"""
import socket
import sys
import threading
import time
from concurrent import futures

import grpc


def unary(request, context):
    # Which x-* metadata arrived (tests check what the proxy stripped), as initial metadata.
    seen = sorted(k for k, _ in context.invocation_metadata() if k.startswith("x-"))
    context.send_initial_metadata((("x-seen", ",".join(seen) or "none"),))
    context.set_trailing_metadata((("x-trailer", "unary"),))
    return request


def stream(request, context):
    count, size = (int(x) for x in request.decode().split(":"))
    context.set_trailing_metadata((("x-trailer", "stream"),))
    for i in range(count):
        yield bytes([i % 251]) * size


def slow(request, context):
    time.sleep(int(request.decode()) / 1000.0)
    return b"slow"


def identity(b):
    return b


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve_dual_connection(conn, grpc_port):
    first = b""
    while len(first) < 3:
        chunk = conn.recv(3 - len(first), 0)
        if not chunk:
            conn.close()
            return
        first += chunk
    if first == b"PRI":
        up = socket.create_connection(("127.0.0.1", grpc_port))
        up.sendall(first)
        threading.Thread(target=pipe, args=(up, conn), daemon=True).start()
        pipe(conn, up)
        return
    data = first
    while True:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                conn.close()
                return
            data += chunk
        head, _, data = data.partition(b"\r\n\r\n")
        upgrade = b""
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"upgrade":
                upgrade = value.strip()
        body = b"http1 ok"
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\nx-saw-upgrade: %s\r\n\r\n%s"
                     % (len(body), upgrade or b"none", body))


def serve_dual(listener, grpc_port):
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve_dual_connection, args=(conn, grpc_port),
                         daemon=True).start()


def main():
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary, identity, identity),
        "Stream": grpc.unary_stream_rpc_method_handler(stream, identity, identity),
        "Slow": grpc.unary_unary_rpc_method_handler(slow, identity, identity),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("test.Echo", handlers),))
    tls = len(sys.argv) == 4 and sys.argv[1] == "--tls"
    if tls:
        with open(sys.argv[2], "rb") as c, open(sys.argv[3], "rb") as k:
            creds = grpc.ssl_server_credentials(((k.read(), c.read()),))
        port = server.add_secure_port("127.0.0.1:0", creds)
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    dual_port = port
    if not tls:
        dual = socket.socket()
        dual.bind(("127.0.0.1", 0))
        dual.listen(64)
        threading.Thread(target=serve_dual, args=(dual, port), daemon=True).start()
        dual_port = dual.getsockname()[1]
    print("PORT %d" % port, flush=True)
    print("DUAL %d" % dual_port, flush=True)
    done = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    done.wait()
    server.stop(0)


if __name__ == "__main__":
    main()
