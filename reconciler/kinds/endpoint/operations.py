"""What apply will do to an Endpoint: the AWS calls, decided by content, not by names.

One pure function of the desired state and the observed one (state + meta from ``state.read``) makes
the decision; plan shows it (``Step.operations``) and apply's ``rollout.update`` runs it, so the two
cannot disagree. Content decides: a live model or config made by the SageMaker SDK or a script (other
names) that already holds what the manifest says is kept, and adopting such an endpoint only tags it.
Names decide only whether a deleted config/model can be recreated under the name the endpoint still uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.kinds.endpoint.autoscaling import settled
from reconciler.kinds.endpoint.naming import VARIANT, derived_name, is_derived, prefix
from reconciler.kinds.endpoint.shapes import compute, ic_live, startup_of, startup_params
from reconciler.plan import Operation

SERVICE = "sagemaker"
MODEL_FIELDS = ("image", "environment", "executionRole")
#: endpoint statuses that settle by themselves (apply waits); any other but InService needs an UpdateEndpoint
SETTLING = ("InService", "Creating", "Updating", "SystemUpdating", "RollingBack")


def op(action: str, target: str, detail: str | None = None, interrupts: bool = False) -> Operation:
    return Operation(service=SERVICE, action=action, target=target, detail=detail, interrupts_serving=interrupts)


def copies(n: int) -> str:
    return f"{n} cop{'y' if n == 1 else 'ies'}"


# ---- content and the names derived from it -------------------------------------------------------


def secret_keys(desired: dict[str, Any]) -> list[str]:
    return sorted(k for k, v in (desired.get("environment") or {}).items() if isinstance(v, dict))


def model_content(desired: dict[str, Any], versions: dict[str, str]) -> dict[str, Any]:
    return {"image": desired["image"], "environment": dict(desired["environment"]), "secrets": versions,
            "executionRole": desired["executionRole"]}


def model_name(name: str, desired: dict[str, Any], versions: dict[str, str] | None) -> str | None:
    """The content-derived name of the model ``desired`` needs; None while a secret's version is unknown."""
    keys = secret_keys(desired)
    if keys and (versions is None or any(k not in versions for k in keys)):
        return None
    return derived_name(name, model_content(desired, {k: versions[k] for k in keys} if versions else {}))


def config_request(desired: dict[str, Any], model: str | None) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(production variant, other CreateEndpointConfig arguments, content the config's name derives from)."""
    inst = desired["instance"]
    variant: dict[str, Any] = {"VariantName": VARIANT, "InstanceType": inst["type"],
                               "InitialInstanceCount": inst["count"]}
    kwargs: dict[str, Any] = {}
    if desired["type"] == "model-based":
        variant["ModelName"] = model
        variant.update(startup_params(desired.get("startup") or {}))
        return variant, kwargs, {"variant": variant}
    if inst.get("managedScaling"):
        variant["ManagedInstanceScaling"] = {"Status": "ENABLED",
                                             "MinInstanceCount": inst["managedScaling"]["minCount"],
                                             "MaxInstanceCount": inst["managedScaling"]["maxCount"]}
    if inst.get("routing"):
        variant["RoutingConfig"] = {"RoutingStrategy": inst["routing"]}
    kwargs["ExecutionRoleArn"] = desired["executionRole"]
    return variant, kwargs, {"variant": variant, "executionRole": desired["executionRole"]}


def config_name(name: str, desired: dict[str, Any], model: str | None) -> str | None:
    if desired["type"] == "model-based" and model is None:
        return None
    return derived_name(name, config_request(desired, model)[2])


def strategy_text(dep: dict[str, Any]) -> str:
    s = dep.get("strategy", "all-at-once")
    size = {"canary": dep.get("canarySize"), "linear": dep.get("linearStepSize"), "rolling": dep.get("batchSize")}.get(s)
    kind = "rolling" if s == "rolling" else "blue/green"
    return f"{kind} {s}" + (f" {size}" if size is not None else "") + (
        f", wait {dep['waitSeconds']}s" if dep.get("waitSeconds") else "")


def ic_spec(desired: dict[str, Any], model: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"ModelName": model, "ComputeResourceRequirements": compute(desired["inferenceComponent"])}
    startup = startup_params(desired.get("startup") or {})
    if startup:
        spec["StartupParameters"] = startup
    return spec


def owned(name: str, part: str, meta: dict[str, Any], kind: str) -> bool:
    """A config/model (``kind``) this stack deletes when no longer used: one reconcile named, or one it adopted."""
    return is_derived(name, part) or [kind, part] in [list(p) for p in meta.get("adopted") or ()]


# ---- the decision ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollout:
    """What an update of an existing endpoint does; ``model``/``config``: what it runs afterwards."""

    model: str | None
    config: str | None
    new_model: bool
    new_config: bool
    update_endpoint: bool
    operations: tuple[Operation, ...]


def decide(name: str, desired: dict[str, Any], state: dict[str, Any], meta: dict[str, Any],
           versions: dict[str, str] | None) -> Rollout:
    """The update of a live endpoint of the desired type that is not Failed (those are replaced)."""
    ops: list[Operation] = []
    state, meta = settled(state, meta, desired)  # the autoscaler's count is no drift (autoscaling.py)
    ic_based = desired["type"] == "inference-component-based"
    live_model = meta.get("model")
    changed_model = [f for f in MODEL_FIELDS if state.get(f) != desired.get(f)]
    want_model = model_name(name, desired, versions) if "image" in desired else None
    if "image" not in desired:  # components declared as InferenceComponent documents: no model of its own
        model, new_model = None, False
    elif live_model and not changed_model:
        model, new_model = live_model, False
    elif not live_model and want_model and want_model in (meta.get("unplacedModels") or []):
        model, new_model = want_model, False  # the config naming it is gone, the model is not
    elif live_model and meta.get("modelMissing") and want_model == live_model:
        model, new_model = live_model, True
        ops.append(op("CreateModel", model, "recreate the model deleted outside reconcile, under the name in use"))
    else:
        model, new_model = want_model, True
        why = f"{', '.join(changed_model)} changed" if live_model and not meta.get("modelMissing") else "new model"
        ops.append(op("CreateModel", model or f"{prefix(name)}-<hash of content and secret versions>", why))

    missing = bool(meta.get("configMissing"))
    live_cfg = meta.get("config")
    config_changed = [f for f in ("instance",) + (() if ic_based else ("startup",)) if state.get(f) != desired.get(f)]
    if ic_based and meta.get("configRole") != desired["executionRole"] and not missing:
        config_changed.append("executionRole")
    stuck = state.get("status") not in SETTLING
    needs_config = missing or bool(config_changed) or (not ic_based and model != live_model)
    config, new_config, update = live_cfg, False, False
    if needs_config:
        config = config_name(name, desired, model)
        new_config = True
        if missing and config == live_cfg:
            ops.append(op("CreateEndpointConfig", str(config),
                          "recreate the config deleted outside reconcile, under the name the endpoint uses; "
                          "the endpoint keeps serving"))
        else:
            why = (f"{', '.join(config_changed)} changed" if config_changed and not missing else
                   "the live config was deleted outside reconcile" if missing else "runs the new model")
            ops.append(op("CreateEndpointConfig", config or f"{prefix(name)}-<hash>", why))
            update = True
    if stuck:
        update = True
    if update:
        ops.append(op("UpdateEndpoint", name, f"{strategy_text(desired.get('deployment') or {})}; "
                                              "the old fleet serves until the new one is InService"))
        prev = meta.get("previousConfig")
        if new_config and config != live_cfg and prev and prev not in (config, live_cfg) and owned(name, prev, meta, "config"):
            ops.append(op("DeleteEndpointConfig", prev, "the config before last is no longer kept for rollback"))
            prev_model = meta.get("previousModelOfConfig")
            if prev_model and prev_model not in (model, live_model) and owned(name, prev_model, meta, "model"):
                ops.append(op("DeleteModel", prev_model, "its model"))
    pending = meta.get("pendingConfig")
    if update and pending and pending == config and not stuck:
        # an update to exactly this config is already in flight (a run stopped while it waited): apply
        # waits for it; its model and config exist, so nothing is created and nothing is sent again, and
        # once it settles there is no rollout left whose rollback point needs recording
        ops = [o for o in ops if (o.action, o.target) not in
               {("CreateModel", model), ("CreateEndpointConfig", config), ("UpdateEndpoint", name)}]
        new_model = new_config = update = False
    if ic_based and desired.get("inferenceComponent"):
        ops += ic_operations(name, desired, model, state, meta)
        prev_model = meta.get("previousModel")
        if model != live_model and prev_model and prev_model not in (model, live_model) and owned(name, prev_model, meta, "model"):
            ops.append(op("DeleteModel", prev_model, "the model before last is no longer kept for rollback"))
    ops += tag_operations(name, desired, state, bool(update or new_model and ic_based))
    ops += [op("AddTags", n, f"{kind} made outside reconcile: adopted (reconciler:endpoint and ownership tags)")
            for kind, n, _arn in meta.get("untagged") or []]
    keep = {str(o.target) for o in ops}
    for n in meta.get("unplacedModels") or []:
        if n != model:
            ops.append(op("DeleteModel", n, "leftover"))
    for left in state.get("leftovers") or []:
        kind, _, n = left.partition("/")
        if n not in keep and n not in (model, config):
            ops.append(op("DeleteEndpointConfig" if kind == "config" else "DeleteModel", n, "leftover"))
    return Rollout(model, config, new_model, new_config, update, tuple(ops))


def has_room(desired: dict[str, Any], meta: dict[str, Any]) -> bool:
    """True when the instances can take a second component while the first still serves: managed instance
    scaling may add an instance. (Spare accelerators on fixed instances are not known here.)"""
    scaling = (desired.get("instance") or {}).get("managedScaling")
    now = meta.get("instanceCount") or (desired.get("instance") or {}).get("count") or 0
    return scaling is not None and int(scaling["maxCount"]) > int(now)


def ic_operations(name: str, desired: dict[str, Any], model: str | None, state: dict[str, Any],
                  meta: dict[str, Any]) -> list[Operation]:
    """Inference component calls: update in place where it exists; create a missing one before deleting
    the one it replaces where the instances have room, else delete first (interrupts serving)."""
    want = desired["inferenceComponent"]
    comps = meta.get("components") or []
    mine = next((c for c in comps if c["name"] == want["name"]), None)
    others = [c for c in comps if c["name"] != want["name"]]
    ops: list[Operation] = []
    spec = ic_spec(desired, model or "")
    if mine is not None and mine.get("status") == "Failed":
        ops.append(op("DeleteInferenceComponent", mine["name"], "it is Failed; it is created again"))
        mine = None
    if mine is None:
        serving = [c for c in others if c.get("status") != "Failed"]
        create = op("CreateInferenceComponent", want["name"], f"{copies(want['copies'])} of {model or 'the new model'}")
        if not serving:
            ops.append(create)
        elif has_room(desired, meta):
            ops.append(op("CreateInferenceComponent", want["name"],
                          f"{create.detail}; created before {', '.join(c['name'] for c in serving)} is deleted: "
                          "managed instance scaling has room for both"))
        else:
            ops += [op("DeleteInferenceComponent", c["name"], "replaced by " + want["name"] + "; no room known for "
                       "both on the instances (fixed count), so it goes first", interrupts=True) for c in serving]
            ops.append(create)
            others = [c for c in others if c not in serving]
    else:
        same = (mine.get("model") == model
                and compute(ic_live({"ComputeResourceRequirements": mine.get("compute")})) == spec["ComputeResourceRequirements"]
                and startup_params(startup_of(mine.get("startup") or {})) == spec.get("StartupParameters", {}))
        if not same:
            dep = desired.get("deployment") or {}
            how = strategy_text(dep) if dep.get("strategy") == "rolling" else "blue/green"
            what = f"model {mine.get('model')} -> {model}" if mine.get("model") != model else "compute/startup changed"
            ops.append(op("UpdateInferenceComponent", mine["name"], f"{what}; {how}"))
        elif mine.get("copies") != want["copies"]:
            ops.append(op("UpdateInferenceComponentRuntimeConfig", mine["name"],
                          f"copies {mine.get('copies')} -> {want['copies']}"))
    for c in others:
        ops.append(op("DeleteInferenceComponent", c["name"], "no longer declared; after "
                      f"{want['name']} is InService"))
    return ops


def tag_operations(name: str, desired: dict[str, Any], state: dict[str, Any], rollout: bool) -> list[Operation]:
    live, want = state.get("tags") or {}, desired.get("tags") or {}
    ops = []
    stale = sorted(k for k in live if k not in want)  # (a changed value is overwritten by AddTags)
    if stale:
        ops.append(op("DeleteTags", name, f"{', '.join(stale)}"))
    added = sorted(k for k in want if live.get(k) != want[k])
    if added or rollout:
        ops.append(op("AddTags", name, ", ".join(added) if added else "reconcile's rollback record"))
    return ops


def create_operations(name: str, desired: dict[str, Any], versions: dict[str, str] | None) -> list[Operation]:
    if "image" not in desired:  # (its components are InferenceComponent documents)
        return [op("CreateEndpointConfig", str(config_name(name, desired, None))), op("CreateEndpoint", name)]
    model = model_name(name, desired, versions)
    m = model or f"{prefix(name)}-<hash of content and secret versions>"
    ops = [op("CreateModel", m), op("CreateEndpointConfig", config_name(name, desired, model) or f"{prefix(name)}-<hash>"),
           op("CreateEndpoint", name)]
    if desired["type"] == "inference-component-based":
        ops.append(op("CreateInferenceComponent", desired["inferenceComponent"]["name"],
                      f"{copies(desired['inferenceComponent']['copies'])} of {m}"))
    return ops


def delete_operations(name: str, state: dict[str, Any], meta: dict[str, Any], why: str) -> list[Operation]:
    """Components, the endpoint, then every config and model reconcile made for it (the ones kept for
    rollback and leftovers included): what ``rollout.delete`` removes."""
    ops = [op("DeleteInferenceComponent", c["name"], interrupts=True) for c in meta.get("components") or []]
    if not meta.get("orphan"):
        ops.append(op("DeleteEndpoint", name, why, interrupts=True))
    left = [x.partition("/") for x in state.get("leftovers") or []]
    configs = [meta.get("config") if not meta.get("configMissing") else None, meta.get("previousConfig")]
    models = [meta.get("model") if not meta.get("modelMissing") else None, meta.get("previousModelOfConfig"),
              meta.get("previousModel"), *(meta.get("unplacedModels") or [])]
    for action, kind, names in (("DeleteEndpointConfig", "config", configs + [n for k, _, n in left if k == "config"]),
                                ("DeleteModel", "model", models + [n for k, _, n in left if k == "model"])):
        for n in dict.fromkeys(names):
            if n and owned(name, n, meta, kind):
                ops.append(op(action, n))
    return ops


def operations(name: str, desired: dict[str, Any] | None, state: dict[str, Any] | None,
               meta: dict[str, Any]) -> list[Operation]:
    """Every call apply makes for one Endpoint step: create, update, replace or delete."""
    if desired is None:
        return delete_operations(name, state or {}, meta, "no longer declared")
    if state is None:
        return create_operations(name, desired, None)
    versions = meta.get("secretVersions")
    if state.get("failed"):
        return delete_operations(name, state, meta, "it is Failed: AWS cannot update a Failed endpoint") + \
            create_operations(name, desired, versions)
    if state.get("type") != desired["type"]:
        return delete_operations(name, state, meta, f"type {state.get('type')} -> {desired['type']}: AWS cannot "
                                                    "change it in place") + create_operations(name, desired, versions)
    return list(decide(name, desired, state, meta, versions).operations)
