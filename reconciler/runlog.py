"""Every run is identifiable: its AWS calls carry ``reconcile-run/<id>`` in their User-Agent (find one run's
calls in CloudTrail by it), and with ``RECONCILE_AUDIT_DIR=FOLDER`` each run writes ``FOLDER/<id>.json``:
its command line, the endpoint it talked to, and every plan it executed (as ``plan --out`` writes it).

The test suite's write audit compares, for every run, what the emulator recorded under the run's id with
the operations of the plans the run executed (tests/support/audit.py); nothing here changes behaviour.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

_lock = threading.Lock()


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def _path(run: str) -> Path | None:
    folder = os.environ.get("RECONCILE_AUDIT_DIR")
    return Path(folder) / f"{run}.json" if folder else None


def started(run: str, endpoint: str | None) -> None:
    """A run began (an Aws session was made): written at once, so a run killed later is still known."""
    path = _path(run)
    if path is None:
        return
    with _lock:
        path.write_text(json.dumps({"run": run, "pid": os.getpid(), "argv": sys.argv[1:], "endpoint": endpoint,
                                    "plans": []}))


def executing(run: str, plan: Any) -> None:
    """The run is about to execute ``plan`` (before its first write)."""
    path = _path(run)
    if path is None:
        return
    with _lock:
        data = json.loads(path.read_text()) if path.exists() else {"run": run, "pid": os.getpid(),
                                                                    "argv": sys.argv[1:], "plans": []}
        data["plans"].append(json.loads(plan.model_dump_json()))
        path.write_text(json.dumps(data))


def finished(run: str, ok: bool) -> None:
    """The run's plans were executed: ``ok`` when every step succeeded (a failed or stopped run leaves the
    rest of its plan undone, and says so)."""
    path = _path(run)
    if path is None or not path.exists():
        return
    with _lock:
        data = json.loads(path.read_text())
        data["outcome"] = {"ok": ok}
        path.write_text(json.dumps(data))
