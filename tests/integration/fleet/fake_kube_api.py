#!/usr/bin/env python3
"""A small fake Kubernetes API server for the `faultline ctl --k8s` tests.

Serves what `ctl --k8s` uses, behind the real `kubectl proxy`:
  GET /api/v1/namespaces/NS/pods?labelSelector=SEL   a PodList of the pods in PODS_JSON whose
                                                     namespace and labels match
  ANY /api/v1/namespaces/NS/pods/NAME:PORT/proxy/... forwarded to 127.0.0.1:PORT (the pod's
                                                     admin API), like the real pod proxy: the
                                                     path is percent-decoded, Authorization
                                                     (the API server's own login) is dropped,
                                                     an unreachable pod is a 503.
It serves plain HTTP, so kubectl proxy sends it no credentials (client-go sends them over TLS
only); an Authorization header a client sent is dropped before the pod all the same.

Usage: fake_kube_api.py PODS_JSON PORT_FILE [LOG_FILE]
PODS_JSON holds a JSON list of v1 Pod objects; the listening port is written to PORT_FILE;
each forwarded request's method, path and header names are appended to LOG_FILE.
"""
import http.client
import json
import re
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PODS = json.load(open(sys.argv[1]))
LOG = sys.argv[3] if len(sys.argv) > 3 else None
LOG_LOCK = threading.Lock()
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
              "te", "trailer", "host", "authorization", "content-length"}
POD_LIST = re.compile(r"^/api/v1/namespaces/([^/]+)/pods$")
POD_PROXY = re.compile(r"^/api/v1/namespaces/([^/]+)/pods/([^/:]+):(\d+)/proxy(/.*)?$")


def selector_matches(selector, labels):
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def status_error(self, code, message):
        self.reply(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                          "message": message, "code": code})

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        listing = POD_LIST.match(path)
        if listing and self.command == "GET":
            selector = urllib.parse.parse_qs(url.query).get("labelSelector", [""])[0]
            items = [p for p in PODS
                     if p["metadata"].get("namespace", "default") == listing.group(1)
                     and selector_matches(selector, p["metadata"].get("labels", {}))]
            return self.reply(200, {"kind": "PodList", "apiVersion": "v1",
                                    "metadata": {"resourceVersion": "1"}, "items": items})
        proxied = POD_PROXY.match(path)
        if not proxied:
            return self.status_error(404, "the server could not find the requested resource")
        namespace, name, port, rest = proxied.groups()
        if not any(p["metadata"]["name"] == name and
                   p["metadata"].get("namespace", "default") == namespace for p in PODS):
            return self.status_error(404, 'pods "%s" not found' % name)
        target = urllib.parse.quote(rest or "/") + ("?" + url.query if url.query else "")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if LOG:
            with LOG_LOCK, open(LOG, "a") as log:
                log.write("%s %s %s %s\n" % (name, self.command, target,
                                             ",".join(sorted(k.lower() for k in headers))))
        try:
            upstream = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
            upstream.request(self.command, target, body=body or None, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            upstream.close()
        except OSError as error:
            return self.status_error(503, "error trying to reach service: %s" % error)
        self.reply(answer.status, data, answer.getheader("Content-Type", "text/plain"))

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    server.serve_forever()


if __name__ == "__main__":
    main()
