"""Plan as versioned JSON (the saved-plan format; see docs/plan-format.md)."""

from __future__ import annotations

import json

from reconciler.plan import Plan


def render(plan: Plan) -> str:
    """The plan as saved and printed: fields that are not set are left out (readers take their defaults).

    Except inside ``costs``, where null says something (docs/plan-format.md#costs): ``before``/``after`` null is
    "no instances then", a null price is "price unknown"; ``costs`` itself is left out when nothing runs."""
    text = plan.model_dump_json(indent=2, exclude_none=True)
    if plan.costs is None:
        return text
    data = json.loads(text)
    data["costs"] = plan.costs.model_dump(mode="json")
    return json.dumps(data, indent=2, ensure_ascii=False)
