"""The plan's costs (Plan.costs, reconciler/cost.py) as the text and markdown renderings show them."""

from __future__ import annotations

from reconciler.cost import fleet_line, sources, total_line
from reconciler.plan import Plan

TITLE = "Hosting instances, cost per hour before → after:"


def rows(plan: Plan) -> list[tuple[str, str, str]]:
    """(resource, instances, per hour before → after) per resource that runs instances."""
    return [(f"{e.kind}/{e.name}", *fleet_line(e)) for e in (plan.costs.endpoints if plan.costs else ())]


def note(plan: Plan) -> str:
    """Where the prices come from, and how to refresh them."""
    said = "; ".join(sources(plan.costs)) if plan.costs else ""
    region = plan.costs.region if plan.costs else plan.region
    return (f"Prices: on-demand SageMaker hosting in {region}, from {said or 'no entry of the price table'} "
            "(`reconcile prices update` refreshes them)")


def total(plan: Plan) -> str | None:
    """Cost: $0/h → $1.52/h, $0 → $1,105.95 a month (730 h) (None: the stack runs no instances)."""
    return total_line(plan.costs) if plan.costs else None


def text_lines(plan: Plan) -> list[str]:
    """The per-resource block: aligned columns."""
    found = rows(plan)
    if not found:
        return []
    width = max(len(r[0]) for r in found), max(len(r[1]) for r in found)
    return [f"    {who:<{width[0]}}  {fleet:<{width[1]}}  {money}" for who, fleet, money in found]


def markdown_lines(plan: Plan) -> list[str]:
    found = rows(plan)
    if not found:
        return []
    return (["", f"**{TITLE}**", "", "| resource | instances | per hour |", "|---|---|---|"]
            + [f"| `{who}` | {fleet} | {money} |" for who, fleet, money in found] + ["", note(plan)])
