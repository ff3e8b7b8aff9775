"""Where moto is not AWS, the sandbox (and the tests) extend it here. Each extension is tested."""

from __future__ import annotations

_installed = False


def install() -> None:
    """Install every extension into this process's moto (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    from reconciler.sandbox import sagemaker

    sagemaker.install()
    __import__("reconciler.sandbox.lambda_runtime", fromlist=["install"]).install()  # Lambda Invoke + execute-api
