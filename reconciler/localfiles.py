"""Files apply writes on this machine: an access key's secret, created with mode 0600 and never left behind half-written."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: str, payload: str) -> None:
    """Write ``payload`` to ``path`` with mode 0600 (created that way, never world-readable)."""
    import tempfile

    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file exclusively (O_EXCL: no planted symlink is followed) with mode 0600
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        try:
            os.write(fd, payload.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)  # never leave a copy of the secret behind
        raise
