"""Fixtures of the emulator's own suite: one shared moto server, names unique per test, short delays."""

from __future__ import annotations

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
