"""docs/sandbox.md's SageMaker Python SDK snippet works (issue 24, item 12): the SDK (v2) creates its STS client
as ``boto_session.client("sts", region_name=region, endpoint_url=sts_regional_endpoint(region))`` (sagemaker/
session.py: ``account_id()``, ``default_bucket()``; ``sts_regional_endpoint`` answers
``https://sts.<region>.amazonaws.com``). The snippet's session class, taken from the docs as they are, makes that
very call reach the sandbox (and nothing else on the network). The SDK itself is not a dependency of the project."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.test_sagemaker_emulator import REGION
from tests.support.server import MotoServer

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


def snippet() -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    [block] = [b for b in blocks if "class SandboxSession" in b]
    return block


def test_the_docs_session_sends_the_sdks_sts_call_to_the_sandbox(server: MotoServer,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"AWS_ENDPOINT_URL": server.url, "AWS_ACCESS_KEY_ID": "sandbox",
                       "AWS_SECRET_ACCESS_KEY": "sandbox-secret-not-a-real-key", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    code = snippet().split("session = sagemaker.Session(")[0].replace("import sagemaker\n", "")
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOCS), "exec"), namespace)
    boto_session = namespace["SandboxSession"](region_name=REGION)
    sts = boto_session.client("sts", region_name=REGION, endpoint_url=f"https://sts.{REGION}.amazonaws.com")
    assert sts.meta.endpoint_url == server.url
    assert sts.get_caller_identity()["Account"] == "123456789012"
    assert boto_session.client("sagemaker").meta.endpoint_url == server.url  # the rest as AWS_ENDPOINT_URL says
