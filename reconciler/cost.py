"""What the stack's hosting instances cost, before and after a plan: pure computation, no I/O.

Every resource whose kind says it runs instances (``Kind.fleet``: the Endpoint, both types) is priced from
the price table (``reconciler.prices``): the live state before the plan, the desired state after it, a range
where autoscaling (model-based) or managed instance scaling (inference-component-based) lets the count
move, $0 where nothing runs. Orphans the plan leaves in place keep running (and costing). A type or region
the table has no price for is "price unknown", left out of the totals and listed, never guessed.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from reconciler.plan import Action, Costs, EndpointCost, InstanceCost, Plan, UsdRange
from reconciler.prices import HOURS_PER_MONTH, Table


def instance_cost(fleet: Any, region: str, table: Table) -> InstanceCost | None:
    if fleet is None:
        return None
    price = table.price(region, fleet.instance_type)
    if price is None:
        return InstanceCost(instance_type=fleet.instance_type, min_count=fleet.min_count, max_count=fleet.max_count)
    return InstanceCost(instance_type=fleet.instance_type, min_count=fleet.min_count, max_count=fleet.max_count,
                        usd_per_hour_min=_round(price.usd_per_hour * fleet.min_count),
                        usd_per_hour_max=_round(price.usd_per_hour * fleet.max_count),
                        price_source=f"{price.source}, {price.date}")


def live_states(declared: dict[tuple[str, str], Any], owned: list[Any]) -> dict[str, dict[str, Any]]:
    """"Kind/name" -> live state, of the declared resources found and the owned ones (Observed)."""
    out = {f"{k}/{n}": o.state for (k, n), o in declared.items() if o is not None}
    out.update({f"{o.kind}/{o.name}": o.state for o in owned})
    return out


def estimate(plan: Plan, live: dict[str, dict[str, Any]], table: Table) -> Costs | None:
    """The plan's costs: per resource that runs instances, before (``live``: "Kind/name" -> live state) and
    after (the steps' desired states); None when nothing in the stack runs instances, before or after."""
    from reconciler.kinds import REGISTRY

    def fleet(kind: str, state: dict[str, Any] | None) -> Any:
        return REGISTRY[kind].fleet(state) if state and kind in REGISTRY else None

    rows = []
    for step in plan.steps:
        wanted = None if step.action == Action.delete else step.desired
        rows.append((step.kind, step.name, fleet(step.kind, live.get(step.id)), fleet(step.kind, wanted)))
    for o in plan.pending_orphans:  # left in place: they keep running
        running = fleet(o.kind, live.get(f"{o.kind}/{o.name}"))
        rows.append((o.kind, o.name, running, running))
    endpoints = tuple(EndpointCost(kind=k, name=n, before=instance_cost(b, plan.region, table),
                                   after=instance_cost(a, plan.region, table))
                      for k, n, b, a in rows if b is not None or a is not None)
    if not endpoints:
        return None
    before = _total([e.before for e in endpoints])
    after = _total([e.after for e in endpoints])
    unknown = sorted({c.instance_type for e in endpoints for c in (e.before, e.after)
                      if c is not None and c.usd_per_hour_min is None})
    return Costs(region=plan.region, hours_per_month=HOURS_PER_MONTH, endpoints=endpoints,
                 before_per_hour=before, after_per_hour=after, before_per_month=_monthly(before),
                 after_per_month=_monthly(after), unknown=tuple(unknown))


def _total(costs: list[InstanceCost | None]) -> UsdRange:
    known = [c for c in costs if c is not None and c.usd_per_hour_min is not None]
    return UsdRange(min=_round(sum(c.usd_per_hour_min or 0 for c in known)),
                    max=_round(sum(c.usd_per_hour_max or 0 for c in known)))


def _monthly(hourly: UsdRange) -> UsdRange:
    return UsdRange(min=_round(hourly.min * HOURS_PER_MONTH), max=_round(hourly.max * HOURS_PER_MONTH))


def _round(usd: float) -> float:
    return float(Decimal(str(usd)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


# ---- wording (the renderers share it) ------------------------------------------------------------


def usd(amount: float) -> str:
    """$0, $1.52, $1,105.95 (cents rounded half up: 1.515 -> $1.52)."""
    if amount == 0:
        return "$0"
    return f"${Decimal(str(amount)).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def usd_range(lo: float, hi: float, unit: str = "") -> str:
    """"$1.52/h", or "$0–$6.06/h" where the count can move."""
    return f"{usd(lo)}{unit}" if usd(lo) == usd(hi) else f"{usd(lo)}–{usd(hi)}{unit}"


def hourly(c: InstanceCost | None) -> str:
    if c is None:
        return "$0/h"
    if c.usd_per_hour_min is None or c.usd_per_hour_max is None:
        return "price unknown"
    return usd_range(c.usd_per_hour_min, c.usd_per_hour_max, "/h")


def _count(c: InstanceCost) -> str:
    return str(c.min_count) if c.min_count == c.max_count else f"{c.min_count}–{c.max_count}"


def instances(c: InstanceCost) -> str:
    return f"{c.instance_type} × {_count(c)}"


def fleet_line(e: EndpointCost) -> tuple[str, str]:
    """(the instances, before → after; "price unknown" where the table has no price): "ml.g5.2xlarge × 1 → 2"."""
    b, a = e.before, e.after
    if a is None:
        shown = f"{instances(b)} (deleted)" if b else ""
    elif b is None or instances(b) == instances(a):
        shown = instances(a)
    elif b.instance_type == a.instance_type:
        shown = f"{instances(b)} → {_count(a)}"
    else:
        shown = f"{instances(b)} → {instances(a)}"
    return shown, f"{hourly(b)} → {hourly(a)}"


def total_line(c: Costs) -> str:
    """Cost: $0/h → $1.52/h, $0 → $1,105.95 a month (730 h); price unknown: …"""
    b, a = c.before_per_hour, c.after_per_hour
    bm, am = c.before_per_month, c.after_per_month
    line = (f"Cost: {usd_range(b.min, b.max, '/h')} → {usd_range(a.min, a.max, '/h')}, "
            f"{usd_range(bm.min, bm.max)} → {usd_range(am.min, am.max)} a month ({c.hours_per_month} h)")
    if c.unknown:
        line += f"; price unknown for {', '.join(c.unknown)} in {c.region} (not counted)"
    return line


def sources(c: Costs) -> list[str]:
    return sorted({x.price_source for e in c.endpoints for x in (e.before, e.after) if x and x.price_source})
