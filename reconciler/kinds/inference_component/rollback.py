"""``reconcile rollback ENDPOINT --inference-component NAME``: move one InferenceComponent back to the model
it ran before its last model update.

Where the rollback point lives: on the component itself, as the tag ``reconciler:previous-model`` on its
ARN (the Endpoint shorthand keeps the same tag on its endpoint). Every model update records it *before*
the UpdateInferenceComponent that moves the component off that model (so a run killed while waiting still
knows), puts it back when the update fails, and keeps the model it names (the plan's DeleteModel never
deletes it; prune and destroy delete it with the component, as every model this stack made for it). A
rollback is a plan of the same kind (``step``: ``PlanMode.rollback``, run by the interpreter), which swaps
the record the same way, so a second rollback goes forward again.

A rollback changes only the component's model: its compute and startup stay as they run, and no
RuntimeConfig is sent, so the copy count (an autoscaler's, or the manifest's) stays as it is.

It refuses, writing nothing, a component that does not exist, runs on another endpoint, is not this
stack's own InferenceComponent (a hand-made one, another stack's, or an Endpoint's inline component: that
one rolls back with ``reconcile rollback ENDPOINT``), has no previous model recorded, or whose previous
model is gone.
"""

from __future__ import annotations

from typing import Any

from reconciler import ops, policy
from reconciler.aws import sagemaker as smx
from reconciler.errors import AwsError, ConflictError
from reconciler.kinds.base import now
from reconciler.kinds.endpoint.naming import COMPONENT_TAG, ENDPOINT_TAG, PREVIOUS_MODEL_TAG
from reconciler.plan import Action, Step


def _target(aws: Any, endpoint: str, name: str, stack: str | None) -> tuple[dict[str, Any], dict[str, str], str]:
    """(describe answer, tags, previous model) of the component to roll back; a clear error, read-only, otherwise."""
    from reconciler.invoke import not_found

    sm = aws.client("sagemaker")
    what = f"InferenceComponent/{name}"
    d = smx.describe_ic(sm, name)
    if d is None:
        raise not_found("roll back", what, aws)
    if d.get("EndpointName") != endpoint:
        raise AwsError(f"Cannot roll back {what}: it runs on Endpoint/{d.get('EndpointName')}, not on Endpoint/{endpoint}")
    tags = smx.tags_of(sm, d["InferenceComponentArn"], what)
    owner = policy.owner_of(tags)
    if owner is not None and (not stack or owner == stack) and not tags.get(COMPONENT_TAG) \
            and tags.get(ENDPOINT_TAG) == endpoint:
        raise AwsError(f"Cannot roll back {what} on its own: it is Endpoint/{endpoint}'s inline inferenceComponent, "
                       f"whose rollback point the endpoint keeps. Run `reconcile rollback {endpoint}`")
    if owner is None or tags.get(COMPONENT_TAG) != name or (stack and owner != stack):
        whose = "no reconcile stack" if owner is None else f"stack {owner!r}"
        mine = f"stack {stack!r}" if stack else "a reconcile stack"
        raise ConflictError(f"Cannot roll back {what}: it is not an InferenceComponent of {mine} (it belongs to "
                            f"{whose}); reconcile changes only what its stack owns. Nothing was changed")
    prev = tags.get(PREVIOUS_MODEL_TAG)
    live_model = (d.get("Specification") or {}).get("ModelName")
    if not prev:
        raise AwsError(f"Cannot roll back {what}: no previous model is recorded (its model was never updated by "
                       "reconcile)")
    if prev == live_model:
        raise AwsError(f"Cannot roll back {what}: it already runs its previous model {prev}")
    if sm.get("describe_model", f"Model/{prev}", ModelName=prev) is None:
        raise AwsError(f"Cannot roll back {what}: its previous model {prev} no longer exists")
    return d, tags, prev


def preview(aws: Any, endpoint: str, name: str, stack: str | None) -> list[str]:
    """What the rollback changes (read-only), shown before asking; AwsError/ConflictError when it cannot."""
    from reconciler.invoke import where
    from reconciler.kinds.endpoint.rollback import model_line

    d, _tags, prev = _target(aws, endpoint, name, stack)
    sm = aws.client("sagemaker")
    copies = (d.get("RuntimeConfig") or {}).get("DesiredCopyCount")
    return [f"Rolling back InferenceComponent/{name} on Endpoint/{endpoint} ({where(aws)}, "
            f"status {d.get('InferenceComponentStatus')}):",
            f"  from (serving now): {model_line(sm, (d.get('Specification') or {}).get('ModelName'))}",
            f"  to (ran before):    {model_line(sm, prev)}",
            f"  copies: {copies} (kept as they are; compute and startup unchanged)"]


def step(kind: Any, aws: Any, endpoint: str, name: str, stack: str | None, timeout: int) -> tuple[Step, str]:
    """(The rollback as a plan step (``PlanMode.rollback``), the stack that owns the component): the record
    swapped on the component first, then
    UpdateInferenceComponent to the previous model (its live compute and startup, no RuntimeConfig: the copy
    count stays), a wait that it runs that model; the record put back if AWS rolls the update back."""
    from reconciler.diff import diff, digest
    from reconciler.kinds.endpoint import requests as rq
    from reconciler.kinds.endpoint.state import read_model

    d, tags, prev = _target(aws, endpoint, name, stack)
    sm = aws.client("sagemaker")
    live = d.get("Specification") or {}
    old, arn = str(live.get("ModelName") or ""), d["InferenceComponentArn"]
    evidence = ops.by_tags(tags, now())
    recorded, undo = rq.record(name, arn, PREVIOUS_MODEL_TAG, old, prev, evidence)
    spec = {k: v for k, v in live.items() if k in ("ComputeResourceRequirements", "StartupParameters")}
    spec["ModelName"] = prev
    operations = recorded + rq.update_component(name, arn, evidence, spec, None, None, timeout,
                                                f"model {old} -> {prev}; compute, startup and copies stay", undo)
    before, after = read_model(aws, sm, old), read_model(aws, sm, prev)
    changes = tuple(kind.mask_change(c) for c in diff(before, after))
    state = {"model": old, **before, "copies": (d.get("RuntimeConfig") or {}).get("DesiredCopyCount")}
    copies = f"{state['copies']} cop{'y' if state['copies'] == 1 else 'ies'}"
    return Step(kind="InferenceComponent", name=name, action=Action.update, changes=changes, live_digest=digest(state),
                reason=f"rollback: model {old} -> {prev}; {copies} live, kept", operations=tuple(operations)), \
        str(policy.owner_of(tags))
