"""`apply` without --auto-approve asks on a terminal and only 'yes' proceeds."""

from __future__ import annotations

import os
import subprocess

from tests.support.cli import reconcile_exe
from tests.support.manifests import write

ROLE = "apiVersion: reconciler/v1\nkind: Role\nmetadata: {name: asked}\nspec: {assumedBy: [sagemaker.amazonaws.com]}\n"


def run_on_terminal(args: list[str], answer: str, env: dict, cwd) -> subprocess.CompletedProcess:
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen([reconcile_exe(), *args], stdin=slave, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=cwd, text=True)
        os.write(master, answer.encode() + b"\n")
        out, err = proc.communicate(timeout=120)
        return subprocess.CompletedProcess(args, proc.returncode, out, err)
    finally:
        os.close(master)
        os.close(slave)


def test_terminal_confirmation(aws_env, boto, tmp_path):
    m = write(tmp_path / "m", {"r.yaml": ROLE})
    r = run_on_terminal(["apply", str(m)], "no", aws_env, tmp_path)
    assert r.returncode == 1 and "cancelled; nothing was changed" in r.stderr
    assert boto("iam").list_roles()["Roles"] == []
    r = run_on_terminal(["apply", str(m)], "yes", aws_env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Only 'yes' will be accepted" in r.stdout + r.stderr
    assert [x["RoleName"] for x in boto("iam").list_roles()["Roles"]] == ["asked"]
