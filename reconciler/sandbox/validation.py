"""Request validation from botocore's models, in front of moto: the sandbox refuses what AWS refuses.

For SageMaker, IAM, Lambda, API Gateway v2 and Secrets Manager, every request is parsed back into the
operation's parameters (JSON protocol: X-Amz-Target; query protocol: Action and the flattened form; rest-json:
method + URI template, URI labels, query string and JSON body) and checked with ``reconciler.awsmodel.check``:
lengths, patterns, enums, numeric ranges, list/map sizes and required members. A request that breaks them is
answered as AWS answers it, before moto sees it:

- JSON services (SageMaker, Secrets Manager) and Lambda: HTTP 400 ``ValidationException``,
  "1 validation error detected: Value 'x' at 'endpointName' failed to satisfy constraint: Member must have
  length less than or equal to 63" (several: "2 validation errors detected: …; …").
- API Gateway v2: HTTP 400 ``BadRequestException`` with the same message.
- IAM: HTTP 400 ``ValidationError`` in an XML ``ErrorResponse``.

One mechanism driven by the model, no per-operation code (issue 11 point 2, house rules 10 and 11: this
imports only ``reconciler.awsmodel``, botocore, the standard library and the sandbox's own WSGI helper,
nothing of reconcile's client).
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
import uuid
from typing import Any
from xml.sax.saxutils import escape

from reconciler import awsmodel
from reconciler.sandbox.extensions import request_body

JSON_SERVICES = ("sagemaker", "secretsmanager", "application-autoscaling", "cloudwatch")  # (botocore: json)
#: credential-scope service (signing name) -> botocore service, for the query and rest-json services
SIGNED = {"iam": "iam", "lambda": "lambda", "apigateway": "apigatewayv2"}
ERROR_CODE = {"apigatewayv2": "BadRequestException", "iam": "ValidationError", "cloudwatch": "ValidationError"}
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


@functools.cache
def _targets() -> dict[str, str]:
    return {awsmodel.service_model(s).metadata["targetPrefix"]: s for s in JSON_SERVICES}


def identify(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(service, operation) of a request, or None when it is not one this module checks."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if "." in target:
        prefix, op = target.rsplit(".", 1)
        service = _targets().get(prefix)
        return (service, op) if service and op in awsmodel.service_model(service).operation_names else None
    m = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = SIGNED.get(m[1]) if m else None
    if service is None:
        return None
    path = environ.get("PATH_INFO", "")
    if service == "apigatewayv2" and not path.startswith("/v2/"):
        return None
    if service == "iam":
        return (service, "")  # the Action is in the body
    op = _rest_operation(service, environ.get("REQUEST_METHOD", "GET"), path, environ.get("QUERY_STRING", ""))
    return (service, op[0]) if op else None


@functools.cache
def _uri_table(service: str) -> list[tuple[str, str, re.Pattern[str], list[str], dict[str, str]]]:
    """(method, operation, path regex, label names, query the URI requires) per operation, the most literal
    template first (/functions/{F}/policy before /functions/{F})."""
    model = awsmodel.service_model(service)
    rows = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri, _, query = http["requestUri"].partition("?")
        parts = re.split(r"(\{[^}]+\})", uri)
        regex = "".join(("(.+)" if p.endswith("+}") else "([^/]+)") if p.startswith("{") else re.escape(p)
                        for p in parts)
        labels = [p.strip("{}+") for p in parts if p.startswith("{")]
        literal = len(re.sub(r"\{[^}]+\}", "", uri))
        needs = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        rows.append((literal, http["method"], name, re.compile(regex + "/?$"), labels, needs))
    rows.sort(key=lambda row: -row[0])
    return [row[1:] for row in rows]


def _rest_operation(service: str, method: str, path: str, query: str = "") -> tuple[str, dict[str, str]] | None:
    """The operation a rest-json request calls, and its URI labels; None when none or several fit."""
    given = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    found: list[tuple[int, str, dict[str, str]]] = []
    pattern = None
    for http_method, name, regex, labels, needs in _uri_table(service):
        if http_method != method or (pattern is not None and regex.pattern != pattern):
            continue
        m = regex.match(path)
        if m and all(k in given and (not v or given[k] == v) for k, v in needs.items()):
            pattern = regex.pattern
            found.append((len(needs), name, dict(zip(labels, m.groups(), strict=True))))
    best = [f for f in found if f[0] == max((f[0] for f in found), default=0)]  # ?List=ALL beats no query
    return (best[0][1], best[0][2]) if len(best) == 1 else None


# ---- parameters from the wire ---------------------------------------------------------------------


def _scalar(sh: Any, text: str) -> Any:
    t = sh.type_name
    try:
        if t in ("integer", "long"):
            return int(text)
        if t in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if t == "boolean":
        return text.lower() == "true"
    return text


def _from_query(sh: Any, flat: dict[str, str], prefix: str) -> Any:
    """The value of shape ``sh`` at ``prefix`` in a query-protocol form (IAM: lists as ``X.member.N``)."""
    t = sh.type_name
    if t == "structure":
        out = {}
        for name, member in sh.members.items():
            key = member.serialization.get("name", name)
            value = _from_query(member, flat, f"{prefix}{key}" if not prefix else f"{prefix}.{key}")
            if value is not None:
                out[name] = value
        return out if out or not prefix else None
    if t == "list":
        items, i = [], 1
        while True:
            item = _from_query(sh.member, flat, f"{prefix}.member.{i}")
            if item is None:
                break
            items.append(item)
            i += 1
        return items if items or prefix in flat else None
    if t == "map":
        entries, i = {}, 1
        while f"{prefix}.entry.{i}.key" in flat:
            entries[flat[f"{prefix}.entry.{i}.key"]] = _from_query(sh.value, flat, f"{prefix}.entry.{i}.value")
            i += 1
        return entries or None
    if prefix in flat:
        return _scalar(sh, flat[prefix])
    return None


def _from_json(sh: Any, value: Any) -> Any:
    """rest-json bodies name members by locationName (apigatewayv2: lowerCamel): back to member names."""
    if sh.type_name == "structure" and isinstance(value, dict):
        out = {}
        for name, member in sh.members.items():
            key = member.serialization.get("name", name)
            if key in value:
                out[name] = _from_json(member, value[key])
        return out
    if sh.type_name == "list" and isinstance(value, list):
        return [_from_json(sh.member, v) for v in value]
    if sh.type_name == "map" and isinstance(value, dict):
        return {k: _from_json(sh.value, v) for k, v in value.items()}
    return value


def parameters(service: str, environ: dict[str, Any], body: bytes) -> tuple[str, dict[str, Any]] | None:
    """(operation, parameters as botocore names them) of a request to ``service``, or None."""
    model = awsmodel.service_model(service)
    protocol = "json" if service in JSON_SERVICES else model.metadata["protocol"]  # (CloudWatch: json of several)
    if protocol == "json":
        op = environ.get("HTTP_X_AMZ_TARGET", "").rsplit(".", 1)[-1]
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            return None
        return (op, params) if isinstance(params, dict) else None
    if protocol == "query":
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        form.update(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        op = form.get("Action", "")
        if op not in model.operation_names:
            return None
        shape = model.operation_model(op).input_shape
        return op, (_from_query(shape, form, "") or {}) if shape is not None else {}
    found = _rest_operation(service, environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""),
                            environ.get("QUERY_STRING", ""))
    if found is None:
        return None
    op, labels = found
    shape = model.operation_model(op).input_shape
    if shape is None:
        return op, {}
    params: dict[str, Any] = {}
    payload = shape.serialization.get("payload")
    if payload:
        member = shape.members[payload]
        if member.type_name == "structure" and body:
            try:
                params[payload] = _from_json(member, json.loads(body))
            except ValueError:
                pass
    elif body:
        try:
            decoded = json.loads(body)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            params.update(_from_json(shape, decoded))
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    for name, member in shape.members.items():
        where, key = member.serialization.get("location"), member.serialization.get("name", name)
        if where == "uri" and key in labels:
            params[name] = _scalar(member, urllib.parse.unquote(labels[key]))
        elif where == "querystring" and key in query:
            values = query[key]
            params[name] = ([_scalar(member.member, v) for v in values] if member.type_name == "list"
                            else _scalar(member, values[0]))
        elif where == "header":
            header = environ.get("HTTP_" + key.upper().replace("-", "_"))
            if header is not None:
                params[name] = _scalar(member, header)
    return op, params


# ---- answers ----------------------------------------------------------------------------------------


def answer(service: str, violations: list[awsmodel.Violation]) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status, headers, body) of AWS's refusal of a request that breaks the model's constraints."""
    message = awsmodel.aws_summary(violations)
    request_id = str(uuid.uuid4())
    code = ERROR_CODE.get(service, "ValidationException")
    if service == "iam":
        ns = awsmodel.service_model("iam").metadata["xmlNamespace"]
        body = (f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>{code}</Code>'
                f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
        return "400 Bad Request", [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body.encode()
    if service in JSON_SERVICES:
        payload: dict[str, Any] = {"__type": code, "message": message}
        version = awsmodel.service_model(service).metadata.get("jsonVersion", "1.1")
        extra = [("x-amzn-query-error", f"{code};Sender")] if "awsQueryCompatible" in \
            awsmodel.service_model(service).metadata else []
        return "400 Bad Request", [("Content-Type", f"application/x-amz-json-{version}"), ("x-amzn-ErrorType", code),
                                   ("x-amzn-RequestId", request_id), *extra], json.dumps(payload).encode()
    payload = {"message": message} if service == "apigatewayv2" else {"Type": "User", "message": message}
    ctype = "application/json"
    return "400 Bad Request", [("Content-Type", ctype), ("x-amzn-ErrorType", code),
                               ("x-amzn-RequestId", request_id)], json.dumps(payload).encode()


def violations_of(environ: dict[str, Any], body: bytes) -> tuple[str, list[awsmodel.Violation]] | None:
    found = identify(environ)
    if found is None:
        return None
    service = found[0]
    parsed = parameters(service, environ, body)
    if parsed is None:
        return None
    op, params = parsed
    return service, awsmodel.check(service, op, params)


def wsgi_middleware(app: Any) -> Any:
    """Refuse requests that break botocore's model; pass everything else (body intact) to ``app``."""

    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        if identify(environ) is None:
            return app(environ, start_response)
        body = request_body(environ)
        found = violations_of(environ, body)
        if found and found[1]:
            status, headers, data = answer(found[0], found[1])
            start_response(status, [*headers, ("Content-Length", str(len(data)))])
            return [data]
        return app(environ, start_response)

    return middleware


def install() -> None:
    """Put the validation in front of moto's server (idempotent through extensions.install)."""
    from reconciler.sandbox.extensions import in_front_of_server

    in_front_of_server(wsgi_middleware)
