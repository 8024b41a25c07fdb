#!/usr/bin/env python3
"""A recording HTTP proxy between the SDKs and Loupe (stdlib only).

    python3 recording_proxy.py --upstream http://127.0.0.1:PORT --log FILE --port-file FILE

Forwards every request unchanged and appends one JSON line per exchange to --log:
{method, path, status, request content type/encoding, request bytes, sdk headers, response body
(for non-2xx answers and for ingestion/score answers, which carry per-item errors)}. The
scenarios point the SDKs at this proxy so a rejected write shows up as a failed check with
Loupe's answer (`Suite.check_writes`), instead of as silently missing data. With SDK_PROXY_BODIES=1
each request body is also saved beside the log (`<log>.<n>.body`; see lib/dump_otlp.py).
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length",
              "accept-encoding"}  # answers stay uncompressed so the log can show them


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None
    log_lock = threading.Lock()
    log_path = None

    def log_message(self, fmt, *args):
        pass

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _forward(self):
        body = self._read_body()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        t0 = time.monotonic()
        try:
            conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=120)
            conn.request(self.command, self.path, body=body if body or self.command in ("POST", "PUT", "PATCH") else None, headers=headers)
            resp = conn.getresponse()
            status, reason, resp_headers, resp_body = resp.status, resp.reason, resp.getheaders(), resp.read()
            conn.close()
        except OSError as err:
            status, reason, resp_headers, resp_body = 502, "Bad Gateway", [("Content-Type", "text/plain")], f"proxy: {err}".encode()
        self.send_response(status, reason)
        for k, v in resp_headers:
            if k.lower() not in HOP_BY_HOP and k.lower() not in ("date", "server"):  # send_response adds both
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp_body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp_body)
        self._record(status, body, resp_body, time.monotonic() - t0)

    def _record(self, status, req_body, resp_body, seconds):
        path = self.path.split("?")[0]
        entry = {
            "method": self.command,
            "path": self.path,
            "status": status,
            "ms": round(seconds * 1000, 1),
            "content_type": self.headers.get("Content-Type"),
            "content_encoding": self.headers.get("Content-Encoding"),
            "request_bytes": len(req_body),
            "sdk": self.headers.get("x-langfuse-sdk-name") or self.headers.get("x_langfuse_sdk_name"),
            "sdk_version": self.headers.get("x-langfuse-sdk-version") or self.headers.get("x_langfuse_sdk_version"),
            "user_agent": self.headers.get("User-Agent"),
        }
        if status >= 300 or path.endswith(("/ingestion", "/scores")):
            entry["response"] = resp_body[:4000].decode("utf-8", "replace")
        if status >= 300 and "json" in (entry["content_type"] or ""):
            entry["request"] = req_body[:4000].decode("utf-8", "replace")
        with self.log_lock:
            if os.environ.get("SDK_PROXY_BODIES") and req_body:
                # Debugging aid: every request body, numbered, next to the log.
                n = sum(1 for _ in open(self.log_path))
                entry["body_file"] = f"{self.log_path}.{n:04d}.body"
                with open(entry["body_file"], "wb") as f:
                    f.write(req_body)
            with open(self.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    Proxy.upstream = urllib.parse.urlsplit(args.upstream)
    Proxy.log_path = args.log
    open(args.log, "a").close()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
