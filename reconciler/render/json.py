"""Plan as versioned JSON (the saved-plan format; see docs/plan-format.md)."""

from __future__ import annotations

from reconciler.plan import Plan


def render(plan: Plan) -> str:
    return plan.model_dump_json(indent=2)
