"""Shared fixtures: a moto server over HTTP (per xdist worker), the CLI as a subprocess, boto3 clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from tests.support import audit
from tests.support.cli import Cli, clean_env
from tests.support.server import MotoServer

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer(tmp_path_factory.mktemp("moto"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def write_audit(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[audit.Session]:
    """Every test's write audit (tests/support/audit.py): every reconcile run it starts writes its run file
    into this folder (RECONCILE_AUDIT_DIR: in this process's environment for in-process runs, and in
    ``aws_env`` for processes), and is compared with the plans it executed; at the end, every write of a
    reconcile run that the moto server recorded during the test must have been compared."""
    folder = tmp_path_factory.mktemp("audit-runs")
    monkeypatch.setenv("RECONCILE_AUDIT_DIR", str(folder))
    session = audit.begin(folder)
    if "moto_server" in request.fixturenames:
        session.watch(request.getfixturevalue("moto_server").url)
    try:
        yield session
    finally:
        audit.end()


@pytest.fixture
def aws_env(moto_server: MotoServer, tmp_path: Path, write_audit: audit.Session) -> dict[str, str]:
    """A clean account on the moto server, and the environment that points at it."""
    moto_server.reset()
    return clean_env({
        "AWS_ENDPOINT_URL": moto_server.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "RECONCILE_HOME": str(tmp_path / "reconcile-home"),
        "RECONCILE_AUDIT_DIR": str(write_audit.folder),
        "RECONCILE_POLL_SECONDS": "0.05",  # the sandbox's fast timings are the tests' default (tests/support/server.py)
    })


@pytest.fixture
def cli(aws_env: dict[str, str], tmp_path: Path) -> Cli:
    """`cli("plan", "dir")` runs the reconcile console script against the moto server; the AWS writes of
    every call are compared with the plans it executed (tests/support/audit.py)."""
    return Cli(aws_env, tmp_path)


@pytest.fixture
def boto(moto_server: MotoServer, aws_env: dict[str, str]):  # type: ignore[no-untyped-def]
    """`boto("iam")`: a boto3 client on the same moto server (for out-of-band changes and checks)."""

    def make(service: str):  # type: ignore[no-untyped-def]
        return boto3.client(service, region_name=REGION, endpoint_url=moto_server.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    return make


#: slowest folders first: `make test` deals the suite out to its workers in this order (--dist worksteal), so the
#: long end-to-end tests start at once and the short unit tests fill the gaps at the end; without this the
#: suite ended on one worker running end-to-end tests one at a time while the other sat idle (issue 27)
SLOWEST_FIRST = ("e2e", "sandbox", "kinds", "unit")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def folder(item: pytest.Item) -> int:
        parts = Path(str(item.path)).parts
        return next((n for n, f in enumerate(SLOWEST_FIRST) if "tests" in parts and f in parts), len(SLOWEST_FIRST))

    items.sort(key=folder)  # stable: each folder keeps its files (and their fixtures) together, in order
    # a test marked opt_in("VAR") (an hour-long run) is collected only when VAR=1: deselected, not skipped, so CI,
    # which fails on any skip, stays green without it and says "1 deselected"
    off = [i for i in items if (m := i.get_closest_marker("opt_in")) and os.environ.get(m.args[0]) != "1"]
    if off:
        config.hook.pytest_deselected(items=off)
        items[:] = [i for i in items if i not in off]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI every check runs: a skipped test (a missing tool, an import skipped) fails the run."""
    if not os.environ.get("CI") or hasattr(session.config, "workerinput"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        names = ", ".join(sorted({r.nodeid for r in skipped}))
        print(f"\nCI runs every check, but {len(skipped)} test(s) were skipped: {names}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
