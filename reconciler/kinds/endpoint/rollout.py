"""Apply: create, update (UpdateEndpoint / inference component updates), delete, and the smoke test."""

from __future__ import annotations

from typing import Any

from reconciler.aws import sagemaker as smx
from reconciler.errors import AwsError
from reconciler.kinds.base import ApplyContext, Kind, PlanContext
from reconciler.kinds.endpoint import adopted, ownership
from reconciler.kinds.endpoint.leftovers import cleanup, discard, in_use, model_of_config
from reconciler.kinds.endpoint.naming import (
    ENDPOINT_TAG,
    INTERNAL_TAGS,
    PREVIOUS_CONFIG_TAG,
    PREVIOUS_MODEL_TAG,
    VARIANT,
)
from reconciler.kinds.endpoint.operations import (
    config_name,
    config_request,
    copies,
    decide,
    ic_operations,
    ic_spec,
    model_name,
)
from reconciler.kinds.endpoint.shapes import (
    deployment_config,
    ic_deployment_config,
    resolve_env,
    tag_list,
    wait_timeout,
)
from reconciler.kinds.endpoint.state import components
from reconciler.plan import Operation


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
    if desired["type"] == "inference-component-based" and desired.get("inferenceComponent"):
        converge_ic(name, desired, parts["model"], ctx, timeout)
    cleanup(name, ctx, keep={parts["config"], parts["model"]})
    smoke(name, desired, ctx)


def update(kind: Kind, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
    """Converge a live endpoint: the calls are the ones ``operations.decide`` lists (the plan showed the
    same decision, made from the same content), run in that order."""
    sm = ctx.aws.client("sagemaker")
    what = f"Endpoint/{name}"
    timeout = wait_timeout(desired, ctx)
    d = smx.settle_endpoint(sm, name, progress=ctx.progress, timeout=timeout)
    if d is None or d["EndpointStatus"] == "Failed":
        if (ctx.options.get("planned_operations") or {}).get(what):
            raise AwsError(f"{what} {'is gone' if d is None else 'became Failed'} since the plan, which did not "
                           "show creating it again. Nothing was changed; run plan again and review it")
        if d is not None:
            kind.delete(name, ctx)
        kind.create(name, desired, ctx)
        return
    settle_components(sm, name, ctx, timeout)
    claim_declared(sm, name, desired, ctx)
    obs = kind.read(ctx.aws, name, PlanContext(stack=ctx.stack, account=ctx.account, region=ctx.region,
                                                partition=ctx.partition))
    if obs is None:
        kind.create(name, desired, ctx)
        return
    env, secret_tags, versions = resolve_env(ctx, desired.get("environment") or {})
    r = decide(name, desired, obs.state, obs.meta, versions)
    assert (r.model is not None or "image" not in desired) and r.config is not None  # (every secret version is known at apply)
    check_planned(name, r.operations, ctx)
    actions = {o.action for o in r.operations}
    live_tags = dict(obs.meta["endpointTags"])  # (kept current below: record_previous updates it in place)
    if "CreateModel" in actions:
        create_model(name, desired, r.model, env, secret_tags, ctx)
    if "CreateEndpointConfig" in actions:
        create_config(name, desired, r.config, r.model, ctx)
    current = d.get("EndpointConfigName", "")
    changed = False
    keep_prev: dict[str, str] = {}
    if r.update_endpoint:
        old_model = model_of_config(sm, current)
        kwargs = update_kwargs(sm, current, desired)
        # (old_model stays if the update fails: it is what the endpoint still runs)
        ctx.progress(f"{what}: updating from config {current} to {r.config}")
        before = live_tags.get(PREVIOUS_CONFIG_TAG)
        if r.config != current:  # the rollback point survives a kill while the update runs
            ownership.record_previous(sm, name, PREVIOUS_CONFIG_TAG, current, live_tags)
        sm.call("update_endpoint", what, EndpointName=name, EndpointConfigName=r.config, **kwargs)
        try:
            smx.wait_endpoint(sm, name, progress=ctx.progress, timeout=timeout, want_config=r.config,
                              old_failure=d.get("FailureReason"), action="update")
        except smx.WaitTimeout:
            raise
        except AwsError:
            if r.config != current:  # it still runs ``current``: its rollback point is the one before
                ownership.restore_previous(sm, name, PREVIOUS_CONFIG_TAG, before)
            new = {"config": r.config if r.new_config else "", "model": r.model if r.new_model else ""}
            discard(name, ctx, new, keep={current, old_model or "", before or ""})
            raise
        if r.config != current:
            keep_prev[PREVIOUS_CONFIG_TAG] = current  # (model-based: its model is the previous model)
        changed = True
    if desired["type"] == "inference-component-based" and desired.get("inferenceComponent"):
        ic_ops = [o for o in r.operations if o.action.endswith(("InferenceComponent", "RuntimeConfig"))]
        old_model = run_ic(name, desired, r.model, ic_ops, ctx, timeout, live_tags)
        changed = changed or bool(ic_ops)
        if old_model:
            keep_prev[PREVIOUS_MODEL_TAG] = old_model
    want_tags = {**desired["tags"], ENDPOINT_TAG: name}
    for k in INTERNAL_TAGS:
        if k == PREVIOUS_MODEL_TAG and desired["type"] != "inference-component-based":
            continue
        if k in keep_prev or live_tags.get(k):
            want_tags[k] = keep_prev.get(k) or live_tags[k]
    smx.set_tags(sm, d["EndpointArn"], what, live_tags, want_tags)
    adopted.tag(sm, obs.meta.get("untagged") or [], desired["tags"], name)
    keep = {r.config, r.model, want_tags.get(PREVIOUS_CONFIG_TAG, ""), want_tags.get(PREVIOUS_MODEL_TAG, "")}
    keep.add(model_of_config(sm, want_tags.get(PREVIOUS_CONFIG_TAG)) or "")
    cleanup(name, ctx, keep=keep)
    # adopted parts (names reconcile did not derive) go only where the decision lists their delete, as the plan did
    planned = {({"DeleteEndpointConfig": "config", "DeleteModel": "model"}.get(o.action), o.target) for o in r.operations}
    mine = [*(obs.meta.get("adopted") or []), *([k, n] for k, n, _a in obs.meta.get("untagged") or [])]
    adopted.delete(sm, [p for p in mine if tuple(p) in planned], keep | in_use(sm, name), ctx.progress)
    if changed:
        smoke(name, desired, ctx)


def check_planned(name: str, now: tuple[Operation, ...], ctx: ApplyContext) -> None:
    """Refuse, before any write, an update whose calls are no longer the ones its plan showed (the live
    endpoint changed in a way the plan's fingerprint does not see, e.g. a component settled as Failed)."""
    planned = (ctx.options.get("planned_operations") or {}).get(f"Endpoint/{name}")
    if not planned:
        return  # (a plan written before plans held operations, or a step re-linked to a replaced role)

    def calls(ops: tuple[Operation, ...]) -> list[tuple[str, str]]:
        return [(o.action, "" if "<" in o.target else o.target) for o in ops
                if not o.action.endswith("Tags") and o.service == "sagemaker"]  # (scaling: autoscaling.py)

    want, got = calls(planned), calls(now)
    if len(want) != len(got) or any(a != b or (t and u and t != u) for (a, t), (b, u) in zip(want, got, strict=False)):
        show = lambda xs: ", ".join(f"{a} {t}".strip() for a, t in xs) or "nothing"  # noqa: E731
        raise AwsError(f"Endpoint/{name} changed since the plan: it planned {show(want)}; it would now "
                       f"do {show(got)}. Nothing was changed; run plan again and review it")


def delete(name: str, ctx: ApplyContext) -> None:
    sm = ctx.aws.client("sagemaker")
    timeout = wait_timeout({}, ctx)
    # what it runs and keeps for rollback, read before it goes: the adopted ones among them go with it
    d0 = smx.describe_endpoint(sm, name) or {}
    tags0 = smx.tags_of(sm, d0["EndpointArn"], f"Endpoint/{name}") if d0 else {}
    cfgs = [d0.get("EndpointConfigName"), tags0.get(PREVIOUS_CONFIG_TAG)]
    parts = [("config", c) for c in cfgs] + [("model", model_of_config(sm, c)) for c in cfgs] + [
        ("model", tags0.get(PREVIOUS_MODEL_TAG))] + [("model", m) for m in in_use(sm, name) if m]
    _untagged, mine = adopted.classify(sm, name, ctx.stack, parts) if d0 else ([], [])
    for ic in ownership.refuse_foreign_components(sm, name, ctx.stack):  # only ours; none if others run there
        ctx.progress(f"InferenceComponent/{ic}: deleting")
        smx.delete_ic(sm, ic, progress=ctx.progress, timeout=timeout)
        ctx.progress(f"InferenceComponent/{ic}: deleted")
    if smx.describe_endpoint(sm, name) is not None:
        ctx.progress(f"Endpoint/{name}: deleting")
        smx.delete_endpoint(sm, name, progress=ctx.progress, timeout=timeout)
        ctx.progress(f"Endpoint/{name}: deleted")
    cleanup(name, ctx, keep=set(), stack=ctx.stack)
    adopted.delete(sm, mine, set(), ctx.progress)


def ensure_parts(name: str, desired: dict[str, Any], ctx: ApplyContext) -> dict[str, str]:
    """Create (if missing) the model and endpoint config ``desired`` maps to; their names."""
    if "image" not in desired:  # (its components are InferenceComponent documents: no model of its own)
        config = str(config_name(name, desired, None))
        create_config(name, desired, config, "", ctx)
        return {"model": "", "config": config}
    env, secret_tags, versions = resolve_env(ctx, desired["environment"])
    model = model_name(name, desired, versions)
    config = config_name(name, desired, model)
    assert model is not None and config is not None
    create_model(name, desired, model, env, secret_tags, ctx)
    create_config(name, desired, config, model, ctx)
    return {"model": model, "config": config}


def create_model(name: str, desired: dict[str, Any], model: str, env: dict[str, str], secret_tags: dict[str, str],
                 ctx: ApplyContext) -> None:
    sm = ctx.aws.client("sagemaker")
    if smx.create_model(sm, f"Model/{model}", ctx.progress, ModelName=model, ExecutionRoleArn=desired["executionRole"],
                        PrimaryContainer={"Image": desired["image"], "Environment": env},
                        Tags=tag_list(desired["tags"], name) + [{"Key": k, "Value": v} for k, v in sorted(secret_tags.items())]):
        ctx.progress(f"Model/{model}: created")
    else:  # ours from an earlier run, or a clear failure: never another endpoint's
        ownership.check_existing_part(sm, "Model", model, ctx.stack, name, {
            "PrimaryContainer.Image": desired["image"], "ExecutionRoleArn": desired["executionRole"]})


def create_config(name: str, desired: dict[str, Any], config: str, model: str, ctx: ApplyContext) -> None:
    sm = ctx.aws.client("sagemaker")
    variant, cfg_kwargs, _ = config_request(desired, model)
    if smx.create_if_missing(sm, "create_endpoint_config", f"EndpointConfig/{config}", EndpointConfigName=config,
                             ProductionVariants=[variant], Tags=tag_list(desired["tags"], name), **cfg_kwargs):
        ctx.progress(f"EndpointConfig/{config}: created")
    else:  # ours from an earlier run, or a clear failure: never another endpoint's
        ownership.check_existing_part(sm, "EndpointConfig", config, ctx.stack, name,
                                      {f"ProductionVariants.0.{k}": v for k, v in variant.items()
                                       if k in ("InstanceType", "ModelName")})


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


def settle_components(sm: Any, name: str, ctx: ApplyContext, timeout: float) -> None:
    """Creating/Updating, or Deleting after an interrupted delete: let each component settle (or go) first."""
    for ic in smx.inference_components(sm, name):
        if ic.get("InferenceComponentStatus") in smx.IC_TRANSITIONAL:
            smx.wait_ic_settled(sm, ic["InferenceComponentName"], progress=ctx.progress, timeout=timeout)


def converge_ic(name: str, desired: dict[str, Any], model: str, ctx: ApplyContext, timeout: float) -> str | None:
    """Create or update the inference component of a new endpoint, by the same decision as an update."""
    sm = ctx.aws.client("sagemaker")
    settle_components(sm, name, ctx, timeout)
    claim_declared(sm, name, desired, ctx)
    d = smx.describe_endpoint(sm, name) or {}
    meta = {"components": components(sm, name, ownership.components(sm, name, ctx.stack)[0]),
            "instanceCount": ((d.get("ProductionVariants") or [{}])[0]).get("CurrentInstanceCount")}
    return run_ic(name, desired, model, ic_operations(name, desired, model, {}, meta), ctx, timeout)


def claim_declared(sm: Any, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
    """The declared component, when it exists, must be this endpoint's own (adopting takes it): never
    anyone else's under that name (``ownership.claim_component`` fails clearly otherwise)."""
    want = (desired.get("inferenceComponent") or {}).get("name")
    live = smx.describe_ic(sm, want) if want else None
    if live is not None:
        ownership.claim_component(sm, live, name, ctx.stack, tag_list(desired["tags"], name))


def run_ic(name: str, desired: dict[str, Any], model: str, ops: list[Operation], ctx: ApplyContext,
           timeout: float, live_tags: dict[str, str] | None = None) -> str | None:
    """Run the inference component operations in order; the model the component ran before, when that changed.
    ``live_tags``: the endpoint's tags as last read (kept current when the rollback point is recorded)."""
    sm = ctx.aws.client("sagemaker")
    want = desired["inferenceComponent"]
    spec = ic_spec(desired, model)
    old_model = None
    for o in ops:
        what = f"InferenceComponent/{o.target}"
        if o.action == "CreateInferenceComponent":
            ctx.progress(f"{what}: creating ({copies(want['copies'])} of {model})")
            sm.call("create_inference_component", what, InferenceComponentName=o.target, EndpointName=name,
                    VariantName=VARIANT, Specification=spec, RuntimeConfig={"CopyCount": want["copies"]},
                    Tags=tag_list(desired["tags"], name))
            smx.wait_ic(sm, o.target, progress=ctx.progress, timeout=timeout, want_model=model)
        elif o.action == "DeleteInferenceComponent":
            ctx.progress(f"{what}: deleting ({o.detail})")
            smx.delete_ic(sm, o.target, progress=ctx.progress, timeout=timeout)
        elif o.action == "UpdateInferenceComponent":
            live = (smx.describe_ic(sm, o.target) or {}).get("Specification") or {}
            before = live.get("ModelName")
            kwargs: dict[str, Any] = {"Specification": spec}
            if not desired.get("autoscaling"):  # else the autoscaler owns the copy count: never reset it
                kwargs["RuntimeConfig"] = {"CopyCount": want["copies"]}
            dc = ic_deployment_config(desired.get("deployment") or {})
            if dc:
                kwargs["DeploymentConfig"] = dc
            ctx.progress(f"{what}: updating (model {before} -> {model})" if before != model else f"{what}: updating")
            moving = bool(before and before != model)  # the rollback point survives a kill while it runs
            point = ownership.record_previous(sm, name, PREVIOUS_MODEL_TAG, before, live_tags) if moving else None
            sm.call("update_inference_component", what, InferenceComponentName=o.target, **kwargs)
            try:
                smx.wait_ic(sm, o.target, progress=ctx.progress, timeout=timeout, want_model=model, action="update")
            except smx.WaitTimeout:
                raise
            except AwsError:
                if moving:  # it still runs ``before``: the rollback point is the one recorded until now
                    ownership.restore_previous(sm, name, PREVIOUS_MODEL_TAG, point)
                raise
            if before != model:
                old_model = before
        elif o.action == "UpdateInferenceComponentRuntimeConfig":
            ctx.progress(f"{what}: {o.detail} (UpdateInferenceComponentRuntimeConfig)")
            sm.call("update_inference_component_runtime_config", what, InferenceComponentName=o.target,
                    DesiredRuntimeConfig={"CopyCount": want["copies"]})
            smx.wait_ic(sm, o.target, progress=ctx.progress, timeout=timeout, action="update")
    return old_model


def smoke(name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
    test = desired.get("smokeTest")
    if not test:
        return
    from reconciler import invoke

    if "image" not in desired:
        return  # (no model of its own: each InferenceComponent runs its own smoke test)
    component = (desired.get("inferenceComponent") or {}).get("name")
    try:
        text = invoke.generate(ctx.aws, name, test["inputs"], test.get("parameters") or {}, component=component)
    except AwsError as e:
        raise AwsError(f"Smoke test of Endpoint/{name} failed: {e}") from e
    if test.get("expect") and test["expect"] not in text:
        raise AwsError(f"Smoke test of Endpoint/{name} failed: the answer does not contain {test['expect']!r}: {text[:200]!r}")
    ctx.progress(f"Endpoint/{name}: smoke test passed ({len(text)} characters generated)")
