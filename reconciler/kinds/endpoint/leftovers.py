"""Models and configs this stack made for an endpoint: finding them (in use, kept, or left over)."""

from __future__ import annotations

import re
from typing import Any

from reconciler import policy
from reconciler.aws import sagemaker as smx
from reconciler.kinds.base import Kind, Observed, PlanContext, ownership_tags
from reconciler.kinds.endpoint import ownership
from reconciler.kinds.endpoint.naming import ENDPOINT_TAG, HASH_LEN, is_derived

PARTS = (("config", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", "EndpointConfigArn"),
         ("model", "list_models", "Models", "ModelName", "ModelArn"))


def listed(aws: Any, sm: Any, op: str, key: str) -> list[dict[str, Any]]:
    """Every endpoint config or model in the account, listed once per command (``Aws.cached``: the reads of
    every endpoint, of every InferenceComponent and the orphan scan share it)."""
    return aws.cached(f"sagemaker:{op}", lambda: list(sm.paginate(op, key, "sagemaker")))


def part_tags(aws: Any, sm: Any, arn: str, what: str) -> dict[str, str]:
    """The tags of a listed config or model, read once per plan (``Aws.cached``: an endpoint's read of its
    leftovers and the orphan scan both look at them; apply starts with ``invalidate``)."""
    return aws.cached(f"sagemaker:tags:{arn}", lambda: smx.tags_of(sm, arn, what))


def model_of_config(sm: Any, cfg_name: str | None) -> str | None:
    if not cfg_name:
        return None
    cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{cfg_name}", EndpointConfigName=cfg_name)
    if cfg is None:
        return None
    return (cfg.get("ProductionVariants") or [{}])[0].get("ModelName")


def owned_parts(aws: Any, sm: Any, endpoint: str, stack: str | None) -> dict[str, dict[str, Any]]:
    """{"model/NAME" | "config/NAME": {"arn", "tags"}} of every model and config stack ``stack`` made for
    ``endpoint`` (by name pattern, then by the one ownership rule: ``managed-by`` and this stack, and
    ``reconciler:endpoint``; see ``ownership``), in use or not. The account's configs and models are listed
    once per command and each one's tags read once (``Aws.cached``), shared by every endpoint's read."""
    out = {}
    for kind, op, key, name_key, arn_key in PARTS:
        for item in listed(aws, sm, op, key):
            n = item[name_key]
            if not is_derived(endpoint, n):
                continue
            tags = part_tags(aws, sm, item[arn_key], n)
            if ownership.owns(tags, stack, endpoint):
                out[f"{kind}/{n}"] = {"arn": item[arn_key], "tags": tags}
    return dict(sorted(out.items()))


def named(aws: Any, sm: Any, kind: str, name: str) -> dict[str, Any] | None:
    """{"arn", "tags"} of the config or model ``name`` when it exists (from the cached listing), else None."""
    for k, op, key, name_key, arn_key in PARTS:
        if k == kind:
            for item in listed(aws, sm, op, key):
                if item[name_key] == name:
                    return {"arn": item[arn_key], "tags": part_tags(aws, sm, item[arn_key], name)}
    return None


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
    orphans: dict[str, dict[str, Any]] = {}
    for kind, op, key, name_key, arn_key in PARTS:
        for item in listed(aws, sm, op, key):
            n = item[name_key]
            if not re.search(rf"-[0-9a-f]{{{HASH_LEN}}}$", n):
                continue
            tags = part_tags(aws, sm, item[arn_key], n)
            owner = tags.get(ENDPOINT_TAG)
            if not owner or owner in live or owner in exclude:
                continue
            if policy.owner_of(tags) == stack:
                orphans.setdefault(owner, {})[f"{kind}/{n}"] = {"arn": item[arn_key], "tags": tags}
    for owner, parts in sorted(orphans.items()):
        out.append(Observed(endpoint_kind.kind, owner, endpoint_kind.arn(owner, None, ctx),
                            {"status": "deleted", "leftovers": sorted(parts),
                             "tags": ownership_tags(stack, {}, False)}, meta={"orphan": True, "parts": parts}))
    return out
