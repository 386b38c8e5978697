#!/usr/bin/python3
"""tests/httpd.py - a small HTTP(S) server for the end-to-end tests.

Listens on 127.0.0.1 only (port 0: the kernel picks one, written to
--port-file when ready).  With --cert/--key it speaks TLS.  Every request is
appended to --log as one JSON line: method, path, status answered (GET),
headers, body (text), so a test can check what vmrecon sent, server side.

GET /files/NAME      NAME from --dir, with a strong ETag (sha256 of the
                     bytes) and 304 on a matching If-None-Match
GET /status/CODE     an empty answer with that status
GET /slow/SECONDS    answers after SECONDS
GET /big/BYTES       BYTES of YAML comment, streamed without Content-Length
GET /redirect?to=URL 302 to URL
POST /hook           200 (records the body)
POST /status/CODE    that status
POST /hang           never answers (until the server stops)
POST anything else   201 (commit-status APIs)
GET .../repos/O/R/commits/SHA/status?page=P&limit=L
                     Gitea's combined status of SHA, built from the
                     statuses POSTed so far to .../repos/O/R/statuses/SHA
                     (the newest per context, "status" for the state)
"""
import argparse
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):  # quiet
        pass

    def record(self, body, status=None):
        entry = {"method": self.command, "path": self.path, "status": status,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": body.decode("utf-8", "replace"),
                 "time": time.time()}
        with LOCK, open(self.server.log, "a") as f:
            f.write(json.dumps(entry) + "\n")

    def answer(self, code, body=b"", headers=()):
        if self.command == "GET":
            self.record(b"", code)
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if code != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and code != 304:
            self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if parts[0] == "files" and len(parts) == 2:
            path = os.path.join(self.server.dir, os.path.basename(parts[1]))
            try:
                data = open(path, "rb").read()
            except OSError:
                return self.answer(404, b"not found\n")
            etag = '"%s"' % sha256(data).hexdigest()[:32]
            if self.headers.get("If-None-Match") == etag:
                return self.answer(304, headers=[("ETag", etag)])
            return self.answer(200, data, [("ETag", etag),
                                           ("Content-Type", "text/yaml")])
        if parts[0] == "status" and len(parts) == 2:
            return self.answer(int(parts[1]), b"error page\n")
        if parts[0] == "slow" and len(parts) == 2:
            self.record(b"", "slow")
            time.sleep(float(parts[1]))
            try:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"apiVersion: vmrecon/v1\n")
            except OSError:
                pass  # the client gave up: what the test wants
            return None
        if parts[0] == "big" and len(parts) == 2:
            n = int(parts[1])
            self.record(b"", 200)
            self.send_response(200)
            self.end_headers()
            chunk = b"#" * 1023 + b"\n"
            try:
                while n > 0:
                    self.wfile.write(chunk[:min(n, len(chunk))])
                    n -= len(chunk)
            except OSError:
                pass  # the client hung up: what the test wants
            return None
        if len(parts) >= 6 and parts[-1] == "status" and \
                parts[-3] == "commits" and "repos" in parts:
            return self.combined(url, parts)
        if parts[0] == "redirect":
            to = urllib.parse.parse_qs(url.query)["to"][0]
            return self.answer(302, b"", [("Location", to)])
        return self.answer(404, b"not found\n")

    def combined(self, url, parts):
        r = parts.index("repos")
        want = "/".join(parts[r:r + 3]) + "/statuses/" + parts[-2]
        latest = {}
        with LOCK, open(self.server.log) as f:
            for line in f:
                e = json.loads(line)
                if e["method"] != "POST" or \
                        not e["path"].split("?")[0].endswith(want):
                    continue
                b = json.loads(e["body"])
                latest[b.get("context")] = {
                    "status": b.get("state"), "context": b.get("context"),
                    "description": b.get("description"),
                    "updated_at": time.strftime(
                        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(e["time"]))}
        q = urllib.parse.parse_qs(url.query)
        page = int(q.get("page", ["1"])[0])
        limit = int(q.get("limit", ["50"])[0])
        items = sorted(latest.values(), key=lambda x: x["context"])
        doc = {"sha": parts[-2], "total_count": len(items),
               "state": "success" if items and all(
                   x["status"] == "success" for x in items) else "pending",
               "statuses": items[(page - 1) * limit:page * limit]}
        return self.answer(200, json.dumps(doc).encode(),
                           [("Content-Type", "application/json")])

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(n, 1 << 20))
        self.record(body)
        parts = self.path.strip("/").split("/")
        if parts[0] == "hang":
            self.server.stopping.wait(60)
            return None
        if parts[0] == "status" and len(parts) == 2:
            return self.answer(int(parts[1]), b"{}")
        if parts[0] == "hook":
            return self.answer(200, b"{}")
        return self.answer(201, b"{}", [("Content-Type",
                                         "application/json")])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=".")
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.dir, srv.log = a.dir, a.log
    srv.stopping = threading.Event()
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stopping.set()
    return 0


if __name__ == "__main__":
    sys.exit(main())
