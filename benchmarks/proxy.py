"""A loopback HTTP proxy in front of the moto server: fixed latency, per-service rate limits, call counts.

- every request waits ``latency`` seconds before it is forwarded (a CI runner calling AWS in-region);
- ``rates[service]`` requests per second (token bucket, burst = one second's worth): past it the proxy
  answers AWS's throttling error in the service's protocol (query/XML ``Throttling`` for IAM and STS,
  JSON ``ThrottlingException`` for SageMaker and the other JSON services), like AWS does;
- every request is counted per ``service:Operation``, with the time moto took to answer it (the
  emulator's own cost, separate from the latency the proxy adds).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"}


def service_of(headers: Any) -> str:
    """The signing service from the SigV4 credential scope (…/REGION/SERVICE/aws4_request)."""
    auth = headers.get("Authorization", "")
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            return scope[3]
    return "other"


def operation_of(method: str, path: str, headers: Any, body: bytes) -> tuple[str, str]:
    """(operation, protocol): JSON protocols name it in X-Amz-Target, query protocols in Action=."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1], "json"
    if body.startswith(b"Action=") or b"&Action=" in body:
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0], "query"
    return f"{method} {urlsplit(path).path.split('/')[1] if '/' in path else path}", "rest"


class Bucket:
    """Token bucket: ``rate`` per second, burst of one second's worth."""

    def __init__(self, rate: float):
        self.rate = rate
        self.tokens = rate
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


class Proxy:
    def __init__(self, upstream_port: int, latency: float = 0.05, rates: dict[str, float] | None = None):
        self.upstream_port = upstream_port
        self.latency = latency
        self.buckets = {s: Bucket(r) for s, r in (rates or {}).items()}
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.throttled: Counter = Counter()
        self.upstream_seconds = 0.0
        self.inflight = 0
        self.max_inflight = 0
        self._local = threading.local()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.request_queue_size = 256
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="bench-proxy", daemon=True)

    # ---- control -------------------------------------------------------------------------------
    def configure(self, latency: float | None = None, rates: dict[str, float] | None = None) -> None:
        with self.lock:
            if latency is not None:
                self.latency = latency
            if rates is not None:
                self.buckets = {s: Bucket(r) for s, r in rates.items()}

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"counts": Counter(self.counts), "throttled": Counter(self.throttled),
                    "upstream_seconds": self.upstream_seconds, "max_inflight": self.max_inflight}

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()
            self.throttled.clear()
            self.upstream_seconds = 0.0
            self.max_inflight = 0

    def start(self) -> Proxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ---- forwarding ----------------------------------------------------------------------------
    def _conn(self) -> http.client.HTTPConnection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=300)
            self._local.conn = c
        return c

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        for attempt in (1, 2):
            conn = self._conn()
            try:
                conn.request(method, path, body=body or None, headers=headers)
                r = conn.getresponse()
                return r.status, r.getheaders(), r.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_a: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # headers and body go out as two writes: without TCP_NODELAY, Nagle's algorithm and the
                # client's delayed ACK hold the second one ~40 ms, which would count as AWS latency
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                service = service_of(self.headers)
                op, protocol = operation_of(self.command, self.path, self.headers, body)
                key = f"{service}:{op}"
                with proxy.lock:
                    latency = proxy.latency
                    bucket = proxy.buckets.get(service)
                    proxy.inflight += 1
                    proxy.max_inflight = max(proxy.max_inflight, proxy.inflight)
                try:
                    if latency:
                        time.sleep(latency)
                    if bucket is not None and not bucket.take():
                        with proxy.lock:
                            proxy.counts[key] += 1
                            proxy.throttled[key] += 1
                        self._throttle(protocol)
                        return
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                    started = time.monotonic()
                    status, rheaders, rbody = proxy.forward(self.command, self.path, headers, body)
                    spent = time.monotonic() - started
                    with proxy.lock:
                        proxy.counts[key] += 1
                        proxy.upstream_seconds += spent
                    self.send_response(status)
                    for k, v in rheaders:
                        if k.lower() not in HOP and k.lower() != "content-length":
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(rbody)))
                    self.end_headers()
                    self.wfile.write(rbody)
                finally:
                    with proxy.lock:
                        proxy.inflight -= 1

            def _throttle(self, protocol: str) -> None:
                rid = str(uuid.uuid4())
                if protocol == "json":
                    body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
                    ctype, extra = "application/x-amz-json-1.1", {"x-amzn-ErrorType": "ThrottlingException"}
                else:
                    body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                            f"<Message>Rate exceeded</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>").encode()
                    ctype, extra = "text/xml", {}
                self.send_response(400)
                self.send_header("Content-Type", ctype)
                self.send_header("x-amzn-RequestId", rid)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any

        return Handler
