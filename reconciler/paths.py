"""Where reconcile keeps what it writes for the user: ``$RECONCILE_HOME`` (default ``~/.cache/reconcile``,
under ``$XDG_CACHE_HOME`` when set): the sandbox's state, the lint cache, locks, the refreshed price table.

Standard library only: cheap to import (``reconcile validate`` reads the lint cache)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    base = os.environ.get("RECONCILE_HOME")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "reconcile"


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it: a reader sees all of it or the old
    file, never a part (OSError when it cannot be written)."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:16]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
