"""Policy lint results cached by content, so a plan does not re-run parliament on documents it has seen.

A document's findings depend only on the document's text, parliament's version and reconcile's own
lint rules (``reconciler/lint.py``), so they are kept under ``$RECONCILE_HOME/lint-cache/<sha256>.json``,
the key hashing those three. Findings are stored relative to the document (path inside it, message,
severity, code) and turned into issues of the resource at hand on the way out, so the same document in
two resources, files or lines shares one entry.

- Never changes a result: an entry that cannot be read, parsed or checked is ignored and linted again.
- Safe under concurrent runs: an entry is written to a temporary file in the same folder, then
  renamed over the final name (``os.replace``), so a reader sees a whole entry or none.
- Parliament (and with it its large IAM definition) is imported only on a miss, and without
  ``pkg_resources`` (slow to import, deprecated): parliament only asks it where its data files are.
- ``RECONCILE_LINT_CACHE=0`` turns the cache off (every document linted, nothing written).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

from reconciler import lint, policy
from reconciler.errors import Issue

#: bump to drop every cached entry (the hash of lint.py changes with every rule change anyway)
FORMAT = "1"

_identity: str | None = None


def enabled() -> bool:
    return os.environ.get("RECONCILE_LINT_CACHE", "1").lower() not in ("0", "false", "no", "off")


def directory() -> Path:
    from reconciler.sandbox_contract import home

    return home() / "lint-cache"


def _rules_identity() -> str:
    """Parliament's version and the bytes of reconcile's lint rules (lint.py), hashed once per process."""
    global _identity
    if _identity is None:
        rules = hashlib.sha256(Path(lint.__file__).read_bytes()).hexdigest()
        _identity = f"{FORMAT}\0{_parliament_version()}\0{rules}"
    return _identity


def _parliament_version() -> str:
    """Parliament's installed version, from its dist-info folder's name (importlib.metadata costs ~20 ms)."""
    import importlib.util

    spec = importlib.util.find_spec("parliament")  # finds, does not import
    if spec and spec.origin:
        found = list(Path(spec.origin).parent.parent.glob("parliament-*.dist-info"))
        if len(found) == 1:
            return found[0].name.removeprefix("parliament-").removesuffix(".dist-info")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("parliament")
    except PackageNotFoundError:
        return "?"


def key(doc: Any) -> str | None:
    """The cache key of a document: its canonical text (what parliament is given) and the rules; None if unkeyable."""
    try:
        text = json.dumps(policy.parse(doc), separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(f"{_rules_identity()}\0{text}".encode()).hexdigest()


class _Recorder:
    """Stands in for the resource while linting: records each issue relative to the document."""

    def __init__(self, res: Any):
        self._res = res
        self.findings: list[list[Any]] = []

    def issue(self, path: tuple, message: str, severity: str = "error", code: str = "") -> list[Any]:
        finding = [list(path), message, severity, code]
        self.findings.append(finding)
        return finding

    def __getattr__(self, name: str) -> Any:  # anything else lint might ask of the resource
        return getattr(self._res, name)


def _valid(findings: Any) -> bool:
    return isinstance(findings, list) and all(
        isinstance(f, list) and len(f) == 4 and isinstance(f[0], list)
        and all(isinstance(p, (str, int)) and not isinstance(p, bool) for p in f[0])
        and isinstance(f[1], str) and f[2] in ("error", "warning") and isinstance(f[3], str)
        for f in findings)


def _read(k: str) -> list[list[Any]] | None:
    try:
        entry = json.loads((directory() / f"{k}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != k or not _valid(entry.get("findings")):
        return None  # corrupted, truncated or foreign: lint again (and overwrite it)
    return entry["findings"]


def _write(k: str, findings: list[list[Any]]) -> None:
    from reconciler.paths import write_atomically

    try:
        write_atomically(directory() / f"{k}.json", json.dumps({"key": k, "findings": findings}))
    except OSError:
        pass  # a cache that cannot be written is only slower


def import_parliament() -> Any:
    """Import parliament without importing pkg_resources (it only uses ``resource_filename``)."""
    if "parliament" in sys.modules or "pkg_resources" in sys.modules:
        import parliament

        return parliament
    import importlib.util

    def resource_filename(package: str, name: str) -> str:
        spec = importlib.util.find_spec(package)
        base = os.path.dirname(spec.origin) if spec and spec.origin else ""
        return os.path.join(base, name)

    shim = types.ModuleType("pkg_resources")
    shim.resource_filename = resource_filename  # type: ignore[attr-defined]
    sys.modules["pkg_resources"] = shim
    try:
        import parliament
    finally:
        if sys.modules.get("pkg_resources") is shim:
            del sys.modules["pkg_resources"]
    return parliament


def document(res: Any, path: tuple, doc: Any) -> list[Issue]:
    """``lint.document(res, path, doc)``, answered from the cache when this document was linted before."""
    k = key(doc) if enabled() else None
    findings = _read(k) if k else None
    if findings is None:
        import_parliament()
        rec = _Recorder(res)
        out = lint.document(rec, (), doc)  # type: ignore[arg-type]
        if not all(any(o is f for f in rec.findings) for o in out):
            return lint.document(res, path, doc)  # issues made some other way: not cacheable, lint as is
        findings = list(out)
        if k:
            _write(k, findings)
    return [res.issue(path + tuple(sub), message, severity, code) for sub, message, severity, code in findings]
