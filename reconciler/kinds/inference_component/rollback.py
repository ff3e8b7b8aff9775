"""``reconcile rollback ENDPOINT --inference-component NAME``: move one InferenceComponent back to the model
it ran before its last model update.

Where the rollback point lives: on the component itself, as the tag ``reconciler:previous-model`` on its
ARN (the Endpoint shorthand keeps the same tag on its endpoint). Apply writes it *before* the
UpdateInferenceComponent that moves the component off that model (so a run killed while waiting still
knows), puts it back when the update fails, and keeps the model it names (cleanup, the plan's DeleteModel
and leftovers never delete it; prune and destroy delete it with the component, as every model this stack
made for it). A rollback swaps the record the same way, so a second rollback goes forward again.

A rollback changes only the component's model: its compute and startup stay as they run, and no
RuntimeConfig is sent, so the copy count (an autoscaler's, or the manifest's) stays as it is.

It refuses, writing nothing, a component that does not exist, runs on another endpoint, is not this
stack's own InferenceComponent (a hand-made one, another stack's, or an Endpoint's inline component: that
one rolls back with ``reconcile rollback ENDPOINT``), has no previous model recorded, or whose previous
model is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler import policy
from reconciler.aws import sagemaker as smx
from reconciler.errors import AwsError, ConflictError
from reconciler.kinds.endpoint.naming import COMPONENT_TAG, ENDPOINT_TAG, PREVIOUS_MODEL_TAG


def record(sm: Any, arn: str, what: str, value: str, live_tags: dict[str, str]) -> str | None:
    """Tag the component with its rollback point ``value`` before the call that moves it off ``value``;
    ``live_tags`` is updated in place. Returns the point recorded until now (for ``restore``)."""
    before = live_tags.get(PREVIOUS_MODEL_TAG)
    if value and before != value:
        sm.call("add_tags", what, ResourceArn=arn, Tags=[{"Key": PREVIOUS_MODEL_TAG, "Value": value}])
        live_tags[PREVIOUS_MODEL_TAG] = value
    return before


def restore(sm: Any, arn: str, what: str, before: str | None, live_tags: dict[str, str]) -> None:
    """After a failed update: the component still runs what it ran, so its rollback point is the one before."""
    if live_tags.get(PREVIOUS_MODEL_TAG) == before:
        return
    if before:
        sm.call("add_tags", what, ResourceArn=arn, Tags=[{"Key": PREVIOUS_MODEL_TAG, "Value": before}])
        live_tags[PREVIOUS_MODEL_TAG] = before
    else:
        sm.call("delete_tags", what, ResourceArn=arn, TagKeys=[PREVIOUS_MODEL_TAG])
        live_tags.pop(PREVIOUS_MODEL_TAG, None)


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
    from reconciler.kinds.endpoint.rollback_preview import _model_line

    d, _tags, prev = _target(aws, endpoint, name, stack)
    sm = aws.client("sagemaker")
    copies = (d.get("RuntimeConfig") or {}).get("DesiredCopyCount")
    return [f"Rolling back InferenceComponent/{name} on Endpoint/{endpoint} ({where(aws)}, "
            f"status {d.get('InferenceComponentStatus')}):",
            f"  from (serving now): {_model_line(sm, (d.get('Specification') or {}).get('ModelName'))}",
            f"  to (ran before):    {_model_line(sm, prev)}",
            f"  copies: {copies} (kept as they are; compute and startup unchanged)"]


def rollback(ctx: Any, endpoint: str, name: str, timeout: float | None = None) -> str:
    """Move the component back to its previous model and swap the record; 'model OLD -> PREV'."""
    sm = ctx.aws.client("sagemaker")
    what = f"InferenceComponent/{name}"
    timeout = timeout or smx.DEFAULT_TIMEOUT
    smx.wait_ic_settled(sm, name, progress=ctx.progress, timeout=timeout)
    d, tags, prev = _target(ctx.aws, endpoint, name, ctx.stack or None)
    live = d.get("Specification") or {}
    old = live.get("ModelName") or ""
    spec = {k: v for k, v in live.items() if k in ("ComputeResourceRequirements", "StartupParameters")}
    spec["ModelName"] = prev
    arn = d["InferenceComponentArn"]
    ctx.progress(f"{what}: rolling back from model {old} to {prev}")
    before = record(sm, arn, what, old, tags)  # the record swapped first: a kill while waiting keeps it right
    sm.call("update_inference_component", what, InferenceComponentName=name, Specification=spec)  # (no CopyCount)
    try:
        smx.wait_ic(sm, name, progress=ctx.progress, timeout=timeout, want_model=prev, action="roll back")
    except smx.WaitTimeout:
        raise
    except AwsError:
        restore(sm, arn, what, before, tags)
        raise
    return f"model {old} -> {prev}"


def command(target: Any, stack: str, endpoint: str, name: str, timeout: float, progress: Callable[[str], None],
            confirm: Callable[[], None], echo: Callable[[str], None]) -> None:
    """The CLI's ``rollback ENDPOINT --inference-component NAME``: show from/to, ask, roll back, say what to do next."""
    from reconciler.kinds.base import ApplyContext

    echo("\n".join(preview(target.aws, endpoint, name, stack or None)))
    confirm()
    ctx = ApplyContext(aws=target.aws, stack=stack, account=target.account, region=target.region,
                       partition=target.aws.partition, progress=progress)
    done = rollback(ctx, endpoint, name, timeout)
    echo(f"Rolled back InferenceComponent/{name}: {done}. Revert the manifest change too, or the next apply "
         "rolls forward again.")
