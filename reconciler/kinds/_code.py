"""Code a resource ships (a Function's folder or zip): read only from inside the manifests' repository.

In CI a pull request controls what the plan job reads, so code paths are treated as hostile: the
code must resolve to a place inside the repository (the git work tree holding the manifests folder,
else that folder); only regular files are read (a symlink is followed only when it stays inside, a
device, pipe or socket is refused); sizes are capped at Lambda's documented limits (50 MB for a zip
uploaded directly, 250 MB unzipped) before anything is read, so `/`, a link to /dev/zero or a huge
tree is an error in milliseconds, not a walk of the filesystem or unbounded memory.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_ZIP_BYTES = 50 * 1024 * 1024  # Lambda: deployment package uploaded directly (ZipFile), zipped
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024  # Lambda: deployment package, unzipped, layers included
MAX_FILES = 100_000
SKIPPED = ("__pycache__", ".git", ".DS_Store")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class CodeError(ValueError):
    """Code that may not be read; the message says why and what is allowed."""


def repository(folder: Path) -> Path:
    """The git work tree holding ``folder`` (a parent with .git), else ``folder`` itself (resolved)."""
    real = folder.resolve()
    for p in (real, *real.parents):
        if (p / ".git").exists():
            return p
    return real


def _show(p: Path) -> str:
    try:
        return os.path.relpath(p)
    except ValueError:
        return str(p)


def resolve(path: Path, boundary: Path) -> Path:
    """``path`` with symlinks resolved; CodeError when it dangles, loops or leaves ``boundary``."""
    try:
        real = path.resolve(strict=True)
    except RuntimeError:
        raise CodeError(f"{_show(path)} is a symbolic link loop") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise CodeError(f"{_show(path)} is a symbolic link loop") from None
        if path.is_symlink():
            raise CodeError(f"{_show(path)} is a dangling symbolic link (its target {os.readlink(path)} does not "
                            "exist)") from None
        raise CodeError(f"no such file or folder: {_show(path)}") from None
    if not real.is_relative_to(boundary):
        raise CodeError(f"{_show(path)} resolves to {real}, outside the repository {boundary}; function code is read "
                        "only from inside the repository holding the manifests")
    return real


@dataclass
class Tree:
    """The files of a code folder: (name in the zip, real path, size, executable)."""

    files: list[tuple[str, Path, int, bool]] = field(default_factory=list)
    total: int = 0


def tree(folder: Path, boundary: Path) -> Tree:
    """Every regular file under ``folder`` (links followed inside ``boundary``); CodeError otherwise."""
    out = Tree()

    def walk(real_dir: Path, prefix: str, ancestors: frozenset[Path]) -> None:
        try:
            entries = sorted(os.scandir(real_dir), key=lambda e: e.name)
        except OSError as e:
            raise CodeError(f"cannot read the folder {_show(real_dir)}: {e.strerror}") from None
        for entry in entries:
            if entry.name in SKIPPED or entry.name.endswith(".pyc"):
                continue
            path = Path(entry.path)
            real = resolve(path, boundary) if entry.is_symlink() else path
            st = real.stat()
            name = f"{prefix}{entry.name}"
            if stat.S_ISDIR(st.st_mode):
                if real in ancestors:
                    raise CodeError(f"{_show(path)} is a symbolic link loop (it leads back to a folder containing it)")
                walk(real, name + "/", ancestors | {real})
            elif stat.S_ISREG(st.st_mode):
                out.total += st.st_size
                out.files.append((name, real, st.st_size, bool(st.st_mode & stat.S_IXUSR)))
                if out.total > MAX_UNZIPPED_BYTES:
                    raise CodeError(f"the code is larger than the {MAX_UNZIPPED_BYTES // 2**20} MB (unzipped) "
                                    "Lambda allows")
                if len(out.files) > MAX_FILES:
                    raise CodeError(f"the code holds more than {MAX_FILES:,} files")
            else:
                raise CodeError(f"{_show(path)} is not a regular file (a device, pipe or socket); function code "
                                "holds regular files only")

    start = folder.resolve()
    walk(start, "", frozenset({start}))
    out.files.sort(key=lambda f: f[0])
    return out


def check(path: Path, boundary: Path) -> tuple[Path, set[str]]:
    """(the real code path, the names it holds); CodeError when it may not be read or is too big."""
    real = resolve(path, boundary)
    st = real.stat()
    if stat.S_ISREG(st.st_mode):
        if st.st_size > MAX_ZIP_BYTES:
            raise CodeError(f"the zip is {st.st_size:,} bytes, larger than the {MAX_ZIP_BYTES // 2**20} MB Lambda "
                            "accepts for direct upload")
        if not zipfile.is_zipfile(real):
            raise CodeError(f"{_show(path)} is neither a folder nor a .zip file")
        with zipfile.ZipFile(real) as zf:
            infos = zf.infolist()
        if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
            raise CodeError(f"the zip unpacks to more than the {MAX_UNZIPPED_BYTES // 2**20} MB Lambda allows")
        return real, {i.filename for i in infos}
    if stat.S_ISDIR(st.st_mode):
        files = tree(real, boundary).files
        if not files:
            raise CodeError(f"{_show(path)} holds no files")
        return real, {f[0] for f in files}
    raise CodeError(f"{_show(path)} is not a regular file or folder (a device, pipe or socket)")


def package(path: Path, boundary: Path | None = None) -> bytes:
    """The deployment zip of ``path``: a .zip file as is, or a folder zipped reproducibly (sorted entries,
    fixed timestamps, modes 0644/0755), read under the same rules as ``check``."""
    boundary = boundary if boundary is not None else repository(path if path.is_dir() else path.parent)
    real, _ = check(path, boundary)
    if real.is_file():
        return real.read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, file, size, executable in tree(real, boundary).files:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(file, "rb") as fh:
                data = fh.read(size + 1)
            if len(data) != size:
                raise CodeError(f"{_show(file)} changed while it was read")
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
            if buf.tell() > MAX_ZIP_BYTES:
                raise CodeError(f"the zipped code is larger than the {MAX_ZIP_BYTES // 2**20} MB Lambda accepts for "
                                "direct upload")
    return buf.getvalue()
