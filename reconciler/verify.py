"""Verify, don't trust: re-read what apply touched and re-diff. Any remaining difference is an error."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from reconciler.diff import diff
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import PlanContext
from reconciler.observe import declared
from reconciler.plan import Action, Step

if TYPE_CHECKING:
    from reconciler.aws import Aws


def remaining(aws: Aws, steps: list[Step], ctx: PlanContext, concurrency: int) -> list[str]:
    """Differences left after applying ``steps`` (empty when AWS now matches)."""
    aws.invalidate()
    ids = [(s.kind, s.name) for s in steps]
    ctx = replace(ctx, expected={(s.kind, s.name): s.desired for s in steps
                                 if s.action != Action.delete and s.desired is not None})
    live = declared(aws, ids, ctx, concurrency)
    problems: list[str] = []
    for step in steps:
        obs = live[(step.kind, step.name)]
        if step.action == Action.delete:
            if obs is not None:
                problems.append(f"{step.id} still exists after delete")
            continue
        if obs is None:
            problems.append(f"{step.id} does not exist after {step.action.value}")
            continue
        kind = REGISTRY[step.kind]
        want = kind.comparable(step.desired or {})
        for c in diff(kind.live_comparable(obs.state, want), want, kind.replace_fields):
            problems.append(f"{step.id}: {c.path} is {c.before!r}, expected {c.after!r}")
    return problems
