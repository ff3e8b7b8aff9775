"""The kinds' contract tests run the pipeline in-process against the test worker's emulator over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler import pipeline
from tests.support.manifests import write


@pytest.fixture
def mocked(moto_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A clean account on the test worker's emulator (the sandbox's server, over HTTP), the pipeline run
    in-process against it: every run is write-audited like a CLI run (tests/support/audit.py)."""
    moto_server.reset()
    for k in ("AWS_PROFILE", "RECONCILE_SANDBOX"):
        monkeypatch.delenv(k, raising=False)
    for k, v in {"AWS_ENDPOINT_URL": moto_server.url, "AWS_ACCESS_KEY_ID": "testing",
                 "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                 "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
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
