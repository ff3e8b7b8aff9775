"""Models and configs this stack made for an endpoint: finding them, and deleting what is no longer used."""

from __future__ import annotations

import re
from typing import Any

from reconciler import policy
from reconciler.aws import sagemaker as smx
from reconciler.errors import AwsError
from reconciler.kinds.base import ApplyContext, Kind, Observed, PlanContext, ownership_tags
from reconciler.kinds.endpoint import ownership
from reconciler.kinds.endpoint.naming import ENDPOINT_TAG, HASH_LEN, is_derived, prefix

PARTS = (("config", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", "EndpointConfigArn"),
         ("model", "list_models", "Models", "ModelName", "ModelArn"))


def listed(aws: Any, sm: Any, op: str, key: str) -> list[dict[str, Any]]:
    """Every endpoint config or model in the account, listed once per command (``Aws.cached``: the reads of
    every endpoint, of every InferenceComponent and the orphan scan share it)."""
    return aws.cached(f"sagemaker:{op}", lambda: list(sm.paginate(op, key, "sagemaker")))


def model_of_config(sm: Any, cfg_name: str | None) -> str | None:
    if not cfg_name:
        return None
    cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{cfg_name}", EndpointConfigName=cfg_name)
    if cfg is None:
        return None
    return (cfg.get("ProductionVariants") or [{}])[0].get("ModelName")


def owned_parts(sm: Any, endpoint: str, stack: str | None, skip: set[Any] = frozenset(),  # type: ignore[assignment]
                aws: Any = None) -> list[tuple[str, str]]:
    """(kind, name) of models and configs stack ``stack`` made for ``endpoint`` (by name pattern, then by the
    one ownership rule: ``managed-by`` and this stack, and ``reconciler:endpoint``; see ``ownership``).

    ``skip``: names not looked at (in use, or kept). ``aws``: list every config and model once per
    command (``Aws.cached``, shared by all endpoints' reads) instead of once per endpoint.
    """
    out = []
    for kind, op, key, name_key, arn_key in PARTS:
        if aws is not None:
            items = listed(aws, sm, op, key)
        else:
            items = sm.paginate(op, key, f"Endpoint/{endpoint}", NameContains=prefix(endpoint))
        for item in items:
            n = item[name_key]
            if n in skip or not is_derived(endpoint, n):
                continue
            tags = smx.tags_of(sm, item[arn_key], n)
            if ownership.owns(tags, stack, endpoint):
                out.append((kind, n))
    return sorted(out)


def list_owned(endpoint_kind: Kind, aws: Any, stack: str, ctx: PlanContext, exclude: set[str]) -> list[Observed]:
    sm = aws.client("sagemaker")
    out: list[Observed] = []
    live = set()
    for e in sm.paginate("list_endpoints", "Endpoints", "endpoints"):
        live.add(e["EndpointName"])
        if e["EndpointName"] in exclude:
            continue
        tags = smx.tags_of(sm, e["EndpointArn"], f"Endpoint/{e['EndpointName']}")
        if policy.owner_of(tags) == stack:
            full = endpoint_kind.read(aws, e["EndpointName"], ctx)
            if full:
                out.append(full)
    # leftovers of endpoints that no longer exist (an interrupted create, or a delete cut short)
    orphans: dict[str, list[str]] = {}
    for kind, op, key, name_key, arn_key in PARTS:
        for item in listed(aws, sm, op, key):
            n = item[name_key]
            if not re.search(rf"-[0-9a-f]{{{HASH_LEN}}}$", n):
                continue
            tags = smx.tags_of(sm, item[arn_key], n)
            owner = tags.get(ENDPOINT_TAG)
            if not owner or owner in live or owner in exclude:
                continue
            if policy.owner_of(tags) == stack:
                orphans.setdefault(owner, []).append(f"{kind}/{n}")
    for owner, parts in sorted(orphans.items()):
        out.append(Observed(endpoint_kind.kind, owner, endpoint_kind.arn(owner, None, ctx),
                            {"status": "deleted", "leftovers": sorted(parts),
                             "tags": ownership_tags(stack, {}, False)}, meta={"orphan": True}))
    return out


def in_use(sm: Any, name: str) -> set[str]:
    """Configs and models the endpoint and its inference components use now, as AWS reports them."""
    d = smx.describe_endpoint(sm, name) or {}
    cfgs = {d.get("EndpointConfigName"), (d.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")}
    used = {c for c in cfgs if c} | {model_of_config(sm, c) or "" for c in cfgs if c}
    for ic in smx.inference_components(sm, name):
        spec = (smx.describe_ic(sm, ic["InferenceComponentName"]) or {}).get("Specification") or {}
        used.add(spec.get("ModelName") or "")
    return used


def discard(name: str, ctx: ApplyContext, parts: dict[str, str], keep: set[str]) -> None:
    """After a failed update: delete the new config/model nothing uses (best effort). What the endpoint
    runs is re-read first: a Failed or UpdateRollbackFailed endpoint may still use the new config, and
    an inference component keeps its model when only the instance settings changed."""
    sm = ctx.aws.client("sagemaker")
    try:
        keep = keep | in_use(sm, name)
        if parts["config"] not in keep:
            sm.ignore_missing("delete_endpoint_config", f"EndpointConfig/{parts['config']}",
                              EndpointConfigName=parts["config"])
        if parts["model"] not in keep:
            sm.ignore_missing("delete_model", f"Model/{parts['model']}", ModelName=parts["model"])
    except AwsError as e:
        ctx.progress(f"Endpoint/{name}: could not delete the unused new config/model: {e}")


def cleanup(name: str, ctx: ApplyContext, keep: set[str], stack: str | None = None) -> None:
    """Delete this endpoint's owned configs, then models, except ``keep`` and the rollback point recorded on
    the endpoint (whatever its previous-config / previous-model tags name)."""
    sm = ctx.aws.client("sagemaker")
    keep = set(keep) | ownership.kept(sm, name)
    parts = owned_parts(sm, name, stack or ctx.stack, skip=keep)
    for kind, n in parts:
        if kind == "config" and n not in keep:
            sm.ignore_missing("delete_endpoint_config", f"EndpointConfig/{n}", EndpointConfigName=n)
            ctx.progress(f"EndpointConfig/{n}: deleted")
    for kind, n in parts:
        if kind == "model" and n not in keep:
            sm.ignore_missing("delete_model", f"Model/{n}", ModelName=n)
            ctx.progress(f"Model/{n}: deleted")
