"""Which parts around an endpoint are this stack's.

One rule everywhere: a model, endpoint config or inference component belongs to endpoint E of stack S
when ``policy.owner_of(tags) == S`` (so ``reconciler:managed-by`` is required) and
``reconciler:endpoint == E``. Anything else on or beside the endpoint (a component someone added by hand,
a model stripped of ``managed-by``, a part of another endpoint whose derived name happens to match) is
never read as ours, never changed and never deleted.
"""

from __future__ import annotations

from typing import Any

from reconciler import policy
from reconciler.aws import sagemaker as smx
from reconciler.kinds.endpoint.naming import ENDPOINT_TAG


def owns(tags: dict[str, str], stack: str | None, endpoint: str) -> bool:
    return stack is not None and policy.owner_of(tags) == stack and tags.get(ENDPOINT_TAG) == endpoint


def describe_owner(tags: dict[str, str]) -> str:
    owner = policy.owner_of(tags)
    if owner is None:
        return "no reconcile stack"
    return f"Endpoint/{tags.get(ENDPOINT_TAG) or '?'} of stack {owner!r}"


def components(sm: Any, endpoint: str, stack: str | None) -> tuple[list[str], list[str], dict[str, dict[str, str]]]:
    """(ours, foreign, tags by name) of the inference components on ``endpoint``, names sorted."""
    ours, foreign, tags = [], [], {}
    for ic in smx.inference_components(sm, endpoint):
        n = ic["InferenceComponentName"]
        arn = ic.get("InferenceComponentArn") or (smx.describe_ic(sm, n) or {}).get("InferenceComponentArn")
        tags[n] = smx.tags_of(sm, arn, f"InferenceComponent/{n}") if arn else {}
        (ours if owns(tags[n], stack, endpoint) else foreign).append(n)
    return sorted(ours), sorted(foreign), tags


def conflict(what: str, tags: dict[str, str], endpoint: str, stack: str) -> str:
    """Why a part with a name this endpoint derives, which exists but is not its own, is refused at plan."""
    return (f"{what} exists already and belongs to {describe_owner(tags)}, not to Endpoint/{endpoint} of stack "
            f"{stack!r}; reconcile will neither use nor change it. Rename the endpoint (or its "
            "inferenceComponent.name), or delete the other resource")


def foreign_components_problem(endpoint: str, foreign: list[str]) -> str:
    return (f"inference component(s) {', '.join(foreign)} on Endpoint/{endpoint} are not owned by this stack: "
            "deleting the endpoint would delete them too, so reconcile will not. Delete or move them first "
            "(or tag them as this stack's)")
