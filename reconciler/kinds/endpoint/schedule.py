"""``spec.autoscaling.schedule``: scheduled scaling (Application Auto Scaling scheduled actions).

Each entry becomes one scheduled action on the endpoint's scalable target (the variant's instances or the
inference component's copies): ``PutScheduledAction`` with ``Schedule`` (``cron(…)``, ``rate(…)`` or
``at(…)``), optional ``Timezone`` and ``ScalableTargetAction`` {MinCapacity, MaxCapacity}.

Ownership: scheduled actions carry no tags, so their names do: ``reconciler-<name>`` on a target this stack
owns (tagged). Only actions with that prefix are read, changed or deleted; an action someone else put on the
target is left alone (AWS deletes every action of a target when the target is deregistered).

An entry removed from the manifest is ``DeleteScheduledAction``; a changed one is ``PutScheduledAction``
again (it updates in place). The expression's syntax is checked at validate time: botocore's model gives
the field only a length (1600) and a character set, and AWS refuses a malformed expression.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, model_validator

from reconciler import awsmodel
from reconciler.aws import autoscaling as aas
from reconciler.errors import Issue
from reconciler.kinds.base import Spec
from reconciler.plan import Operation

PREFIX = "reconciler-"
_AT = re.compile(r"at\(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\)")
_RATE = re.compile(r"rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((.*)\)")
_CRON_FIELD = re.compile(r"[0-9A-Za-z*?,/#\-]+")
CRON_FIELDS = ("minutes", "hours", "day-of-month", "month", "day-of-week", "year")


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


def expression_problem(expr: str) -> str | None:
    """Why AWS would refuse this schedule expression, or None."""
    if expr.startswith("at("):
        return None if _AT.fullmatch(expr) else "at(...) takes a time as at(yyyy-mm-ddThh:mm:ss)"
    if expr.startswith("rate("):
        return None if _RATE.fullmatch(expr) else "rate(...) takes a whole number of at least 1 and a unit (minute[s], hour[s], day[s]): rate(5 minutes)"
    m = _CRON.fullmatch(expr)
    if m is None:
        return "use cron(Minutes Hours Day-of-month Month Day-of-week Year), rate(N unit) or at(yyyy-mm-ddThh:mm:ss)"
    fields = m.group(1).split()
    if len(fields) != 6:
        return (f"cron(...) has 6 fields ({' '.join(CRON_FIELDS)}), e.g. cron(0 8 ? * MON-FRI *); "
                f"this one has {len(fields)}")
    bad = [f"{n} {v!r}" for n, v in zip(CRON_FIELDS, fields, strict=True) if not _CRON_FIELD.fullmatch(v)]
    if bad:
        return f"cron field {', '.join(bad)} holds characters cron does not allow"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "cron(...) needs '?' in exactly one of day-of-month and day-of-week, e.g. cron(0 8 ? * MON-FRI *)"
    return None


def timezone_problem(tz: str) -> str | None:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        return f"{tz!r} is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)"
    return None


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
        problem = expression_problem(item.expression)
        for v in awsmodel.check_value("application-autoscaling", "PutScheduledAction.Schedule", item.expression):
            problem = v.allowed
        if problem:
            out.append(res.issue(here + ("expression",), f"{item.expression!r}: {problem}"))
        if item.timezone is not None and timezone_problem(item.timezone):
            out.append(res.issue(here + ("timezone",), str(timezone_problem(item.timezone))))
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
