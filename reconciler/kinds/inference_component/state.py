"""Desired state from a manifest, observed state from AWS, and the calls an update makes (decided by content)."""

from __future__ import annotations

from typing import Any

from reconciler import PREVENT_DESTROY_ANNOTATION
from reconciler.aws import sagemaker as smx
from reconciler.errors import ManifestError
from reconciler.kinds._secrets import SecretRef
from reconciler.kinds.base import Observed, PlanContext, Resource, ownership_tags
from reconciler.kinds.endpoint.naming import COMPONENT_TAG, PREVIOUS_MODEL_TAG, is_derived
from reconciler.kinds.endpoint.operations import copies, model_name, op, strategy_text
from reconciler.kinds.endpoint.shapes import COMPUTE_KEYS, compute_of, startup_of
from reconciler.kinds.endpoint.state import model_image_and_environment, read_model
from reconciler.kinds.inference_component import scaling as ic_scaling
from reconciler.plan import Operation


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
    return {
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
    meta: dict[str, Any] = {"model": model, "secretVersions": _secret_versions(aws, ctx, name),
                            "previousModel": tags.get(PREVIOUS_MODEL_TAG)}  # (the rollback point: rollback.py)
    if model:
        state.update(read_model(aws, sm, model))
    meta["models"] = owned_models(aws, sm, name, ctx.stack)
    state["autoscaling"], facts = ic_scaling.read(aws, name, d.get("EndpointName"), ctx.stack)
    meta.update(facts)  # scalingTargets (this component's only), scaleToZero
    declared = ctx.resources.get(("InferenceComponent", name))
    if declared is not None and (ic_scaling.desired(declared) or {}).get("scaleFromZero"):
        meta["alarmConflict"] = facts["scaleToZero"].get("alarmConflict")  # (kind.problems: not ours, never put)
    return Observed(kind_name, name, d["InferenceComponentArn"], state, meta=meta)


def owned_models(aws: Any, sm: Any, name: str, stack: str) -> list[str]:
    """Models this stack made for component ``name`` (derived name and tags), e.g. left by an interrupted apply.
    ``aws``: list every model once per command (shared by all reads); None: list afresh (apply's cleanup)."""
    from reconciler import policy
    from reconciler.kinds.endpoint.naming import prefix

    out = []
    if aws is not None:
        items = aws.cached("sagemaker:list_models", lambda: list(sm.paginate("list_models", "Models", "sagemaker")))
    else:
        items = sm.paginate("list_models", "Models", f"InferenceComponent/{name}", NameContains=prefix(name))
    for m in items:
        n = m["ModelName"]
        if not is_derived(name, n):
            continue
        tags = smx.tags_of(sm, m["ModelArn"], f"Model/{n}")
        if tags.get(COMPONENT_TAG) == name and policy.owner_of(tags) == stack:
            out.append(n)
    return sorted(out)


def _secret_versions(aws: Any, ctx: PlanContext, name: str) -> dict[str, str] | None:
    res = ctx.resources.get(("InferenceComponent", name))
    if res is None:
        return None
    from reconciler.aws import secretsmanager

    out = {}
    for key, value in res.spec.model.environment.items():
        if isinstance(value, SecretRef):
            vid = secretsmanager.version(aws, value.secretsManager)
            if vid is None:
                return None
            out[key] = vid
    return out


MODEL_FIELDS = ("image", "environment", "executionRole")


def operations(name: str, desired: dict[str, Any] | None, state: dict[str, Any] | None,
               meta: dict[str, Any]) -> list[Operation]:
    """Every call apply makes for one InferenceComponent step (the same decision apply takes)."""
    models = meta.get("models") or []
    if desired is None:
        ops = [op("DeleteInferenceComponent", name, interrupts=True)]  # (the step says why)
        return ops + [op("DeleteModel", m, "its model") for m in models]
    want = model_name(name, desired, meta.get("secretVersions") if state is not None else None)
    shown = want or f"{name[:52]}-<hash of content and secret versions>"
    if state is None or state.get("failed") or state.get("endpoint") != desired["endpoint"]:
        ops = []
        if state is not None:
            why = "it is Failed" if state.get("failed") else f"endpoint {state.get('endpoint')} -> {desired['endpoint']}"
            ops.append(op("DeleteInferenceComponent", name, f"{why}: created again", interrupts=True))
        if want is None or want not in models or state is not None:
            ops.append(op("CreateModel", shown))
        ops.append(op("CreateInferenceComponent", name, f"{copies(desired['copies'])} of {shown} on "
                                                        f"Endpoint/{desired['endpoint']}"
                      + (f"; {desired['_placement']}" if desired.get("_placement") else "")))
        return ops + [op("DeleteModel", m, "no longer used") for m in models if m != want]
    ops = []
    live_model = meta.get("model")
    changed_model = [f for f in MODEL_FIELDS if state.get(f) != desired.get(f)]
    model = live_model if live_model and not changed_model else want
    moving = bool(live_model) and model != live_model  # the model it leaves becomes its rollback point
    prev = meta.get("previousModel")
    if moving and state.get("status") == "Updating" and prev == live_model and model in models:
        # a run stopped while it waited: it recorded the live model as the rollback point just before its
        # UpdateInferenceComponent to ``model`` (made already). Apply waits for that update, sends nothing again
        return [op("WaitInferenceComponent", name, f"now Updating to {model}, an update a stopped run started")] + [
            op("DeleteModel", m, "the model before last is no longer kept for rollback") for m in models
            if m not in (model, live_model)]
    if model != live_model and (model is None or model not in models):
        ops.append(op("CreateModel", shown, f"{', '.join(changed_model)} changed"))
    if model != live_model or state.get("compute") != desired["compute"] or state.get("startup") != desired["startup"]:
        dep = desired.get("deployment") or {}
        how = strategy_text(dep) if dep.get("strategy") == "rolling" else "blue/green"
        what = f"model {live_model} -> {shown}" if model != live_model else "compute/startup changed"
        ops.append(op("UpdateInferenceComponent", name, f"{what}; {how}"))
    elif state.get("copies") != desired["copies"]:
        ops.append(op("UpdateInferenceComponentRuntimeConfig", name, f"copies {state.get('copies')} -> {desired['copies']}"
                      + (f"; {desired['_placement']}" if desired.get("_placement") else "")))
    elif state.get("status") != "InService":
        ops.append(op("WaitInferenceComponent", name, f"now {state.get('status')}"))
    live, tags = state.get("tags") or {}, desired.get("tags") or {}
    added = sorted(k for k in tags if live.get(k) != tags[k])
    if live != tags or moving:
        ops.append(op("AddTags", name, ", ".join(added + ([f"{PREVIOUS_MODEL_TAG} (rollback point: {live_model})"]
                                                          if moving else [])) or "tags"))
    keep = {model, live_model} if moving else {model, live_model, prev}  # (the rollback point is kept)
    ops += [op("DeleteModel", m, "the model before last is no longer kept for rollback" if m == prev else "no longer used")
            for m in models if m not in keep]
    return ops
