"""Apply: create, update (UpdateEndpoint / inference component updates), delete, and the smoke test."""

from __future__ import annotations

from typing import Any

from reconciler.aws import sagemaker as smx
from reconciler.errors import AwsError
from reconciler.kinds.base import ApplyContext, Kind
from reconciler.kinds.endpoint.leftovers import cleanup, discard, model_of_config
from reconciler.kinds.endpoint.naming import (
    ENDPOINT_TAG,
    INTERNAL_TAGS,
    PREVIOUS_CONFIG_TAG,
    PREVIOUS_MODEL_TAG,
    VARIANT,
    derived_name,
)
from reconciler.kinds.endpoint.shapes import (
    compute,
    deployment_config,
    ic_deployment_config,
    ic_live,
    resolve_env,
    startup_of,
    startup_params,
    tag_list,
    wait_timeout,
)


def create(name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
    sm = ctx.aws.client("sagemaker")
    timeout = wait_timeout(desired, ctx)
    parts = ensure_parts(name, desired, ctx)
    tags = tag_list(desired["tags"], name)
    if smx.describe_endpoint(sm, name) is None:
        ctx.progress(f"Endpoint/{name}: creating on config {parts['config']}")
        sm.call("create_endpoint", f"Endpoint/{name}", EndpointName=name, EndpointConfigName=parts["config"],
                Tags=tags)
    smx.wait_endpoint(sm, name, progress=ctx.progress, timeout=timeout, want_config=parts["config"])
    if desired["type"] == "inference-component-based":
        converge_ic(name, desired, parts["model"], ctx, timeout)
    cleanup(name, ctx, keep={parts["config"], parts["model"]})
    smoke(name, desired, ctx)


def update(kind: Kind, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
    sm = ctx.aws.client("sagemaker")
    what = f"Endpoint/{name}"
    timeout = wait_timeout(desired, ctx)
    d = smx.settle_endpoint(sm, name, progress=ctx.progress, timeout=timeout)
    if d is None:
        kind.create(name, desired, ctx)
        return
    if d["EndpointStatus"] == "Failed":
        kind.delete(name, ctx)
        kind.create(name, desired, ctx)
        return
    live_tags = smx.tags_of(sm, d["EndpointArn"], what)
    parts = ensure_parts(name, desired, ctx)
    current = d.get("EndpointConfigName", "")
    changed = False
    keep_prev: dict[str, str] = {}
    if parts["config"] != current or d["EndpointStatus"] != "InService":
        old_model = model_of_config(sm, current)
        kwargs = update_kwargs(sm, current, desired)
        # (old_model stays if the update fails: it is what the endpoint still runs)
        ctx.progress(f"{what}: updating from config {current} to {parts['config']}")
        sm.call("update_endpoint", what, EndpointName=name, EndpointConfigName=parts["config"], **kwargs)
        try:
            smx.wait_endpoint(sm, name, progress=ctx.progress, timeout=timeout, want_config=parts["config"],
                              old_failure=d.get("FailureReason"), action="update")
        except smx.WaitTimeout:
            raise
        except AwsError:
            discard(name, ctx, parts, keep={current, old_model or ""})
            raise
        if parts["config"] != current:
            keep_prev[PREVIOUS_CONFIG_TAG] = current  # (model-based: its model is the previous model)
        changed = True
    if desired["type"] == "inference-component-based":
        old_model = converge_ic(name, desired, parts["model"], ctx, timeout)
        if old_model:
            keep_prev[PREVIOUS_MODEL_TAG] = old_model
            changed = True
    want_tags = {**desired["tags"], ENDPOINT_TAG: name}
    for k in INTERNAL_TAGS:
        if k == PREVIOUS_MODEL_TAG and desired["type"] != "inference-component-based":
            continue
        if k in keep_prev or live_tags.get(k):
            want_tags[k] = keep_prev.get(k) or live_tags[k]
    smx.set_tags(sm, d["EndpointArn"], what, live_tags, want_tags)
    keep = {parts["config"], parts["model"], want_tags.get(PREVIOUS_CONFIG_TAG, ""), want_tags.get(PREVIOUS_MODEL_TAG, "")}
    keep.add(model_of_config(sm, want_tags.get(PREVIOUS_CONFIG_TAG)) or "")
    cleanup(name, ctx, keep=keep)
    if changed:
        smoke(name, desired, ctx)


def delete(name: str, ctx: ApplyContext) -> None:
    sm = ctx.aws.client("sagemaker")
    timeout = wait_timeout({}, ctx)
    for ic in smx.inference_components(sm, name):
        ctx.progress(f"InferenceComponent/{ic['InferenceComponentName']}: deleting")
        smx.delete_ic(sm, ic["InferenceComponentName"], progress=ctx.progress, timeout=timeout)
        ctx.progress(f"InferenceComponent/{ic['InferenceComponentName']}: deleted")
    if smx.describe_endpoint(sm, name) is not None:
        ctx.progress(f"Endpoint/{name}: deleting")
        smx.delete_endpoint(sm, name, progress=ctx.progress, timeout=timeout)
        ctx.progress(f"Endpoint/{name}: deleted")
    cleanup(name, ctx, keep=set(), stack=ctx.stack)


def ensure_parts(name: str, desired: dict[str, Any], ctx: ApplyContext) -> dict[str, str]:
    """Create (if missing) the model and endpoint config ``desired`` maps to; their names."""
    sm = ctx.aws.client("sagemaker")
    env, secret_tags, versions = resolve_env(ctx, desired["environment"])
    role = desired["executionRole"]
    model_content = {"image": desired["image"], "environment": {k: v for k, v in desired["environment"].items()},
                     "secrets": versions, "executionRole": role}
    model = derived_name(name, model_content)
    base_tags = tag_list(desired["tags"], name)
    if smx.create_model(sm, f"Model/{model}", ctx.progress, ModelName=model, ExecutionRoleArn=role,
                        PrimaryContainer={"Image": desired["image"], "Environment": env},
                        Tags=base_tags + [{"Key": k, "Value": v} for k, v in sorted(secret_tags.items())]):
        ctx.progress(f"Model/{model}: created")
    inst = desired["instance"]
    variant: dict[str, Any] = {"VariantName": VARIANT, "InstanceType": inst["type"],
                               "InitialInstanceCount": inst["count"]}
    cfg_kwargs: dict[str, Any] = {}
    if desired["type"] == "model-based":
        variant["ModelName"] = model
        variant.update(startup_params(desired.get("startup") or {}))
        content: dict[str, Any] = {"variant": variant}
    else:
        if inst.get("managedScaling"):
            variant["ManagedInstanceScaling"] = {"Status": "ENABLED",
                                                 "MinInstanceCount": inst["managedScaling"]["minCount"],
                                                 "MaxInstanceCount": inst["managedScaling"]["maxCount"]}
        if inst.get("routing"):
            variant["RoutingConfig"] = {"RoutingStrategy": inst["routing"]}
        cfg_kwargs["ExecutionRoleArn"] = role
        content = {"variant": variant, "executionRole": role}
    config = derived_name(name, content)
    if smx.create_if_missing(sm, "create_endpoint_config", f"EndpointConfig/{config}", EndpointConfigName=config,
                             ProductionVariants=[variant], Tags=base_tags, **cfg_kwargs):
        ctx.progress(f"EndpointConfig/{config}: created")
    return {"model": model, "config": config}


def update_kwargs(sm: Any, current: str, desired: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"RetainAllVariantProperties": True}
    cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{current}", EndpointConfigName=current) or {}
    live_count = (cfg.get("ProductionVariants") or [{}])[0].get("InitialInstanceCount")
    if live_count != desired["instance"]["count"]:
        # the manifest changed the count: apply it; otherwise keep what autoscaling set
        kwargs["ExcludeRetainedVariantProperties"] = [{"VariantPropertyType": "DesiredInstanceCount"}]
    dc = deployment_config(desired.get("deployment") or {})
    if dc:
        kwargs["DeploymentConfig"] = dc
    return kwargs


def converge_ic(name: str, desired: dict[str, Any], model: str, ctx: ApplyContext,
                 timeout: float) -> str | None:
    """Create or update the inference component; the model it ran before, when that changed."""
    sm = ctx.aws.client("sagemaker")
    want = desired["inferenceComponent"]
    ic = want["name"]
    what = f"InferenceComponent/{ic}"
    spec = {"ModelName": model, "ComputeResourceRequirements": compute(want)}
    startup = startup_params(desired.get("startup") or {})
    if startup:
        spec["StartupParameters"] = startup
    for other in smx.inference_components(sm, name):
        if other["InferenceComponentName"] != ic:
            ctx.progress(f"InferenceComponent/{other['InferenceComponentName']}: deleting (no longer declared)")
            smx.delete_ic(sm, other["InferenceComponentName"], progress=ctx.progress, timeout=timeout)
    d = smx.describe_ic(sm, ic)
    if d is not None and d.get("InferenceComponentStatus") in smx.IC_TRANSITIONAL:
        # Creating/Updating, or Deleting after an interrupted delete: let it settle (or go) first
        smx.wait_ic_settled(sm, ic, progress=ctx.progress, timeout=timeout)
        d = smx.describe_ic(sm, ic)
    if d is not None and d.get("InferenceComponentStatus") == "Failed":
        ctx.progress(f"{what}: Failed ({d.get('FailureReason')}); deleting it to create it again")
        smx.delete_ic(sm, ic, progress=ctx.progress, timeout=timeout)
        d = None
    if d is None:
        ctx.progress(f"{what}: creating ({want['copies']} copies of {model})")
        sm.call("create_inference_component", what, InferenceComponentName=ic, EndpointName=name,
                VariantName=VARIANT, Specification=spec, RuntimeConfig={"CopyCount": want["copies"]},
                Tags=tag_list(desired["tags"], name))
        smx.wait_ic(sm, ic, progress=ctx.progress, timeout=timeout, want_model=model)
        return None
    live_spec = d.get("Specification") or {}
    old_model = live_spec.get("ModelName")
    live_copies = (d.get("RuntimeConfig") or {}).get("DesiredCopyCount")
    same_spec = (old_model == model and compute(ic_live(live_spec)) == spec["ComputeResourceRequirements"]
                 and startup_params(startup_of(live_spec.get("StartupParameters") or {})) == startup)
    if not same_spec:
        kwargs: dict[str, Any] = {"Specification": spec, "RuntimeConfig": {"CopyCount": want["copies"]}}
        dc = ic_deployment_config(desired.get("deployment") or {})
        if dc:
            kwargs["DeploymentConfig"] = dc
        ctx.progress(f"{what}: updating (model {old_model} -> {model})" if old_model != model else f"{what}: updating")
        sm.call("update_inference_component", what, InferenceComponentName=ic, **kwargs)
        smx.wait_ic(sm, ic, progress=ctx.progress, timeout=timeout, want_model=model, action="update")
        return old_model if old_model != model else None
    if live_copies != want["copies"]:
        ctx.progress(f"{what}: copies {live_copies} -> {want['copies']} (UpdateInferenceComponentRuntimeConfig)")
        sm.call("update_inference_component_runtime_config", what, InferenceComponentName=ic,
                DesiredRuntimeConfig={"CopyCount": want["copies"]})
        smx.wait_ic(sm, ic, progress=ctx.progress, timeout=timeout, action="update")
    return None


def smoke(name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
    test = desired.get("smokeTest")
    if not test:
        return
    from reconciler import invoke

    component = (desired.get("inferenceComponent") or {}).get("name")
    try:
        text = invoke.generate(ctx.aws, name, test["inputs"], test.get("parameters") or {}, component=component)
    except AwsError as e:
        raise AwsError(f"Smoke test of Endpoint/{name} failed: {e}") from e
    if test.get("expect") and test["expect"] not in text:
        raise AwsError(f"Smoke test of Endpoint/{name} failed: the answer does not contain {test['expect']!r}: {text[:200]!r}")
    ctx.progress(f"Endpoint/{name}: smoke test passed ({len(text)} characters generated)")
