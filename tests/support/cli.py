"""Run the real `reconcile` console script as a subprocess, the way a user does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import audit


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
    """``cli(*args)`` runs the console script. The writes of every reconcile run it starts are compared with
    the plans the run executed, right after the call (tests/support/audit.py): a violation fails the test."""

    def __init__(self, env: dict[str, str], cwd: Path):
        self.env = env
        self.cwd = cwd
        self.history: list[Result] = []

    def __call__(self, *args: str, input: str | None = None, timeout: float = 300, env: dict | None = None,
                 cwd: Path | None = None) -> Result:
        run_env = {**self.env, **(env or {})}
        with audited() as done:
            proc = subprocess.run(
                [reconcile_exe(), *args], cwd=cwd or self.cwd, env=run_env, input=input,
                capture_output=True, text=True, timeout=timeout,
            )
            res = Result(proc.returncode, proc.stdout, proc.stderr)
            done(res)
        self.history.append(res)
        return res


class audited:
    """``with audited() as done: …; done(result)``: the runs started inside are compared with their plans
    when the block ends (``result``: the command's, for its exit code and output in the message)."""

    def __enter__(self) -> Any:
        self.session = audit.current()
        self.before = {r.id for r in self.session.runs()} if self.session else set()
        self.result: Result | None = None

        def done(result: Result) -> None:
            self.result = result

        return done

    def __exit__(self, *exc: Any) -> None:
        import os

        if self.session is None or self.session.pid != os.getpid() or exc[0] is not None:
            return
        res = self.result
        self.session.check_new(self.before, None if res is None else res.code == 0, res.text if res else "")


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RECONCILE_"))}
    env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env
