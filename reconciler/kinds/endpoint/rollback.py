"""``reconcile rollback``: switch an endpoint back to the config (and model) it ran before."""

from __future__ import annotations

from reconciler import policy
from reconciler.aws import sagemaker as smx
from reconciler.errors import AwsError
from reconciler.kinds.base import ApplyContext
from reconciler.kinds.endpoint import ownership
from reconciler.kinds.endpoint.naming import PREVIOUS_CONFIG_TAG, PREVIOUS_MODEL_TAG


def rollback(name: str, ctx: ApplyContext, timeout: float | None = None) -> str:
    """Switch the endpoint back to the config (and model) it ran before the last update."""
    sm = ctx.aws.client("sagemaker")
    what = f"Endpoint/{name}"
    timeout = timeout or smx.DEFAULT_TIMEOUT
    d = smx.settle_endpoint(sm, name, progress=ctx.progress, timeout=timeout)
    if d is None:
        raise AwsError(f"Cannot roll back {what}: it does not exist")
    tags = smx.tags_of(sm, d["EndpointArn"], what)
    prev_cfg, prev_model = tags.get(PREVIOUS_CONFIG_TAG), tags.get(PREVIOUS_MODEL_TAG)
    current = d.get("EndpointConfigName", "")
    if not prev_cfg and not prev_model:
        raise AwsError(f"Cannot roll back {what}: no previous config is recorded (it was never updated by reconcile)")
    new_tags = dict(tags)
    done = []
    if prev_cfg and prev_cfg != current:
        if sm.get("describe_endpoint_config", f"EndpointConfig/{prev_cfg}", EndpointConfigName=prev_cfg) is None:
            raise AwsError(f"Cannot roll back {what}: its previous config {prev_cfg} no longer exists")
        ctx.progress(f"{what}: rolling back from config {current} to {prev_cfg}")
        sm.call("update_endpoint", what, EndpointName=name, EndpointConfigName=prev_cfg,
                RetainAllVariantProperties=True)
        smx.wait_endpoint(sm, name, progress=ctx.progress, timeout=timeout, want_config=prev_cfg,
                          old_failure=d.get("FailureReason"), action="roll back")
        new_tags[PREVIOUS_CONFIG_TAG] = current
        done.append(f"config {current} -> {prev_cfg}")
    # the endpoint's own component (its stack's, tagged for it): never one someone else added
    ics = ownership.components(sm, name, ctx.stack or policy.owner_of(tags))[0]
    if ics and prev_model:
        ic = ics[0]
        live = smx.describe_ic(sm, ic) or {}
        spec = dict(live.get("Specification") or {})
        old = spec.get("ModelName")
        if old != prev_model:
            spec = {k: v for k, v in spec.items() if k in ("ComputeResourceRequirements", "StartupParameters")}
            spec["ModelName"] = prev_model
            ctx.progress(f"InferenceComponent/{ic}: rolling back from model {old} to {prev_model}")
            sm.call("update_inference_component", f"InferenceComponent/{ic}", InferenceComponentName=ic,
                    Specification=spec)
            smx.wait_ic(sm, ic, progress=ctx.progress, timeout=timeout, want_model=prev_model, action="roll back")
            new_tags[PREVIOUS_MODEL_TAG] = old or ""
            done.append(f"model {old} -> {prev_model}")
    if not done:
        raise AwsError(f"Cannot roll back {what}: it already runs its previous config")
    smx.set_tags(sm, d["EndpointArn"], what, tags, new_tags)
    return ", ".join(done)

