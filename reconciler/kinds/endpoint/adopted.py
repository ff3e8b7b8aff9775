"""Models and configs an adopted endpoint runs under names reconcile did not derive (the SageMaker SDK's
``huggingface-pytorch-tgi-inference-<timestamp>``, a config named as the endpoint).

Adoption keeps them serving and tags them (``reconciler:endpoint`` and the stack's ownership tags) as
planned ``AddTags`` operations; from then on they are this stack's like its own: kept while in use or
kept for rollback, deleted after the next change but one (as reconcile's own would be), and by prune
and destroy. The read records them (``classify``) with their ARNs and tags: the evidence their operations carry.
"""

from __future__ import annotations

from typing import Any

from reconciler import policy
from reconciler.aws import sagemaker as smx
from reconciler.kinds.endpoint import ownership
from reconciler.kinds.endpoint.naming import ENDPOINT_TAG, is_derived

DESCRIBE = {"config": ("describe_endpoint_config", "EndpointConfigName", "EndpointConfigArn", "EndpointConfig"),
            "model": ("describe_model", "ModelName", "ModelArn", "Model")}


def arn_of(sm: Any, kind: str, name: str) -> str | None:
    op, key, arn_key, what = DESCRIBE[kind]
    d = sm.get(op, f"{what}/{name}", **{key: name})
    return None if d is None else d[arn_key]


def read_parts(sm: Any, parts: list[tuple[str, str | None]]) -> dict[tuple[str, str], tuple[str, dict[str, str]] | None]:
    """{(kind, name): (arn, tags), or None when it is gone} of ``parts``: one describe and one ListTags each,
    shared by ``classify`` and ``others`` within one read."""
    out: dict[tuple[str, str], tuple[str, dict[str, str]] | None] = {}
    for kind, name in dict.fromkeys(parts):
        if name:
            arn = arn_of(sm, kind, name)
            out[(kind, name)] = (arn, smx.tags_of(sm, arn, name)) if arn else None
    return out


def classify(sm: Any, endpoint: str, stack: str | None, parts: list[tuple[str, str | None]],
             known: dict[tuple[str, str], tuple[str, dict[str, str]] | None] | None = None,
             ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], dict[str, str]]:
    """(untagged, adopted, foreign) of ``parts`` whose names reconcile did not derive. ``untagged`` and
    ``adopted``: {"config/NAME" | "model/NAME": {"arn", "tags"}}: those not yet tagged for ``endpoint`` that no
    other reconcile stack owns (the adoption tags them; so does the plan of an endpoint this stack owns, when an
    interrupted adoption left them untagged), and those this stack owns for ``endpoint`` by the one rule of
    ``ownership.owns`` (an earlier adoption). ``foreign``: {"Model/NAME" | "EndpointConfig/NAME": whose}: anything
    else (another stack's part, one tagged for another endpoint): never tagged nor deleted, named in a warning.
    ``known``: ``read_parts`` of them, when read already."""
    untagged, adopted, foreign = {}, {}, {}
    mine = [(k, n) for k, n in parts if n and not is_derived(endpoint, n)]
    read = {**read_parts(sm, [p for p in mine if known is None or p not in known]), **(known or {})}
    for kind, name in dict.fromkeys(mine):
        if read.get((kind, name)) is None:
            continue
        arn, tags = read[(kind, name)]  # type: ignore[misc]
        if ownership.owns(tags, stack, endpoint):
            adopted[f"{kind}/{name}"] = {"arn": arn, "tags": tags}
        elif not tags.get(ENDPOINT_TAG) and policy.owner_of(tags) in (None, stack):  # never another stack's
            untagged[f"{kind}/{name}"] = {"arn": arn, "tags": tags}
        else:
            foreign[f"{DESCRIBE[kind][3]}/{name}"] = (
                f"owned by {ownership.describe_owner(tags)}" if policy.owner_of(tags) else
                f"tagged for Endpoint/{tags[ENDPOINT_TAG]} without a reconcile stack's ownership tags")
    return untagged, adopted, foreign


def others(sm: Any, stack: str, parts: list[tuple[str, str | None]],
           known: dict[tuple[str, str], tuple[str, dict[str, str]] | None] | None = None) -> dict[str, str]:
    """{"Model/name" | "EndpointConfig/name": owning stack} of ``parts`` that another reconcile stack owns:
    adopting the endpoint must not take them (``Kind.owned_by_others``). ``known``: as for ``classify``."""
    out = {}
    read = {**read_parts(sm, [p for p in parts if known is None or p not in known]), **(known or {})}
    for kind, name in dict.fromkeys(parts):
        got = read.get((kind, name)) if name else None
        owner = policy.owner_of(got[1]) if got else None
        if owner and owner != stack:
            out[f"{DESCRIBE[kind][3]}/{name}"] = owner
    return out


def parts_of(meta: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The configs and models an endpoint's read names (in use, or kept for rollback)."""
    return [("config", None if meta.get("configMissing") else meta.get("config")),
            ("config", meta.get("previousConfig")),
            ("model", None if meta.get("modelMissing") else meta.get("model")),
            ("model", meta.get("previousModel")), ("model", meta.get("previousModelOfConfig"))]
