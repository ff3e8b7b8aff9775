"""Apply: create (model, then component), update (by the same decision the plan showed), delete (component,
then its models), and the smoke test against this component."""

from __future__ import annotations

from typing import Any

from reconciler.aws import sagemaker as smx
from reconciler.errors import AwsError
from reconciler.kinds.base import ApplyContext, PlanContext
from reconciler.kinds.endpoint.naming import PREVIOUS_MODEL_TAG, VARIANT
from reconciler.kinds.endpoint.operations import copies, model_name
from reconciler.kinds.endpoint.shapes import (
    compute,
    ic_deployment_config,
    resolve_env,
    startup_params,
    wait_timeout,
)
from reconciler.kinds.inference_component import rollback, scaling
from reconciler.kinds.inference_component import state as st


def tags(desired: dict[str, Any], name: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted({**desired["tags"], st.COMPONENT_TAG: name}.items())]


def spec_request(desired: dict[str, Any], model: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"ModelName": model, "ComputeResourceRequirements": compute(desired["compute"])}
    startup = startup_params(desired.get("startup") or {})
    if startup:
        spec["StartupParameters"] = startup
    return spec


def ensure_model(name: str, desired: dict[str, Any], ctx: ApplyContext) -> str:
    """The content-derived model ``desired`` needs (secrets resolved now, values only in memory), created if missing."""
    env, secret_tags, versions = resolve_env(ctx, desired["environment"])
    model = model_name(name, desired, versions)
    assert model is not None
    sm = ctx.aws.client("sagemaker")
    if smx.create_model(sm, f"Model/{model}", ctx.progress, ModelName=model, ExecutionRoleArn=desired["executionRole"],
                        PrimaryContainer={"Image": desired["image"], "Environment": env},
                        Tags=tags(desired, name) + [{"Key": k, "Value": v} for k, v in sorted(secret_tags.items())]):
        ctx.progress(f"Model/{model}: created")
    return model


def plan_ctx(ctx: ApplyContext) -> PlanContext:
    return PlanContext(stack=ctx.stack, account=ctx.account, region=ctx.region, partition=ctx.partition)


def create(name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
    sm = ctx.aws.client("sagemaker")
    timeout = wait_timeout(desired, ctx)
    model = ensure_model(name, desired, ctx)
    what = f"InferenceComponent/{name}"
    ctx.progress(f"{what}: creating ({copies(desired['copies'])} of {model} on Endpoint/{desired['endpoint']})")
    sm.call("create_inference_component", what, InferenceComponentName=name, EndpointName=desired["endpoint"],
            VariantName=VARIANT, Specification=spec_request(desired, model),
            RuntimeConfig={"CopyCount": desired["copies"]}, Tags=tags(desired, name))
    smx.wait_ic(sm, name, progress=ctx.progress, timeout=timeout, want_model=model)
    cleanup(name, ctx, keep={model})
    smoke(name, desired, ctx)


def update(kind: Any, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
    sm = ctx.aws.client("sagemaker")
    timeout = wait_timeout(desired, ctx)
    what = f"InferenceComponent/{name}"
    smx.wait_ic_settled(sm, name, progress=ctx.progress, timeout=timeout)
    obs = kind.read(ctx.aws, name, plan_ctx(ctx))
    live = scaling.settle(obs.state, desired) if obs else None  # (autoscaling: a count within min..max is the autoscaler's)
    # before the component is replaced, or when scaling is no longer declared: alarm and target go first
    scaling.release(name, desired, ctx, st.operations(name, desired, live, obs.meta if obs else {}), desired["endpoint"])
    if obs is None or obs.state.get("failed") or obs.state.get("endpoint") != desired["endpoint"]:
        if obs is not None:
            smx.delete_ic(sm, name, progress=ctx.progress, timeout=timeout)
        create(name, desired, ctx)
        return
    _, _, versions = resolve_env(ctx, desired["environment"])
    assert live is not None
    ops = st.operations(name, desired, live, {**obs.meta, "secretVersions": versions})
    actions = {o.action for o in ops}
    live_model = obs.meta.get("model")
    model = live_model
    if "CreateModel" in actions:
        model = ensure_model(name, desired, ctx)
    elif any(obs.state.get(f) != desired.get(f) for f in st.MODEL_FIELDS):
        model = model_name(name, desired, versions)  # made before (its rollback point, say): used again
    moving = bool(live_model) and model != live_model
    prev = obs.meta.get("previousModel")
    live_tags = smx.tags_of(sm, obs.arn, what)
    changed = False
    if "UpdateInferenceComponent" in actions:
        kwargs: dict[str, Any] = {"Specification": spec_request(desired, str(model))}
        if not desired.get("autoscaling") or live.get("copies") != desired["copies"]:
            kwargs["RuntimeConfig"] = {"CopyCount": desired["copies"]}  # (else: keep the autoscaler's count)
        dc = ic_deployment_config(desired.get("deployment") or {})
        if dc:
            kwargs["DeploymentConfig"] = dc
        ctx.progress(f"{what}: updating" + (f" (model {live_model} -> {model})" if moving else ""))
        # the model it leaves is its rollback point, tagged before the call (a kill while waiting keeps it)
        before = rollback.record(sm, obs.arn, what, str(live_model), live_tags) if moving else None
        sm.call("update_inference_component", what, InferenceComponentName=name, **kwargs)
        try:
            smx.wait_ic(sm, name, progress=ctx.progress, timeout=timeout, want_model=model, action="update")
        except smx.WaitTimeout:
            raise
        except AwsError:
            if moving:  # it still runs ``live_model``: its rollback point is the one recorded until now
                rollback.restore(sm, obs.arn, what, before, live_tags)
            raise
        changed = True
    elif "UpdateInferenceComponentRuntimeConfig" in actions:
        ctx.progress(f"{what}: copies {obs.state.get('copies')} -> {desired['copies']}")
        sm.call("update_inference_component_runtime_config", what, InferenceComponentName=name,
                DesiredRuntimeConfig={"CopyCount": desired["copies"]})
        smx.wait_ic(sm, name, progress=ctx.progress, timeout=timeout, action="update")
        changed = True
    point = live_model if moving else prev
    if "AddTags" in actions:
        smx.set_tags(sm, obs.arn, what, live_tags, {**desired["tags"], st.COMPONENT_TAG: name,
                                                    **({PREVIOUS_MODEL_TAG: point} if point else {})})
    cleanup(name, ctx, keep={str(model), str(point or "")})
    if changed:
        smoke(name, desired, ctx)


def delete(name: str, ctx: ApplyContext) -> None:
    sm = ctx.aws.client("sagemaker")
    if smx.describe_ic(sm, name) is not None:
        ctx.progress(f"InferenceComponent/{name}: deleting")
        smx.delete_ic(sm, name, progress=ctx.progress, timeout=wait_timeout({}, ctx))
        ctx.progress(f"InferenceComponent/{name}: deleted")
    cleanup(name, ctx, keep=set())


def cleanup(name: str, ctx: ApplyContext, keep: set[str]) -> None:
    """Delete the models this stack made for component ``name`` except ``keep`` (after the component moved off them)."""
    sm = ctx.aws.client("sagemaker")
    for m in st.owned_models(None, sm, name, ctx.stack):
        if m not in keep:
            sm.ignore_missing("delete_model", f"Model/{m}", ModelName=m)
            ctx.progress(f"Model/{m}: deleted")


def smoke(name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
    test = desired.get("smokeTest")
    if not test:
        return
    from reconciler import invoke

    try:
        text = invoke.generate(ctx.aws, desired["endpoint"], test["inputs"], test.get("parameters") or {}, component=name)
    except AwsError as e:
        raise AwsError(f"Smoke test of InferenceComponent/{name} failed: {e}") from e
    if test.get("expect") and test["expect"] not in text:
        raise AwsError(f"Smoke test of InferenceComponent/{name} failed: the answer does not contain "
                       f"{test['expect']!r}: {text[:200]!r}")
    ctx.progress(f"InferenceComponent/{name}: smoke test passed ({len(text)} characters generated)")
