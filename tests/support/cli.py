"""Run the real `reconcile` console script as a subprocess, the way a user does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


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
    def __init__(self, env: dict[str, str], cwd: Path):
        self.env = env
        self.cwd = cwd
        self.history: list[Result] = []

    def __call__(self, *args: str, input: str | None = None, timeout: float = 300, env: dict | None = None) -> Result:
        proc = subprocess.run(
            [reconcile_exe(), *args], cwd=self.cwd, env={**self.env, **(env or {})}, input=input,
            capture_output=True, text=True, timeout=timeout,
        )
        res = Result(proc.returncode, proc.stdout, proc.stderr)
        self.history.append(res)
        return res


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RECONCILE_"))}
    env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env
