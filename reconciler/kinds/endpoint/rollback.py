"""``reconcile rollback ENDPOINT``: a plan (``PlanMode.rollback``) that puts the endpoint back on the config
(and its inference component back on the model) it ran before its last update, run by the interpreter.

Where the rollback point lives: the tags ``reconciler:previous-config`` / ``reconciler:previous-model`` on
the endpoint, which every update records before the call that moves away (``operations.rollout``). The
rollback is the same kind of plan as an apply's: it is read from the live state (``read``), its operations
come from a pure function (``operations``): the record swapped first (so a second rollback goes forward
again, and a kill while it waits keeps it right), UpdateEndpoint with RetainAllVariantProperties (the live
instance count stays, whatever the manifest says), a wait that the endpoint is InService on that config;
if AWS rolls it back, the record is put back. The plan says what differs between what runs now and what
will run (``changes``: e.g. ``environment.MAX_TOTAL_TOKENS: "4096" → "2048"``) and the live instance count.

It refuses, writing nothing: an endpoint that does not exist, that is not a reconcile stack's (or another
stack's than the one named), that has no rollback point recorded, already runs it, or whose previous
config is gone.
"""

from __future__ import annotations

from typing import Any

from reconciler import ops, policy
from reconciler.diff import diff, digest
from reconciler.errors import AwsError, ConflictError
from reconciler.kinds.base import Observed, OpContext, PlanContext
from reconciler.kinds.endpoint import requests as rq
from reconciler.kinds.endpoint.naming import PREVIOUS_CONFIG_TAG, PREVIOUS_MODEL_TAG
from reconciler.plan import Action, Operation, Step

VIEW = ("instance", "image", "environment", "weights", "executionRole")


def read(kind: Any, aws: Any, name: str, stack: str, where: tuple[str, str, str]) -> tuple[Observed, dict[str, Any]]:
    """(the endpoint as the Endpoint kind reads it, what it ran before: ``config``/``model`` and the ``state`` it
    would run). ``stack``: the manifests' stack ("" without -f: the endpoint's own). ``where``: account, region,
    partition. AwsError/ConflictError, nothing written, when it cannot be rolled back."""
    from reconciler.aws import sagemaker as smx
    from reconciler.invoke import not_found
    from reconciler.kinds.endpoint.state import read_model

    sm = aws.client("sagemaker")
    what = f"Endpoint/{name}"
    d = smx.describe_endpoint(sm, name)
    if d is None:
        raise not_found("roll back", what, aws)
    owner = policy.owner_of(smx.tags_of(sm, d["EndpointArn"], what))
    if owner is None or (stack and owner != stack):
        whose = "no reconcile stack" if owner is None else f"stack {owner!r}"
        raise ConflictError(f"Cannot roll back {what}: it belongs to {whose}, not to {f'stack {stack!r}' if stack else 'a reconcile stack'}; "
                            "reconcile changes only what its stack owns. Nothing was changed")
    account, region, partition = where
    obs = kind.read(aws, name, PlanContext(stack=owner, account=account, region=region, partition=partition))
    meta, current = obs.meta, obs.meta.get("config")
    prev_cfg, prev_model = meta.get("previousConfig"), meta.get("previousModel")
    if not prev_cfg and not prev_model:
        comps = sorted(c["InferenceComponentName"] for c in smx.inference_components(sm, name))
        hint = (f"; to roll back one of its inference components, give --inference-component NAME "
                f"({', '.join(comps)})") if comps else ""
        raise AwsError(f"Cannot roll back {what}: no previous config is recorded (it was never updated by "
                       f"reconcile){hint}")
    prev: dict[str, Any] = {"state": {k: obs.state.get(k) for k in VIEW}, "owner": owner}
    if prev_cfg and prev_cfg != current:
        cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{prev_cfg}", EndpointConfigName=prev_cfg)
        if cfg is None:
            raise AwsError(f"Cannot roll back {what}: its previous config {prev_cfg} no longer exists")
        v = (cfg.get("ProductionVariants") or [{}])[0]
        prev["config"] = prev_cfg
        prev["state"]["instance"] = {**(obs.state.get("instance") or {}), "type": v.get("InstanceType")}
        if v.get("ModelName"):  # (model-based: the config names its model)
            prev["state"].update({"weights": None, **read_model(aws, sm, v["ModelName"])})
    component = next((c for c in meta.get("components") or [] if c["name"] == meta.get("component")), None)
    if component and prev_model and component.get("model") != prev_model:
        if sm.get("describe_model", f"Model/{prev_model}", ModelName=prev_model) is None:
            raise AwsError(f"Cannot roll back {what}: its previous model {prev_model} no longer exists")
        prev["component"], prev["model"] = component, prev_model
        prev["state"].update({"weights": None, **read_model(aws, sm, prev_model)})
    if "config" not in prev and "model" not in prev:
        raise AwsError(f"Cannot roll back {what}: it already runs its previous config")
    return obs, prev


def operations(obs: Observed, prev: dict[str, Any], ctx: OpContext, timeout: int) -> list[Operation]:
    """Pure: the calls and waits of the rollback (see the module's docstring)."""
    name, meta, evidence = obs.name, obs.meta, ctx.evidence(obs)
    out: list[Operation] = []
    if "config" in prev:
        current, config = str(meta.get("config")), prev["config"]
        recorded, undo = rq.record(name, obs.arn, PREVIOUS_CONFIG_TAG, current, config, evidence)
        count = f"{meta.get('instanceCount')} × {(obs.state.get('instance') or {}).get('type')}"
        out += recorded + [
            ops.call("sagemaker", "UpdateEndpoint", name, {"EndpointName": name, "EndpointConfigName": config,
                                                           "RetainAllVariantProperties": True},
                     resource=obs.arn, ownership=evidence, on_failure=undo,
                     detail=f"back to config {config}; the {count} instance(s) running now stay (retained)"),
            rq.endpoint_in_service(name, config, timeout, "UpdateEndpoint", meta.get("failureReason"), undo)]
    if "model" in prev:
        c, model = prev["component"], prev["model"]
        recorded, undo = rq.record(name, obs.arn, PREVIOUS_MODEL_TAG, str(c.get("model")), model, evidence)
        spec = {"ModelName": model, "ComputeResourceRequirements": c.get("compute") or {},
                **({"StartupParameters": c["startup"]} if c.get("startup") else {})}
        out += recorded + rq.update_component(c["name"], c["arn"], ops.by_tags(c.get("tags") or {}, obs.read_at),
                                              spec, None, None, timeout, f"model {c.get('model')} -> {model}; its "
                                              "compute, startup and copy count stay as they are", undo)
    return out


def step(kind: Any, obs: Observed, prev: dict[str, Any], ctx: OpContext, timeout: int) -> Step:
    """The rollback as a plan step: what differs (masked), the live instance count, the operations."""
    now = {k: obs.state.get(k) for k in VIEW}
    changes = tuple(kind.mask_change(c) for c in diff(now, prev["state"]))
    moves = [f"config {obs.meta.get('config')} -> {prev['config']}"] if "config" in prev else []
    if "model" in prev:
        moves.append(f"model {prev['component'].get('model')} -> {prev['model']}")
    count = obs.meta.get("instanceCount")
    reason = f"rollback: {', '.join(moves)}; {count} instance(s) live, kept (not the manifest's count)"
    return Step(kind="Endpoint", name=obs.name, action=Action.update, reason=reason, changes=changes,
                live_digest=digest(obs.state), operations=tuple(operations(obs, prev, ctx, timeout)))


# ---- a model as people recognise it (an InferenceComponent's rollback shows from / to) -------------------


def model_line(sm: Any, model: str | None) -> str:
    """'model NAME, image URI, HF_MODEL_ID ID': a model as a reviewer recognises it (no other environment)."""
    if not model:
        return "no model"
    d = sm.get("describe_model", f"Model/{model}", ModelName=model) or {}
    c = d.get("PrimaryContainer") or (d.get("Containers") or [{}])[0]
    parts = [f"model {model}"]
    if c.get("Image"):
        parts.append(f"image {c['Image']}")
    model_id = (c.get("Environment") or {}).get("HF_MODEL_ID")
    if model_id:
        parts.append(f"HF_MODEL_ID {model_id}")
    if not d:
        parts.append("(no longer exists)")
    return ", ".join(parts)
