"""Shared formatting: symbols per action and compact value printing."""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan import Action, FieldChange, Plan, Step

SYMBOL = {Action.create: "+", Action.update: "~", Action.replace: "-/+", Action.delete: "-", Action.noop: " "}
COLOR = {Action.create: "green", Action.update: "yellow", Action.replace: "magenta", Action.delete: "red"}


def value(v: Any, width: int = 90) -> list[str]:
    """A value as one JSON line when short, else as block YAML lines (leaf lists inline)."""
    import yaml

    one = json.dumps(v, sort_keys=False, default=str)
    if len(one) <= width:
        return [one]
    text = yaml.safe_dump(v, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True)
    return [""] + text.rstrip("\n").splitlines()


def change_lines(c: FieldChange) -> list[tuple[str, str]]:
    """(symbol, text) lines describing one field change."""
    note = "   # forces replacement" if c.forces_replacement else ""
    if c.op == "add":
        vals = value(c.after)
        return [("+", f"{c.path}: {vals[0]}{note if len(vals) == 1 else ''}")] + [("+", f"    {x}") for x in vals[1:]]
    if c.op == "remove":
        vals = value(c.before)
        return [("-", f"{c.path}: {vals[0]}")] + [("-", f"    {x}") for x in vals[1:]]
    before, after = value(c.before), value(c.after)
    if len(before) == 1 and len(after) == 1:
        return [("~", f"{c.path}: {before[0]} → {after[0]}{note}")]
    return ([("~", f"{c.path}:{note}")] + [("-", f"    {x}") for x in before] + [("+", f"    {x}") for x in after])


def step_lines(step: Step) -> list[tuple[str, str]]:
    if step.action == Action.create:
        from reconciler.kinds import REGISTRY

        lines: list[tuple[str, str]] = []
        kind = REGISTRY.get(step.kind)
        shown = kind.display(step.desired or {}) if kind else (step.desired or {})
        shown = _mask_environments(shown)
        for key, v in shown.items():
            if v in (None, "", [], {}):
                continue
            vals = value(v)
            lines.append(("+", f"{key}: {vals[0]}".rstrip()))
            lines += [("+", f"    {x}") for x in vals[1:]]
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
    if not plan.has_changes:
        return "No changes. Live AWS matches the manifests."
    return f"Plan: {plan.summary()}."
