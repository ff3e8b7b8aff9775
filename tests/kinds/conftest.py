"""The kinds' contract tests run the pipeline in-process on moto's mock_aws (fast, no HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler import pipeline
from tests.support.manifests import write


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from moto import mock_aws

    from reconciler.sandbox.extensions import install

    install()  # the emulator's SageMaker (inference components, UpdateEndpoint …), as the sandbox serves it:
    # every plan scans for orphans (the tagging listing, as the sandbox serves it; inference components included)
    for k in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "RECONCILE_SANDBOX"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        yield


class Stack:
    """A manifests folder plus plan/apply helpers going through the real pipeline."""

    def __init__(self, root: Path):
        self.root = root
        self.opts = pipeline.Options(sandbox=False, concurrency=4)

    def write(self, files: dict[str, str]) -> None:
        for old in self.root.glob("*.yaml"):
            old.unlink()
        write(self.root, {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: test}\n", **files})

    def plan(self, **kw):  # type: ignore[no-untyped-def]
        p, _, _ = pipeline.plan(self.root, self.opts, **kw)
        return p

    def apply(self, **kw):  # type: ignore[no-untyped-def]
        p, t, m = pipeline.plan(self.root, self.opts, **kw)
        result = pipeline.apply(p, t, self.opts, m.stack.name)
        assert result.outcome.ok, result.outcome.failed
        assert result.drift == []
        return p


@pytest.fixture
def stack(tmp_path: Path, mocked: None) -> Stack:
    return Stack(tmp_path / "m")


def four_steps(stack: Stack, files: dict[str, str], expect_creates: int) -> None:
    """plan shows the change -> apply -> plan is empty -> apply again changes nothing."""
    stack.write(files)
    p = stack.plan()
    assert p.counts()["create"] == expect_creates, p.summary()
    applied = stack.apply()
    assert applied.counts()["create"] == expect_creates
    assert not stack.plan().has_changes, [s.changes for s in stack.plan().changes]
    again = stack.apply()
    assert not again.has_changes
