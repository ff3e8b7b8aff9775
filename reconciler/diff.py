"""Normalised live state vs desired state -> field changes. Pure: no AWS, no printing."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from reconciler.plan import FieldChange


def _path(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def diff(live: dict[str, Any], desired: dict[str, Any], replace_fields: frozenset[str] = frozenset()) -> list[FieldChange]:
    """Field-level changes that take ``live`` to ``desired``; both must already be normalised.

    Top-level keys starting with ``_`` are inputs for apply, not state (e.g. where a Function's
    code is on disk): they never differ.
    """
    live = {k: v for k, v in live.items() if not k.startswith("_")}
    desired = {k: v for k, v in desired.items() if not k.startswith("_")}
    if live == desired:  # the common case of a no-change plan: strictly equal is equal in any order too
        return []
    if not live:  # a create: every field is added (what DeepDiff reports, without importing it)
        return sorted((FieldChange(path=_path([k]), op="add", before=None, after=_plain(v),
                                   forces_replacement=str(k) in replace_fields) for k, v in desired.items()),
                      key=lambda c: (c.path, c.op, "null"))
    DeepDiff, NotPresent = _deepdiff()
    dd = DeepDiff(live, desired, ignore_order=True, verbose_level=2, view="tree", threshold_to_diff_deeper=0)
    changes: list[FieldChange] = []
    for report_type, items in dd.items():
        for item in items:
            parts = item.path(output_format="list")
            before = None if isinstance(item.t1, NotPresent) else item.t1
            after = None if isinstance(item.t2, NotPresent) else item.t2
            if "added" in report_type:
                op, before = "add", None
            elif "removed" in report_type:
                op, after = "remove", None
            else:
                op = "change"
            if report_type.startswith("iterable_item"):
                # list element added/removed: report against the list, not an index
                parts = parts[:-1]
            top = str(parts[0]) if parts else ""
            changes.append(FieldChange(path=_path(parts), op=op, before=_plain(before), after=_plain(after),
                                       forces_replacement=top in replace_fields))
    changes.sort(key=lambda c: (c.path, c.op, json.dumps(c.before, sort_keys=True, default=str)))
    return changes


def _deepdiff() -> tuple[Any, Any]:
    """DeepDiff and its NotPresent marker, imported without numpy, pandas and polars.

    deepdiff imports them when they are installed (to diff arrays and frames), which costs ~0.5 s and
    ~50 MB per command; states here are JSON (dicts, lists, strings, numbers), so they are hidden
    while deepdiff is imported (deepdiff falls back as when they are absent) and visible again after.
    """
    import sys

    if "deepdiff" not in sys.modules:
        hidden = [m for m in ("numpy", "pandas", "polars") if m not in sys.modules]
        for m in hidden:
            sys.modules[m] = None  # type: ignore[assignment]  # import fails with ImportError
        try:
            import deepdiff  # noqa: F401
        finally:
            for m in hidden:
                if sys.modules.get(m, 0) is None:
                    del sys.modules[m]
    from deepdiff import DeepDiff
    from deepdiff.helper import NotPresent

    return DeepDiff, NotPresent


def _plain(value: Any) -> Any:
    """JSON-able copy (deepdiff may hand back its own wrappers)."""
    return json.loads(json.dumps(value, default=str))


def digest(value: Any) -> str:
    """A stable fingerprint of any JSON-able value."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]
