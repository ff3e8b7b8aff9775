"""Run the real `reconcile` console script as a subprocess, the way a user does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.audit import ENV_MARKER, WriteAudit, active_for, register


def reconcile_exe() -> str:
    exe = Path(sys.executable).parent / "reconcile"
    if exe.exists():
        return str(exe)
    found = shutil.which("reconcile")
    if not found:
        raise RuntimeError("the reconcile console script is not installed (pip install -e .)")
    return found


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


class Cli:
    """``cli(*args)`` runs the console script. With ``audit_url`` (the moto server's), every call's AWS writes
    are checked against what the command may write (tests/support/audit.py): a violation fails the test."""

    def __init__(self, env: dict[str, str], cwd: Path, audit_url: str | None = None):
        self.env = env
        self.cwd = cwd
        self.history: list[Result] = []
        self.audit = WriteAudit(audit_url) if audit_url else active_for(env)  # a Cli(cli.env, …) shares cli's
        if audit_url and self.audit:
            register(self.audit)
            env[ENV_MARKER] = audit_url  # in place: tests share this dict (aws_env, cli.env)

    def __call__(self, *args: str, input: str | None = None, timeout: float = 300, env: dict | None = None,
                 terminal: bool = False) -> Result:
        """``terminal``: stdout and stderr are one pseudo-terminal (as in a user's shell); ``out`` holds both."""
        run_env = {**self.env, **(env or {})}
        audit = self.audit if self.audit and self.audit.applies(args, run_env) else None
        if audit:
            run_env.update(audit.begin(run_env))
        if terminal:
            res = on_terminal([reconcile_exe(), *args], self.cwd, run_env, timeout)
        else:
            proc = subprocess.run(
                [reconcile_exe(), *args], cwd=self.cwd, env=run_env, input=input,
                capture_output=True, text=True, timeout=timeout,
            )
            res = Result(proc.returncode, proc.stdout, proc.stderr)
        self.history.append(res)
        if audit:
            audit.end(args, res)
        return res


def on_terminal(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Result:
    """Run ``argv`` with stdout and stderr on a pseudo-terminal (stdin: none); everything it printed, as is."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout)
    return Result(code, b"".join(chunks).decode(errors="replace").replace("\r\n", "\n"), "")


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RECONCILE_"))}
    env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env
