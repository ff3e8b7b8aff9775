"""Apply as an interpreter: run a step's operations exactly as the plan lists them, in order.

Nothing here knows a kind. For each operation:

1. its ownership evidence is re-checked at that moment (``tags``, ``adopt``, ``parent``: the resource's tags
   are read again and must still say what they said; a delete or replace step also refuses a resource
   protected since the plan); ``created`` needs nothing (an earlier operation of the step made it);
2. references in its request are filled in: ``$output`` (what an earlier operation answered), ``$secret``
   (read from Secrets Manager now, never shown or logged), ``$zip`` (code built from the repository and
   checked against the plan's digest), ``$json``, ``$concat`` (one string), ``$fingerprint`` (a value's slow
   salted digest, see ``reconciler.artifacts.fingerprint``);
3. it runs: an AWS call through the adapter (``Delete*``, ``Detach*``, ``Remove*``, ``Deregister*`` and
   ``Untag*`` of something already gone count as done), a wait (``Wait``: polled until it holds), or a
   local action (``local``: a secret file written with mode 0600). A call registered in ``RETRIES`` is run
   again while AWS answers "not yet" (Lambda or SageMaker cannot assume a role IAM has not propagated): the
   same request.

A create whose answer was lost (the retry meets "already exists") is done when the resource carries this
stack's tags: AWS did exactly what the operation asked.

When an operation fails with a known outcome (not ``Unsettled``: a wait that timed out), its ``on_failure``
operations run, in order and best effort (each one's own failure is reported, not raised), then the run
stops with the original error: e.g. an update AWS rolled back puts back the rollback record written before it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reconciler.errors import AwsError, ConflictError, ReconcileError, Unsettled
from reconciler.kinds.base import ApplyContext
from reconciler.plan import Action, Operation, Step

#: error codes meaning "a resource of that name exists already"
ALREADY_EXISTS = ("EntityAlreadyExists", "ResourceConflictException", "ResourceExistsException", "ConflictException")
#: actions for which "not found" means "already done"
GONE_IS_DONE = ("Delete", "Detach", "Remove", "Deregister", "Untag")

Waiter = Callable[[Any, dict[str, Any], ApplyContext], Any]
WAITERS: dict[str, Waiter] = {}
LOCAL: dict[str, Callable[[dict[str, Any]], Any]] = {}
#: (service, action) -> ``fn(call, progress)``: runs the call (given as a function) again while AWS answers "not yet"
#: (a role IAM has not propagated yet), saying so through ``progress`` (registered beside the waits, in
#: reconciler/aws/waits.py); the request stays exactly the operation's
RETRIES: dict[tuple[str, str], Callable[[Callable[[], Any], Callable[[str], None]], Any]] = {}


def waiter(name: str) -> Callable[[Waiter], Waiter]:
    """Register a wait (``Operation.request["for"]``) by name."""

    def register(fn: Waiter) -> Waiter:
        WAITERS[name] = fn
        return fn

    return register


def run(step: Step, ctx: ApplyContext) -> dict[str, Any]:
    """Run ``step``'s operations in order; the first failure stops the step (AwsError names the call).
    Returns what the operations with an id answered."""
    outputs: dict[str, Any] = {}
    deleting = step.action in (Action.delete, Action.replace)
    for op in step.operations:
        try:
            answer = one(op, step, ctx, deleting, outputs)
        except AwsError as e:
            if op.on_failure and not isinstance(e, Unsettled):
                compensate(op, e, step, ctx, deleting, outputs)
            raise
        if op.id:
            outputs[op.id] = answer
    return {k: v for k, v in outputs.items() if not k.startswith("$")}


def one(op: Operation, step: Step, ctx: ApplyContext, deleting: bool, outputs: dict[str, Any]) -> Any:
    recheck(op, step, ctx, deleting)
    request = resolve(op.request, outputs, ctx)
    if op.writes:
        ctx.progress(f"{step.id}: {op.action} {op.target}" + (f" ({op.detail})" if op.detail else ""))
    return dispatch(op, request, step, ctx)


def compensate(failed: Operation, err: AwsError, step: Step, ctx: ApplyContext, deleting: bool,
               outputs: dict[str, Any]) -> None:
    """``failed.on_failure``, in order, best effort: a compensation that fails is reported, the next still runs."""
    ctx.progress(f"{step.id}: {failed.action} {failed.target} failed; undoing what the plan says to undo")
    for op in failed.on_failure:
        try:
            one(op, step, ctx, deleting, outputs)
        except ReconcileError as e:
            ctx.progress(f"{step.id}: could not {op.action} {op.target} after the failure: {e}")


def dispatch(op: Operation, request: dict[str, Any], step: Step, ctx: ApplyContext) -> Any:
    if op.service == "local":
        return LOCAL[op.action](request)
    _load_waiters()
    if op.action == "Wait":
        return WAITERS[request["for"]](ctx.aws, request, ctx)
    from botocore import xform_name

    client, method = ctx.aws.client(op.service), xform_name(op.action)
    if op.action.startswith(GONE_IS_DONE):
        return client.get(method, step.id, **request) or {}
    retrying = RETRIES.get((op.service, op.action), lambda call, _progress: call())
    try:
        return retrying(lambda: client.call(method, step.id, **request), ctx.progress)
    except AwsError as e:
        if not op.action.startswith("Create") or not _exists(e) or not op.resource:
            raise
        from reconciler.aws.tags import tags_of
        from reconciler.policy import owner_of

        tags = tags_of(ctx.aws, op.resource)
        if tags is None or owner_of(tags) != ctx.stack:
            raise
        ctx.progress(f"{step.id} exists already with this stack's tags (an earlier answer was lost); continuing")
        return {}


def _exists(e: AwsError) -> bool:
    return e.code in ALREADY_EXISTS or "already exist" in str(e).lower()


def recheck(op: Operation, step: Step, ctx: ApplyContext, deleting: bool) -> None:
    """Refuse ``op`` (nothing more is done) when its ownership evidence no longer holds."""
    ev = op.ownership
    if ev is None or ev.basis == "created":
        return
    from reconciler import PREVENT_DESTROY_TAG
    from reconciler.aws.tags import tags_of
    from reconciler.policy import owner_of

    arn = ev.resource or op.resource  # (evidence naming a resource, e.g. a part's parent, is checked on it)
    if not arn:
        raise ReconcileError(f"{step.id}: {op.action} {op.target} carries no resource to check its ownership on; "
                             "make the plan again")
    tags = tags_of(ctx.aws, arn)
    if tags is None:
        return  # gone: a delete finds nothing to do; any other call fails with AWS's own answer
    owner = owner_of(tags)
    verb = "delete" if deleting else "change"
    if ev.basis == "adopt":
        if owner not in (None, ctx.stack):
            raise ConflictError(f"refusing to {verb} {step.id}: since the plan was made (adopting it) it became owned "
                                f"by stack {owner!r}; nothing more was changed")
        return
    if owner != ctx.stack:
        who = f"stack {owner!r}" if owner else "no reconcile stack (its ownership tags changed)"
        raise ConflictError(f"refusing to {verb} {step.id}: since the plan was made it became owned by {who}, "
                            f"not by stack {ctx.stack!r}; nothing more was {verb}d")
    if deleting and tags.get(PREVENT_DESTROY_TAG, "").lower() == "true" and \
            ev.tags.get(PREVENT_DESTROY_TAG, "").lower() != "true":
        raise ConflictError(f"refusing to delete {step.id}: it was protected (reconciler:prevent-destroy) since the "
                            "plan was made; nothing more was deleted")


def resolve(value: Any, outputs: dict[str, Any], ctx: ApplyContext) -> Any:
    """``value`` with every reference filled in."""
    if isinstance(value, list):
        return [resolve(v, outputs, ctx) for v in value]
    if not isinstance(value, dict):
        return value
    if "$output" in value:
        got: Any = outputs.get(value["$output"])
        if got is None:
            raise ReconcileError(f"operation {value['$output']!r} gave no answer to take {value.get('path')} from; "
                                 "run apply again (it continues from the live state)")
        for part in str(value.get("path", "")).split("."):
            got = got[part] if part else got
        return got
    if "$json" in value:
        return json.dumps(resolve(value["$json"], outputs, ctx), sort_keys=True)
    if "$concat" in value:
        return "".join(str(resolve(v, outputs, ctx)) for v in value["$concat"])
    if "$fingerprint" in value:
        from reconciler.artifacts import fingerprint

        return fingerprint(str(resolve(value["$fingerprint"], outputs, ctx)), value["salt"])
    if "$zip" in value:
        from reconciler.artifacts import built_zip

        return built_zip(value["$zip"], value["sha256"], ctx.options.get("manifests"))
    if "$secret" in value:
        key = f"$secret:{value['$secret']}@{value.get('version')}"  # (one read per version and step)
        if key not in outputs:
            outputs[key] = _secret(value, ctx)
        return outputs[key]
    return {k: resolve(v, outputs, ctx) for k, v in value.items()}


def _secret(ref: dict[str, Any], ctx: ApplyContext) -> str:
    """A Secrets Manager value (the version the plan names): read here only, never logged."""
    kwargs = {"SecretId": ref["$secret"], **({"VersionId": ref["version"]} if ref.get("version") else {})}
    got = ctx.aws.client("secretsmanager").call("get_secret_value", f"secret {ref['$secret']}", **kwargs)
    return str(got["SecretString"]) if "SecretString" in got else bytes(got.get("SecretBinary", b"")).decode()


def _write_secret_file(request: dict[str, Any]) -> None:
    from reconciler.localfiles import write_private

    write_private(request["Path"], request["Content"])


LOCAL["WriteSecretFile"] = _write_secret_file


def _load_waiters() -> None:
    """The waits (and retries) live beside their adapters (reconciler/aws/waits.py); imported on first use."""
    import reconciler.aws.waits  # noqa: F401
