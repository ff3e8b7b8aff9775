"""IAM authorization in the sandbox: a request signed by an IAM user's or an assumed role's key is allowed only
when that principal's identity-based policies allow every check IAM makes for it, and is refused as AWS refuses
it (``AccessDenied`` / ``AccessDeniedException``, "User: ARN is not authorized to perform: ACTION on resource:
ARN because no identity-based policy allows the ACTION action").

Off by default. ``RECONCILE_SANDBOX_IAM=enforce`` (or ``record``) when the server starts, or
``POST /reconcile-sandbox/iam {"mode": "enforce" | "record" | "off"}`` turns it on; ``record`` decides and
records but refuses nothing (what a run would need). ``GET /reconcile-sandbox/iam/decisions[?since=N]`` lists
the decisions: caller, action, resource, result, the statements that allowed it, and conditions that could not
be evaluated. ``/moto-api/reset`` forgets them and returns to the mode the server started with.

Who is checked: an active key of an IAM user (its inline and attached policies and its groups') or of a role
session from ``AssumeRole`` (the role's inline and attached policies), in any partition. In enforce mode the
credentials are checked first, as AWS does (``iam_authentication``: an unknown or inactive key, a session's missing
token or expiry, a signature made with another secret). Any key outside IAM's form, such as the sandbox's own
dummy credentials (``sandbox``, ``testing``), is the account's root user, which identity policies do not restrict.
``sts:GetCallerIdentity`` needs no permission, as in AWS (but valid credentials).

Why not moto's own (``INITIAL_NO_AUTH_ACTION_COUNT``, moto 5.2): it checks the action alone, with the service's
signing name as prefix (``monitoring:``, ``tagging:``; ``apigateway:CreateApi`` for what IAM calls
``apigateway:POST``); it knows the resource only for IAM calls that name a role and for ``sts:AssumeRole``, so a
statement scoped to other ARNs never matches; it ignores the ``Condition`` of identity policies; it checks no
``iam:PassRole``; and the sandbox's own SageMaker operations are not behind it. What this module does not model
either: permissions boundaries, SCPs, session policies, resource-based policies.
"""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.parse
import uuid
from collections import deque
from typing import Any
from xml.sax.saxutils import escape

from reconciler.sandbox import iam_evaluation as ev
from reconciler.sandbox.extensions import request_body, request_target
from reconciler.sandbox.iam_authentication import ISSUED, MOTO_TOKEN_KEY, Refused, holder, unauthenticated
from reconciler.sandbox.iam_requests import Check, Live, Request, checks

ROUTE = "/reconcile-sandbox/iam"
MODES = ("off", "record", "enforce")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_lock = threading.Lock()
_state: dict[str, Any] = {"mode": "off", "initial": "off", "seq": 0}
_decisions: deque[dict[str, Any]] = deque(maxlen=100_000)


# ---- who is calling, and what may they do --------------------------------------------------------------


def _iam(account: str, partition: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account][partition]


def _principal(found: tuple[str, Any, Any, Any]) -> tuple[str, str, list[ev.Policy]]:
    """(account, ARN, policies) of the IAM user or role session ``holder`` found holding the request's key."""
    account, backend, user, session = found
    if user is not None:
        return account, user.arn, _user_policies(backend, user.name)
    partition, role = session.role_arn.split(":")[1], session.role_arn.rsplit("/", 1)[1]
    return account, f"arn:{partition}:sts::{account}:assumed-role/{role}/{session.session_name}", \
        _role_policies(backend, role)


def _managed(policies: list[Any]) -> list[ev.Policy]:
    out = []
    for p in policies:
        version = next((v for v in p.versions if v.is_default), None)
        if version is not None:
            out.append(ev.Policy(p.arn, _doc(version.document)))
    return out


def _doc(text: Any) -> dict[str, Any]:
    try:
        return ev.document(text)
    except ValueError:
        return ev.document(urllib.parse.unquote(text))


def _user_policies(backend: Any, name: str) -> list[ev.Policy]:
    out = [ev.Policy(f"inline:{p}", _doc(backend.get_user_policy(name, p)["policy_document"]))
           for p in backend.list_user_policies(name)]
    out += _managed(backend.list_attached_user_policies(name)[0])
    for group in backend.get_groups_for_user(name):
        out += [ev.Policy(f"inline:{group.name}/{p}", _doc(backend.get_group_policy(group.name, p)["policy_document"]))
                for p in backend.list_group_policies(group.name)]
        out += _managed(backend.list_attached_group_policies(group.name)[0])
    return out


def _role_policies(backend: Any, role: str) -> list[ev.Policy]:
    try:
        out = [ev.Policy(f"inline:{p}", _doc(backend.get_role_policy(role, p)[1])) for p in backend.list_role_policies(role)]
        return out + _managed(backend.list_attached_role_policies(role)[0])
    except Exception:  # the role is gone: its sessions may do nothing
        return []


# ---- what IAM knows about the resources ------------------------------------------------------------------


def live(account: str, region: str) -> Live:
    """What IAM knows of the resources in ``region``'s partition (GovCloud's ARNs are ``arn:aws-us-gov:…``)."""
    from moto.utilities.utils import get_partition

    partition = get_partition(region)
    return Live(account, region, partition, path_of=lambda entity, name: _path_of(account, partition, entity, name),
                secret_arn=lambda sid: _secret_arn(account, region, sid),
                target_arn=lambda ns, rid, dim: _target_arn(account, region, ns, rid, dim),
                tags_of=lambda arn: _tags_of(account, region, arn))


def _path_of(account: str, partition: str, entity: str, name: str) -> str | None:
    backend = _iam(account, partition)
    try:
        return str({"role": backend.get_role, "user": backend.get_user}[entity](name).path)
    except Exception:
        return None


def _secret_arn(account: str, region: str, secret_id: str) -> str | None:
    from moto.secretsmanager.models import secretsmanager_backends

    found = secretsmanager_backends[account][region].secrets.get(secret_id)
    return found.arn if found is not None else None


def _target_arn(account: str, region: str, namespace: str, resource_id: str, dimension: str) -> str | None:
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    target = applicationautoscaling_backends[account][region].targets.get(dimension, {}).get(resource_id)
    return target.arn if target is not None and target.service_namespace == namespace else None


def _tags_of(account: str, region: str, arn: str) -> dict[str, str] | None:
    """The live tags of the resource ``arn`` (None when it does not exist or carries none)."""
    service, kind_and_name = arn.split(":")[2], arn.split(":", 5)[5]
    try:
        if service == "iam":
            backend, (kind, _, rest) = _iam(account, arn.split(":")[1]), kind_and_name.partition("/")
            name = rest.rsplit("/", 1)[-1]
            if kind == "role":
                return {t["Key"]: t["Value"] for t in backend.get_role(name).tags}
            if kind == "user":
                return {t["Key"]: t["Value"] for t in backend.list_user_tags(name)}
            if kind == "policy":
                return {t["Key"]: t["Value"] for t in backend.list_policy_tags(arn, None, 1000)[0]}
            if kind == "oidc-provider":
                return {t["Key"]: t["Value"] for t in backend.list_open_id_connect_provider_tags(arn, None, 1000)[0]}
            return None
        if service == "application-autoscaling":
            from moto.applicationautoscaling.models import applicationautoscaling_backends

            return dict(applicationautoscaling_backends[account][region].__dict__.get("rx_tags", {}).get(arn) or {})
        for resource in _tagged(service, account, region):
            if resource.arn == arn:
                return dict(resource.tags)
    except Exception:  # not found: no tags to speak of
        return None
    return None


def _tagged(service: str, account: str, region: str) -> Any:
    if service == "apigateway":
        from reconciler.sandbox.tagging import _api_gateway_v2

        return _api_gateway_v2(account, region)
    import importlib

    module, name = {"sagemaker": ("moto.sagemaker.models", "sagemaker_backends"),
                    "lambda": ("moto.awslambda.models", "lambda_backends"),
                    "secretsmanager": ("moto.secretsmanager.models", "secretsmanager_backends"),
                    "cloudwatch": ("moto.cloudwatch.models", "cloudwatch_backends"),
                    "dynamodb": ("moto.dynamodb.models", "dynamodb_backends")}[service]
    return getattr(importlib.import_module(module), name)[account][region].iter_tagged_resources()


# ---- the decision ----------------------------------------------------------------------------------------


def decide(principal: tuple[str, str, list[ev.Policy]], request: Request, region: str) -> tuple[Check, ev.Decision] | None:
    """Evaluate every check of ``request``; the first refused one and its decision (None: all allowed)."""
    account, arn, policies = principal
    refused = None
    for check in checks(request, live(account, region)):
        decision = ev.evaluate(policies, check.action, check.resource, check.context)
        _remember(arn, check, decision)
        if decision.result != ev.ALLOW and refused is None:
            refused = (check, decision)
    return refused


def _remember(caller: str, check: Check, decision: ev.Decision) -> None:
    with _lock:
        _state["seq"] += 1
        _decisions.append({"seq": _state["seq"], "caller": caller, "action": check.action, "resource": check.resource,
                           "because": check.because, "result": decision.result, "by": decision.by,
                           "unevaluated": decision.unevaluated,
                           "context": {k: v for k, v in sorted(check.context.items())}})


def message(caller: str, check: Check, decision: ev.Decision) -> str:
    why = ("with an explicit deny in an identity-based policy" if decision.result == ev.DENY
           else f"because no identity-based policy allows the {check.action} action")
    return f"User: {caller} is not authorized to perform: {check.action} on resource: {check.resource} {why}"


def denied(text: str) -> Refused:
    """AccessDenied, as each protocol words it."""
    return {"query": ("AccessDenied", text), "json": ("AccessDeniedException", text), "s3": ("AccessDenied", text, 403)}


def refusal(environ: dict[str, Any], why: Refused, service: str | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status, headers, body) of AWS's refusal ``why`` in the request's protocol. A JSON service answers with its
    JSON name; only one its model marks ``awsQueryCompatible`` (CloudWatch) adds the query name in
    ``x-amzn-query-error``, which botocore then takes as the code."""
    rid = str(uuid.uuid4())
    if service == "s3":  # REST-XML, S3's own codes
        code, text, status = why["s3"]
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(text)}</Message>'
               f"<RequestId>{rid}</RequestId><HostId>{rid}</HostId></Error>")
        reason = {400: "Bad Request", 403: "Forbidden"}[status]
        return f"{status} {reason}", [("Content-Type", "application/xml"), ("x-amz-request-id", rid)], xml.encode()
    (code, text), (json_code, _) = why["query"], why["json"]
    if environ.get("HTTP_X_AMZ_TARGET"):  # JSON protocol (SageMaker, Secrets Manager, tagging, …)
        body = json.dumps({"__type": json_code, "Message": text}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", rid),
                   ("x-amzn-ErrorType", json_code)]
        if _query_compatible(service):
            headers.append(("x-amzn-query-error", f"{code};Sender"))
        return "400 Bad Request", headers, body
    ctype = environ.get("CONTENT_TYPE") or ""
    if ctype.startswith("application/x-www-form-urlencoded"):  # query protocol (IAM, STS)
        xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(text)}</Message>"
               f"</Error><RequestId>{rid}</RequestId></ErrorResponse>")
        return "403 Forbidden", [("Content-Type", "text/xml"), ("x-amzn-RequestId", rid)], xml.encode()
    body = json.dumps({"Message": text, "message": text}).encode()  # rest-json (Lambda, API Gateway)
    return "403 Forbidden", [("Content-Type", "application/json"), ("x-amzn-RequestId", rid),
                             ("x-amzn-ErrorType", json_code)], body


def _query_compatible(service: str | None) -> bool:
    from reconciler.sandbox.audit import _model

    model = _model(service) if service else None
    return model is not None and "awsQueryCompatible" in model.metadata


def _refuse(environ: dict[str, Any], start_response: Any, answer: tuple[str, list[tuple[str, str]], bytes]) -> Any:
    status, headers, data = answer
    start_response(status, [*headers, ("Content-Length", str(len(data)))])
    return [data]


# ---- the middleware and its routes -----------------------------------------------------------------------


def forget() -> None:
    """``/moto-api/reset``: the decisions go, the mode returns to the server's start setting."""
    with _lock:
        _decisions.clear()
        _state["mode"] = _state["initial"]


def _answer(start_response: Any, status: str, payload: Any) -> list[bytes]:
    data = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _route(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    path, method = environ.get("PATH_INFO", "").rstrip("/"), environ.get("REQUEST_METHOD", "GET")
    if path == ROUTE and method == "POST":
        try:
            mode = json.loads(request_body(environ) or b"{}").get("mode")
        except ValueError:
            mode = None
        if mode not in MODES:
            return _answer(start_response, "400 Bad Request", {"error": f"mode must be one of {', '.join(MODES)}"})
        _state["mode"] = mode
    if path == ROUTE:
        return _answer(start_response, "200 OK", {"mode": _state["mode"]})
    if path == ROUTE + "/decisions":
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        since = int((query.get("since") or ["0"])[0] or 0)
        with _lock:
            found = [d for d in _decisions if d["seq"] > since]
        return _answer(start_response, "200 OK", {"decisions": found, "next": _state["seq"]})
    return _answer(start_response, "404 Not Found", {"error": f"no such route {path}"})


def wsgi_middleware(app: Any) -> Any:
    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith(("/reconcile-sandbox/", "/moto-api")):  # the sandbox's own routes: never authorized
            if path.startswith(ROUTE):
                return _route(environ, start_response)
            if path.startswith("/moto-api/reset"):
                forget()
            return app(environ, start_response)
        found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION") or "")
        if _state["mode"] == "off" or found is None:
            return app(environ, start_response)
        key, region, signing = found.groups()
        found = holder(key)  # (the one lookup of the key: the credentials are checked first, then the policies)
        body = request_body(environ)
        from reconciler.sandbox.audit import resolve

        resolved = resolve(environ, body)
        service = resolved[0] if resolved else None
        if _state["mode"] == "enforce" and (found is not None or (ISSUED.fullmatch(key) and key != MOTO_TOKEN_KEY)):
            why = unauthenticated(environ, body, key, found)
            if why is not None:
                return _refuse(environ, start_response, refusal(environ, why, service))
        if found is None or resolved is None or resolved[1] == "GetCallerIdentity":
            return app(environ, start_response)
        principal = _principal(found)
        raw = request_target(environ)
        request = Request(signing, resolved[1], resolved[2], environ.get("REQUEST_METHOD", "POST"), raw)
        refused = decide(principal, request, region)
        if refused is None or _state["mode"] != "enforce":
            return app(environ, start_response)
        return _refuse(environ, start_response, refusal(environ, denied(message(principal[1], *refused)), service))

    return middleware


def install() -> None:
    """Put the authorization in front of moto's server (after the validation: AWS authorizes first)."""
    mode = os.environ.get("RECONCILE_SANDBOX_IAM", "off").lower()
    _state["mode"] = _state["initial"] = mode if mode in MODES else "off"
    from reconciler.sandbox.extensions import in_front_of_server

    in_front_of_server(wsgi_middleware)
