"""Service Quotas at plan time: may the account run the instances the stack asks for at its maximum?

SageMaker has one quota per instance type, named ``<type> for endpoint usage`` (instances across the
account's endpoints in the region; new accounts often have 0 for GPU types). Exceeding it fails
CreateEndpoint / UpdateEndpoint half-way through an apply with ``ResourceLimitExceeded``, and stops
autoscaling or managed scaling at the quota. So plan reads the quotas (``ListServiceQuotas``, ServiceCode
``sagemaker``: read-only, beside the other reads, before any write) and compares each type's quota with
what the stack's declared resources need at their maximum (``Kind.fleet``: ``instance.count``, autoscaling
``maxCount``, managed scaling ``maxCount``), summed over the stack. Instances the stack's endpoints already
run are part of that need, not on top of it.

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
    """What the stack's declared resources run of one instance type at their maximum."""

    instance_type: str
    count: int = 0
    parts: list[tuple[Any, int, str]] = field(default_factory=list)  # (resource, most instances, the field)
    changed: bool = False


def needs(resources: list[Any], plan: Plan) -> dict[str, Need]:
    """Per instance type: the most instances the declared resources run (from the plan's desired states)."""
    from reconciler.kinds import REGISTRY

    by_id = {r.id: r for r in resources}
    out: dict[str, Need] = {}
    for step in plan.steps:
        res = by_id.get(step.id)
        if res is None or step.desired is None or step.action == Action.delete:
            continue
        fleet = REGISTRY[step.kind].fleet(step.desired)
        if fleet is None or fleet.max_count <= 0:
            continue
        need = out.setdefault(fleet.instance_type, Need(fleet.instance_type))
        need.count += fleet.max_count
        need.parts.append((res, fleet.max_count, fleet.max_field))
        need.changed = need.changed or step.action != Action.noop
    return out


def judge(quotas: dict[str, dict[str, Any]] | str, resources: list[Any], plan: Plan
          ) -> tuple[list[Problem], list[str]]:
    """(problems, warnings) of comparing the quotas read with what the plan's resources need at most."""
    wanted = needs(resources, plan)
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
        res, _, where = need.parts[0]
        line = res.line_of("spec", *where.split("."))
        why = explain(need, quota, plan.region)
        if need.changed:
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
    parts = ", ".join(f"{r.id}: {n} ({w})" for r, n, w in need.parts)
    return (f"the account's Service Quotas value for '{quota.get('QuotaName')}' is {shown} in {region}, and the "
            f"stack needs up to {need.count} at its maximum ({parts}). Request an increase to at least "
            f"{need.count}: aws service-quotas request-service-quota-increase --service-code {SERVICE_CODE} "
            f"--quota-code {code} --desired-value {need.count} --region {region} (or in the Service Quotas "
            "console), or lower the counts")
