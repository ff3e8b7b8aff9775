"""Stack locks: two applies (or prunes, destroys) of the same stack never interleave.

- Configured on the Stack, across machines: ``spec.lock: {dynamodbTable: NAME}``. The lock is one item
  in that table (partition key ``LockID``, a string), written with a conditional PutItem
  (``attribute_not_exists(LockID)``, or the previous holder's lease ran out). The item names its holder
  (user, host, pid, command, start time, CI run). The holder renews its lease while it runs; a holder
  killed outright stops renewing and its lock lapses after ``leaseSeconds``; ``reconcile force-unlock``
  releases it at once.
- Without ``spec.lock``: a local lock file in ``$RECONCILE_HOME/locks/`` (``flock``; released by the
  kernel when the holder exits, however it exits), which keeps runs on one machine apart.

``plan`` takes no lock (it changes nothing). A run that finds the stack locked waits up to
``--lock-timeout`` (default 0: do not wait), printing who holds it, then fails naming the holder and
the lock id for ``reconcile force-unlock DIR LOCK_ID``.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import re
import shlex
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reconciler.errors import AwsError, ReconcileError, UsageError

WAIT_STEP = 0.5
PROGRESS_EVERY = 10.0


class LockSpec(BaseModel):
    """Stack.spec.lock: the lock that keeps applies of this stack from different machines apart."""

    model_config = ConfigDict(extra="forbid")
    dynamodbTable: str = Field(
        min_length=3, max_length=255, pattern=r"^[a-zA-Z0-9_.-]+$",
        description="DynamoDB table holding the lock: partition key LockID (string), created by you once, "
                    "e.g. `aws dynamodb create-table --table-name reconcile-locks --attribute-definitions "
                    "AttributeName=LockID,AttributeType=S --key-schema AttributeName=LockID,KeyType=HASH "
                    "--billing-mode PAY_PER_REQUEST`. One table serves any number of stacks.")
    region: str | None = Field(None, pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+$",
                               description="Region of the table (default: the stack's region).")
    leaseSeconds: int = Field(
        300, ge=10, le=86400,
        description="A running holder renews its lock every leaseSeconds/3; a holder that stopped renewing "
                    "(killed) loses it after this many seconds. Default 300.")


class LockedError(ReconcileError):
    """The stack is locked by another run."""


@dataclass
class Holder:
    id: str
    who: str
    pid: int
    command: str
    created: float
    expires: float | None = None
    ci: str = ""

    def describe(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.created))
        text = f"{self.who} (pid {self.pid}) running `{self.command}` since {since} ({_ago(now - self.created)} ago)"
        if self.ci:
            text += f", {self.ci}"
        return text + f"; lock id {self.id}"


def _ago(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s}s" if s < 120 else f"{s // 60}m" if s < 7200 else f"{s // 3600}h"


def me(command: str | None = None) -> Holder:
    """The holder record of this process."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name (containers): the uid will do
        user = f"uid-{os.getuid()}"
    ci = ""
    if os.environ.get("GITHUB_RUN_ID"):
        ci = (f"CI run {os.environ.get('GITHUB_SERVER_URL', 'https://github.com')}/"
              f"{os.environ.get('GITHUB_REPOSITORY', '')}/actions/runs/{os.environ['GITHUB_RUN_ID']}")
    cmd = command or shlex.join(["reconcile", *sys.argv[1:]])
    return Holder(id=str(uuid.uuid4()), who=f"{user}@{socket.gethostname()}", pid=os.getpid(),
                  command=cmd[:300], created=time.time(), ci=ci)


def parse_duration(text: str) -> float:
    """'0', '30', '30s', '5m', '1h' -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text or "")
    if not m:
        raise UsageError(f"--lock-timeout {text!r}: give a duration like 0, 30s, 5m or 1h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


class StackLock:
    """One stack's lock; ``acquire`` / ``release`` / ``current`` / ``force_release``."""

    where: str = ""
    held_note: str = ""

    def __init__(self, stack: str, account: str):
        self.stack, self.account = stack, account
        self.key = f"reconcile/{account}/{stack}"
        self.mine: Holder | None = None
        #: set when the lock was taken away while held (force-unlock): apply then starts no new step
        self.lost = False

    def try_acquire(self, holder: Holder) -> Holder | None:
        """Take the lock for ``holder``; None on success, else the current holder."""
        raise NotImplementedError

    def current(self) -> Holder | None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def force_release(self, lock_id: str) -> Holder:
        raise NotImplementedError

    def acquire(self, timeout: float, progress: Callable[[str], None], holder: Holder | None = None) -> Holder:
        holder = holder or me()
        deadline = time.monotonic() + max(0.0, timeout)
        last_said = 0.0
        while True:
            other = self.try_acquire(holder)
            if other is None:
                self.mine = holder
                return holder
            now = time.monotonic()
            if now >= deadline:
                waited = f" after waiting {_ago(timeout)}" if timeout > 0 else ""
                raise LockedError(
                    f"stack {self.stack!r} is locked{waited} ({self.where}) by {other.describe()}.\n"
                    "Nothing was changed. Wait for that run to finish (or give --lock-timeout 10m to wait), or, if it "
                    f"is no longer running, release the lock with:\n  reconcile force-unlock DIR {other.id}")
            if now - last_said >= PROGRESS_EVERY:
                progress(f"waiting for the lock on stack {self.stack!r} held by {other.describe()} "
                         f"(up to {_ago(deadline - now)} more)")
                last_said = now
            time.sleep(min(WAIT_STEP, max(0.05, deadline - now)))


class FileLock(StackLock):
    """The default: a lock file per stack in $RECONCILE_HOME/locks (same machine only)."""

    def __init__(self, stack: str, account: str, directory: Path):
        super().__init__(stack, account)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{account}-{stack}")
        self.path = directory / f"{safe}.lock"
        self.where = f"local lock file {self.path}"
        self._fd: int | None = None

    def try_acquire(self, holder: Holder) -> Holder | None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(10):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return self.current() or Holder("(unknown)", "another process", 0, "(starting)", time.time())
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # force-unlocked (unlinked) between open and flock: take the new file
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(asdict(holder)).encode())
            os.fsync(fd)
            self._fd = fd
            return None
        raise ReconcileError(f"cannot take the local lock {self.path}: it keeps being replaced")

    def current(self) -> Holder | None:
        try:
            data = json.loads(self.path.read_text() or "{}")
            return Holder(**data) if data else None
        except (OSError, ValueError, TypeError):
            return None

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            if os.fstat(self._fd).st_ino == os.stat(self.path).st_ino:
                os.unlink(self.path)
        os.close(self._fd)
        self._fd = None
        self.mine = None

    def force_release(self, lock_id: str) -> Holder:
        held = self.current()
        if held is None or held.id != lock_id:
            raise UsageError(f"stack {self.stack!r} has no local lock with id {lock_id}"
                             + (f"; it is held by {held.describe()}" if held else "; it is not locked"))
        self.path.unlink(missing_ok=True)
        return held


class DynamoLock(StackLock):
    """spec.lock.dynamodbTable: one item per stack, conditional writes, a renewed lease."""

    def __init__(self, stack: str, account: str, client: Any, spec: LockSpec):
        super().__init__(stack, account)
        self.ddb, self.spec = client, spec
        self.where = f"DynamoDB table {spec.dynamodbTable}"
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _call(self, op: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return self.ddb.call(op, f"the lock of stack {self.stack} in {self.where}",
                                 TableName=self.spec.dynamodbTable, **kwargs)
        except AwsError as e:
            if e.code == "ResourceNotFoundException":
                raise ReconcileError(
                    f"the lock table {self.spec.dynamodbTable} (Stack spec.lock.dynamodbTable) does not exist in "
                    "this account and region; create it with partition key LockID (string), or remove spec.lock "
                    "to use a local lock") from None
            raise

    def try_acquire(self, holder: Holder) -> Holder | None:
        now = time.time()
        holder.expires = now + self.spec.leaseSeconds
        item = {"LockID": {"S": self.key}, "Id": {"S": holder.id}, "Who": {"S": holder.who},
                "Pid": {"N": str(holder.pid)}, "Command": {"S": holder.command}, "Ci": {"S": holder.ci or "-"},
                "Created": {"N": f"{holder.created:.3f}"}, "Expires": {"N": f"{holder.expires:.3f}"}}
        try:
            self._call("put_item", Item=item,
                       ConditionExpression="attribute_not_exists(LockID) OR Expires < :now",
                       ExpressionAttributeValues={":now": {"N": f"{now:.3f}"}})
        except AwsError as e:
            if e.code != "ConditionalCheckFailedException":
                raise
            current = self.current()
            if current is None or current.id != holder.id:
                return current or Holder("(released meanwhile)", "another run", 0, "(unknown)", now)
            # our own write: the first answer was lost and botocore's retry met the item we had just put
        self._start_renewing(holder)
        return None

    def current(self) -> Holder | None:
        got = self._call("get_item", Key={"LockID": {"S": self.key}}, ConsistentRead=True).get("Item")
        if not got:
            return None

        def s(k: str) -> str:
            return str(got.get(k, {}).get("S", ""))

        def n(k: str) -> float:
            return float(got.get(k, {}).get("N", 0))

        return Holder(id=s("Id"), who=s("Who"), pid=int(n("Pid")), command=s("Command"), created=n("Created"),
                      expires=n("Expires"), ci="" if s("Ci") == "-" else s("Ci"))

    def _start_renewing(self, holder: Holder) -> None:
        self._stop.clear()

        def renew() -> None:
            every = self.spec.leaseSeconds / 3
            while not self._stop.wait(every):
                try:
                    self._call("update_item", Key={"LockID": {"S": self.key}}, UpdateExpression="SET Expires = :e",
                               ConditionExpression="Id = :id",
                               ExpressionAttributeValues={":e": {"N": f"{time.time() + self.spec.leaseSeconds:.3f}"},
                                                          ":id": {"S": holder.id}})
                except ReconcileError as e:
                    if isinstance(e, AwsError) and e.code == "ConditionalCheckFailedException":
                        self.lost = True
                        print(f"warning: the lock on stack {self.stack!r} was taken away (force-unlock?); "
                              "starting no further step", file=sys.stderr)
                        return
                    # a transient failure: try again at the next renewal (the lease outlasts two misses)

        self._renewer = threading.Thread(target=renew, name="lock-renew", daemon=True)
        self._renewer.start()

    def release(self) -> None:
        self._stop.set()
        if self.mine is None:
            return
        with contextlib.suppress(AwsError):
            self._call("delete_item", Key={"LockID": {"S": self.key}}, ConditionExpression="Id = :id",
                       ExpressionAttributeValues={":id": {"S": self.mine.id}})
        self.mine = None

    def force_release(self, lock_id: str) -> Holder:
        held = self.current()
        try:
            self._call("delete_item", Key={"LockID": {"S": self.key}}, ConditionExpression="Id = :id",
                       ExpressionAttributeValues={":id": {"S": lock_id}})
        except AwsError as e:
            if e.code != "ConditionalCheckFailedException":
                raise
            raise UsageError(f"stack {self.stack!r} has no lock with id {lock_id} in {self.where}"
                             + (f"; it is held by {held.describe()}" if held else "; it is not locked")) from None
        assert held is not None
        return held


def for_stack(stack: Any, target: Any) -> StackLock:
    """The lock of ``stack`` (a manifests.Stack) on ``target`` (a pipeline.Target)."""
    spec = getattr(stack.spec, "lock", None)
    if spec is None:
        from reconciler.sandbox_contract import home

        return FileLock(stack.name, target.account, home() / "locks")
    if spec.region and spec.region != target.region:
        from reconciler.aws import Client

        raw = target.aws.session.create_client("dynamodb", region_name=spec.region, endpoint_url=target.aws.endpoint_url,
                                        config=target.aws._config)
        client = Client("dynamodb", raw, target.aws.calls, threading.Lock())
    else:
        client = target.aws.client("dynamodb")
    return DynamoLock(stack.name, target.account, client, spec)


@contextlib.contextmanager
def held(stack: Any, target: Any, timeout: float, progress: Callable[[str], None]) -> Iterator[StackLock]:
    """Hold the stack's lock for the duration of the block; yields the lock (see ``StackLock.lost``)."""
    lock = for_stack(stack, target)
    holder = lock.acquire(timeout, progress)
    lock.held_note = f"locked stack {stack.name!r} ({lock.where}; lock id {holder.id})"  # shown with --debug or on failure
    try:
        yield lock
    finally:
        lock.release()


def stack_named(stack_or_dir: str, env: str | None = None) -> Any:
    """The Stack of a manifests folder, or a bare stack name (whose lock is then the local one)."""
    from reconciler import manifests as mf

    if Path(stack_or_dir).exists():
        return mf.load(stack_or_dir, env, "force-unlock").stack
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", stack_or_dir):
        raise UsageError(f"{stack_or_dir!r} is neither a manifests folder nor a stack name")
    return mf.Stack(stack_or_dir, mf.StackSpec())


def stack_of_plan(plan: Any) -> Any:
    """The Stack a saved plan was made for: its manifests' Stack (for spec.lock) when they are at hand."""
    from reconciler import manifests as mf
    from reconciler.freshness import candidates

    for folder in candidates(plan, None):
        if folder.exists():
            with contextlib.suppress(ReconcileError):
                stack = mf.load(folder, getattr(plan, "environment", None)).stack
                if stack.name == plan.stack:
                    return stack
    return mf.Stack(plan.stack, mf.StackSpec())
