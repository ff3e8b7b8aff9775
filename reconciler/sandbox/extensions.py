"""Where moto is not AWS, the sandbox (and the tests) extend it here. Each extension is tested."""

from __future__ import annotations

_installed = False


def install() -> None:
    """Install every extension into this process's moto (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    from reconciler.sandbox import iam_oidc, lambda_runtime, sagemaker

    sagemaker.install()  # UpdateEndpoint, inference components, timed statuses, faults, TGI invoke
    lambda_runtime.install()  # Lambda Invoke runs Python handlers; execute-api routes
    iam_oidc.install()  # Add/RemoveClientIDToOpenIDConnectProvider
