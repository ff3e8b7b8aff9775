"""Service Quotas at plan time: may the account run the instances the stack asks for at its maximum?

SageMaker has one quota per instance type, named ``<type> for endpoint usage`` (instances across the
account's endpoints in the region; new accounts often have 0 for GPU types). Exceeding it fails
CreateEndpoint / UpdateEndpoint half-way through an apply with ``ResourceLimitExceeded``, and stops
autoscaling or managed scaling at the quota. So plan reads the quotas (``ListServiceQuotas``, ServiceCode
``sagemaker``: read-only, beside the other reads, before any write) and compares each type's quota with
what the stack's declared resources need at their maximum (``Kind.fleet``: ``instance.count``, autoscaling
``maxCount``, managed scaling ``maxCount``), summed over the stack, with what the orphans the plan leaves in
place run. Instances the stack's endpoints already run are part of that need, not on top of it.

- need > quota, and the plan changes a resource of that type: a plan problem (code ``quota``) naming the
  quota, its value, the need and how to request an increase; apply refuses the plan;
- need > quota, nothing of that type changes: a warning (what runs was allowed; scaling will stop short);
- quotas that cannot be read (AccessDenied: the credentials lack ``servicequotas:ListServiceQuotas``, or
  any other error): a warning, and the plan goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import AwsError
from reconciler.plan import Action, Plan, Problem

SERVICE_CODE = "sagemaker"


def quota_name(instance_type: str) -> str:
    return f"{instance_type} for endpoint usage"


def read(aws: Any) -> dict[str, dict[str, Any]] | str:
    """SageMaker's quotas by name, or why they could not be read (never raises on an AWS error)."""
    from reconciler.aws import service_quotas

    try:
        return {q["QuotaName"]: q for q in service_quotas.quotas(aws, SERVICE_CODE) if q.get("QuotaName")}
    except AwsError as e:
        return str(e)


@dataclass
class Need:
    """What the stack runs of one instance type at its maximum."""

    instance_type: str
    count: int = 0
    parts: list[tuple[str, int, str]] = field(default_factory=list)  # (resource id, most instances, why)
    first: Any = None  # the first declared resource that needs the type (the problem's file:line)
    changed: bool = False


def needs(resources: list[Any], plan: Plan, live: dict[str, dict[str, Any]] | None = None) -> dict[str, Need]:
    """Per instance type: the most instances the declared resources run (the plan's desired states), and the
    instances the orphans the plan leaves in place run (``live``: "Kind/name" -> live state)."""
    from reconciler.kinds import REGISTRY

    by_id = {r.id: r for r in resources}
    out: dict[str, Need] = {}

    def add(kind: str, rid: str, state: dict[str, Any] | None, why: str | None = None) -> Need | None:
        fleet = REGISTRY[kind].fleet(state) if state else None
        if fleet is None or fleet.max_count <= 0:
            return None
        need = out.setdefault(fleet.instance_type, Need(fleet.instance_type))
        need.count += fleet.max_count
        need.parts.append((rid, fleet.max_count, why or fleet.max_field))
        return need

    for step in plan.steps:
        res = by_id.get(step.id)
        if res is None or step.action == Action.delete:
            continue
        need = add(step.kind, step.id, step.desired)
        if need is not None:
            need.first = need.first or res
            need.changed = need.changed or step.action != Action.noop
    for o in plan.pending_orphans:
        add(o.kind, f"{o.kind}/{o.name}", (live or {}).get(f"{o.kind}/{o.name}"),
            "no longer declared, runs until pruned")
    return out


def judge(quotas: dict[str, dict[str, Any]] | str, resources: list[Any], plan: Plan,
          live: dict[str, dict[str, Any]] | None = None) -> tuple[list[Problem], list[str]]:
    """(problems, warnings) of comparing the quotas read with what the plan's resources need at most."""
    wanted = needs(resources, plan, live)
    if not wanted:
        return [], []
    if isinstance(quotas, str):
        return [], [f"the SageMaker instance quotas were not checked: {quotas} (reading them needs "
                    "servicequotas:ListServiceQuotas); the stack needs at its maximum "
                    + ", ".join(f"{n.count} x {t}" for t, n in sorted(wanted.items()))]
    problems, warnings = [], []
    for itype, need in sorted(wanted.items()):
        quota = quotas.get(quota_name(itype))
        if quota is None or not isinstance(quota.get("Value"), (int, float)) or need.count <= quota["Value"]:
            continue
        why = explain(need, quota, plan.region)
        res = need.first
        if need.changed and res is not None:
            where = next(w for rid, _, w in need.parts if rid == res.id)
            line = res.line_of("spec", *where.split("."))
            problems.append(Problem(kind=res.kind, name=res.name, code="quota", file=res.file, line=line,
                                    message=f"{res.file}:{line}: spec.{where}: {why}"))
        else:
            warnings.append(f"{why} (nothing of that type changes in this plan: what runs stays, but scaling "
                            "stops at the quota)")
    return problems, warnings


def explain(need: Need, quota: dict[str, Any], region: str) -> str:
    value = quota["Value"]
    shown = int(value) if float(value).is_integer() else value
    code = quota.get("QuotaCode") or "QUOTA_CODE"
    parts = ", ".join(f"{rid}: {n} ({w})" for rid, n, w in need.parts)
    return (f"the account's Service Quotas value for '{quota.get('QuotaName')}' is {shown} in {region}, and the "
            f"stack needs up to {need.count} at its maximum ({parts}). Request an increase to at least "
            f"{need.count}: aws service-quotas request-service-quota-increase --service-code {SERVICE_CODE} "
            f"--quota-code {code} --desired-value {need.count} --region {region} (or in the Service Quotas "
            "console), or lower the counts")
