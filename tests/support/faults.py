"""A fault-injecting HTTP proxy between the reconcile CLI and the moto server (loopback only).

Point the CLI at ``proxy.url`` (``AWS_ENDPOINT_URL``) instead of the moto server. Every request is
forwarded unless a ``Rule`` matches it first; a rule answers in the service's own protocol:

- ``throttle``: HTTP 400 ``Throttling`` (query/XML: IAM, STS) or ``ThrottlingException`` (JSON:
  SageMaker, Secrets Manager, DynamoDB), message "Rate exceeded";
- ``status``: any status with any error code (429 ``TooManyRequestsException``, 500/503 ``InternalFailure``,
  403 ``AccessDenied`` …), or with a ``body`` of your own instead (an HTML error page: not the service's protocol);
- ``drop``: close the connection without answering (the request never reached the server);
- ``drop-after``: forward, then close without answering (the server did it, the client never heard);
- ``delay``: forward after ``seconds``;
- ``hold``: forward, then hold the answer, set ``proxy.held`` and wait for ``proxy.release`` (a test
  kills the client meanwhile: a crash exactly after AWS did the k-th thing and before reconcile knew);
  with ``deliver=True`` the request waits *before* it is forwarded and is answered normally once released.

A rule applies to the first ``times`` matching requests (after skipping ``after``), or to a
``fraction`` of them drawn from ``random.Random(seed)``. ``match`` is an fnmatch pattern on
``service:Operation`` (``iam:Create*``), and ``mutating=True`` limits it to requests that change
something. The proxy counts every request per ``service:Operation`` and records each one (time, status,
the parsed request parameters) for the tests to inspect.
"""

from __future__ import annotations

import fnmatch
import http.client
import json
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 16 * 1024 * 1024
MAX_CONNECTIONS = 64
READ_PREFIXES = ("Get", "List", "Describe", "Head", "Search", "BatchGet", "Query", "Scan")
QUERY_THROTTLE = "Throttling"
JSON_THROTTLE = "ThrottlingException"


@dataclass
class Rule:
    action: str  # throttle | status | drop | drop-after | delay | hold
    match: str = "*"
    mutating: bool = False
    times: int | None = 1
    after: int = 0
    fraction: float | None = None
    seed: int = 0
    status: int = 400
    code: str | None = None
    message: str = "Rate exceeded"
    seconds: float = 0.0
    deliver: bool = False  # hold: deliver the answer once released (else drop the connection)
    body: str | None = None  # status: answer this (``content_type``) instead of the protocol's error
    content_type: str = "text/html"
    seen: int = 0
    injected: int = 0
    _rng: random.Random | None = field(default=None, repr=False)

    def wants(self, service: str, op: str, mutating: bool) -> bool:
        """Whether this rule fires on this request (counts the request when it matches)."""
        if self.mutating and not mutating:
            return False
        if not fnmatch.fnmatchcase(f"{service}:{op}", self.match):
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.fraction is not None:
            if self._rng is None:
                self._rng = random.Random(self.seed)
            hit = self._rng.random() < self.fraction
            if hit and self.times is not None and self.injected >= self.times:
                return False
            return hit
        return self.times is None or self.injected < self.times


@dataclass
class Request:
    at: float
    service: str
    op: str
    mutating: bool
    params: dict[str, Any]
    outcome: str = ""  # forwarded status, or the fault injected

    @property
    def key(self) -> str:
        return f"{self.service}:{self.op}"


def _service(headers: Any) -> str:
    auth = headers.get("Authorization", "")
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            return scope[3]
    return "unknown"


def _operation(method: str, path: str, headers: Any, body: bytes) -> tuple[str, dict[str, Any], str]:
    """(operation, parameters, protocol) of one AWS request."""
    target = headers.get("X-Amz-Target")
    if target:
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return target.rsplit(".", 1)[-1], params if isinstance(params, dict) else {}, "json"
    ctype = headers.get("Content-Type", "")
    if "x-www-form-urlencoded" in ctype or (not ctype and body.startswith(b"Action=")):
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        if "Action" in form:
            return form["Action"], form, "query"
    query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
    return f"{method} {urlsplit(path).path}", query, "rest"


def is_mutating(op: str) -> bool:
    if " " in op:  # REST: method + path
        return not op.startswith(("GET ", "HEAD "))
    return not op.startswith(READ_PREFIXES)


class FaultProxy:
    """The proxy: ``with FaultProxy(upstream) as proxy: …``; ``proxy.add(Rule(...))``."""

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fault proxy forwards to loopback only")
        self.upstream = (parts.hostname, parts.port or 80)
        self.rules: list[Rule] = []
        self.requests: list[Request] = []
        self.counts: Counter = Counter()
        self.injected: Counter = Counter()
        self.held = threading.Event()
        #: requests inside a "delay" rule at once: now, and the most there ever were
        self.delayed_now = self.delayed_most = 0
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    # ---- configuration ------------------------------------------------------------------------
    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
        self.held.clear()
        self.release.clear()

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.counts.clear()
            self.injected.clear()

    # ---- figures --------------------------------------------------------------------------------
    @property
    def total_injected(self) -> int:
        return sum(self.injected.values())

    def ops(self, pattern: str = "*", mutating: bool | None = None) -> list[Request]:
        with self._lock:
            reqs = list(self.requests)
        return [r for r in reqs if fnmatch.fnmatchcase(r.key, pattern) and (mutating is None or r.mutating == mutating)]

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ---- the handler --------------------------------------------------------------------------------
    def _decide(self, req: Request) -> Rule | None:
        with self._lock:
            self.requests.append(req)
            self.counts[req.key] += 1
            for rule in self.rules:
                if rule.wants(req.service, req.op, req.mutating):
                    rule.injected += 1
                    self.injected[f"{rule.action}:{req.key}"] += 1
                    return rule
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _any(self) -> None:
                if not proxy._slots.acquire(timeout=30):
                    self.send_error(503, "fault proxy busy")
                    return
                try:
                    self._serve()
                except (BrokenPipeError, ConnectionResetError):  # the client is gone (killed): fine
                    self.close_connection = True
                finally:
                    proxy._slots.release()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self.send_error(413)
                    return
                body = self.rfile.read(length) if length else b""
                if self.path.startswith(("/reconcile-sandbox/", "/moto-api/")):  # the emulator's own routes
                    self._forward(body)  # (the write audit's reads): no AWS request, neither counted nor faulted
                    return
                service = _service(self.headers)
                op, params, protocol = _operation(self.command, self.path, self.headers, body)
                req = Request(time.monotonic(), service, op, is_mutating(op), params)
                rule = proxy._decide(req)
                if rule is None:
                    req.outcome = str(self._forward(body))
                    return
                req.outcome = rule.action
                if rule.action in ("throttle", "status"):
                    self._error(rule, protocol)
                elif rule.action == "drop":
                    self._drop()
                elif rule.action == "drop-after":
                    self._forward(body, deliver=False)
                    self._drop()
                elif rule.action == "delay":
                    with proxy._lock:
                        proxy.delayed_now += 1
                        proxy.delayed_most = max(proxy.delayed_most, proxy.delayed_now)
                    try:
                        time.sleep(rule.seconds)
                    finally:
                        with proxy._lock:
                            proxy.delayed_now -= 1
                    req.outcome = f"delay:{self._forward(body)}"
                elif rule.action == "hold":
                    if rule.deliver:
                        proxy.held.set()
                        proxy.release.wait(60)
                        self._forward(body, record=(req, "hold:"))
                        return
                    self._forward(body, deliver=False)
                    proxy.held.set()
                    proxy.release.wait(60)
                    self._drop()
                else:
                    raise ValueError(f"unknown fault action {rule.action!r}")

            def _drop(self) -> None:
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass

            def _error(self, rule: Rule, protocol: str) -> None:
                code = rule.code or (QUERY_THROTTLE if protocol == "query" else JSON_THROTTLE)
                rid = str(uuid.uuid4())
                if rule.body is not None:
                    payload, ctype = rule.body.encode(), rule.content_type
                elif protocol == "query":
                    payload = (f'<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>'
                               f'<Message>{rule.message}</Message></Error><RequestId>{rid}</RequestId>'
                               f'</ErrorResponse>').encode()
                    ctype = "text/xml"
                else:
                    payload = json.dumps({"__type": code, "message": rule.message}).encode()
                    ctype = "application/x-amz-json-1.1"
                self.send_response(rule.status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                if rule.body is None:  # (a page of one's own comes from something that is not AWS)
                    self.send_header("x-amzn-RequestId", rid)
                    self.send_header("x-amzn-ErrorType", code)
                self.end_headers()
                self.wfile.write(payload)

            def _forward(self, body: bytes, deliver: bool = True, record: tuple[Request, str] | None = None) -> int:
                """Send the request upstream; relay the answer (when ``deliver``). ``record``: (request, prefix)
                whose outcome is set as soon as the server answered, before the client is (maybe no longer) told."""
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=120)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    if record:
                        record[0].outcome = record[1] + str(resp.status)
                    if not deliver:
                        return resp.status
                    self.send_response(resp.status)
                    for k, v in resp.getheaders():
                        if k.lower() not in ("transfer-encoding", "connection", "content-length", "keep-alive",
                                             "server", "date"):
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                    return resp.status
                finally:
                    conn.close()

        return Handler


def proxied(cli: Any, moto_server: Any) -> tuple[Any, FaultProxy]:
    """A copy of the ``cli`` fixture whose AWS traffic goes through a new, started FaultProxy."""
    from tests.support.cli import Cli

    proxy = FaultProxy(moto_server.url).start()
    return Cli({**cli.env, "AWS_ENDPOINT_URL": proxy.url}, cli.cwd), proxy  # audited as `cli`: its env names the audit


def record_figures(test: str, **figures: int) -> None:
    """Append this test's figures (faults injected/survived, kill points …) as one JSON line to the file
    named by ``RECONCILE_TEST_FIGURES`` (no-op without it); the report sums them."""
    import os

    path = os.environ.get("RECONCILE_TEST_FIGURES")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps({"test": test, **figures}) + "\n")


def run_inprocess(env: dict[str, str], *args: str) -> Any:
    """Run the reconcile CLI in this process (same ``main()``, same exit codes; no interpreter start-up).

    For the many follow-up plan/apply runs of the crash loops; the runs that get killed are real processes.
    """
    import contextlib
    import io
    import os
    import sys

    from reconciler.cli import main
    from tests.support.cli import Result, audited

    checked = audited()  # the test's write audit, as for a `cli` fixture call
    done = checked.__enter__()
    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_argv = dict(os.environ), sys.argv
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["reconcile", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            except Exception:  # --debug re-raises: print the traceback as the interpreter would, exit 1
                import traceback

                traceback.print_exc()
                code = 1
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
    result = Result(code, out.getvalue(), err.getvalue())
    done(result)
    checked.__exit__(None, None, None)
    return result


def fork_run(env: dict[str, str], *args: str) -> int:
    """Start the reconcile CLI in a forked child of this process (already warm: no start-up cost); its pid.

    The child is a real process running the real ``main()``: SIGKILL it like any other. Its output is discarded.
    """
    import os

    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            code = run_inprocess(env, *args).code
        finally:
            os._exit(code)
    return pid


def kill_when_held(env: dict[str, str], proxy: FaultProxy, rule: Rule, *args: str, waiting_for: str) -> None:
    """Run the CLI (``args``) in a forked process; SIGKILL it once the proxy holds the answer to a request ``rule``
    matches (AWS did it, reconcile never learns it). ``waiting_for`` says what the run never did, on a timeout."""
    import os
    import signal

    proxy.clear()
    proxy.add(rule)
    pid = fork_run(env, *args)
    try:
        assert proxy.held.wait(90), f"{args[0]} never {waiting_for}"
        os.kill(pid, signal.SIGKILL)
    finally:
        _, status = os.waitpid(pid, 0)
        proxy.release.set()
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status
    proxy.clear()


def kill_at_mutating_request(env: dict[str, str], proxy: FaultProxy, k: int, *args: str) -> list[Request]:
    """Run the CLI (``args``) in a forked process; SIGKILL it once AWS did its k-th mutating request (the answer
    never delivered). The mutating requests made, in order."""
    proxy.clear()
    proxy.reset_counts()
    kill_when_held(env, proxy, Rule("hold", mutating=True, after=k - 1, times=1), *args,
                   waiting_for=f"made mutating request {k}")
    return proxy.ops(mutating=True)
