#!/usr/bin/python3
"""gRPC client for the HTTP/2 integration tests. Prints one JSON object per command.

  grpc_client.py [--tls CA_FILE SERVER_NAME] TARGET COMMAND ...
      --tls: a TLS channel (ALPN h2) that trusts CA_FILE and asks for, and verifies,
      SERVER_NAME (sent as SNI); without it, h2c.

  grpc_client.py TARGET unary HEXBYTES [metadata k=v ...]
      -> {"code": "OK", "details": ..., "response": hex, "trailers": {...}, "initial": {...}}
  grpc_client.py TARGET echo SIZE [k=v ...]
      -> {"code": ..., "same": true when the response equals the SIZE-byte request,
          "size": len(response), "trailers": {...}}  (payloads too large for argv)
  grpc_client.py TARGET stream COUNT SIZE [k=v ...]
      -> {"code": ..., "messages": [sha256 hex of each], "sizes": [...], "trailers": {...}}
  grpc_client.py TARGET slow MS [k=v ...]
      -> {"code": ..., "details": ..., "ms": elapsed}  (the upstream answers after MS)
  grpc_client.py TARGET open [k=v ...]
      -> {"code": ..., "details": ..., "ms": elapsed}: a client-streaming call that sends one
         message and keeps its request open (up to 10 s) until the call ends
  grpc_client.py TARGET tally N [k=v ...]
      -> {"codes": {"OK": n, "UNAVAILABLE": m, ...}}   (N sequential unary calls, one channel)
  grpc_client.py TARGET race SLOW_MS [k=v ...]
      -> {"fast_ms": t, "slow_ms": t, "fast_code": c, "slow_code": c}: a call with the given
         metadata and a plain one started together on one channel.
"""
import hashlib
import json
import sys
import threading
import time

import grpc


def metadata(args):
    out = []
    for a in args:
        k, _, v = a.partition("=")
        out.append((k, v))
    return out


def identity(b):
    return b


def main():
    if sys.argv[1] == "--tls":
        ca, name = sys.argv[2], sys.argv[3]
        del sys.argv[1:4]
        with open(ca, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        channel = grpc.secure_channel(sys.argv[1], creds,
                                      options=(("grpc.ssl_target_name_override", name),))
    else:
        channel = grpc.insecure_channel(sys.argv[1])
    cmd = sys.argv[2]
    unary = channel.unary_unary("/test.Echo/Unary", request_serializer=identity,
                                response_deserializer=identity)
    streaming = channel.unary_stream("/test.Echo/Stream", request_serializer=identity,
                                     response_deserializer=identity)
    slow = channel.unary_unary("/test.Echo/Slow", request_serializer=identity,
                               response_deserializer=identity)
    out = {}
    if cmd == "unary":
        payload = bytes.fromhex(sys.argv[3])
        try:
            resp, call = unary.with_call(payload, metadata=metadata(sys.argv[4:]), timeout=20)
            out = {"code": call.code().name, "details": call.details() or "",
                   "response": resp.hex(), "trailers": dict(call.trailing_metadata()),
                   "initial": dict(call.initial_metadata())}
        except grpc.RpcError as e:
            out = {"code": e.code().name, "details": e.details() or "",
                   "trailers": dict(e.trailing_metadata() or ()),
                   "initial": dict(e.initial_metadata() or ())}
    elif cmd == "echo":
        size = int(sys.argv[3])
        payload = hashlib.shake_256(b"faultline").digest(size)
        try:
            resp, call = unary.with_call(payload, metadata=metadata(sys.argv[4:]), timeout=30)
            out = {"code": call.code().name, "same": resp == payload, "size": len(resp),
                   "trailers": dict(call.trailing_metadata())}
        except grpc.RpcError as e:
            out = {"code": e.code().name, "details": e.details() or "", "same": False}
    elif cmd == "stream":
        count, size = int(sys.argv[3]), int(sys.argv[4])
        call = streaming(("%d:%d" % (count, size)).encode(), metadata=metadata(sys.argv[5:]),
                         timeout=30)
        messages, sizes = [], []
        try:
            for m in call:
                messages.append(hashlib.sha256(m).hexdigest())
                sizes.append(len(m))
        except grpc.RpcError:
            pass
        out = {"code": call.code().name, "details": call.details() or "", "messages": messages,
               "sizes": sizes, "trailers": dict(call.trailing_metadata() or ())}
    elif cmd == "slow":
        start = time.monotonic()
        try:
            slow(sys.argv[3].encode(), metadata=metadata(sys.argv[4:]), timeout=60)
            out = {"code": "OK", "details": ""}
        except grpc.RpcError as e:
            out = {"code": e.code().name, "details": e.details() or ""}
        out["ms"] = (time.monotonic() - start) * 1000
    elif cmd == "open":
        upload = channel.stream_unary("/test.Echo/Upload", request_serializer=identity,
                                      response_deserializer=identity)
        ended = threading.Event()

        def requests():
            yield b"x"
            ended.wait(10)

        start = time.monotonic()
        future = upload.future(requests(), metadata=metadata(sys.argv[3:]), timeout=20)
        future.add_done_callback(lambda _: ended.set())
        try:
            future.result()
            out = {"code": "OK", "details": ""}
        except grpc.RpcError as e:
            out = {"code": e.code().name, "details": e.details() or ""}
        out["ms"] = (time.monotonic() - start) * 1000
    elif cmd == "tally":
        codes = {}
        for _ in range(int(sys.argv[3])):
            try:
                unary(b"x", metadata=metadata(sys.argv[4:]), timeout=20)
                code = "OK"
            except grpc.RpcError as e:
                code = e.code().name
            codes[code] = codes.get(code, 0) + 1
        out = {"codes": codes}
    elif cmd == "race":
        slow_ms = sys.argv[3]
        grpc.channel_ready_future(channel).result(timeout=10)
        result = {}

        def run(name, md):
            start = time.monotonic()
            try:
                slow(b"0", metadata=md, timeout=30)
                result[name + "_code"] = "OK"
            except grpc.RpcError as e:
                result[name + "_code"] = e.code().name
            result[name + "_ms"] = (time.monotonic() - start) * 1000

        t1 = threading.Thread(target=run, args=("slow", metadata(sys.argv[4:])))
        t1.start()
        time.sleep(0.05)
        run("fast", [])
        t1.join()
        out = result
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
