"""What `reconcile rollback ENDPOINT` will do, read before it asks: from/to config and what each runs.

Read-only (Describe* and ListTags only). Environment values are never shown except the model id
(``HF_MODEL_ID``), which is what a reviewer recognises; secrets stay out of the output.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import AwsError
from reconciler.invoke import not_found, where
from reconciler.kinds.endpoint.naming import PREVIOUS_CONFIG_TAG, PREVIOUS_MODEL_TAG


def _model_line(sm: Any, model: str | None) -> str:
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


def _config_lines(sm: Any, cfg_name: str) -> list[str]:
    cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{cfg_name}", EndpointConfigName=cfg_name)
    if cfg is None:
        return [f"config {cfg_name} (no longer exists)"]
    out = [f"config {cfg_name}"]
    for v in cfg.get("ProductionVariants") or []:
        instance = f"{v.get('InstanceType', '?')} x {v.get('InitialInstanceCount', '?')}"
        out.append(f"  variant {v.get('VariantName', '?')}: {instance}"
                   + (f"; {_model_line(sm, v['ModelName'])}" if v.get("ModelName") else ""))
    return out


def describe(aws: Any, name: str) -> list[str]:
    """Lines saying what rolling back Endpoint/``name`` changes; AwsError when it cannot be rolled back."""
    from reconciler import policy
    from reconciler.aws import sagemaker as smx
    from reconciler.kinds.endpoint import ownership

    sm = aws.client("sagemaker")
    what = f"Endpoint/{name}"
    d = smx.describe_endpoint(sm, name)
    if d is None:
        raise not_found("roll back", what, aws)
    tags = smx.tags_of(sm, d["EndpointArn"], what)
    current = d.get("EndpointConfigName", "")
    prev_cfg, prev_model = tags.get(PREVIOUS_CONFIG_TAG), tags.get(PREVIOUS_MODEL_TAG)
    if not prev_cfg and not prev_model:
        comps = sorted(c["InferenceComponentName"] for c in smx.inference_components(sm, name))
        hint = (f"; to roll back one of its inference components, give --inference-component NAME "
                f"({', '.join(comps)})") if comps else ""
        raise AwsError(f"Cannot roll back {what}: no previous config is recorded (it was never updated by "
                       f"reconcile){hint}")
    out = [f"Rolling back {what} ({where(aws)}, status {d.get('EndpointStatus')}):"]
    if prev_cfg and prev_cfg != current:
        out += ["  from (serving now): " + x if i == 0 else "                     " + x
                for i, x in enumerate(_config_lines(sm, current))]
        out += ["  to (ran before):    " + x if i == 0 else "                     " + x
                for i, x in enumerate(_config_lines(sm, prev_cfg))]
    # the endpoint's own component (its stack's), as rollback moves it: never one someone else added
    ics = ownership.components(sm, name, policy.owner_of(tags))[0] if prev_model else []
    if ics:
        ic = ics[0]
        live_model = ((smx.describe_ic(sm, ic) or {}).get("Specification") or {}).get("ModelName")
        if live_model != prev_model:
            out += [f"  inference component {ic}:",
                    f"    from (serving now): {_model_line(sm, live_model)}",
                    f"    to (ran before):    {_model_line(sm, prev_model)}"]
    if len(out) == 1:
        raise AwsError(f"Cannot roll back {what}: it already runs its previous config")
    return out
