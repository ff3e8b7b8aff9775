"""Shared formatting: symbols per action and compact value printing."""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan import Action, FieldChange, Orphan, Plan, Step

SYMBOL = {Action.create: "+", Action.update: "~", Action.replace: "-/+", Action.delete: "-", Action.noop: " "}
COLOR = {Action.create: "green", Action.update: "yellow", Action.replace: "magenta", Action.delete: "red"}


def value(v: Any, width: int = 90, indent: int = 0) -> list[str]:
    """A value in one style, JSON: one line when it fits (strings always), else one entry per line,
    each entry again on one line when it fits (so leaf lists and small maps stay inline)."""
    one = json.dumps(v, sort_keys=False, default=str, ensure_ascii=False)
    if not isinstance(v, (dict, list)) or not v or indent + len(one) <= width:
        return [one]
    items = list(v.items()) if isinstance(v, dict) else [(None, x) for x in v]
    out = ["{" if isinstance(v, dict) else "["]
    for n, (k, x) in enumerate(items):
        key = "" if k is None else json.dumps(str(k), ensure_ascii=False) + ": "
        sub = value(x, width, indent + 2 + len(key))
        sub[0] = key + sub[0]
        if n < len(items) - 1:
            sub[-1] += ","
        out += ["  " + line for line in sub]
    out.append("}" if isinstance(v, dict) else "]")
    return out


def _field(sym: str, label: str, vals: list[str], note: str = "") -> list[tuple[str, str]]:
    """``label: value`` lines; a multi-line value continues indented under its label."""
    return [(sym, f"{label}: {vals[0]}{note}")] + [(sym, f"  {x}") for x in vals[1:]]


def set_only(v: Any) -> Any:
    """``v`` without the unset (None) entries of its maps, at any depth: a reviewer reads what is set."""
    if isinstance(v, dict):
        return {k: set_only(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [set_only(x) for x in v]
    return v


def change_lines(c: FieldChange, width: int = 90) -> list[tuple[str, str]]:
    """(symbol, text) lines describing one field change."""
    note = "   # forces replacement" if c.forces_replacement else ""
    if c.op == "add":
        return _field("+", c.path, value(set_only(c.after)), note)
    if c.op == "remove":
        return _field("-", c.path, value(set_only(c.before)), note)
    before, after = value(set_only(c.before)), value(set_only(c.after))
    if len(before) == 1 and len(after) == 1 and len(before[0]) + len(after[0]) + len(c.path) + 5 <= width:
        return [("~", f"{c.path}: {before[0]} → {after[0]}{note}")]
    return [("~", f"{c.path}:{note}")] + [("-", f"  {x}") for x in before] + [("+", f"  {x}") for x in after]


def _drop(state: dict[str, Any], path: str) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    if head not in state:
        return state
    if not rest:
        return {k: v for k, v in state.items() if k != head}
    inner = state[head]
    return {**state, head: _drop(inner, rest)} if isinstance(inner, dict) else state


def shown(kind: Any, state: dict[str, Any]) -> dict[str, Any]:
    """What a create lists: the kind's display form, without internal (``_x``) and hidden fields, nor empties."""
    out = _mask_environments(kind.display(state) if kind else state)
    for path in getattr(kind, "hidden_fields", ()):
        out = _drop(out, path)
    return {k: set_only(v) for k, v in out.items() if not k.startswith("_") and v not in (None, "", [], {})}


def operation_lines(step: Step) -> list[tuple[str, str]]:
    """One line per AWS call the step makes: ``> Action target  (detail)``; ``!`` where serving stops."""
    def line(o: Any) -> str:
        what = f"Wait {o.request.get('for')}" if o.action == "Wait" else o.action
        return f"{what} {o.target}" + (f"  ({o.detail})" if o.detail else "")

    out = []
    for o in step.operations:
        out.append(("!", f"{line(o)}  [interrupts serving]") if o.interrupts_serving else (">", line(o)))
        out += [(">", f"  if it fails: {line(u)}") for u in o.on_failure]
    return out


def step_lines(step: Step) -> list[tuple[str, str]]:
    return _change_lines(step) + operation_lines(step)


def _change_lines(step: Step) -> list[tuple[str, str]]:
    if step.action == Action.create:
        from reconciler.kinds import REGISTRY

        lines: list[tuple[str, str]] = []
        for key, v in shown(REGISTRY.get(step.kind), step.desired or {}).items():
            lines += _field("+", key, value(v))
        return lines
    if step.action == Action.delete:
        return []
    out: list[tuple[str, str]] = []
    for c in step.changes:
        out += change_lines(c)
    return out


def _mask_environments(state: dict) -> dict:
    """Plain-text credentials in a shown state: masked in every environment, and wherever they look like tokens."""
    from reconciler.kinds._secrets import mask_plain

    def walk(v: object, key: str = "") -> object:
        if isinstance(v, dict):
            return {k: (mask_plain(x) if k == "environment" else walk(x, k)) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return mask_plain(v, "")

    return walk(state)  # type: ignore[return-value]


def headline(plan: Plan) -> str:
    where = f"stack {plan.stack} · account {plan.account} · {plan.region}"
    if plan.sandbox:
        where += " · SANDBOX (local emulated AWS)"
    return where


def summary(plan: Plan) -> str:
    if not plan.has_changes and not plan.pending_orphans:
        return "No changes. Live AWS matches the manifests."
    if not plan.has_changes:
        n = len(plan.pending_orphans)
        return (f"No changes to declared resources; {n} orphaned (owned by this stack, no longer declared; "
                "`reconcile prune` deletes).")
    return f"Plan: {plan.summary()}."


ORPHANS_TITLE = "Owned by this stack but no longer declared (will be deleted by `reconcile prune`):"


def orphan_note(o: Orphan) -> str:
    """Why an orphan stays, when prune would refuse it."""
    notes = []
    if o.protected:
        notes.append("protected by reconciler/prevent-destroy: prune refuses it")
    if o.used_by:
        notes.append(f"still used by {', '.join(o.used_by)}: prune refuses it")
    return "; ".join(notes)
