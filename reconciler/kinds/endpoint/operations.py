"""What apply does to an Endpoint: every call with its request, and every wait, decided at plan time.

Pure: a function of the desired state, the observed one (``state.read``: state + meta) and the facts read at
plan (``EndpointKind.plan_facts``: secret versions, this endpoint's models and configs). Content decides,
not names: a live model or config made by the SageMaker SDK or a script (other names) that already holds
what the manifest says is kept, and adopting such an endpoint only tags it. A model or config that exists
already (kept for rollback, left by an interrupted run) is used, never created again.

Update (AWS-FACTS.md): the new model and config, then the rollback point recorded on the endpoint
(``reconciler:previous-config``), UpdateEndpoint (RetainAllVariantProperties), and a wait that the endpoint
is InService on the new config with no new FailureReason; if AWS rolls the update back, the rollback point
is put back and the unused new config and model are deleted (``on_failure``). Only then the config before
last goes. A Failed endpoint, or a type change, is a replace: its components and the endpoint are deleted
(interrupting serving), waited until gone, and it is created again, reusing the model and config that hold
what the manifest says.
"""

from __future__ import annotations

from typing import Any

from reconciler import ops
from reconciler.kinds.base import Observed, OpContext, Refusal
from reconciler.kinds.endpoint import requests as rq
from reconciler.kinds.endpoint.autoscaling import Scope, settled, with_operations
from reconciler.kinds.endpoint.content import (
    config_name,
    config_request,
    ic_spec,
    model_name,
    strategy_text,
    unknown_model,
)
from reconciler.kinds.endpoint.naming import (
    ENDPOINT_TAG,
    INTERNAL_TAGS,
    MODEL_FIELDS,
    PREVIOUS_CONFIG_TAG,
    PREVIOUS_MODEL_TAG,
    SECRET_TAG_PREFIX,
    prefix,
)
from reconciler.kinds.endpoint.ownership import owns
from reconciler.kinds.endpoint.shapes import (
    compute,
    deployment_config,
    ic_deployment_config,
    ic_live,
    startup_of,
    startup_params,
)
from reconciler.plan import Operation, Ownership

SERVICE = rq.SERVICE
#: endpoint statuses that settle by themselves (apply waits); any other but InService needs an UpdateEndpoint
SETTLING = ("InService", "Creating", "Updating", "SystemUpdating", "RollingBack")
TRANSITIONAL = ("Creating", "Updating", "SystemUpdating", "RollingBack")


class Step:
    """One endpoint step being planned: what it knows and the evidence its calls carry."""

    def __init__(self, name: str, desired: dict[str, Any] | None, observed: Observed | None, ctx: OpContext):
        self.name, self.desired, self.obs, self.ctx = name, desired, observed, ctx
        self.meta = observed.meta if observed else {}
        self.read_at = observed.read_at if observed else None
        self.arn = observed.arn if observed else rq.arn(ctx, "endpoint", name)
        self.parts = {**(ctx.facts.get("parts") or {}), **(self.meta.get("parts") or {})}
        self.versions = ctx.facts.get("secretVersions") or {}
        self.timeout = rq.timeout(desired)
        self.tags = {**(desired or {}).get("tags", {}), ENDPOINT_TAG: name}

    @property
    def evidence(self) -> Ownership:
        """For the endpoint itself: its tags, or the adopt annotation (checked on its ARN)."""
        assert self.obs is not None
        return self.ctx.evidence(self.obs)

    def scope(self, created: bool) -> Scope:
        """Whose scaling: a part of the endpoint (its tags checked: ``basis: parent``; when adopting it, the
        adopt annotation, checked on the endpoint), or of the endpoint this step creates."""
        live = ops.created("endpoint") if self.obs is None else \
            ops.part_of(self.arn, self.obs.tags, self.read_at) if self.obs.stack == self.ctx.stack else \
            self.evidence.model_copy(update={"resource": self.arn})
        return Scope(live=live, after=ops.created("endpoint") if created else live, tags=self.tags,
                     read_at=self.read_at)

    def has(self, kind: str, name: str | None) -> bool:
        return bool(name) and f"{kind}/{name}" in self.parts

    def delete_part(self, kind: str, name: str, detail: str | None = None) -> Operation:
        """Delete a config or model of this endpoint, on the evidence of its own tags (read at plan)."""
        part = self.parts[f"{kind}/{name}"]
        evidence = ops.by_tags(part["tags"], self.read_at)
        return (rq.delete_config if kind == "config" else rq.delete_model)(name, part["arn"], evidence, detail)

    def component_evidence(self, c: dict[str, Any]) -> Ownership:
        if owns(c.get("tags") or {}, self.ctx.stack, self.name):
            return ops.by_tags(c["tags"], self.read_at)
        return ops.adopting(c.get("tags") or {}, self.read_at, self.ctx.adopt or "")  # (taken with the endpoint)

    def model(self) -> str | None:
        return model_name(self.name, self.desired or {}, self.versions) if "image" in (self.desired or {}) else None

    def refuse_taken(self, *names: tuple[str, str | None]) -> None:
        """A derived name that exists but is not this endpoint's own: refused at plan, never used."""
        taken = self.ctx.facts.get("taken") or {}
        for kind, n in names:
            if n and f"{kind}/{n}" in taken:
                raise Refusal(taken[f"{kind}/{n}"])


def operations(name: str, desired: dict[str, Any] | None, observed: Observed | None, ctx: OpContext,
               ) -> list[Operation]:
    """Every call and wait apply makes for one Endpoint step: create, update or delete (a replace:
    ``replace``), with the scaling calls in the order AWS needs."""
    s = Step(name, desired, observed, ctx)
    if desired is None:
        assert observed is not None
        calls = delete(s, None)  # (the step says why: no longer declared, or destroy)
    elif observed is None:
        calls = create(s)
        calls += leftovers(s, set(), keep={f"model/{s.model()}", f"config/{config_name(name, desired, s.model())}"})
    else:
        calls = update(s)
    state = observed.state if observed else None
    return with_operations(name, desired, state, s.meta, calls, s.scope(created=observed is None))


def replace(name: str, desired: dict[str, Any], observed: Observed, ctx: OpContext) -> list[Operation]:
    """A Failed endpoint or a type change: delete it (its components first), wait until it is gone, create it
    again. The model and config the manifest maps to are kept and used again; the others go."""
    s = Step(name, desired, observed, ctx)
    state = observed.state
    why = (f"it is Failed ({state.get('failed')}): AWS allows nothing but deleting a Failed endpoint"
           if state.get("failed") else f"type {state.get('type')} -> {desired['type']}: AWS cannot change it in place")
    model = s.model()
    reuse = {f"model/{model}", f"config/{config_name(name, desired, model)}"}
    calls = delete(s, why, keep=reuse) + create(s)
    return with_operations(name, desired, state, s.meta, calls, s.scope(created=True))


# ---- create ----------------------------------------------------------------------------------------------


def create(s: Step) -> list[Operation]:
    """Model, config (each unless it exists: kept, or made by an interrupted run), endpoint, its component."""
    d, name = s.desired or {}, s.name
    model = s.model()
    config = config_name(name, d, model)
    s.refuse_taken(("model", model), ("config", config))
    out = []
    if "image" in d and not s.has("model", model):
        out.append(rq.create_model(model or unknown_model(name), d, s.versions, s.tags, s.ctx))
    variant, extra, _ = config_request(d, model)
    cfg = config or f"{prefix(name)}-<hash>"
    if not s.has("config", cfg):
        out.append(rq.create_config(cfg, variant, extra, s.tags, s.ctx))
    out.append(ops.call(SERVICE, "CreateEndpoint", name, {"EndpointName": name, "EndpointConfigName": cfg,
                                                          "Tags": rq.tag_list(s.tags)},
                        id="endpoint", resource=rq.arn(s.ctx, "endpoint", name)))
    out.append(rq.endpoint_in_service(name, cfg, s.timeout, "CreateEndpoint"))
    ic = d.get("inferenceComponent") if d["type"] == "inference-component-based" else None
    if ic and "image" in d:
        out += rq.create_component(ic["name"], name, ic_spec(d, model or unknown_model(name)), ic["copies"], s.tags,
                                   s.ctx, s.timeout, f"{rq.count(ic['copies'])} of {model or 'the new model'}")
    return out + smoke(s)


def smoke(s: Step) -> list[Operation]:
    d = s.desired or {}
    if not d.get("smokeTest") or "image" not in d:  # (no model of its own: each InferenceComponent runs its own)
        return []
    return [rq.smoke_test(s.name, (d.get("inferenceComponent") or {}).get("name"), d["smokeTest"])]


def leftovers(s: Step, live: set[str], keep: set[str]) -> list[Operation]:
    """Delete this endpoint's configs, then models, that nothing uses or keeps (``live``: the plan's leftovers,
    e.g. of an interrupted run; for a create, every part of this endpoint the plan found but ``keep``)."""
    found = live | {k for k in s.parts if s.obs is None and (s.parts[k]["tags"] or {}).get(ENDPOINT_TAG) == s.name}
    return [s.delete_part(k.partition("/")[0], k.partition("/")[2], "leftover")
            for k in sorted(found) if k not in keep and k in s.parts]


# ---- delete ----------------------------------------------------------------------------------------------


def delete(s: Step, why: str | None, keep: set[str] = frozenset()) -> list[Operation]:  # type: ignore[assignment]
    """Components, the endpoint (waited until gone), then every config and model this stack made or adopted
    for it (the ones kept for rollback and leftovers included), but ``keep`` ("kind/name")."""
    meta, state = s.meta, (s.obs.state if s.obs else {})
    out = []
    for c in meta.get("components") or []:
        out += rq.delete_component(c["name"], c["arn"], s.component_evidence(c), s.timeout, c.get("status"),
                                   "before the endpoint")
    if not meta.get("orphan"):
        status = state.get("status")
        if status == "Deleting":
            out.append(rq.endpoint_deleted(s.name, s.timeout))
        else:
            if status in TRANSITIONAL:
                out.append(rq.endpoint_settled(s.name, s.timeout, str(status)))
            out.append(ops.call(SERVICE, "DeleteEndpoint", s.name, {"EndpointName": s.name}, resource=s.arn,
                                ownership=s.evidence, detail=why, interrupts=True))
            out.append(rq.endpoint_deleted(s.name, s.timeout))
    for kind in ("config", "model"):  # (configs first: AWS refuses nothing, but a config names its model)
        out += [s.delete_part(kind, key.partition("/")[2]) for key in sorted(s.parts)
                if key.startswith(kind + "/") and key not in keep]
    return out


# ---- update ----------------------------------------------------------------------------------------------


def update(s: Step) -> list[Operation]:
    """The update of a live endpoint of the desired type that is not Failed (those are replaced)."""
    assert s.obs is not None and s.desired is not None
    d, name = s.desired, s.name
    state, meta = settled(s.obs.state, s.meta, d)  # the autoscaler's count is no drift (autoscaling.py)
    status = state.get("status")
    if status == "Deleting":
        raise Refusal(f"Endpoint/{name} is being deleted (status Deleting): apply again once it is gone, "
                      "and it is created")
    ic_based = d["type"] == "inference-component-based"
    out: list[Operation] = []
    made: list[Operation] = []  # (the model and config this step creates: deleted again if the update fails)

    # the model
    live_model = meta.get("model")
    changed_model = [f for f in MODEL_FIELDS if state.get(f) != d.get(f)]
    want_model = s.model()
    if "image" not in d:  # components declared as InferenceComponent documents: no model of its own
        model = None
    elif live_model and not changed_model:
        model = live_model
    elif live_model and meta.get("modelMissing") and want_model == live_model:
        model = live_model
        out.append(rq.create_model(model, d, s.versions, s.tags, s.ctx, "recreate the model deleted outside "
                                                                          "reconcile, under the name in use"))
    else:
        model = want_model
        s.refuse_taken(("model", model))
        if not s.has("model", model) and model not in (meta.get("unplacedModels") or []):
            why = f"{', '.join(changed_model)} changed" if live_model and not meta.get("modelMissing") else "new model"
            made.append(rq.create_model(model or unknown_model(name), d, s.versions, s.tags, s.ctx, why))

    # the endpoint config and UpdateEndpoint
    missing = bool(meta.get("configMissing"))
    live_cfg = meta.get("config")
    config_changed = [f for f in ("instance",) + (() if ic_based else ("startup",)) if state.get(f) != d.get(f)]
    if ic_based and meta.get("configRole") != d["executionRole"] and not missing:
        config_changed.append("executionRole")
    stuck = status not in SETTLING
    needs_config = missing or bool(config_changed) or (not ic_based and model != live_model)
    config, update_endpoint = live_cfg, stuck
    if needs_config:
        config = config_name(name, d, model) or f"{prefix(name)}-<hash>"
        s.refuse_taken(("config", config))
        variant, extra, _ = config_request(d, model)
        if missing and config == live_cfg:
            out.append(rq.create_config(config, variant, extra, s.tags, s.ctx, "recreate the config deleted outside "
                                        "reconcile, under the name the endpoint uses; the endpoint keeps serving"))
        else:
            if not s.has("config", config):
                why = (f"{', '.join(config_changed)} changed" if config_changed and not missing else
                       "the live config was deleted outside reconcile" if missing else "runs the new model")
                made.append(rq.create_config(config, variant, extra, s.tags, s.ctx, why))
            update_endpoint = True
    pending = meta.get("pendingConfig")
    if update_endpoint and pending and pending == config and not stuck:
        # an update to exactly this config is in flight already (a run stopped while it waited): wait for it;
        # its model and config exist, nothing is created and nothing is sent again
        out.append(rq.endpoint_in_service(name, config, s.timeout, "UpdateEndpoint", meta.get("failureReason"),
                                          detail=f"an update to {config} a stopped run started"))
        update_endpoint, made = False, []
    elif status == "Creating" and not update_endpoint:  # (a create that timed out: it may still come up)
        out.insert(0, rq.endpoint_in_service(name, live_cfg, s.timeout, "CreateEndpoint", meta.get("failureReason")))
    elif status in TRANSITIONAL:
        out.insert(0, rq.endpoint_settled(name, s.timeout, str(status)))
    out += made
    if update_endpoint:
        out += rollout(s, state, meta, str(config), model, made)

    # the endpoint's own inference component
    if ic_based and d.get("inferenceComponent") and "image" in d:
        ic_ops = component_operations(s, model, meta)
        out += ic_ops
        prev_model = meta.get("previousModel")
        if model != live_model and prev_model and prev_model not in (model, live_model) and s.has("model", prev_model):
            out.append(s.delete_part("model", prev_model, "the model before last is no longer kept for rollback"))
    else:
        ic_ops = []

    # parts made outside reconcile, tags, leftovers; the smoke test once something changed. Every part being
    # adopted is tagged before the endpoint itself: a run killed in between leaves an endpoint not yet this
    # stack's, which the rerun adopts again (and an owned endpoint's untagged parts are found and tagged too)
    ours = s.obs.stack == s.ctx.stack
    for key, part in sorted((meta.get("untagged") or {}).items()):
        kind, _, n = key.partition("/")
        want = {k: v for k, v in s.tags.items() if part["tags"].get(k) != v}
        what = "config" if kind == "config" else "model"
        if ours:
            evidence = ops.part_of(s.arn, s.obs.tags, s.read_at)
            detail = (f"the {what} the endpoint runs carries no ownership tags (an adoption cut short): tagged as "
                      "part of the endpoint")
        else:
            evidence = ops.adopting(part["tags"], s.read_at, s.ctx.adopt or "")
            detail = f"{what} made outside reconcile: adopted (reconciler:endpoint and ownership tags)"
        out.append(rq.add_tags(n, part["arn"], want, evidence, detail))
    out += secret_tags(s, model)
    for c in meta.get("components") or []:
        if not owns(c.get("tags") or {}, s.ctx.stack, name) and c["name"] not in {o.target for o in ic_ops
                                                                                  if o.action.startswith("Delete")}:
            want = {k: v for k, v in s.tags.items() if (c.get("tags") or {}).get(k) != v}
            out.append(rq.add_tags(c["name"], c["arn"], want, s.component_evidence(c),
                                   "its inference component, taken with the endpoint"))
    live_tags = {k: v for k, v in (meta.get("endpointTags") or {}).items() if k not in INTERNAL_TAGS}
    out += rq.tag_changes(name, s.arn, live_tags, s.tags, s.evidence, ignore=INTERNAL_TAGS)
    keep = {str(o.target) for o in out}
    out += [s.delete_part("model", n, "leftover") for n in meta.get("unplacedModels") or []
            if n != model and s.has("model", n)]
    out += leftovers(s, set(state.get("leftovers") or []), keep={f"config/{n}" for n in keep | {config or ""}}
                     | {f"model/{n}" for n in keep | {model or ""}})
    if update_endpoint or any(o.action in ("CreateInferenceComponent", "UpdateInferenceComponent",
                                           "UpdateInferenceComponentRuntimeConfig") for o in ic_ops):
        out += smoke(s)
    return out


def secret_tags(s: Step, model: str | None) -> list[Operation]:
    """The live model kept because a declared secret holds the value it has as plain text (read at plan,
    ``secret_adoption``): tag it as reconcile tags the models it makes, naming the secret version."""
    same = s.meta.get("secretTags") or {}
    key = f"model/{model}"
    if not same or model != s.meta.get("model"):
        return []
    untagged = (s.meta.get("untagged") or {}).get(key)
    part = untagged or s.parts.get(key)
    if part is None:  # (not this stack's, nor one it adopts: never tagged)
        return []
    evidence = (ops.by_tags(part["tags"], s.read_at) if untagged is None else
                ops.part_of(s.arn, s.obs.tags, s.read_at) if s.obs is not None and s.obs.stack == s.ctx.stack else
                ops.adopting(part["tags"], s.read_at, s.ctx.adopt or ""))
    return [rq.add_tags(str(model), part["arn"], {SECRET_TAG_PREFIX + k: v for k, v in same.items()}, evidence,
                        f"{', '.join(sorted(same))}: same value as the live model: adopted with tags only")]


def rollout(s: Step, state: dict[str, Any], meta: dict[str, Any], config: str, model: str | None,
            made: list[Operation]) -> list[Operation]:
    """Record the rollback point, UpdateEndpoint, wait until InService on ``config``; if AWS rolls the update
    back, put the record back and delete what ``made`` created. Then the config before last goes."""
    d, name = s.desired or {}, s.name
    live_cfg = meta.get("config")
    moving = config != live_cfg and not meta.get("configMissing")
    recorded, undo = rq.record(name, s.arn, PREVIOUS_CONFIG_TAG, live_cfg if moving else "", meta.get("previousConfig"),
                               s.evidence)
    undo += tuple(rq.delete_config(o.target, str(o.resource), ops.created(str(o.id))) if o.action.endswith("Config")
                  else rq.delete_model(o.target, str(o.resource), ops.created(str(o.id)))
                  for o in reversed(made))
    request: dict[str, Any] = {"EndpointName": name, "EndpointConfigName": config, "RetainAllVariantProperties": True}
    if (state.get("instance") or {}).get("count") != d["instance"]["count"]:
        # the manifest changed the count: apply it; otherwise keep what autoscaling set
        request["ExcludeRetainedVariantProperties"] = [{"VariantPropertyType": "DesiredInstanceCount"}]
    dc = deployment_config(d.get("deployment") or {})
    if dc:
        request["DeploymentConfig"] = dc
    out = recorded + [
        ops.call(SERVICE, "UpdateEndpoint", name, request, resource=s.arn, ownership=s.evidence, on_failure=undo,
                 detail=f"{strategy_text(d.get('deployment') or {})}; the old fleet serves until the new one is "
                        "InService"),
        rq.endpoint_in_service(name, config, s.timeout, "UpdateEndpoint", meta.get("failureReason"), undo)]
    prev = meta.get("previousConfig")
    if moving and prev and prev not in (config, live_cfg) and s.has("config", prev):
        out.append(s.delete_part("config", prev, "the config before last is no longer kept for rollback"))
        prev_model = meta.get("previousModelOfConfig")
        if prev_model and prev_model not in (model, meta.get("model")) and s.has("model", prev_model):
            out.append(s.delete_part("model", prev_model, "its model"))
    return out


# ---- the endpoint's own inference component ------------------------------------------------------------


def has_room(desired: dict[str, Any], meta: dict[str, Any]) -> bool:
    """True when the instances can take a second component while the first still serves: managed instance
    scaling may add an instance. (Spare accelerators on fixed instances are not known here.)"""
    scaling = (desired.get("instance") or {}).get("managedScaling")
    now = meta.get("instanceCount") or (desired.get("instance") or {}).get("count") or 0
    return scaling is not None and int(scaling["maxCount"]) > int(now)


def component_operations(s: Step, model: str | None, meta: dict[str, Any]) -> list[Operation]:
    """Update the component in place where it exists; create a missing one before deleting the one it replaces
    where the instances have room, else delete first (interrupts serving)."""
    d = s.desired or {}
    want = d["inferenceComponent"]
    comps = meta.get("components") or []
    mine = next((c for c in comps if c["name"] == want["name"]), None)
    others = [c for c in comps if c["name"] != want["name"]]
    spec = ic_spec(d, model or "")
    out: list[Operation] = []
    if mine is not None and mine.get("status") == "Failed":
        out += rq.delete_component(mine["name"], mine["arn"], s.component_evidence(mine), s.timeout, "Failed",
                                   "it is Failed; it is created again")
        mine = None
    if mine is None:
        serving = [c for c in others if c.get("status") != "Failed"]
        detail = f"{rq.count(want['copies'])} of {model or 'the new model'}"
        if serving and has_room(d, meta):
            detail += (f"; created before {', '.join(c['name'] for c in serving)} is deleted: managed instance "
                       "scaling has room for both")
        elif serving:
            for c in serving:
                out += rq.delete_component(c["name"], c["arn"], s.component_evidence(c), s.timeout, c.get("status"),
                                           f"replaced by {want['name']}; no room known for both on the instances "
                                           "(fixed count), so it goes first")
            others = [c for c in others if c not in serving]
        out += rq.create_component(want["name"], s.name, spec, want["copies"], s.tags, s.ctx, s.timeout, detail)
    else:
        evidence = s.component_evidence(mine)
        same = (mine.get("model") == model
                and compute(ic_live({"ComputeResourceRequirements": mine.get("compute")})) == spec["ComputeResourceRequirements"]
                and startup_params(startup_of(mine.get("startup") or {})) == spec.get("StartupParameters", {}))
        if mine.get("status") in ("Creating", "Updating") and not same:
            out.append(rq.component_settled(mine["name"], s.timeout, mine["status"]))
        if not same:
            dep = d.get("deployment") or {}
            how = strategy_text(dep) if dep.get("strategy") == "rolling" else "blue/green"
            moving = bool(mine.get("model")) and mine.get("model") != model
            what = f"model {mine.get('model')} -> {model}" if moving else "compute/startup changed"
            recorded, undo = rq.record(s.name, s.arn, PREVIOUS_MODEL_TAG, mine.get("model") if moving else "",
                                       meta.get("previousModel"), s.evidence)
            out += recorded + rq.update_component(
                mine["name"], mine["arn"], evidence, spec, None if d.get("autoscaling") else want["copies"],
                ic_deployment_config(dep), s.timeout, f"{what}; {how}", undo)
        elif mine.get("copies") != want["copies"]:
            out += rq.runtime_config(mine["name"], mine["arn"], evidence, want["copies"], s.timeout,
                                     f"copies {mine.get('copies')} -> {want['copies']}")
        elif mine.get("status") in ("Creating", "Updating"):
            out.append(rq.component_in_service(mine["name"], model, s.timeout, "CreateInferenceComponent"))
    for c in others:
        out += rq.delete_component(c["name"], c["arn"], s.component_evidence(c), s.timeout, c.get("status"),
                                   f"no longer declared; after {want['name']} is InService", interrupts=False)
    return out
