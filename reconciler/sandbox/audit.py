"""The sandbox's write audit: a record of every mutating AWS call it answered (DESIGN.md house rule 12).

Installed in front of moto's HTTP server (last, so outermost: it sees the answer that the client saw,
a refusal by the sandbox's validation included). For each AWS request it resolves the service and the
operation from botocore's service models alone (no code of reconcile's client side, house rule 11):

- ``json`` protocol: the ``X-Amz-Target`` header (``SageMaker.CreateModel``);
- ``query`` protocol: the ``Action`` form field (IAM, STS);
- ``rest-json``: the HTTP method and path matched against each operation's ``http.requestUri``
  (Lambda, API Gateway v2, sagemaker-runtime).

The service comes from the SigV4 credential scope (its signing name; ``apigateway`` and ``sagemaker``
are shared by two models each, told apart by the operation that matches).

Every call is classified: ``read`` (Describe*, List*, Get*, Head*, Search*, Query, Scan, BatchGet*,
Check*, Validate*, and STS's GetCallerIdentity / AssumeRole* / GetSessionToken: nothing changes),
``data`` (InvokeEndpoint*, Lambda Invoke, execute-api calls: they serve traffic, they do not change
resources) or ``write`` (everything else, an operation the models do not know included). Reads are not
kept; writes and data-plane calls are, with a sequence number, the time, service, operation, HTTP
status, the resource identifiers found in the request (only identifier fields and tags: never a
secret value, a policy document or a code archive), the tags the request sets, and the identifiers
AWS chose and answered with (``answer``: an HTTP API's ``ApiId``, from JSON answers only), and the
``caller``: a short hash of the access key id that signed the request (the id itself is not kept), and
``run``: the reconcile run that made it (the ``reconcile-run/<id>`` token of its User-Agent), so a test can
tell each reconcile process's writes from its own boto3 writes made at the same time.

A refused write is recorded with its status (4xx/5xx): it was an attempt, and the audit checks
attempts, so a write to something the plan did not list fails the check even when AWS refused it.

Routes (JSON):
- ``GET /reconcile-sandbox/audit[?since=N][&run=ID]``: ``{"records": [...], "next": M}``, the records whose
  ``seq`` is greater than N (and, with ``run``, made by that reconcile run); pass M as ``since`` next time.
- ``POST /reconcile-sandbox/audit/reset``: forget the records (sequence numbers keep counting, so a
  ``since`` taken before stays valid). ``/moto-api/reset`` does the same.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import parse_qs, unquote

from reconciler.sandbox.extensions import request_body, request_target

ROUTE = "/reconcile-sandbox/audit"
MAX_RECORDS = 200_000

READ_PREFIXES = ("Describe", "List", "Get", "Head", "Search", "BatchGet", "Check", "Validate", "Simulate",
                 "Preview", "Lookup", "Estimate")
READ_OPERATIONS = frozenset({"Query", "Scan", "GetCallerIdentity", "AssumeRole", "AssumeRoleWithWebIdentity",
                             "AssumeRoleWithSAML", "GetSessionToken", "DecodeAuthorizationMessage",
                             "GenerateCredentialReport"})
DATA_OPERATIONS = frozenset({"InvokeEndpoint", "InvokeEndpointAsync", "InvokeEndpointWithResponseStream",
                             "Invoke", "InvokeAsync", "InvokeWithResponseStream"})

# Signing name (SigV4 credential scope) -> botocore service models that sign with it.
SIGNING_NAMES = {
    "apigateway": ("apigatewayv2", "apigateway"),
    "sagemaker": ("sagemaker", "sagemaker-runtime"),
    "monitoring": ("cloudwatch",),
    "execute-api": (),
}

# Request fields that name a resource (top-level members of the operation's input, or path parameters).
IDENTIFIERS = frozenset({
    "EndpointName", "EndpointConfigName", "ModelName", "InferenceComponentName", "RoleName", "UserName",
    "GroupName", "PolicyArn", "PolicyName", "InstanceProfileName", "OpenIDConnectProviderArn", "Url",
    "FunctionName", "Qualifier", "StatementId", "ApiId", "RouteId", "IntegrationId", "StageName", "Name",
    "SecretId", "ResourceArn", "Resource", "Arn", "TableName", "ServiceNamespace", "ResourceId",
    "ScalableDimension", "AccessKeyId", "SerialNumber", "VersionId", "AlarmName", "AlarmNames",
    "LogGroupName", "RouteKey", "Role", "ExecutionRoleArn", "PermissionsBoundary", "DeploymentId",
    "ScheduledActionName", "ResourceARN",
})

# Identifiers in a JSON answer that the request could not name (AWS picked them).
ANSWER_IDENTIFIERS = frozenset({"ApiId", "RouteId", "IntegrationId", "Name", "FunctionName", "FunctionArn",
                                "EndpointArn", "ModelArn", "EndpointConfigArn", "InferenceComponentArn", "ARN"})

_lock = threading.Lock()
_records: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDS)
_seq = 0
_models: dict[str, Any] = {}
_installed = False


# --------------------------------------------------------------------------------------------------
# classification and resolution (botocore's models only)


def classify(operation: str) -> str:
    """``read`` | ``data`` | ``write`` for an operation name (an unknown name is a write)."""
    if operation in DATA_OPERATIONS:
        return "data"
    if operation in READ_OPERATIONS or operation.startswith(READ_PREFIXES):
        return "read"
    return "write"


def _model(service: str) -> Any:
    if service not in _models:
        import botocore.session

        try:
            _models[service] = botocore.session.get_session().get_service_model(service)
        except Exception:
            _models[service] = None
    return _models[service]


def _uri_pattern(op: Any) -> tuple[re.Pattern[str], dict[str, str], int]:
    """The operation's requestUri path as a regex; path-parameter locationName -> member name; literal length."""
    uri = op.http.get("requestUri", "/").split("?", 1)[0]
    names = {}
    if op.input_shape is not None:
        for member, shape in op.input_shape.members.items():
            if shape.serialization.get("location") == "uri":
                names[shape.serialization.get("name", member)] = member
    regex, literal, groups = "", 0, {}
    for i, part in enumerate(re.split(r"(\{[^}]+\})", uri)):
        if part.startswith("{"):
            greedy = part.endswith("+}")
            name = part[1:-2] if greedy else part[1:-1]
            group = f"g{i}"
            groups[group] = names.get(name, name)
            regex += f"(?P<{group}>.+)" if greedy else f"(?P<{group}>[^/]+)"
        else:
            regex += re.escape(part)
            literal += len(part)
    return re.compile(regex.rstrip("/") + "/?$"), groups, literal


_rest_index: dict[str, list[tuple[str, str, re.Pattern[str], dict[str, str], int, frozenset[str]]]] = {}


def _query_keys(uri: str) -> frozenset[str]:
    """The query keys an operation's requestUri requires: S3's ``/{Bucket}?session`` (CreateSession) and
    ``/{Bucket}?list-type=2`` (ListObjectsV2) share their path and are told apart by them."""
    query = uri.partition("?")[2]
    return frozenset(part.partition("=")[0] for part in query.split("&") if part)


def _match_rest(service: str, method: str, path: str, query: str = "") -> tuple[str, dict[str, str]] | None:
    model = _model(service)
    if model is None:
        return None
    if service not in _rest_index:
        rows = []
        for name in model.operation_names:
            op = model.operation_model(name)
            pattern, groups, literal = _uri_pattern(op)
            rows.append((op.http.get("method", "POST"), name, pattern, groups, literal,
                         _query_keys(op.http.get("requestUri", "/"))))
        # most query keys, then most literal text first: /functions/{F}/policy before /functions/{F}
        rows.sort(key=lambda r: (-len(r[5]), -r[4]))
        _rest_index[service] = rows
    sent = set(parse_qs(query, keep_blank_values=True))
    for m, name, pattern, groups, _lit, needs in _rest_index[service]:
        if m != method or not needs <= sent:
            continue
        found = pattern.match(path)
        if found:
            return name, {groups[g]: unquote(v) for g, v in found.groupdict().items()}
    return None


def caller(environ: dict[str, Any]) -> str | None:
    """Who made the request: a short hash of the access key id it was signed with (not the id itself)."""
    m = re.search(r"Credential=([^/,\s]+)/", environ.get("HTTP_AUTHORIZATION") or "")
    return hashlib.sha256(m.group(1).encode()).hexdigest()[:12] if m else None


def run_of(environ: dict[str, Any]) -> str | None:
    """The reconcile run a request belongs to: the ``reconcile-run/<id>`` token of its User-Agent (None: not
    a reconcile run, e.g. a test's own boto3 call or another client)."""
    m = re.search(r"\breconcile-run/([0-9a-f]{6,32})\b", environ.get("HTTP_USER_AGENT") or "")
    return m.group(1) if m else None


def _signing_name(environ: dict[str, Any]) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION") or ""
    m = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", auth)
    return m.group(1).lower() if m else None


def resolve(environ: dict[str, Any], body: bytes) -> tuple[str, str, dict[str, Any]] | None:
    """(service, operation, request parameters) of an AWS request, or None when it is not one."""
    signing = _signing_name(environ)
    target = environ.get("HTTP_X_AMZ_TARGET")
    method = environ.get("REQUEST_METHOD", "GET")
    # the path as sent (PATH_INFO is decoded: an ARN in it, as TagResource's /v2/tags/{resource-arn}, would
    # split into segments and match no operation); path parameters are decoded after matching
    path = request_target(environ).split("?", 1)[0]
    if signing is None and not target:
        form = _form(environ, body)
        if "Action" in form:  # unsigned query call (AssumeRoleWithWebIdentity)
            return "sts", form["Action"], form
        return None
    candidates = SIGNING_NAMES.get(signing or "", (signing,)) if signing else ()
    if target:
        prefix, _, operation = target.partition(".")
        service = next((c for c in candidates if (_model(c) is not None
                                                   and _model(c).metadata.get("targetPrefix") == prefix)),
                       candidates[0] if candidates else prefix)
        return service, operation, _json(body)
    form = _form(environ, body)
    if "Action" in form:
        return (candidates[0] if candidates else "unknown"), form["Action"], form
    for service in candidates:
        found = _match_rest(service, method, path, environ.get("QUERY_STRING", ""))
        if found:
            name, params = found
            op = _model(service).operation_model(name)
            # (blank values kept: ListObjectsV2's ``prefix=`` is the empty prefix IAM's s3:prefix compares)
            query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
            return service, name, {**_members(op.input_shape, {**_json(body), **query}), **params}
    return (signing or "unknown"), f"{method} {path}", _json(body)


def _members(shape: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Wire names (rest-json's ``locationName``: ``name``, ``apiId``) -> the shape's member names (``Name``)."""
    if shape is None:
        return data
    wire = {m.serialization.get("name", k): k for k, m in shape.members.items()}
    return {wire.get(k, k): v for k, v in data.items()}


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _form(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    pairs = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded"):
        pairs.update(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
    return {k: v[0] for k, v in pairs.items()}


def _tags(params: dict[str, Any]) -> dict[str, str]:
    """The tags a request sets: JSON ``Tags`` as a list of {Key, Value} or a map, or query ``Tags.member.N.*``."""
    tags = params.get("Tags")
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list):
        return {str(t.get("Key")): str(t.get("Value")) for t in tags if isinstance(t, dict)}
    out = {}
    for k, v in params.items():
        m = re.fullmatch(r"Tags\.member\.(\d+)\.Key", k)
        if m:
            out[str(v)] = str(params.get(f"Tags.member.{m.group(1)}.Value", ""))
    return out


def identifiers(params: dict[str, Any]) -> dict[str, Any]:
    """The resource-naming fields of a request (scalars, or lists of scalars); nothing else."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        base = k.split(".", 1)[0]
        if base not in IDENTIFIERS:
            continue
        if isinstance(v, (str, int)):
            out[k] = v
        elif isinstance(v, list) and all(isinstance(x, str) for x in v):
            out[k] = list(v)
    key = params.get("Key")
    if isinstance(key, dict) and isinstance(key.get("LockID"), dict):
        out["LockID"] = key["LockID"].get("S")
    item = params.get("Item")
    if isinstance(item, dict) and isinstance(item.get("LockID"), dict):
        out["LockID"] = item["LockID"].get("S")
    return out


# --------------------------------------------------------------------------------------------------
# the record


def _created(service: str, operation: str, body: bytes) -> dict[str, str]:
    """Identifiers that AWS chose and answered with (an HTTP API's ApiId, a route's RouteId): JSON answers only."""
    if not body.startswith(b"{"):
        return {}
    data = _json(body)
    model = _model(service)
    if model is not None and operation in model.operation_names:
        data = _members(model.operation_model(operation).output_shape, data)
    return {k: v for k, v in data.items() if k in ANSWER_IDENTIFIERS and isinstance(v, str)}


def record(service: str, operation: str, kind: str, status: int, params: dict[str, Any],
           answer: dict[str, str] | None = None, who: str | None = None, run: str | None = None) -> dict[str, Any]:
    global _seq
    with _lock:
        _seq += 1
        entry = {"seq": _seq, "time": time.time(), "service": service, "operation": operation, "class": kind,
                 "status": status, "ids": identifiers(params), "tags": _tags(params), "answer": answer or {},
                 "caller": who, "run": run}
        _records.append(entry)
    return entry


def records(since: int = 0, run: str | None = None) -> tuple[list[dict[str, Any]], int]:
    with _lock:
        return [r for r in _records if r["seq"] > since and (run is None or r["run"] == run)], _seq


def reset() -> None:
    with _lock:
        _records.clear()


def _answer(start_response: Any, status: int, payload: Any) -> list[bytes]:
    data = json.dumps(payload).encode()
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _route(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
    if path.rstrip("/") == ROUTE:
        if method != "GET":
            return _answer(start_response, 405, {"error": "GET /reconcile-sandbox/audit[?since=N]"})
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            since = int(query.get("since", ["0"])[0])
        except ValueError:
            since = 0
        found, last = records(since, query.get("run", [None])[0])
        return _answer(start_response, 200, {"records": found, "next": last})
    if path.rstrip("/") == ROUTE + "/reset":
        if method != "POST":
            return _answer(start_response, 405, {"error": "POST /reconcile-sandbox/audit/reset"})
        reset()
        return _answer(start_response, 200, {"reset": True})
    return _answer(start_response, 404, {"error": f"no such route {path}"})


def wsgi_middleware(app: Any) -> Any:
    """Answer the audit routes; record every other AWS write and data-plane call after ``app`` answered it."""

    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(ROUTE):
            return _route(environ, start_response)
        if path.startswith("/moto-api/reset"):
            reset()
        if path.startswith(("/reconcile-sandbox/", "/moto-api")):
            if path.startswith("/reconcile-sandbox/execute-api/"):
                status: list[int] = []
                result = app(environ, _capture(start_response, status))
                record("execute-api", f"{environ.get('REQUEST_METHOD', 'GET')} {path}", "data",
                       status[0] if status else 0, {}, None, caller(environ), run_of(environ))
                return result
            return app(environ, start_response)
        body = request_body(environ)
        try:
            resolved = resolve(environ, body)
        except Exception:  # the audit never breaks a request
            resolved = None
        if resolved is None:
            kind = "read"
        elif " " in resolved[1]:  # a path no operation of the model matches: the method decides
            kind = "read" if environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD", "OPTIONS") else "write"
        else:
            kind = classify(resolved[1])
        if kind == "read":
            return app(environ, start_response)
        status = []
        result = app(environ, _capture(start_response, status))
        assert resolved is not None
        if kind == "data":  # served traffic: recorded once answered; a streamed answer passes through as it comes
            record(resolved[0], resolved[1], kind, status[0] if status else 0, resolved[2], None, caller(environ))
            return result
        chunks = list(result)
        if hasattr(result, "close"):
            result.close()
        record(resolved[0], resolved[1], kind, status[0] if status else 0, resolved[2],
               _created(resolved[0], resolved[1], b"".join(chunks)), caller(environ), run_of(environ))
        return chunks

    return middleware


def _capture(start_response: Any, into: list[int]) -> Any:
    def capture(status: str, headers: Any, exc_info: Any = None) -> Any:
        try:
            into.append(int(status.split()[0]))
        except (ValueError, IndexError):
            into.append(0)
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

    return capture


def install() -> None:
    """Put the audit in front of moto's server (call it after every other middleware: outermost)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    from reconciler.sandbox.extensions import in_front_of_server

    in_front_of_server(wsgi_middleware)
