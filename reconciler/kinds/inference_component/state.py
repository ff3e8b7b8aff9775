"""Desired state from a manifest, observed state from AWS, and the facts its operations need (read at plan)."""

from __future__ import annotations

from typing import Any

from reconciler import PREVENT_DESTROY_ANNOTATION
from reconciler.aws import sagemaker as smx
from reconciler.errors import ManifestError
from reconciler.kinds.base import Observed, PlanContext, Resource, ownership_tags
from reconciler.kinds.endpoint import weights
from reconciler.kinds.endpoint.naming import COMPONENT_TAG, PREVIOUS_MODEL_TAG, is_derived
from reconciler.kinds.endpoint.ownership import describe_owner
from reconciler.kinds.endpoint.shapes import COMPUTE_KEYS, compute_of, startup_of
from reconciler.kinds.endpoint.state import model_image_and_environment, read_model
from reconciler.kinds.inference_component import scaling as ic_scaling


def execution_role(res: Resource, ctx: PlanContext) -> str:
    role = res.spec.executionRole
    if role is None:
        ep = ctx.resources.get(("Endpoint", res.spec.endpoint))
        if ep is None:
            raise ManifestError([res.issue(("spec", "executionRole"), (
                f"Endpoint/{res.spec.endpoint} is not in the manifests: give executionRole (a Role name or ARN)"))])
        role = ep.spec.executionRole
    return role if role.startswith("arn:") else ctx.arn_of("Role", role)


def desired(res: Resource, ctx: PlanContext) -> dict[str, Any]:
    spec = res.spec
    image, env = model_image_and_environment(res, spec.model, ctx)
    compute = {ours: getattr(spec, ours) for ours, _ in COMPUTE_KEYS if getattr(spec, ours) is not None}
    if "acceleratorDevices" in compute:
        compute["acceleratorDevices"] = float(compute["acceleratorDevices"])
    if "cpuCores" in compute:
        compute["cpuCores"] = float(compute["cpuCores"])
    state = {
        "endpoint": spec.endpoint,
        "executionRole": execution_role(res, ctx),
        "image": image,
        "environment": env,
        "compute": compute,
        "copies": spec.copies,
        "startup": {k: v for k, v in (spec.startup.model_dump() if spec.startup else {}).items() if v is not None},
        "status": "InService",
        "failed": None,
        "tags": ownership_tags(ctx.stack, res.tags, res.annotated(PREVENT_DESTROY_ANNOTATION)),
        "deployment": spec.deployment.model_dump(exclude_defaults=True),
        "smokeTest": spec.smokeTest.model_dump(exclude_none=True) if spec.smokeTest else None,
        "waitTimeoutSeconds": spec.waitTimeoutSeconds,
        "_placement": placement(res, ctx),
        "autoscaling": ic_scaling.desired(res),
    }
    if spec.model.weights is not None:  # (only then: a model without them keeps the name it always had)
        state["weights"] = weights.desired(spec.model)
    return state


def placement(res: Resource, ctx: PlanContext) -> str | None:
    """When the declared components on the endpoint need more instances than ``instance.count``: what the
    plan says (SageMaker's managed instance scaling adds them; validate refused what cannot fit at all)."""
    from reconciler.kinds.inference_component.capacity import scale_out

    ep = ctx.resources.get(("Endpoint", res.spec.endpoint))
    if ep is None or ep.spec.type != "inference-component-based":
        return None
    comps = [r for (k, _), r in ctx.resources.items() if k == "InferenceComponent" and r.spec.endpoint == ep.name]
    extra = scale_out(ep, comps)
    if not extra:
        return None
    return (f"the components on Endpoint/{ep.name} need {ep.spec.instance.count + extra} instance(s), "
            f"{extra} more than instance.count: managed instance scaling adds them (as long as a create)")


def read(kind_name: str, arn_of: Any, aws: Any, name: str, ctx: PlanContext) -> Observed | None:
    sm = aws.client("sagemaker")
    d = smx.describe_ic(sm, name)
    if d is None:
        return None
    tags = smx.tags_of(sm, d["InferenceComponentArn"], f"InferenceComponent/{name}")
    spec = d.get("Specification") or {}
    status = d.get("InferenceComponentStatus")
    state: dict[str, Any] = {
        "endpoint": d.get("EndpointName"),
        "compute": compute_of(spec.get("ComputeResourceRequirements") or {}),
        "copies": (d.get("RuntimeConfig") or {}).get("DesiredCopyCount"),
        "startup": startup_of(spec.get("StartupParameters") or {}),
        "status": status,
        "failed": (d.get("FailureReason") or "no FailureReason given") if status == "Failed" else None,
        "tags": {k: v for k, v in tags.items() if k not in (COMPONENT_TAG, PREVIOUS_MODEL_TAG)},
    }
    model = spec.get("ModelName")
    meta: dict[str, Any] = {"model": model, "tags": tags,  # (all of them: the evidence and the tag changes)
                            "previousModel": tags.get(PREVIOUS_MODEL_TAG)}  # (the rollback point: rollback.py)
    if model:
        state.update(read_model(aws, sm, model))
    meta["models"] = owned_models(aws, sm, name, ctx.stack)
    state["autoscaling"], facts = ic_scaling.read(aws, name, d.get("EndpointName"), ctx.stack)
    meta.update(facts)  # scalingTargets, foreignTargets (this component's only), scaleToZero
    state["foreignScaling"] = ic_scaling.eps.foreign_warnings(facts)  # (a warning, never a change: observed only)
    declared = ctx.resources.get(("InferenceComponent", name))
    if declared is not None and (ic_scaling.desired(declared) or {}).get("scaleFromZero"):
        meta["alarmConflict"] = facts["scaleToZero"].get("alarmConflict")  # (kind.problems: not ours, never put)
    return Observed(kind_name, name, d["InferenceComponentArn"], state, meta=meta)


def owned_models(aws: Any, sm: Any, name: str, stack: str) -> dict[str, dict[str, Any]]:
    """{model name: {arn, tags}} of the models this stack made for component ``name`` (derived name and tags): the
    one it runs, the one kept for rollback, one left by an interrupted apply. Listed once per command."""
    from reconciler import policy
    from reconciler.kinds.endpoint.leftovers import listed, part_tags

    out = {}
    for m in listed(aws, sm, "list_models", "Models"):
        n = m["ModelName"]
        if not is_derived(name, n):
            continue
        tags = part_tags(aws, sm, m["ModelArn"], f"Model/{n}")
        if tags.get(COMPONENT_TAG) == name and policy.owner_of(tags) == stack:
            out[n] = {"arn": m["ModelArn"], "tags": tags}
    return dict(sorted(out.items()))


def plan_facts(aws: Any, res: Resource, desired: dict[str, Any], ctx: PlanContext) -> dict[str, Any]:
    """``secretVersions`` (they name the model), ``models`` (this component's own: a create uses one that exists)
    and ``taken`` (the model name it derives exists but is not its own: refused)."""
    from reconciler.kinds.endpoint.content import model_name
    from reconciler.kinds.endpoint.leftovers import named
    from reconciler.kinds.endpoint.state import secret_versions

    sm = aws.client("sagemaker")
    versions = secret_versions(aws, res.spec.model.environment)
    models = owned_models(aws, sm, res.name, ctx.stack)
    want = model_name(res.name, desired, versions)
    found = named(aws, sm, "model", want) if want and want not in models else None
    taken = {} if found is None else {f"model/{want}": (
        f"Model/{want} exists already and is not InferenceComponent/{res.name}'s of stack {ctx.stack!r} (its tags: "
        f"{describe_owner(found['tags'])}); reconcile will neither use nor change it. Rename the component, or "
        "delete the other model")}
    return {"secretVersions": versions, "models": models, **({"taken": taken} if taken else {})}
