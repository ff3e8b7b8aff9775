"""Manifests as people write them: block YAML, camelCase keys as given, short lists inline, and a
comment after any value that was defaulted or could not be read back (``comments``: path -> text)."""

from __future__ import annotations

import json
import re
from typing import Any

PLAIN = re.compile(r"^[A-Za-z0-9_./@+-][A-Za-z0-9_./@+: -]*$")
AMBIGUOUS = re.compile(r"^(true|false|yes|no|on|off|null|y|n|~|[-+]?[0-9][0-9_.eE+-]*|0x[0-9a-fA-F]+|\.inf|\.nan)$",
                       re.IGNORECASE)
Path = tuple


def scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    s = str(v)
    if PLAIN.match(s) and not AMBIGUOUS.match(s) and not s.endswith(" ") and ": " not in s and " #" not in s:
        return s
    return json.dumps(s, ensure_ascii=False)


def _inline(v: Any) -> str | None:
    """A short flow form of a list of scalars or a small dict of scalars (else None)."""
    if isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v):
        text = "[" + ", ".join(scalar(x) for x in v) + "]"
    elif isinstance(v, dict) and v and len(v) <= 4 and all(not isinstance(x, (dict, list)) for x in v.values()):
        text = "{" + ", ".join(f"{scalar(k)}: {scalar(x)}" for k, x in v.items()) + "}"
    elif isinstance(v, dict) and not v:
        text = "{}"
    else:
        return None
    return text if len(text) <= 80 else None


def _block(value: Any, path: Path, indent: int, comments: dict[Path, str], lines: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for k, v in value.items():
            p = path + (k,)
            note = f"  # {comments[p]}" if p in comments else ""
            flow = _inline(v) if isinstance(v, (dict, list)) and not _has_comments(p, comments) else None
            if not isinstance(v, (dict, list)):
                lines.append(f"{pad}{scalar(k)}: {scalar(v)}{note}")
            elif flow is not None:
                lines.append(f"{pad}{scalar(k)}: {flow}{note}")
            else:
                lines.append(f"{pad}{scalar(k)}:{note}")
                _block(v, p, indent + 2, comments, lines)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, dict) and v:
                sub: list[str] = []
                _block(v, path + (i,), indent + 2, comments, sub)
                sub[0] = f"{pad}- " + sub[0][indent + 2:]
                lines.extend(sub)
            else:
                flow = _inline(v) if isinstance(v, (dict, list)) else scalar(v)
                lines.append(f"{pad}- {flow}")
    else:
        lines.append(f"{pad}{scalar(value)}")


def _has_comments(path: Path, comments: dict[Path, str]) -> bool:
    return any(len(p) > len(path) and p[: len(path)] == path for p in comments)


def document(doc: dict[str, Any], comments: dict[Path, str] | None = None, head: list[str] | None = None) -> str:
    """One YAML document: ``head`` comment lines, then ``doc``."""
    lines = [f"# {h}" if h else "#" for h in head or []]
    _block(doc, (), 0, comments or {}, lines)
    return "\n".join(lines) + "\n"
