"""``POST /reconcile-sandbox/sagemaker/autoscaler``: move a live count as Application Auto Scaling would.

Body: ``{"endpoint": NAME, "instances": N}`` (the variant's DesiredInstanceCount/CurrentInstanceCount;
``variant`` defaults to AllTraffic) or ``{"component": NAME, "copies": N}`` (the inference component's
DesiredCopyCount/CurrentCopyCount); optional ``region`` (default us-east-1) and ``account``. When a
scalable target is registered for it, N must lie within its MinCapacity..MaxCapacity (the autoscaler
never leaves that range). Tests use it to prove that apply keeps the scaled count.
"""

from __future__ import annotations

from typing import Any


def move(payload: dict[str, Any]) -> dict[str, Any]:
    from moto.applicationautoscaling.models import applicationautoscaling_backends
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sagemaker.models import sagemaker_backends

    from reconciler.sandbox.sagemaker.common import _ics

    account, region = str(payload.get("account") or DEFAULT_ACCOUNT_ID), str(payload.get("region") or "us-east-1")
    backend = sagemaker_backends[account][region]
    if "component" in payload:
        name, key = str(payload["component"]), "copies"
        rid, dim = f"inference-component/{name}", "sagemaker:inference-component:DesiredCopyCount"
    elif "endpoint" in payload:
        name, key = str(payload["endpoint"]), "instances"
        rid = f"endpoint/{name}/variant/{payload.get('variant') or 'AllTraffic'}"
        dim = "sagemaker:variant:DesiredInstanceCount"
    else:
        raise ValueError('the body needs {"endpoint": NAME, "instances": N} or {"component": NAME, "copies": N}')
    count = payload.get(key)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"{key} must be a whole number >= 0")
    target = applicationautoscaling_backends[account][region].targets.get(dim, {}).get(rid)
    if target is not None and not int(target.min_capacity) <= count <= int(target.max_capacity):
        raise ValueError(f"{rid} is registered with {target.min_capacity}..{target.max_capacity}; an autoscaler "
                         f"does not move it to {count}")
    if "component" in payload:
        ic = _ics(backend).get(name)
        if ic is None:
            raise ValueError(f"no inference component {name}")
        ic.desired_copy_count = ic.current_copy_count = count
        return {"component": name, "copies": count}
    ep = backend.endpoints.get(name)
    if ep is None:
        raise ValueError(f"no endpoint {name}")
    variant = payload.get("variant") or "AllTraffic"
    for v in ep.production_variants or []:
        if v.get("VariantName") == variant:
            v["DesiredInstanceCount"] = v["CurrentInstanceCount"] = count
            return {"endpoint": name, "variant": variant, "instances": count}
    raise ValueError(f"endpoint {name} has no variant {variant}")
