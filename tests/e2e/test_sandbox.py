"""The embedded sandbox: used automatically without AWS credentials, kept between commands."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.cli import Cli, clean_env
from tests.support.manifests import write

REPO = Path(__file__).resolve().parents[2]


def test_newcomer_cycle_in_the_sandbox_without_credentials(tmp_path):
    env = clean_env({"HOME": str(tmp_path / "home"), "RECONCILE_HOME": str(tmp_path / "rh")})
    cli = Cli(env, tmp_path)
    m = tmp_path / "manifests"
    shutil.copytree(REPO / "manifests", m)
    try:
        r = cli("sandbox", "status")
        assert r.code == 3 and "not running" in r.out
        # status says exactly when a command starts it
        assert "--sandbox" in r.out and "RECONCILE_SANDBOX=1" in r.out and "no AWS credentials are found" in r.out
        r = cli("plan", str(m), "--env", "dev")
        assert r.code == 0, r.text
        assert "SANDBOX" in r.out and "to create" in r.out
        # the wait for the server is announced on stderr, only when it starts
        assert "starting the local sandbox" in r.err and "starting" not in r.out
        st = cli("sandbox", "status")
        assert st.code == 0 and "running at http://127.0.0.1:" in st.out
        assert cli("apply", str(m), "--env", "dev", "--auto-approve").code == 0
        # the same server answers the next command: the state was kept
        r = cli("plan", str(m), "--env", "dev")
        assert "No changes." in r.out and "starting the local sandbox" not in r.err
        assert cli("sandbox", "status").out == st.out
        # reset forgets everything
        assert "reset" in cli("sandbox", "reset").out
        r = cli("plan", str(m), "--env", "dev")
        assert r.code == 0 and "to create" in r.out and "No changes." not in r.out
    finally:
        assert "stopped" in cli("sandbox", "stop").out
    assert cli("sandbox", "status").code == 3


def test_explicit_sandbox_flag_and_env(tmp_path, aws_env):
    """--sandbox wins over configured credentials; RECONCILE_SANDBOX=1 does the same."""
    env = {**aws_env, "RECONCILE_HOME": str(tmp_path / "rh2")}
    cli = Cli(env, tmp_path)
    m = write(tmp_path / "m", {"r.yaml": "apiVersion: reconciler/v1\nkind: Role\nmetadata: {name: sb}\n"
                                         "spec: {assumedBy: [sagemaker.amazonaws.com]}\n"})
    try:
        assert "SANDBOX" in cli("plan", str(m), "--sandbox").out
        assert "SANDBOX" in cli("plan", str(m), env={"RECONCILE_SANDBOX": "1"}).out
        r = cli("plan", str(m))
        assert r.code == 0 and "Plan: 1 to create" in r.out and "SANDBOX" not in r.out
        # commands on one live resource say SANDBOX too (on stderr: stdout stays the answer)
        r = cli("invoke", "nope", "--prompt", "hi", "--sandbox")
        assert r.code == 1 and "SANDBOX (local emulated AWS)" in r.err and "does not exist" in r.err, r.text
        r = cli("call-api", "nope", "GET /", "--sandbox")
        assert r.code == 1 and "SANDBOX (local emulated AWS)" in r.err, r.text
    finally:
        cli("sandbox", "stop")
