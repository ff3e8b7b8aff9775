"""Where moto is not AWS, the sandbox (and the tests) extend it here. Each extension is tested."""

from __future__ import annotations

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
        sagemaker,
        tagging,
        validation,
        wire,
    )

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
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


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
