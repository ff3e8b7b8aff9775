"""A moto server over real HTTP for end-to-end tests: the same server (and extensions) as the sandbox."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: the SageMaker emulator's delays in every test unless the test sets its own (POST /reconcile-sandbox/sagemaker/
#: config; /moto-api/reset returns to these): long enough to see each status, short enough not to wait for it
FAST = {"RECONCILE_SANDBOX_SAGEMAKER_CREATE_SECONDS": "0.2", "RECONCILE_SANDBOX_SAGEMAKER_UPDATE_SECONDS": "0.2",
        "RECONCILE_SANDBOX_SAGEMAKER_DELETE_SECONDS": "0.1"}


class MotoServer:
    def __init__(self, log_dir: Path, env: dict[str, str] | None = None):
        """``env``: settings of this server only (e.g. ``RECONCILE_SANDBOX_IAM=enforce``), not of the shared one."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_dir / f"moto-{self.port}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reconciler.sandbox.server", "--port", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true", **FAST, **(env or {})},
        )
        from reconciler.sandbox import _ping

        deadline = time.monotonic() + 60
        while not _ping(self.port, 0.5):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto server failed to start (see {self.log.name})")
            time.sleep(0.1)

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=60):
            pass

    def post(self, path: str, payload: dict) -> dict:
        req = urllib.request.Request(f"{self.url}{path}", data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
        return json.loads(body) if body else {}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
