"""``spec.autoscaling.schedule``: scheduled scaling (Application Auto Scaling scheduled actions).

Each entry becomes one scheduled action on the endpoint's scalable target (the variant's instances or the
inference component's copies): ``PutScheduledAction`` with ``Schedule`` (``cron(…)``, ``rate(…)`` or
``at(…)``), optional ``Timezone`` and ``ScalableTargetAction`` {MinCapacity, MaxCapacity}.

Ownership: scheduled actions carry no tags, so their names do: ``reconciler-<name>`` on a target this stack
owns (tagged). Only actions with that prefix are read, changed or deleted; an action someone else put on the
target is left alone (AWS deletes every action of a target when the target is deregistered).

An entry removed from the manifest is ``DeleteScheduledAction``; a changed one is ``PutScheduledAction``
again (it updates in place). The expression and time zone are checked at validate time as AWS checks them
(schedule_grammar.py): botocore's model gives the field only a length (1600) and a character set.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from reconciler import awsmodel
from reconciler.aws import autoscaling as aas
from reconciler.errors import Issue
from reconciler.kinds.base import Spec
from reconciler.kinds.endpoint.schedule_grammar import expression_problems, timezone_problem
from reconciler.plan import Operation

PREFIX = "reconciler-"


class ScheduledActionSpec(Spec):
    """One scheduled action: at the time the expression names, set the target's minCount and/or maxCount."""

    name: str = Field(min_length=1, max_length=200, description="Name of the action; in AWS it is "
                      "reconciler-<name> (no ':', '/' or '|', no leading or trailing space).")
    expression: str = Field(description="When: cron(Minutes Hours Day-of-month Month Day-of-week Year), "
                                        "rate(N minutes|hours|days) or at(yyyy-mm-ddThh:mm:ss).")
    timezone: str | None = Field(None, description="IANA time zone the cron/at expression is read in, e.g. "
                                                   "Europe/Berlin (default UTC).")
    minCount: int | None = Field(None, ge=0, le=1000, description="The target's new minCount (MinCapacity).")
    maxCount: int | None = Field(None, ge=0, le=1000, description="The target's new maxCount (MaxCapacity).")

    @model_validator(mode="after")
    def _range(self) -> ScheduledActionSpec:
        if self.minCount is None and self.maxCount is None:
            raise ValueError("give minCount, maxCount or both: what the action sets")
        if self.minCount is not None and self.maxCount is not None and self.minCount > self.maxCount:
            raise ValueError("minCount must be at most maxCount")
        return self


def check(res: Any, schedule: list[ScheduledActionSpec], endpoint_type: str, at: tuple[Any, ...]) -> list[Issue]:
    """Every problem of the schedule, each at its entry's field (file:line)."""
    out: list[Issue] = []
    seen: set[str] = set()
    for i, item in enumerate(schedule):
        here = at + ("schedule", i)
        for v in awsmodel.check_value("application-autoscaling", "PutScheduledAction.ScheduledActionName",
                                      PREFIX + item.name):
            why = ("names hold no ':', '/', '|' or control characters and neither start nor end with a space"
                   if v.rule == "pattern" else v.allowed)
            out.append(res.issue(here + ("name",), f"{PREFIX}{item.name}: {why}"))
        if item.name in seen:
            out.append(res.issue(here + ("name",), f"{item.name!r} is used twice; scheduled action names are unique"))
        seen.add(item.name)
        problems = [v.allowed for v in awsmodel.check_value("application-autoscaling", "PutScheduledAction.Schedule",
                                                             item.expression)] or expression_problems(item.expression)
        out += [res.issue(here + ("expression",), f"{item.expression!r}: {problem}") for problem in problems]
        zone = timezone_problem(item.timezone) if item.timezone is not None else None
        if zone:
            out.append(res.issue(here + ("timezone",), zone))
        if endpoint_type == "model-based" and item.minCount is not None and item.minCount < 1:
            out.append(res.issue(here + ("minCount",), "a model-based endpoint keeps at least 1 instance; "
                                                       "only inference components scale to zero"))
        if endpoint_type == "model-based" and item.maxCount is not None and item.maxCount < 1:
            out.append(res.issue(here + ("maxCount",), "a model-based endpoint keeps at least 1 instance"))
    return out


def desired(schedule: list[ScheduledActionSpec]) -> list[dict[str, Any]]:
    return sorted(({"name": PREFIX + s.name, "expression": s.expression, "timezone": s.timezone,
                    "minCount": s.minCount, "maxCount": s.maxCount} for s in schedule), key=lambda d: d["name"])


def from_aws(actions: list[dict[str, Any]], rid: str) -> list[dict[str, Any]]:
    """This stack's scheduled actions of target ``rid`` (by the name prefix), in the shape of ``desired``."""
    out = []
    for a in actions:
        if a.get("ResourceId") != rid or not str(a.get("ScheduledActionName", "")).startswith(PREFIX):
            continue
        act = a.get("ScalableTargetAction") or {}
        out.append({"name": a["ScheduledActionName"], "expression": a.get("Schedule"),
                    "timezone": a.get("Timezone") or None,
                    "minCount": act.get("MinCapacity"), "maxCount": act.get("MaxCapacity")})
    return sorted(out, key=lambda d: d["name"])


def read(aws: Any, rid: str, dimension: str | None, fresh: bool) -> list[dict[str, Any]]:
    if dimension is None:
        return []
    actions = aas.scheduled(aas.client(aws), rid, dimension) if fresh else aas.all_scheduled(aws)
    return from_aws(actions, rid)


def operations(target: Any, want: list[dict[str, Any]], live: list[dict[str, Any]]) -> list[Operation]:
    """Delete the actions no longer declared, put the new and changed ones (``target``: ``autoscaling.Target``)."""
    have = {a["name"]: a for a in live}
    names = {a["name"] for a in want}
    out = [target.call("DeleteScheduledAction", n, {"ScheduledActionName": n}, "no longer declared")
           for n in sorted(have) if n not in names]
    for a in want:
        if have.get(a["name"]) != a:
            bounds = ", ".join(f"{k} {a[k]}" for k in ("minCount", "maxCount") if a[k] is not None)
            tz = f" ({a['timezone']})" if a.get("timezone") else ""
            action = {k: a[f] for k, f in (("MinCapacity", "minCount"), ("MaxCapacity", "maxCount")) if a[f] is not None}
            request = {"ScheduledActionName": a["name"], "Schedule": a["expression"], "ScalableTargetAction": action,
                       **({"Timezone": a["timezone"]} if a.get("timezone") else {})}
            out.append(target.call("PutScheduledAction", a["name"], request, f"{a['expression']}{tz}: {bounds}"
                                   + (" (changed)" if a["name"] in have else "")))
    return out
