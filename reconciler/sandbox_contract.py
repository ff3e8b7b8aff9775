"""What reconcile's client and its local sandbox (reconciler/sandbox/) both know, so that neither imports the
other: where reconcile keeps its state, and the address at which the sandbox serves an HTTP API.

Only the commands that start the sandbox (``reconcile sandbox …`` and ``--sandbox``) import
``reconciler.sandbox``; everything else that needs one of these facts takes it from here
(tests/sandbox/test_independence.py checks both directions). Standard library only: cheap to import.
"""

from __future__ import annotations

import os
from pathlib import Path

#: the sandbox answers HTTP for API Gateway HTTP API ``ID`` under this path (docs/sandbox.md)
EXECUTE_API_PREFIX = "/reconcile-sandbox/execute-api/"


def home() -> Path:
    """``$RECONCILE_HOME``, else ``$XDG_CACHE_HOME/reconcile`` (``~/.cache/reconcile``): the sandbox's state, the
    local stack locks, the lint cache."""
    base = os.environ.get("RECONCILE_HOME")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "reconcile"


def execute_api_url(sandbox_url: str, api_id: str) -> str:
    """Where the sandbox at ``sandbox_url`` serves HTTP API ``api_id``."""
    return f"{sandbox_url.rstrip('/')}{EXECUTE_API_PREFIX}{api_id}"
