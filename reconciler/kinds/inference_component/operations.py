"""What apply does to an InferenceComponent: every call with its request and every wait, decided at plan time.

Pure: a function of the desired state, the observed one (``state.read``) and the facts read at plan
(``state.plan_facts``: secret versions, this component's models). Content decides: the model is
``<component>-<hash of content and secret versions>``; one that exists (kept for rollback, left by an
interrupted run) is used, never created again.

Create: the model, the component (waited InService), the smoke test. Update: UpdateInferenceComponent for a
new model, compute or startup (the model it leaves recorded first on the component as its rollback point,
put back if AWS rolls the update back), UpdateInferenceComponentRuntimeConfig for copies alone; then the
model before last goes. Delete (and a replace, when it is Failed or moves to another endpoint): the
component, waited until gone, then its models.
"""

from __future__ import annotations

from typing import Any

from reconciler import ops
from reconciler.kinds.base import Observed, OpContext, Refusal
from reconciler.kinds.endpoint import requests as rq
from reconciler.kinds.endpoint.autoscaling import Scope
from reconciler.kinds.endpoint.content import ic_spec, model_name, strategy_text, unknown_model
from reconciler.kinds.endpoint.naming import COMPONENT_TAG, MODEL_FIELDS, PREVIOUS_MODEL_TAG
from reconciler.kinds.endpoint.shapes import ic_deployment_config
from reconciler.kinds.inference_component import scaling
from reconciler.plan import Operation

TRANSITIONAL = ("Creating", "Updating")


class Step:
    """One component step being planned: what it knows and the evidence its calls carry."""

    def __init__(self, name: str, desired: dict[str, Any] | None, observed: Observed | None, ctx: OpContext):
        self.name, self.desired, self.obs, self.ctx = name, desired, observed, ctx
        self.meta = observed.meta if observed else {}
        self.read_at = observed.read_at if observed else None
        self.arn = observed.arn if observed else rq.arn(ctx, "component", name)
        self.models = {**(ctx.facts.get("models") or {}), **(self.meta.get("models") or {})}
        self.versions = ctx.facts.get("secretVersions") or {}
        self.timeout = rq.timeout(desired)
        self.tags = {**(desired or {}).get("tags", {}), COMPONENT_TAG: name}

    def model(self) -> str | None:
        return model_name(self.name, self.desired or {}, self.versions)

    def evidence(self) -> Any:
        assert self.obs is not None
        return self.ctx.evidence(self.obs)

    def delete_model(self, n: str, detail: str | None = None) -> Operation:
        m = self.models[n]
        return rq.delete_model(n, m["arn"], ops.by_tags(m["tags"], self.read_at), detail)

    def scope(self, created: bool) -> Scope:
        """Whose scaling: a part of the component (its tags checked), or of the one this step creates."""
        live = ops.created("component") if self.obs is None else \
            ops.part_of(self.arn, self.meta.get("tags") or self.obs.tags, self.read_at) \
            if self.obs.stack == self.ctx.stack else self.evidence().model_copy(update={"resource": self.arn})
        return Scope(live=live, after=ops.created("component") if created else live, tags=self.tags,
                     read_at=self.read_at)


def operations(name: str, desired: dict[str, Any] | None, observed: Observed | None, ctx: OpContext,
               ) -> list[Operation]:
    s = Step(name, desired, observed, ctx)
    if desired is None:
        calls = delete(s)
    elif observed is None:
        calls = create(s)
    else:
        calls = update(s)
    state = observed.state if observed else None
    return scaling.with_operations(name, desired, state, s.meta, calls, s.scope(created=observed is None))


def replace(name: str, desired: dict[str, Any], observed: Observed, ctx: OpContext) -> list[Operation]:
    """Failed, or on another endpoint: delete it (waited until gone), create it again with the model it needs
    (kept when it exists), its other models deleted."""
    s = Step(name, desired, observed, ctx)
    state = observed.state
    why = "it is Failed" if state.get("failed") else f"endpoint {state.get('endpoint')} -> {desired['endpoint']}"
    calls = delete(s, f"{why}: created again", keep={s.model() or ""}) + create(s)
    return scaling.with_operations(name, desired, state, s.meta, calls, s.scope(created=True))


def delete(s: Step, why: str | None = None, keep: set[str] = frozenset()) -> list[Operation]:  # type: ignore[assignment]
    assert s.obs is not None
    out = rq.delete_component(s.name, s.arn, s.evidence(), s.timeout, s.obs.state.get("status"), why)
    return out + [s.delete_model(m, "its model") for m in s.models if m not in keep]


def create(s: Step) -> list[Operation]:
    d = s.desired or {}
    model = s.model()
    taken = (s.ctx.facts.get("taken") or {}).get(f"model/{model}")
    if taken:
        raise Refusal(taken)
    shown = model or unknown_model(s.name)
    out = [] if model in s.models else [rq.create_model(shown, d, s.versions, s.tags, s.ctx)]
    detail = f"{rq.count(d['copies'])} of {shown} on Endpoint/{d['endpoint']}" + (
        f"; {d['_placement']}" if d.get("_placement") else "")
    out += rq.create_component(s.name, d["endpoint"], spec(d, shown), d["copies"], s.tags, s.ctx, s.timeout, detail,
                               op_id="component")
    if s.obs is None:  # (a replace deleted the others already)
        out += [s.delete_model(m, "no longer used") for m in s.models if m != model]
    return out + smoke(s)


def spec(desired: dict[str, Any], model: str) -> dict[str, Any]:
    return ic_spec(desired, model, desired["compute"])


def smoke(s: Step) -> list[Operation]:
    test = (s.desired or {}).get("smokeTest")
    return [rq.smoke_test((s.desired or {})["endpoint"], s.name, test)] if test else []


def update(s: Step) -> list[Operation]:
    assert s.obs is not None and s.desired is not None
    d, name, meta = s.desired, s.name, s.meta
    state = scaling.settle(s.obs.state, d)  # the autoscaler's copy count is no drift
    status = state.get("status")
    live_model = meta.get("model")
    changed_model = [f for f in MODEL_FIELDS if state.get(f) != d.get(f)]
    want = s.model()
    model = live_model if live_model and not changed_model else want
    shown = model or unknown_model(name)
    moving = bool(live_model) and model != live_model  # the model it leaves becomes its rollback point
    prev = meta.get("previousModel")
    if moving and status == "Updating" and prev == live_model and model in s.models:
        # a run stopped while it waited: it recorded the live model as the rollback point just before its
        # UpdateInferenceComponent to ``model`` (made already). Wait for that update; nothing is sent again
        return [rq.component_in_service(name, model, s.timeout, "UpdateInferenceComponent")] + [
            s.delete_model(m, "the model before last is no longer kept for rollback") for m in s.models
            if m not in (model, live_model)] + smoke(s)
    out: list[Operation] = []
    if model != live_model and model not in s.models:
        taken = (s.ctx.facts.get("taken") or {}).get(f"model/{model}")
        if taken:
            raise Refusal(taken)
        out.append(rq.create_model(shown, d, s.versions, s.tags, s.ctx, f"{', '.join(changed_model)} changed"))
    changed = False
    if model != live_model or state.get("compute") != d["compute"] or state.get("startup") != d["startup"]:
        if status in TRANSITIONAL:
            out.append(rq.component_settled(name, s.timeout, str(status)))
        dep = d.get("deployment") or {}
        how = strategy_text(dep) if dep.get("strategy") == "rolling" else "blue/green"
        what = f"model {live_model} -> {shown}" if moving else "compute/startup changed"
        recorded, undo = rq.record(name, s.arn, PREVIOUS_MODEL_TAG, live_model if moving else "", prev, s.evidence())
        copies = None if d.get("autoscaling") and state.get("copies") == d["copies"] else d["copies"]
        out += recorded + rq.update_component(name, s.arn, s.evidence(), spec(d, shown), copies,
                                              ic_deployment_config(dep), s.timeout, f"{what}; {how}", undo)
        changed = True
    elif state.get("copies") != d["copies"]:
        out += rq.runtime_config(name, s.arn, s.evidence(), d["copies"], s.timeout,
                                 f"copies {state.get('copies')} -> {d['copies']}"
                                 + (f"; {d['_placement']}" if d.get("_placement") else ""))
        changed = True
    elif status != "InService":
        out.append(rq.component_in_service(name, model, s.timeout, "CreateInferenceComponent"))
    live_tags = {k: v for k, v in (meta.get("tags") or {}).items() if k != PREVIOUS_MODEL_TAG}
    out += rq.tag_changes(name, s.arn, live_tags, s.tags, s.evidence(), ignore=(PREVIOUS_MODEL_TAG,))
    keep = {model, live_model} if moving else {model, live_model, prev}  # (the rollback point is kept)
    out += [s.delete_model(m, "the model before last is no longer kept for rollback" if m == prev else "no longer used")
            for m in s.models if m not in keep]
    return out + (smoke(s) if changed else [])
