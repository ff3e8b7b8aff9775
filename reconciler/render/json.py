"""Plan as versioned JSON (the saved-plan format; see docs/plan-format.md)."""

from __future__ import annotations

from reconciler.plan import Plan


def render(plan: Plan) -> str:
    """The plan as saved and printed: fields that are not set are left out (readers take their defaults)."""
    return plan.model_dump_json(indent=2, exclude_none=True)
