"""Fixtures of the emulator's own suite: one shared moto server, names unique per test, short delays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox import test_sagemaker_emulator as emulator
from tests.support.server import MotoServer


@pytest.fixture
def server(moto_server: MotoServer) -> MotoServer:
    return emulator.prepare(moto_server)


@pytest.fixture
def sm(server: MotoServer) -> Any:
    return emulator.client(server, "sagemaker")


@pytest.fixture
def rt(server: MotoServer) -> Any:
    return emulator.client(server, "sagemaker-runtime")


@pytest.fixture(scope="module")
def enforcing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """A server of its own with IAM authorization enforced (RECONCILE_SANDBOX_IAM=enforce)."""
    server = MotoServer(tmp_path_factory.mktemp("iam-auth"), env={"RECONCILE_SANDBOX_IAM": "enforce"})
    yield server
    server.stop()


@pytest.fixture
def iam_server(enforcing: MotoServer) -> MotoServer:
    """The enforcing server, reset: no users, no decisions."""
    enforcing.reset()
    return enforcing
