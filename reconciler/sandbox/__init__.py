"""The embedded local AWS: a moto server (extended where moto falls short) kept between commands.

State lives in ``$RECONCILE_HOME`` (default ``~/.cache/reconcile``): ``sandbox.json`` holds the
server's pid and port, ``sandbox.log`` its output. Credentials are fixed dummies; the account is
moto's 123456789012. Nothing here reaches the real AWS.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import ReconcileError
from reconciler.sandbox_contract import home

ACCESS_KEY = "sandbox"
SECRET_KEY = "sandbox-secret-not-a-real-key"
DEFAULT_REGION = "us-east-1"


def _state_file() -> Path:
    return home() / "sandbox.json"


@dataclass
class Status:
    running: bool
    pid: int | None = None
    port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _alive(pid: int) -> bool:
    """True when ``pid`` is a running sandbox server (a recycled pid of another program is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the pid
    return b"reconciler.sandbox.server" in cmdline


def _ping(port: int, timeout: float = 2.0) -> bool:
    """A cheap real request (STS GetCallerIdentity) to the server on ``port``."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/", data=b"Action=GetCallerIdentity&Version=2011-06-15", method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "Authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20260101/us-east-1/sts/aws4_request, "
                                  "SignedHeaders=host, Signature=0"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status == 200 and b"GetCallerIdentityResult" in r.read()
    except Exception:
        return False


def status() -> Status:
    try:
        data = json.loads(_state_file().read_text())
    except (OSError, ValueError):
        return Status(False)
    pid, port = int(data.get("pid", 0)), int(data.get("port", 0))
    if pid and _alive(pid) and (_ping(port) or _ping(port, 10.0)):
        return Status(True, pid, port)
    return Status(False, pid or None, port or None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _start_lock() -> Iterator[None]:
    """Held while a server is started or stopped: two commands starting a cold sandbox at once
    start one server (the second waits, then finds it running), never two for one RECONCILE_HOME."""
    home().mkdir(parents=True, exist_ok=True)
    fd = os.open(home() / "sandbox.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel if this process dies
        yield
    finally:
        os.close(fd)


def server_env() -> dict[str, str]:
    """The server's environment: the caller's, without its AWS settings (a profile that names a real
    account, or one missing from ~/.aws/config, must neither reach nor break the local server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"MOTO_IAM_LOAD_MANAGED_POLICIES": "true", "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": DEFAULT_REGION})
    return env


def start(port: int | None = None, timeout: float = 60.0) -> Status:
    """Start the sandbox server in the background (no-op when already running)."""
    current = status()
    if current.running:
        return current
    with _start_lock():
        return _start_locked(port, timeout)


def _start_locked(port: int | None, timeout: float) -> Status:
    current = status()
    if current.running:  # another command started it while this one waited for the lock
        return current
    port = port or int(os.environ.get("RECONCILE_SANDBOX_PORT", 0)) or _free_port()
    log = open(home() / "sandbox.log", "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.sandbox.server", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        env=server_env(),
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ReconcileError(f"the sandbox server exited at start (code {proc.returncode}); see {home() / 'sandbox.log'}")
        if _ping(port, 0.5):
            _state_file().write_text(json.dumps({"pid": proc.pid, "port": port, "started": time.time()}))
            return Status(True, proc.pid, port)
        time.sleep(0.1)
    proc.kill()
    raise ReconcileError(f"the sandbox server did not answer within {timeout:.0f}s; see {home() / 'sandbox.log'}")


def stop() -> bool:
    """Stop the sandbox server; True if one was running. Its state is gone with it."""
    with _start_lock():
        return _stop_locked()


def _stop_locked() -> bool:
    st = status()
    was_running = bool(st.pid and _alive(st.pid))
    if st.pid and was_running:
        os.kill(st.pid, signal.SIGTERM)
        for _ in range(50):
            if not _alive(st.pid):
                break
            time.sleep(0.1)
        else:
            os.kill(st.pid, signal.SIGKILL)
    try:
        _state_file().unlink()
    except FileNotFoundError:
        pass
    return was_running


def reset() -> Status:
    """Forget every resource in the running sandbox (starting it if needed)."""
    st = start()
    req = urllib.request.Request(f"{st.url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=60):
        pass
    return st


FORGETS = ("every resource in it (IAM roles, users and policies, SageMaker models, configs, endpoints and "
           "inference components, Lambda functions, HTTP APIs, secrets, scaling targets), its injected faults "
           "and delay settings")


def shell_lines(st: Status, region: str | None = None) -> list[str]:
    """POSIX shell lines that point the aws CLI, boto3 and Terraform's AWS provider at the sandbox."""
    region = region or DEFAULT_REGION
    return [
        f"# reconcile sandbox at {st.url}: local emulated AWS, account 123456789012, dummy credentials",
        "# use: eval \"$(reconcile sandbox env)\"",
        f"export AWS_ENDPOINT_URL={st.url}",
        f"export AWS_ACCESS_KEY_ID={ACCESS_KEY}",
        f"export AWS_SECRET_ACCESS_KEY={SECRET_KEY}",
        f"export AWS_REGION={region}",
        f"export AWS_DEFAULT_REGION={region}",
        "unset AWS_PROFILE AWS_SESSION_TOKEN",
        "# SageMaker Python SDK (v2): it sends STS to https://sts.<region>.amazonaws.com whatever AWS_ENDPOINT_URL",
        "# says; pass sagemaker.Session(boto_session=…) a boto3 session whose STS client uses AWS_ENDPOINT_URL too:",
        "# the snippet in docs/sandbox.md, \"Other clients\"",
    ]


def environment(st: Status) -> dict[str, str]:
    """Environment that points boto3 at the sandbox."""
    return {
        "AWS_ENDPOINT_URL": st.url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }
