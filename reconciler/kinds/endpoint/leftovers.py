"""Models and configs this stack made for an endpoint: finding them (in use, kept, or left over)."""

from __future__ import annotations

import re
from collections.abc import Callable
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


#: (endpoints [(name, tags)], parts [(kind, name, arn, tags)], leftovers_of(owner, {kind/name: part}, gone) -> the
#: parts still there of an endpoint that no longer exists (``gone``: known so, the listing notwithstanding))
Found = tuple[list[tuple[str, dict[str, str]]], list[tuple[str, str, str, dict[str, str]]],
              Callable[[str, dict[str, dict[str, Any]], bool], dict[str, dict[str, Any]]]]


def list_owned(endpoint_kind: Kind, aws: Any, stack: str, ctx: PlanContext, exclude: set[str],
               tagged: Any = None) -> list[Observed]:
    """This stack's endpoints, each read in full, and the leftovers (configs and models it made) of endpoints that no
    longer exist. ``tagged``: the stack's tagging listing; None: list the account's endpoints, configs and models."""
    endpoints, parts, leftovers_of = _from_listing(aws, tagged) if tagged is not None else _from_account(aws, exclude)
    out: list[Observed] = []
    read, vanished = set(), set()  # (listed, then gone before its read: a delete that was finishing)
    for name, tags in endpoints:
        if name not in exclude and policy.owner_of(tags) == stack:
            full = endpoint_kind.read(aws, name, ctx)
            if full:
                out.append(full)
                read.add(name)
            else:
                vanished.add(name)
    # leftovers of endpoints that no longer exist (an interrupted create, or a delete cut short)
    orphans: dict[str, dict[str, dict[str, Any]]] = {}
    for kind, n, arn, tags in parts:
        owner = tags.get(ENDPOINT_TAG)
        if re.search(rf"-[0-9a-f]{{{HASH_LEN}}}$", n) and owner and owner not in exclude and policy.owner_of(tags) == stack:
            orphans.setdefault(owner, {})[f"{kind}/{n}"] = {"arn": arn, "tags": tags}
    for owner, found in sorted(orphans.items()):
        if owner in read:  # (its own step deletes what it made)
            continue
        left = leftovers_of(owner, found, owner in vanished)
        if left:
            out.append(Observed(endpoint_kind.kind, owner, endpoint_kind.arn(owner, None, ctx),
                                {"status": "deleted", "leftovers": sorted(left),
                                 "tags": ownership_tags(stack, {}, False)}, meta={"orphan": True, "parts": left}))
    return out


def _from_listing(aws: Any, tagged: Any) -> Found:
    """(endpoints, parts, leftovers_of) from the stack's tagging listing, which returns each with its tags."""
    endpoints = [(t.tags.get(ENDPOINT_TAG) or t.resource, t.tags) for t in tagged.of("sagemaker:endpoint")]
    parts = [(kind, t.resource, t.arn, t.tags) for kind, rtype in (("config", "sagemaker:endpoint-config"),
                                                                   ("model", "sagemaker:model")) for t in tagged.of(rtype)]
    ours = {name for name, _tags in endpoints}

    def leftovers_of(owner: str, found: dict[str, dict[str, Any]], gone: bool) -> dict[str, dict[str, Any]]:
        """{} when the endpoint exists (one the listing did not return may: untagged, not ours); else the parts
        still there (the listing may lag a delete), as SageMaker names them (AWS's ARNs may lowercase)."""
        sm = aws.client("sagemaker")
        if not gone and (owner in ours or smx.describe_endpoint(sm, owner) is not None):
            return {}
        out = {}
        for part, facts in found.items():
            kind, name = part.split("/", 1)
            real = live_name(sm, kind, name)
            if real:
                out[f"{kind}/{real}"] = facts
        return out

    return endpoints, parts, leftovers_of


def _from_account(aws: Any, exclude: set[str]) -> Found:
    """(endpoints, parts, leftovers_of) from listing every endpoint, config and model of the account, and their tags."""
    sm = aws.client("sagemaker")
    listed_endpoints = list(sm.paginate("list_endpoints", "Endpoints"))
    endpoints = [(e["EndpointName"], smx.tags_of(sm, e["EndpointArn"], f"Endpoint/{e['EndpointName']}"))
                 for e in listed_endpoints if e["EndpointName"] not in exclude]
    parts = [(kind, item[name_key], item[arn_key], part_tags(aws, sm, item[arn_key], item[name_key]))
             for kind, op, key, name_key, arn_key in PARTS for item in listed(aws, sm, op, key)
             if re.search(rf"-[0-9a-f]{{{HASH_LEN}}}$", item[name_key])]
    live = {e["EndpointName"] for e in listed_endpoints}
    return endpoints, parts, lambda owner, found, gone: {} if owner in live and not gone else found


def live_name(sm: Any, kind: str, name: str) -> str | None:
    """The name of endpoint config or model ``name`` as SageMaker keeps it (None: it no longer exists)."""
    if kind == "config":
        cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{name}", EndpointConfigName=name)
        return None if cfg is None else str(cfg.get("EndpointConfigName") or name)
    model = sm.get("describe_model", f"Model/{name}", ModelName=name)
    return None if model is None else str(model.get("ModelName") or name)
