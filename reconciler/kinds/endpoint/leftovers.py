"""Models and configs this stack made for an endpoint: finding them, and deleting what is no longer used."""

from __future__ import annotations

import re
from collections.abc import Callable
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
            tags = part_tags(aws, sm, item[arn_key], n) if aws is not None else smx.tags_of(sm, item[arn_key], n)
            if ownership.owns(tags, stack, endpoint):
                out.append((kind, n))
    return sorted(out)


Found = tuple[list[tuple[str, dict[str, str]]], list[tuple[str, str, dict[str, str]]], Callable[[str, list[str]], list[str]]]


def list_owned(endpoint_kind: Kind, aws: Any, stack: str, ctx: PlanContext, exclude: set[str],
               tagged: Any = None) -> list[Observed]:
    """This stack's endpoints, each read in full, and the leftovers (configs and models it made) of endpoints that no
    longer exist. ``tagged``: the stack's tagging listing; None: list the account's endpoints, configs and models."""
    endpoints, parts, leftovers_of = _from_listing(aws, tagged) if tagged is not None else _from_account(aws, exclude)
    out: list[Observed] = []
    for name, tags in endpoints:
        if name not in exclude and policy.owner_of(tags) == stack:
            full = endpoint_kind.read(aws, name, ctx)
            if full:
                out.append(full)
    # leftovers of endpoints that no longer exist (an interrupted create, or a delete cut short)
    orphans: dict[str, list[str]] = {}
    for kind, n, tags in parts:
        owner = tags.get(ENDPOINT_TAG)
        if re.search(rf"-[0-9a-f]{{{HASH_LEN}}}$", n) and owner and owner not in exclude and policy.owner_of(tags) == stack:
            orphans.setdefault(owner, []).append(f"{kind}/{n}")
    for owner, found in sorted(orphans.items()):
        left = leftovers_of(owner, found)
        if left:
            out.append(Observed(endpoint_kind.kind, owner, endpoint_kind.arn(owner, None, ctx),
                                {"status": "deleted", "leftovers": sorted(left),
                                 "tags": ownership_tags(stack, {}, False)}, meta={"orphan": True}))
    return out


def _from_listing(aws: Any, tagged: Any) -> Found:
    """(endpoints, parts, leftovers_of) from the stack's tagging listing, which returns each with its tags."""
    endpoints = [(t.tags.get(ENDPOINT_TAG) or t.resource, t.tags) for t in tagged.of("sagemaker:endpoint")]
    parts = [(kind, t.resource, t.tags) for kind, rtype in (("config", "sagemaker:endpoint-config"),
                                                             ("model", "sagemaker:model")) for t in tagged.of(rtype)]
    ours = {name for name, _tags in endpoints}

    def leftovers_of(owner: str, found: list[str]) -> list[str]:
        """[] when the endpoint exists (one the listing did not return may: untagged, not ours); else the parts
        still there (the listing may lag a delete), as SageMaker names them (AWS's ARNs may lowercase)."""
        sm = aws.client("sagemaker")
        if owner in ours or smx.describe_endpoint(sm, owner) is not None:
            return []
        return [f"{kind}/{real}" for kind, name in (part.split("/", 1) for part in found)
                if (real := live_name(sm, kind, name))]

    return endpoints, parts, leftovers_of


def _from_account(aws: Any, exclude: set[str]) -> Found:
    """(endpoints, parts, leftovers_of) from listing every endpoint, config and model of the account, and their tags."""
    sm = aws.client("sagemaker")
    listed_endpoints = list(sm.paginate("list_endpoints", "Endpoints"))
    endpoints = [(e["EndpointName"], smx.tags_of(sm, e["EndpointArn"], f"Endpoint/{e['EndpointName']}"))
                 for e in listed_endpoints if e["EndpointName"] not in exclude]
    parts = [(kind, item[name_key], part_tags(aws, sm, item[arn_key], item[name_key]))
             for kind, op, key, name_key, arn_key in PARTS for item in listed(aws, sm, op, key)
             if re.search(rf"-[0-9a-f]{{{HASH_LEN}}}$", item[name_key])]
    live = {e["EndpointName"] for e in listed_endpoints}
    return endpoints, parts, lambda owner, found: [] if owner in live else found


def live_name(sm: Any, kind: str, name: str) -> str | None:
    """The name of endpoint config or model ``name`` as SageMaker keeps it (None: it no longer exists)."""
    if kind == "config":
        cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{name}", EndpointConfigName=name)
        return None if cfg is None else str(cfg.get("EndpointConfigName") or name)
    model = sm.get("describe_model", f"Model/{name}", ModelName=name)
    return None if model is None else str(model.get("ModelName") or name)


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
