"""What moto puts on the wire that AWS never does, removed from every JSON API answer.

- ``null`` members: AWS leaves an absent member out; moto's apigatewayv2, lambda, secretsmanager and
  application-autoscaling serialise it as ``null`` (botocore's shapes have no nullable members).
- keys botocore does not model that moto adds next to the real one: Secrets Manager's DescribeSecret
  models ``VersionIdsToStages``, its ListSecrets entries ``SecretVersionsToStages``; moto sends both.

Only API answers are touched: invocation payloads (Lambda Invoke, InvokeEndpoint) and the sandbox's
own routes are passed through byte for byte. Pinned by tests/sandbox/test_response_shapes.py.
"""

from __future__ import annotations

import json
from typing import Any

#: moto-only duplicates of modelled members, by the operation (X-Amz-Target) whose answer carries them
UNMODELLED = {"secretsmanager.ListSecrets": {"VersionIdsToStages"}}
UNMODELLED_ELSEWHERE = {"SecretVersionsToStages"}


def clean(value: Any, drop: set[str] | frozenset[str] = frozenset(UNMODELLED_ELSEWHERE)) -> Any:
    """``value`` without null members of objects and without moto-only duplicate keys (recursively)."""
    if isinstance(value, dict):
        return {k: clean(v, drop) for k, v in value.items() if v is not None and k not in drop}
    if isinstance(value, list):
        return [clean(v, drop) for v in value]
    return value


def _unmodelled(environ: dict[str, Any]) -> set[str]:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    return UNMODELLED.get(target, UNMODELLED_ELSEWHERE)


def _api_answer(environ: dict[str, Any]) -> bool:
    path = environ.get("PATH_INFO", "")
    return "/invocations" not in path and not path.startswith(("/reconcile-sandbox", "/moto-api"))


def wsgi_middleware(app: Any) -> Any:
    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        if not _api_answer(environ):
            return app(environ, start_response)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: captured.setdefault("written", []).append(data)

        result = app(environ, capture)
        try:
            body = b"".join(captured.get("written", [])) + b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = captured["headers"]
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        if body[:1] in (b"{", b"[") and ("json" in ctype or "html" in ctype or not ctype):  # moto: often no type
            try:
                body = json.dumps(clean(json.loads(body), _unmodelled(environ))).encode()
            except ValueError:
                pass
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers)
        return [body]

    return middleware


def install() -> None:
    from reconciler.sandbox.extensions import in_front_of_server

    in_front_of_server(wsgi_middleware)
