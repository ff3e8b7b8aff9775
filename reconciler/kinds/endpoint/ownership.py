"""Which parts around an endpoint are this stack's, and the rollback point recorded before a change.

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
from reconciler.errors import AwsError, ConflictError
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


def foreign_components_problem(endpoint: str, foreign: list[str]) -> str:
    return (f"inference component(s) {', '.join(foreign)} on Endpoint/{endpoint} are not owned by this stack: "
            "deleting the endpoint would delete them too, so reconcile will not. Delete or move them first "
            "(or tag them as this stack's)")


def refuse_foreign_components(sm: Any, endpoint: str, stack: str) -> list[str]:
    """Before the endpoint is deleted: this stack's components on it; refuses (changing nothing) when
    components that are not ours run there too."""
    ours, foreign, _ = components(sm, endpoint, stack)
    if foreign:
        raise ConflictError(f"refusing to delete Endpoint/{endpoint}: "
                            f"{foreign_components_problem(endpoint, foreign)}; nothing was deleted")
    return ours


def check_existing(sm: Any, what: str, arn: str | None, stack: str, endpoint: str,
                   same: dict[str, Any] | None = None, live: dict[str, Any] | None = None) -> None:
    """A create met "already exists" (a derived name, or a component name): go on only when it is this
    stack's part of this very endpoint (an earlier run of ours made it) and holds what its name stands for
    (``same``: top-level fields of ``live``, the describe answer); otherwise fail clearly, changing nothing."""
    tags = smx.tags_of(sm, arn, what) if arn else {}
    if not owns(tags, stack, endpoint):
        raise ConflictError(f"{what} exists already and belongs to {describe_owner(tags)}, not to Endpoint/{endpoint} "
                            f"of stack {stack!r}; reconcile will neither use nor change it. Rename the endpoint "
                            "(or its inferenceComponent.name), or delete the other resource")
    for key, want in (same or {}).items():
        if (live or {}).get(key) != want:
            raise ConflictError(f"{what} exists already with a different {key} than its name stands for "
                                f"({(live or {}).get(key)!r}, expected {want!r}); reconcile will not use it. "
                                "Delete it, then apply again")


def claim_component(sm: Any, live: dict[str, Any], endpoint: str, stack: str, tags: list[dict[str, str]]) -> None:
    """Before an inference component that exists with the declared name is changed: it must be this stack's
    component of this endpoint. Adopting the endpoint (not yet this stack's: the plan said adopt) takes its
    declared component with it, tagged now; anything else is a clear failure that changes nothing."""
    name = live["InferenceComponentName"]
    what = f"InferenceComponent/{name}"
    arn = live.get("InferenceComponentArn")
    have = smx.tags_of(sm, arn, what) if arn else {}
    if owns(have, stack, endpoint):
        return
    ep = smx.describe_endpoint(sm, endpoint)
    ep_tags = smx.tags_of(sm, ep["EndpointArn"], f"Endpoint/{endpoint}") if ep else {}
    if (arn and live.get("EndpointName") == endpoint and ep is not None and policy.owner_of(ep_tags) != stack
            and policy.owner_of(have) in (None, stack)):  # never another stack's
        sm.call("add_tags", what, ResourceArn=arn, Tags=tags)
        return
    check_existing(sm, what, arn, stack, endpoint)


PART_DESCRIBE = {"Model": ("describe_model", "ModelName", "ModelArn"),
                 "EndpointConfig": ("describe_endpoint_config", "EndpointConfigName", "EndpointConfigArn")}


def _at(doc: Any, path: str) -> Any:
    for key in path.split("."):
        if isinstance(doc, list):
            doc = doc[int(key)] if key.isdigit() and int(key) < len(doc) else None
        elif isinstance(doc, dict):
            doc = doc.get(key)
        else:
            return None
    return doc


def check_existing_part(sm: Any, kind: str, name: str, stack: str, endpoint: str, expect: dict[str, Any]) -> None:
    """CreateModel / CreateEndpointConfig answered "already exists" for a derived name: ``check_existing``
    on it, with ``expect`` (dotted paths into the describe answer -> value) as what its name stands for."""
    op, key, arn_key = PART_DESCRIBE[kind]
    what = f"{kind}/{name}"
    live = sm.get(op, what, **{key: name})
    if live is None:  # deleted in between: the next apply creates it
        raise AwsError(f"Failed to create {what}: AWS said it exists, then that it does not; apply again")
    check_existing(sm, what, live.get(arn_key), stack, endpoint, {p: v for p, v in expect.items()},
                   {p: _at(live, p) for p in expect})


def record_previous(sm: Any, endpoint: str, key: str, value: str,
                    live_tags: dict[str, str] | None = None) -> str | None:
    """Tag the endpoint with the rollback point (``reconciler:previous-config`` / ``-model``) *before* the
    call that moves it away from ``value``: a run killed while waiting still knows what ran before, and the
    cleanup keeps it. ``live_tags`` (the endpoint's tags as last read) is updated in place. Returns the
    point recorded until now (for ``restore_previous`` when the call fails)."""
    d = smx.describe_endpoint(sm, endpoint)
    if d is None or not value:
        return None
    tags = live_tags if live_tags is not None else smx.tags_of(sm, d["EndpointArn"], f"Endpoint/{endpoint}")
    before = tags.get(key)
    if before != value:
        sm.call("add_tags", f"Endpoint/{endpoint}", ResourceArn=d["EndpointArn"], Tags=[{"Key": key, "Value": value}])
        tags[key] = value
    return before


def restore_previous(sm: Any, endpoint: str, key: str, before: str | None) -> None:
    """After a failed update: put the rollback point back to what it was (the endpoint still runs what it
    ran, so the point recorded before the call would name the config it runs)."""
    d = smx.describe_endpoint(sm, endpoint)
    if d is None:
        return
    what = f"Endpoint/{endpoint}"
    if before:
        sm.call("add_tags", what, ResourceArn=d["EndpointArn"], Tags=[{"Key": key, "Value": before}])
    else:
        sm.call("delete_tags", what, ResourceArn=d["EndpointArn"], TagKeys=[key])


def kept(sm: Any, endpoint: str) -> set[str]:
    """The rollback point recorded on the endpoint: its previous config, the model that config runs, and
    its previous model (never cleaned up)."""
    from reconciler.kinds.endpoint.leftovers import model_of_config
    from reconciler.kinds.endpoint.naming import PREVIOUS_CONFIG_TAG, PREVIOUS_MODEL_TAG

    d = smx.describe_endpoint(sm, endpoint)
    if d is None:
        return set()
    tags = smx.tags_of(sm, d["EndpointArn"], f"Endpoint/{endpoint}")
    cfg, model = tags.get(PREVIOUS_CONFIG_TAG), tags.get(PREVIOUS_MODEL_TAG)
    return {n for n in (cfg, model, model_of_config(sm, cfg)) if n}
