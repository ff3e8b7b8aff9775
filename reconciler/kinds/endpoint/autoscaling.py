"""``spec.autoscaling``: Application Auto Scaling of an Endpoint's instances or inference component copies.

- model-based: ResourceId ``endpoint/NAME/variant/AllTraffic``, dimension ``sagemaker:variant:DesiredInstanceCount``;
- inference-component-based: ResourceId ``inference-component/IC``, dimension
  ``sagemaker:inference-component:DesiredCopyCount``;
- one target-tracking policy (``reconciler-target-tracking``) on the predefined metric;
- scale to zero (inference components, ``minCount: 0``): a step-scaling policy and the CloudWatch alarm that
  triggers it (``scale_to_zero``); scheduled actions (``schedule``, module ``schedule``).

Never fight the autoscaler: with autoscaling declared, a live count inside [minCount, maxCount] is not
drift (``settle_counts``), UpdateInferenceComponent leaves CopyCount out (rollout), UpdateEndpoint retains
the variant's count (RetainAllVariantProperties). Changing min/max is RegisterScalableTarget, never an
endpoint update.

Order (``with_operations``): a target is deregistered (its policies go with it) before its endpoint or
component is deleted or replaced, and registered after the endpoint/component is InService (after the
rollout); alarms are deleted before their targets are deregistered. The calls are the step's operations
(services ``application-autoscaling`` and ``cloudwatch``), with their requests. Ownership: targets and
alarms are tagged with the endpoint's ownership tags. A target is the stack's only by proof: its own tags
(read at plan, ListTagsForResource on its ScalableTargetARN); anyone else's target on the endpoint's variant or
components is never read, changed or deregistered, nor its policies and scheduled actions (a plan warning
names it; declaring autoscaling on it is refused). On a target the stack owns, its policies and scheduled
actions are only ever touched through the endpoint (or component) the stack owns: their evidence is that
resource's tags (``ops.part_of``); an alarm's is its own tags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator

from reconciler import ops
from reconciler.aws import autoscaling as aas
from reconciler.errors import Issue
from reconciler.kinds.base import Refusal, Spec
from reconciler.kinds.endpoint import scale_to_zero as stz
from reconciler.kinds.endpoint import schedule as sched
from reconciler.kinds.endpoint.schedule import ScheduledActionSpec
from reconciler.plan import Operation, Ownership
from reconciler.policy import owner_of

VARIANT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
IC_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
POLICY = "reconciler-target-tracking"
#: metric -> (endpoint type it applies to, AWS predefined metric)
METRICS = {
    "invocationsPerInstance": ("model-based", "SageMakerVariantInvocationsPerInstance"),
    "concurrentRequestsPerModel": ("model-based", "SageMakerVariantConcurrentRequestsPerModelHighResolution"),
    "invocationsPerCopy": ("inference-component-based", "SageMakerInferenceComponentInvocationsPerCopy"),
    "concurrentRequestsPerCopy": ("inference-component-based",
                                  "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"),
}
PREDEFINED = {v[1]: k for k, v in METRICS.items()}


class TargetSpec(Spec):
    """Target tracking: the metric and the value the autoscaler keeps it at."""

    metric: Literal["invocationsPerInstance", "concurrentRequestsPerModel", "invocationsPerCopy",
                    "concurrentRequestsPerCopy"] = Field(
        description="Predefined metric: invocationsPerInstance / concurrentRequestsPerModel (model-based), "
                    "invocationsPerCopy / concurrentRequestsPerCopy (inference-component-based).")
    value: float = Field(gt=0, description="Target value of the metric (e.g. 5 invocations per instance per minute).")


class AutoscalingSpec(Spec):
    """Application Auto Scaling of the variant's instances (model-based) or the component's copies."""

    minCount: int = Field(ge=0, le=1000, description="Fewest instances (model-based, at least 1) or copies "
                                                     "(inference-component-based; 0 = scale to zero).")
    maxCount: int = Field(ge=1, le=1000, description="Most instances or copies.")
    target: TargetSpec = Field(description="Target-tracking metric and value.")
    scaleInCooldownSeconds: int | None = Field(None, ge=0, le=86400, description="Seconds after a scale-in before "
                                                                                 "another scale-in.")
    scaleOutCooldownSeconds: int | None = Field(None, ge=0, le=86400, description="Seconds after a scale-out before "
                                                                                  "another scale-out.")
    disableScaleIn: bool = Field(False, description="Only ever scale out (scale-in is left to you).")
    schedule: list[ScheduledActionSpec] = Field(
        default_factory=list, max_length=50, description="Scheduled actions (scheduled scaling): at the times given, "
        "set the target's minCount/maxCount, e.g. office hours {name: office-hours, expression: "
        "\"cron(0 8 ? * MON-FRI *)\", timezone: Europe/Berlin, minCount: 1}.")

    @model_validator(mode="after")
    def _order(self) -> AutoscalingSpec:
        if self.minCount > self.maxCount:
            raise ValueError("minCount must be at most maxCount")
        return self


# ---- static checks and desired state --------------------------------------------------------------


def check(res: Any) -> list[Issue]:
    """Metric of the endpoint's type; scale to zero only for inference components; the initial count in range."""
    spec = res.spec
    a: AutoscalingSpec | None = getattr(spec, "autoscaling", None)
    if a is None:
        return []
    out = []
    at = ("spec", "autoscaling")
    out += check_metric(res, a, spec.type)
    if spec.type == "model-based" and a.minCount < 1:
        out.append(res.issue(at + ("minCount",), "scale to zero (minCount 0) exists only for inference-component-based "
                                                 "endpoints; a model-based endpoint keeps at least 1 instance"))
    if spec.type == "inference-component-based" and a.minCount == 0 and spec.inferenceComponent is None:
        out.append(res.issue(at + ("minCount",), "scale to zero needs the endpoint's inference component "
                                                 "(spec.inferenceComponent): its alarm watches that component"))
    ic = spec.type == "inference-component-based" and spec.inferenceComponent
    return out + check_schedule_and_count(res, a, spec.type, spec.inferenceComponent.copies if ic else
                                          spec.instance.count,
                                          ("inferenceComponent", "copies") if ic else ("instance", "count"))


def check_metric(res: Any, a: AutoscalingSpec, endpoint_type: str) -> list[Issue]:
    """The target's metric belongs to the endpoint's type (shared with the InferenceComponent kind)."""
    kind_of_metric = METRICS[a.target.metric][0]
    if kind_of_metric == endpoint_type:
        return []
    allowed = ", ".join(k for k, v in METRICS.items() if v[0] == endpoint_type)
    return [res.issue(("spec", "autoscaling", "target", "metric"), f"{a.target.metric} is a metric of "
                      f"{kind_of_metric} endpoints; for type {endpoint_type} use one of: {allowed}")]


def check_schedule_and_count(res: Any, a: AutoscalingSpec, endpoint_type: str, initial: int,
                             count_path: tuple[str, ...]) -> list[Issue]:
    """The scheduled actions, and the initial count (``spec.<count_path>``) within minCount..maxCount."""
    out = sched.check(res, a.schedule, endpoint_type, ("spec", "autoscaling"))
    if not a.minCount <= initial <= a.maxCount:
        out.append(res.issue(("spec",) + count_path, f"the initial count {initial} must lie within autoscaling "
                                                     f"minCount..maxCount ({a.minCount}..{a.maxCount})"))
    return out


def lint(res: Any) -> list[Issue]:
    """Scale to zero whose instances stay: the copies go to 0 but the instances (and their cost) remain."""
    a = getattr(res.spec, "autoscaling", None)
    if a is None or a.minCount != 0 or res.spec.type != "inference-component-based":
        return []
    managed = res.spec.instance.managedScaling
    if managed is not None and managed.minCount == 0:
        return []
    return [res.issue(("spec", "instance", "managedScaling"), "scale to zero: the copies can go to 0, but the "
                      "instances stay (and cost) unless managed instance scaling may reach 0: set "
                      "instance.managedScaling {minCount: 0, maxCount: N}", "warning")]


def desired(spec: Any, component: str | None = None, endpoint_type: str | None = None) -> dict[str, Any] | None:
    """What the plan compares (``endpoint_type``: the InferenceComponent kind's spec has no ``type``)."""
    a: AutoscalingSpec | None = getattr(spec, "autoscaling", None)
    if a is None:
        return None
    out: dict[str, Any] = {
        "minCount": a.minCount, "maxCount": a.maxCount, "metric": a.target.metric, "value": float(a.target.value),
        "scaleInCooldownSeconds": a.scaleInCooldownSeconds, "scaleOutCooldownSeconds": a.scaleOutCooldownSeconds,
        "disableScaleIn": a.disableScaleIn, "schedule": sched.desired(a.schedule)}
    out["scaleFromZero"] = stz.wanted(endpoint_type or spec.type, out, component)
    return out


def target_of(name: str, endpoint_type: str, component: str | None) -> tuple[str, str]:
    """(ResourceId, ScalableDimension) of an endpoint's scaling."""
    if endpoint_type == "inference-component-based":
        return f"inference-component/{component}", IC_DIMENSION
    return f"endpoint/{name}/variant/AllTraffic", VARIANT_DIMENSION


def policy_config(want: dict[str, Any]) -> dict[str, Any]:
    cfg: dict[str, Any] = {"TargetValue": float(want["value"]),
                           "PredefinedMetricSpecification": {"PredefinedMetricType": METRICS[want["metric"]][1]},
                           "DisableScaleIn": bool(want.get("disableScaleIn"))}
    if want.get("scaleInCooldownSeconds") is not None:
        cfg["ScaleInCooldown"] = want["scaleInCooldownSeconds"]
    if want.get("scaleOutCooldownSeconds") is not None:
        cfg["ScaleOutCooldown"] = want["scaleOutCooldownSeconds"]
    return cfg


# ---- read -----------------------------------------------------------------------------------------


def read(aws: Any, name: str, components: list[str], fresh: bool = False, stack: str | None = None
         ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the scaling the plan compares, facts for the decision: ``scalingTargets``, every live target of the
    endpoint and its components as [ResourceId, dimension]; ``scaleToZero``, the alarm and step policy facts).
    The state is that of the variant (model-based) or of the first component. Plan reads list all sagemaker
    targets, policies and scheduled actions once per command (``fresh``: apply, just these)."""
    c = aas.client(aws)
    ids = [target_of(name, "model-based", None)[0]] + [target_of(name, "inference-component-based", n)[0]
                                                        for n in components]
    listed = aas.targets(c, ids) if fresh else [t for t in aas.all_targets(aws) if t.get("ResourceId") in ids]
    every = {t["ResourceId"]: t for t in listed if t.get("ScalableDimension") in (VARIANT_DIMENSION, IC_DIMENSION)}
    # a target is this stack's only by its tags (reconcile registers its own with them); anyone else's is never
    # read, changed or deregistered, nor are its policies and scheduled actions: a plan warning names it
    found, foreign = {}, []
    for rid in ids:
        if rid in every:
            t = every[rid]  # (a plan reads each target's tags once: the endpoint's read and each component's share)
            tags = (aas.target_tags(c, t) if fresh else
                    aws.cached(f"aas:target-tags:{t.get('ScalableTargetARN') or rid}", lambda t=t: aas.target_tags(c, t))) or {}
            if stack is not None and owner_of(tags) == stack:
                found[rid] = every[rid]
            else:
                foreign.append({"rid": rid, "dimension": every[rid]["ScalableDimension"], "owner": owner_of(tags)})
    live = [[rid, found[rid]["ScalableDimension"]] for rid in ids if rid in found]
    main = ids[1] if components else ids[0]
    t = found.get(main)
    pols = [] if t is None else (aas.policies(c, main, t["ScalableDimension"]) if fresh else
                                 [p for p in aas.all_policies(aws) if p.get("ResourceId") == main])
    zero, zero_facts = stz.read(aws, main, components, pols, stack)
    facts = {"scalingTargets": live, "foreignTargets": foreign, "scaleToZero": zero_facts}
    if t is None:
        return None, facts
    state: dict[str, Any] = {"minCount": t.get("MinCapacity"), "maxCount": t.get("MaxCapacity"), "metric": None,
                             "value": None, "scaleInCooldownSeconds": None, "scaleOutCooldownSeconds": None,
                             "disableScaleIn": False, "schedule": sched.read(aws, main, t["ScalableDimension"], fresh),
                             "scaleFromZero": zero}
    for p in pols:
        if p.get("PolicyName") != POLICY:
            continue
        cfg = p.get("TargetTrackingScalingPolicyConfiguration") or {}
        metric = (cfg.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
        state.update({"metric": PREDEFINED.get(metric, metric), "value": cfg.get("TargetValue"),
                      "scaleInCooldownSeconds": cfg.get("ScaleInCooldown"),
                      "scaleOutCooldownSeconds": cfg.get("ScaleOutCooldown"),
                      "disableScaleIn": bool(cfg.get("DisableScaleIn"))})
    return state, facts


def settle_counts(state: dict[str, Any], meta: dict[str, Any], want: dict[str, Any] | None) -> None:
    """With autoscaling declared, the autoscaler owns the count: a live copy count within [min, max] is
    reported as the manifest's initial count, so neither the plan nor apply's decision calls it drift."""
    if not want or "autoscaling" not in want or not want["autoscaling"]:
        return
    lo, hi = want["autoscaling"]["minCount"], want["autoscaling"]["maxCount"]
    ic_want = want.get("inferenceComponent")
    ic_live = state.get("inferenceComponent")
    if ic_want and ic_live and ic_live.get("name") == ic_want["name"]:
        if isinstance(ic_live.get("copies"), int) and lo <= ic_live["copies"] <= hi:
            ic_live["copies"] = ic_want["copies"]
        for comp in meta.get("components") or []:
            if comp["name"] == ic_want["name"] and isinstance(comp.get("copies"), int) and lo <= comp["copies"] <= hi:
                comp["copies"] = ic_want["copies"]


def comparable(live: dict[str, Any], want: dict[str, Any]) -> dict[str, Any]:
    """The live state as plan and verify diff it: the autoscaler's copy count settled (a copy)."""
    if not want.get("autoscaling") or not isinstance(live.get("inferenceComponent"), dict):
        return live
    out = {**live, "inferenceComponent": dict(live["inferenceComponent"])}
    settle_counts(out, {}, want)
    return out


def settled(state: dict[str, Any], meta: dict[str, Any], want: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of (state, meta) with the autoscaler's copy count settled (``settle_counts``)."""
    if not want.get("autoscaling"):
        return state, meta
    state = {**state, **({"inferenceComponent": dict(state["inferenceComponent"])}
                         if isinstance(state.get("inferenceComponent"), dict) else {})}
    meta = {**meta, "components": [dict(c) for c in meta.get("components") or []]}
    settle_counts(state, meta, want)
    return state, meta


# ---- the operations: which Application Auto Scaling calls, and when ---------------------------------


@dataclass(frozen=True)
class Target:
    """The calls on one scalable target: its ResourceId and dimension, the evidence a change or delete of it
    (and its policies and scheduled actions, which carry no tags) relies on, and the tags put on what it
    creates (the target, the scale-from-zero alarm)."""

    rid: str
    dimension: str
    evidence: Ownership
    tags: dict[str, str]
    read_at: str | None = None

    def call(self, action: str, name: str, request: dict[str, Any], detail: str, op_id: str | None = None,
             ) -> Operation:
        where = self.rid if action.endswith("ScalableTarget") else f"{self.rid}/{name}"
        return ops.call(aas.SERVICE, action, where, {"ServiceNamespace": aas.NAMESPACE, "ResourceId": self.rid,
                                                     "ScalableDimension": self.dimension, **request},
                        id=op_id, ownership=self.evidence, detail=detail)


@dataclass(frozen=True)
class Scope:
    """Whose scaling it is: ``live``, the evidence for the scaling objects that exist (a part of the endpoint or
    component the stack owns); ``after``, the evidence once the step's own calls ran (``ops.created`` when the
    step creates the endpoint or component); ``tags`` for what it creates."""

    live: Ownership
    after: Ownership
    tags: dict[str, str]
    read_at: str | None = None


def register_ops(target: Target, want: dict[str, Any], live: dict[str, Any] | None, why: str = "") -> list[Operation]:
    out = []
    if live is None or (live.get("minCount"), live.get("maxCount")) != (want["minCount"], want["maxCount"]):
        was = f" (was {live.get('minCount')}..{live.get('maxCount')})" if live else ""
        out.append(target.call("RegisterScalableTarget", "", {
            "MinCapacity": want["minCount"], "MaxCapacity": want["maxCount"], "Tags": dict(sorted(target.tags.items()))},
            f"{want['minCount']}..{want['maxCount']}{was}{why}"))
    keys = ("metric", "value", "scaleInCooldownSeconds", "scaleOutCooldownSeconds", "disableScaleIn")
    if live is None or any(live.get(k) != want.get(k) for k in keys):
        out.append(target.call("PutScalingPolicy", POLICY, {
            "PolicyName": POLICY, "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": policy_config(want)},
            f"target tracking {want['metric']} = {want['value']:g}"))
    return out


def with_operations(name: str, desired: dict[str, Any] | None, state: dict[str, Any] | None, meta: dict[str, Any],
                    calls: list[Operation], scope: Scope) -> list[Operation]:
    """The step's ``calls`` with the scaling calls put in the order AWS needs: the alarms deleted and the targets
    deregistered before the endpoint or the component they scale is deleted (or scaling is no longer
    declared), the target registered (with its policies, alarm and scheduled actions) after the
    endpoint/component is created."""
    live_targets = {rid: dim for rid, dim in meta.get("scalingTargets") or []}  # (this stack's, by their tags)
    deleted = {("inference-component/" + o.target) for o in calls if o.action == "DeleteInferenceComponent"}
    if any(o.action == "DeleteEndpoint" for o in calls) or desired is None:
        deleted |= set(live_targets)
    want = (desired or {}).get("autoscaling")
    rid, dim = target_of(name, desired["type"], (desired.get("inferenceComponent") or {}).get("name")) if desired \
        else ("", "")
    taken = next((t for t in meta.get("foreignTargets") or [] if t["rid"] == rid), None)
    if want and taken is not None and rid not in deleted and not any(o.action == "DeleteEndpoint" for o in calls):
        raise Refusal(f"the scalable target {rid} ({taken['dimension']}) exists but is not this stack's "
                      f"({whose(taken)}); reconcile will not change it, its scaling policies or scheduled actions. "
                      "Deregister it, or tag it (application-autoscaling TagResource on its ScalableTargetARN) "
                      "with this stack's reconciler:managed-by and reconciler:stack tags to adopt it")
    gone = [t for t in live_targets if t in deleted or (t != rid or not want)]
    facts = meta.get("scaleToZero") or {}
    zero = (want or {}).get("scaleFromZero")
    first = stz.alarm_deletions(facts, zero["alarm"] if zero and rid not in deleted else None, scope.read_at)
    first += [Target(t, live_targets[t], scope.live, scope.tags).call(
        "DeregisterScalableTarget", "", {}, "its policies and scheduled actions go with it; before " +
        ("the endpoint/component is deleted" if t in deleted else "scaling is no longer declared")) for t in gone]
    kept = rid in live_targets and rid not in deleted
    target = Target(rid, dim, scope.live if kept else scope.after, scope.tags, scope.read_at)
    waits = any(o.action in WAITED_FOR for o in calls)
    return first + list(calls) + after_operations(target, want, state, kept, facts, waits)


def whose(target: dict[str, Any]) -> str:
    return f"owned by stack {target['owner']!r}" if target.get("owner") else "no reconcile ownership tags"


def foreign_warnings(meta: dict[str, Any]) -> list[str]:
    """The plan's warning for each scalable target on the endpoint or its components that is not this stack's."""
    return [f"scalable target {t['rid']} ({t['dimension']}) is not this stack's ({whose(t)}): reconcile leaves it, "
            "its scaling policies and its scheduled actions alone" for t in meta.get("foreignTargets") or []]


#: the calls after which apply waits for the endpoint/component to be InService before it registers scaling
WAITED_FOR = frozenset({"CreateEndpoint", "UpdateEndpoint", "CreateInferenceComponent", "UpdateInferenceComponent"})


def after_operations(target: Target, want: dict[str, Any] | None, state: dict[str, Any] | None, kept: bool,
                     facts: dict[str, Any], waits: bool = False) -> list[Operation]:
    """After the endpoint/component is InService: the target, its policies, the scale-from-zero alarm and the
    scheduled actions (``kept``: the live target stays registered; ``waits``: this step creates or updates the
    endpoint/component, so registering waits for it to be InService)."""
    if not want:
        return []
    live = (state or {}).get("autoscaling") if kept else None
    out = register_ops(target, want, live, "; after it is InService" if live is None and waits else "")
    out += stz.operations(target, want.get("scaleFromZero"), facts, live is None)
    return out + sched.operations(target, want.get("schedule") or [], (live or {}).get("schedule") or [])


def plan_reason(fields: list[str], state: dict[str, Any] | None, base: str | None) -> str | None:
    if "autoscaling" not in fields:
        return base
    return "; ".join(x for x in (base, "autoscaling changed (Application Auto Scaling only, the endpoint is untouched)")
                     if x)
