#!/usr/bin/env python3
"""A deterministic OpenAI-compatible server for the SDK compatibility tests (stdlib only).

    python3 fake_openai.py --port-file PATH [--port N]

Serves on 127.0.0.1 (port 0 = any free port, written to --port-file once listening):
  POST /v1/chat/completions  non-streaming, and SSE streaming (`stream: true`; a final usage chunk
                             when `stream_options.include_usage` is true)
  POST /v1/embeddings        3-dimensional vectors, one per input
  POST /v1/responses         a minimal non-streaming Responses API answer
  GET  /v1/models
Every answer reports model MODEL and, for chat, the usage below, so the tests can assert on the
usage and cost that Loupe derives from it.
"""

import argparse
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "gpt-4o-mini-2024-07-18"
CONTENT = "Hello from the fake OpenAI server."
STREAM_PIECES = ["Hello", " from the", " fake OpenAI server."]
CREATED = 1_764_000_000


def chat_usage():
    return {
        "prompt_tokens": 12,
        "completion_tokens": 7,
        "total_tokens": 19,
        "prompt_tokens_details": {"cached_tokens": 2},
        "completion_tokens_details": {"reasoning_tokens": 1},
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-openai/1"

    def log_message(self, fmt, *args):  # quiet unless asked
        if os.environ.get("FAKE_OPENAI_LOG"):
            sys.stderr.write("fake-openai: " + (fmt % args) + "\n")

    def _json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def do_GET(self):
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/models"):
            return self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model", "created": CREATED, "owned_by": "fake"}]})
        if path in ("", "/health"):
            return self._json(200, {"status": "ok"})
        self._json(404, {"error": {"message": f"no route GET {self.path}", "type": "invalid_request_error"}})

    def do_POST(self):
        path = self.path.split("?")[0].rstrip("/")
        req = self._body()
        if req is None:
            return self._json(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
        if path.endswith("/chat/completions"):
            return self._chat(req)
        if path.endswith("/embeddings"):
            return self._embeddings(req)
        if path.endswith("/responses"):
            return self._responses(req)
        self._json(404, {"error": {"message": f"no route POST {self.path}", "type": "invalid_request_error"}})

    def _chat(self, req):
        if not req.get("stream"):
            return self._json(200, {
                "id": "chatcmpl-fake-1",
                "object": "chat.completion",
                "created": CREATED,
                "model": MODEL,
                "system_fingerprint": "fp_fake",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": CONTENT, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }],
                "usage": chat_usage(),
            })
        include_usage = bool((req.get("stream_options") or {}).get("include_usage"))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

        def chunk(delta, finish=None, usage=None, choices=True):
            obj = {
                "id": "chatcmpl-fake-stream",
                "object": "chat.completion.chunk",
                "created": CREATED,
                "model": MODEL,
                "system_fingerprint": "fp_fake",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}] if choices else [],
            }
            if include_usage:
                obj["usage"] = usage
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()

        chunk({"role": "assistant", "content": ""})
        for piece in STREAM_PIECES:
            time.sleep(0.01)  # so that completion_start_time differs from start and end
            chunk({"content": piece})
        chunk({}, finish="stop")
        if include_usage:
            chunk(None, usage=chat_usage(), choices=False)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def _embeddings(self, req):
        inputs = req.get("input")
        if isinstance(inputs, str) or (isinstance(inputs, list) and inputs and isinstance(inputs[0], int)):
            inputs = [inputs]
        inputs = inputs or []
        data = [{"object": "embedding", "index": i, "embedding": [0.1 * (i + 1), 0.2, 0.3]} for i in range(len(inputs))]
        self._json(200, {
            "object": "list",
            "data": data,
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 5, "total_tokens": 5},
        })

    def _responses(self, req):
        self._json(200, {
            "id": "resp_fake_1",
            "object": "response",
            "created_at": CREATED,
            "status": "completed",
            "model": MODEL,
            "output": [{
                "type": "message",
                "id": "msg_fake_1",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": CONTENT, "annotations": []}],
            }],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                "input_tokens": 12,
                "input_tokens_details": {"cached_tokens": 2},
                "output_tokens": 7,
                "output_tokens_details": {"reasoning_tokens": 1},
                "total_tokens": 19,
            },
        })


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    print(f"fake OpenAI server on http://127.0.0.1:{port}/v1", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
