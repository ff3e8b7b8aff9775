"""Where moto is not AWS, the sandbox (and the tests) extend it here. Each extension is tested."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_installed = False


def install() -> None:
    """Install every extension into this process's moto (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    from reconciler.sandbox import (
        audit,
        autoscaling,
        cloudwatch,
        errors,
        iam_authorization,
        iam_oidc,
        iam_principals,
        lambda_code,
        lambda_runtime,
        paging,
        pricing,
        quotas,
        sagemaker,
        speed,
        tagging,
        validation,
        wire,
    )

    speed.install()  # moto's per-request lookups of its own code, done once
    wire.install()  # first, so innermost: only moto's own answers are cleaned of nulls
    sagemaker.install()  # UpdateEndpoint, inference components, timed statuses, faults, TGI invoke
    lambda_runtime.install()  # Lambda Invoke runs Python handlers; execute-api routes
    lambda_code.install()  # GetFunction's Code.Location downloads the zip
    iam_oidc.install()  # Add/RemoveClientIDToOpenIDConnectProvider
    iam_principals.install()  # a trust policy's account-id principal stored as its root ARN
    autoscaling.install()  # sagemaker:inference-component:DesiredCopyCount, AWS's refusals and deletions
    cloudwatch.install()  # alarm tags set at creation only and deleted with the alarm
    tagging.install()  # GetResources lists inference components, HTTP APIs, endpoint configs under their ARNs
    paging.install()  # after every response method is in place: page sizes honoured where botocore models them
    errors.install()  # IAM / Secrets Manager not-found answers as AWS words them
    quotas.install()  # Service Quotas for SageMaker (ListServiceQuotas, …) and its /reconcile-sandbox/quotas control
    pricing.install()  # the Price List API's GetProducts for SageMaker hosting instances
    validation.install()  # requests checked against botocore's model constraints, refused as AWS does
    iam_authorization.install()  # in front of validation (AWS authorizes first); off unless RECONCILE_SANDBOX_IAM
    audit.install()  # keep last: outermost, records every write with the status the client saw


def request_body(environ: dict[str, Any]) -> bytes:
    """The request's body, read once and put back (``wsgi.input`` rewound) for the next middleware and moto."""
    import io

    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        body = environ["wsgi.input"].read(length)
    elif not environ.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated"):  # chunked: read to its end
        body = environ["wsgi.input"].read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body)) if body else environ.get("CONTENT_LENGTH", "")
    return body


def request_target(environ: dict[str, Any]) -> str:
    """The path and query as the client sent them (PATH_INFO is decoded: an ARN in the path would split), also
    when the request line carried the absolute form (``POST http://host:port/path HTTP/1.1``, as through a proxy)."""
    import urllib.parse

    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        query = environ.get("QUERY_STRING")
        path = environ.get("PATH_INFO", "/").encode("latin-1")  # (WSGI: the path's bytes as latin-1 text)
        return urllib.parse.quote(path) + (f"?{query}" if query else "")
    if "://" in raw.split("?", 1)[0]:
        parts = urllib.parse.urlsplit(raw)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return str(raw)


def in_front_of_server(middleware: Callable[[Any], Any]) -> None:
    """Route every request of moto's HTTP server through ``middleware(app) -> app`` first (our own
    routes, e.g. /reconcile-sandbox/…); nothing to do when moto's server extras are not installed."""
    try:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    except ImportError:
        return
    original_call = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        return middleware(lambda e, s: original_call(self, e, s))(environ, start_response)

    DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]


def on_reset(callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever ``POST /moto-api/reset`` (``reconcile sandbox reset``) clears moto's state."""
    from moto.moto_api._internal.models import MotoAPIBackend

    original_reset = MotoAPIBackend.reset

    def reset(self: Any) -> None:
        original_reset(self)
        callback()

    MotoAPIBackend.reset = reset  # type: ignore[method-assign]


STATUS_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def answer_json(start_response: Any, status: int, payload: Any, content_type: str = "application/json",
                headers: tuple[tuple[str, str], ...] = ()) -> list[bytes]:
    """Answer a request from a middleware: ``payload`` as JSON with ``status``."""
    data = json.dumps(payload).encode()
    start_response(f"{status} {STATUS_REASONS.get(status, 'Error')}",
                   [("Content-Type", content_type), ("Content-Length", str(len(data))), *headers])
    return [data]


def control_route(method: str, body: bytes, route: str, show: Callable[[], Any], clear: Callable[[], None],
                  change: Callable[[dict[str, Any]], Any]) -> tuple[int, Any]:
    """A sandbox control: ``GET`` shows, ``DELETE`` clears (and shows), ``POST`` a JSON object changes
    (``change`` raises ValueError, with what is allowed, for a body it refuses): (status, JSON answer)."""
    if method in ("GET", "DELETE"):
        if method == "DELETE":
            clear()
        return 200, show()
    if method != "POST":
        return 405, {"error": f"{method} not allowed on {route}"}
    try:
        payload = json.loads(body or b"{}")
        if not isinstance(payload, dict):
            raise ValueError("the body must be a JSON object")
        return 200, change(payload)
    except ValueError as e:  # (a body that is not JSON too)
        return 400, {"error": str(e)}


def page(items: list[Any], max_results: Any, token: Any) -> tuple[list[Any], str | None]:
    """One page of ``items`` and the next page's token (AWS's opaque base64 form); ValueError: a bad token."""
    import base64
    import binascii

    try:
        start = int(base64.b64decode(str(token), validate=True).decode()) if token else 0
    except (ValueError, binascii.Error):
        raise ValueError("invalid pagination token") from None
    size = int(max_results or 100)
    more = start + size < len(items)
    return items[start:start + size], base64.b64encode(str(start + size).encode()).decode() if more else None
