"""Desired state from a manifest, observed state from AWS, and the plan's wording of a change."""

from __future__ import annotations

from typing import Any

from reconciler import PREVENT_DESTROY_ANNOTATION, policy
from reconciler.aws import sagemaker as smx
from reconciler.errors import ManifestError
from reconciler.kinds._secrets import SecretRef
from reconciler.kinds.base import Fleet, Kind, Observed, PlanContext, Resource, ownership_tags
from reconciler.kinds.endpoint import adopted, ownership, secret_adoption, weights
from reconciler.kinds.endpoint import autoscaling as aas_kind
from reconciler.kinds.endpoint.leftovers import model_of_config, owned_parts, part_tags
from reconciler.kinds.endpoint.naming import (
    COMPONENT_TAG,
    ENDPOINT_TAG,
    INTERNAL_TAGS,
    MODEL_FIELDS,
    PREVIOUS_CONFIG_TAG,
    PREVIOUS_MODEL_TAG,
    SECRET_TAG_PREFIX,
    default_ic_name,
)
from reconciler.kinds.endpoint.shapes import compute_of, secret_version_state, startup_of
from reconciler.kinds.endpoint.spec import EndpointSpec
from reconciler.kinds.endpoint.weights import MODEL_DIR
from reconciler.plan import Operation


def model_image_and_environment(res: Resource, model: Any, ctx: PlanContext) -> tuple[str, dict[str, Any]]:
    """A spec's ``model`` (an Endpoint's or an InferenceComponent's): its image URI in the region, and its
    environment with each secret reference pinned to the version apply resolves ("current" until then;
    HF_MODEL_ID defaults to /opt/ml/model when the weights come from S3)."""
    from reconciler import images

    fam = model.image.family()
    if fam:
        try:
            image = images.uri(fam[0], fam[1], ctx.region)
        except images.ImageError as e:
            raise ManifestError([res.issue(("spec", "model", "image", fam[0]), str(e))]) from None
    else:
        image = str(model.image.uri)
    environment = dict(model.environment)
    if model.weights is not None:  # (the container serves the weights SageMaker copied there)
        environment.setdefault("HF_MODEL_ID", MODEL_DIR)
    env = {k: ({"secretsManager": v.secretsManager, "version": "current"} if isinstance(v, SecretRef) else v)
           for k, v in sorted(environment.items())}
    return image, env


def desired(res: Resource, ctx: PlanContext) -> dict[str, Any]:
    spec: EndpointSpec = res.spec
    role = spec.executionRole if spec.executionRole.startswith("arn:") else ctx.arn_of("Role", spec.executionRole)
    image, env = model_image_and_environment(res, spec.model, ctx) if spec.model else (None, {})
    instance: dict[str, Any] = {"type": spec.instance.type, "count": spec.instance.count}
    if spec.instance.managedScaling:
        instance["managedScaling"] = spec.instance.managedScaling.model_dump()
    if spec.instance.routing:
        instance["routing"] = spec.instance.routing
    startup = {k: v for k, v in (spec.startup.model_dump() if spec.startup else {}).items() if v is not None}
    state: dict[str, Any] = {
        "type": spec.type,
        "executionRole": role,
        "image": image,
        "environment": env,
        "instance": instance,
        "startup": startup,
        "status": "InService",
        "failed": None,
        "leftovers": [],
        "untaggedParts": [],
        "plainTextSecrets": [],
        "tags": ownership_tags(ctx.stack, res.tags, res.annotated(PREVENT_DESTROY_ANNOTATION)),
        "deployment": spec.deployment.model_dump(exclude_defaults=True),
        "smokeTest": spec.smokeTest.model_dump(exclude_none=True) if spec.smokeTest else None,
        "waitTimeoutSeconds": spec.waitTimeoutSeconds,
        "autoscaling": aas_kind.desired(spec, (spec.inferenceComponent.name or default_ic_name(res.name))
                                        if spec.inferenceComponent else None),
    }
    if spec.model is None:  # (its components are InferenceComponent documents: they hold the models)
        del state["image"], state["environment"]
    elif spec.model.weights is not None:  # (only then: a model without them keeps the name it always had)
        state["weights"] = weights.desired(spec.model)
    if spec.inferenceComponent:
        ic = spec.inferenceComponent
        state["inferenceComponent"] = {
            "name": ic.name or default_ic_name(res.name), "copies": ic.copies, "memoryMb": ic.memoryMb,
            **({"maxMemoryMb": ic.maxMemoryMb} if ic.maxMemoryMb is not None else {}),
            **({"acceleratorDevices": ic.acceleratorDevices} if ic.acceleratorDevices is not None else {}),
            **({"cpuCores": ic.cpuCores} if ic.cpuCores is not None else {}),
            "status": "InService",
        }
    return state


def fleet(state: dict[str, Any]) -> Fleet | None:
    """The instances of an endpoint's state: a fixed ``instance.count``, or the range autoscaling (model-based:
    the variant's instances) or managed instance scaling (inference-component-based) lets the count move in."""
    inst = state.get("instance") or {}
    itype, count = inst.get("type"), inst.get("count")
    if not isinstance(itype, str) or not isinstance(count, int):
        return None
    if state.get("type") == "inference-component-based":
        managed = inst.get("managedScaling") or {}
        lo, hi = managed.get("minCount"), managed.get("maxCount")
        if isinstance(lo, int) and isinstance(hi, int):
            return Fleet(itype, min(lo, count), max(hi, count), "instance.managedScaling.maxCount")
        return Fleet(itype, count, count, "instance.count")
    scaling = state.get("autoscaling") or {}
    lo, hi = scaling.get("minCount"), scaling.get("maxCount")
    if isinstance(lo, int) and isinstance(hi, int):
        return Fleet(itype, lo, hi, "autoscaling.maxCount")
    return Fleet(itype, count, count, "instance.count")


def plan_reason(action: str, fields: list[str], state: dict[str, Any] | None,
                operations: tuple[Operation, ...] = ()) -> str | None:
    """The step's reason, in the words of the operations it runs (operations.decide; content decides)."""
    state = state or {}
    if action == "replace" and "failed" in fields:
        why = state.get("failed") or "no FailureReason"
        return (f"the endpoint is Failed ({why}): delete it, wait until gone, create it again "
                "(interrupts serving)")
    if action == "replace" and "type" in fields:
        return "type cannot be changed in place: delete the endpoint, then create it (interrupts serving)"
    if action != "update":
        return None
    ic_based = state.get("type") == "inference-component-based"
    model_fields = [f for f in fields if f in MODEL_FIELDS]
    # the model's name derives from image, environment, weights and role; startup belongs to the config's variant
    # (model-based) or to the inference component, never to the model
    config_fields = [f for f in fields if f in (("instance", "executionRole") if ic_based else ("instance", "startup"))]
    parts = []
    if "instance" not in state and "instance" in fields:
        how = ("a new one + UpdateEndpoint" if any(o.action == "UpdateEndpoint" for o in operations)
               else "recreate it under the name the endpoint uses")
        parts.append(f"its endpoint config was deleted outside reconcile: {how} (the endpoint keeps serving)")
    elif ic_based:
        if config_fields:
            parts.append(f"new endpoint config + UpdateEndpoint, forced by {', '.join(config_fields)}")
        ic_ops = {o.action: o for o in operations if o.action.endswith(("InferenceComponent", "RuntimeConfig"))}
        if "CreateInferenceComponent" in ic_ops:
            new_ic = ic_ops["CreateInferenceComponent"]
            gone = [o.target for o in operations if o.action == "DeleteInferenceComponent" and o.target != new_ic.target]
            if gone:
                order = ("delete first: interrupts serving" if any(o.interrupts_serving for o in operations)
                         else "create before delete")
                parts.append(f"inference component {', '.join(gone)} replaced by {new_ic.target} ({order})")
            else:
                parts.append(f"create inference component {new_ic.target}")
        elif "UpdateInferenceComponentRuntimeConfig" in ic_ops and "UpdateInferenceComponent" not in ic_ops:
            parts.append("UpdateInferenceComponentRuntimeConfig (copies only)")
        elif model_fields or "inferenceComponent" in fields or "startup" in fields:
            why = model_fields + [f for f in fields if f == "startup"]
            what = f"new model, forced by {', '.join(model_fields)}" if model_fields else (
                f"forced by {', '.join(why)}" if why else "inference component changed")
            parts.append(f"UpdateInferenceComponent ({what})")
    elif model_fields and "image" in state and state["image"] is None and not any(
            o.action == "UpdateEndpoint" for o in operations):
        parts.append("its model was deleted outside reconcile: recreate it under the name the endpoint uses "
                     "(the endpoint keeps serving)")
    elif model_fields:
        parts.append(f"new model/config + UpdateEndpoint, forced by {', '.join(sorted(set(model_fields + config_fields)))}")
    elif config_fields:
        parts.append(f"new endpoint config + UpdateEndpoint, forced by {', '.join(config_fields)}")
    if "status" in fields and not (model_fields or config_fields):
        parts.append(f"wait for it to be InService (now {state.get('status')})")
    if "leftovers" in fields:
        parts.append("delete leftover models/configs")
    if "plainTextSecrets" in fields:
        parts.append(f"{', '.join(state.get('plainTextSecrets') or [])}: same value as the live model: adopted with "
                     "tags only (the model keeps serving; its reconciler:secret tags name the secret version)")
    if "untaggedParts" in fields:
        parts.append(f"tag {', '.join(state.get('untaggedParts') or [])}: the endpoint runs them but they carry no "
                     "ownership tags (an adoption cut short)")
    if "tags" in fields:
        parts.append("tags changed")
    return "; ".join(parts) or None


def read(kind: Kind, aws: Any, name: str, ctx: PlanContext) -> Observed | None:
    sm = aws.client("sagemaker")
    d = smx.describe_endpoint(sm, name)
    if d is None:
        return None
    what = f"Endpoint/{name}"
    all_tags = smx.tags_of(sm, d["EndpointArn"], what)
    status = d.get("EndpointStatus", "")
    state: dict[str, Any] = {
        "status": status,
        "failed": (d.get("FailureReason") or "no FailureReason given") if status == "Failed" else None,
        "tags": {k: v for k, v in all_tags.items() if k not in INTERNAL_TAGS and k != ENDPOINT_TAG},
    }
    cfg_name = d.get("EndpointConfigName", "")
    meta: dict[str, Any] = {"config": cfg_name, "arn": d["EndpointArn"], "failureReason": d.get("FailureReason"),
                            "endpointTags": all_tags,  # (apply's rollout starts from these: no second ListTags)
                            "previousConfig": all_tags.get(PREVIOUS_CONFIG_TAG),
                            "previousModel": all_tags.get(PREVIOUS_MODEL_TAG)}
    meta["instanceCount"] = ((d.get("ProductionVariants") or [{}])[0]).get("CurrentInstanceCount")
    meta["pendingConfig"] = (d.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")
    cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{cfg_name}", EndpointConfigName=cfg_name)
    model_name = None
    ic_based = False
    if cfg is not None:
        v = (cfg.get("ProductionVariants") or [{}])[0]
        instance: dict[str, Any] = {"type": v.get("InstanceType"), "count": v.get("InitialInstanceCount")}
        scaling = v.get("ManagedInstanceScaling") or {}
        if scaling.get("Status") == "ENABLED":
            instance["managedScaling"] = {"minCount": scaling.get("MinInstanceCount"),
                                          "maxCount": scaling.get("MaxInstanceCount")}
        if (v.get("RoutingConfig") or {}).get("RoutingStrategy"):
            instance["routing"] = v["RoutingConfig"]["RoutingStrategy"]
        state["instance"] = instance
        meta["configRole"] = cfg.get("ExecutionRoleArn")
        if v.get("ModelName"):
            state["type"] = "model-based"
            model_name = v["ModelName"]
            state["startup"] = startup_of(v)
        else:
            ic_based = True
    else:
        # deleted outside reconcile (AWS allows it; the endpoint keeps serving): what it runs is
        # unknown, its type is told by its inference components (a config is recreated, never the endpoint)
        meta["configMissing"] = True
        ic_based = bool(smx.inference_components(sm, name))
        state["type"] = "model-based"
    if ic_based:
        state["type"] = "inference-component-based"
        ic = read_ic(sm, name, ctx, all_tags, meta)
        if ic is not None:
            state["inferenceComponent"], model_name = ic
            meta["component"] = state["inferenceComponent"]["name"]
        if cfg is not None:
            own = {c["name"]: c for c in meta["components"]}.get(meta.get("component")) or {}
            state["startup"] = startup_of(own.get("startup") or {})
    state["autoscaling"], facts = aas_kind.read(aws, name, [c["name"] for c in meta.get("components") or []],
                                                stack=ctx.stack)
    meta.update(facts)  # scalingTargets, foreignTargets, scaleToZero
    state["foreignScaling"] = aas_kind.foreign_warnings(facts)  # (a warning, never a change: observed only)
    declared = ctx.resources.get(("Endpoint", name))
    if declared is not None and (aas_kind.desired(declared.spec, meta.get("component")) or {}).get("scaleFromZero"):
        meta["alarmConflict"] = facts["scaleToZero"].get("alarmConflict")  # (kind.problems: not ours, never put)
    if model_name:
        meta["model"] = model_name
        state.update(read_model(aws, sm, model_name))
        meta["modelMissing"] = state["image"] is None
        if declared is not None and declared.spec.model is not None and not meta["modelMissing"]:
            # a secret reference whose value the live model holds as plain text: kept, tagged (secret_adoption)
            same, state["secretNotes"] = secret_adoption.compare(aws, state["environment"],
                                                                  declared.spec.model.environment)
            for key, tag in same.items():
                state["environment"][key] = {"secretsManager": tag.partition(":")[2], "version": "current"}
            meta["secretTags"] = same
            state["plainTextSecrets"] = sorted(same)
    elif ic_based and cfg is not None:
        state["executionRole"] = meta.get("configRole")  # (no component of its own: the config's role)
    meta["previousModelOfConfig"] = model_of_config(sm, meta["previousConfig"])
    in_use = {cfg_name, model_name, meta["previousConfig"], meta["previousModel"], meta["pendingConfig"],
              meta["previousModelOfConfig"], *(c.get("model") for c in meta.get("components") or [])}
    meta["parts"] = owned_parts(aws, sm, name, ctx.stack)  # {kind/name: {arn, tags}}: in use, kept, or left over
    state["leftovers"] = [k for k in meta["parts"] if k.partition("/")[2] not in in_use]
    if meta.get("configMissing") and state["type"] == "model-based":
        # which of this endpoint's models it runs went with the config: none is called a leftover here;
        # operations keeps the one the manifest maps to and deletes the others
        meta["unplacedModels"] = [x.partition("/")[2] for x in state["leftovers"] if x.startswith("model/")]
        state["leftovers"] = [x for x in state["leftovers"] if not x.startswith("model/")]
    # parts made outside reconcile (an adopted endpoint's): tagged by the adoption, then this stack's own
    parts = adopted.parts_of(meta)
    adopting = policy.owner_of(state["tags"]) != ctx.stack  # (or a conflict): what another stack owns stays its
    known = adopted.read_parts(sm, parts) if adopting else None  # (each part read once for both)
    meta["untagged"], mine, foreign = adopted.classify(sm, name, ctx.stack, parts, known)
    meta["adopted"] = sorted(mine)
    meta["parts"].update(mine)
    # an endpoint this stack owns whose model or config carries no ownership tags (an adoption killed after it
    # tagged the endpoint): a change, tagged as parts of the endpoint. Adopting, the tags change says it already.
    state["untaggedParts"] = [] if adopting else sorted(meta["untagged"])
    state["foreignParts"] = [] if adopting else [f"{k} ({v})" for k, v in sorted(foreign.items())]
    if adopting:
        meta["othersParts"] = {**meta.get("othersParts", {}), **adopted.others(sm, ctx.stack, parts, known)}
    return Observed(kind.kind, name, d["EndpointArn"], state, meta=meta)


def read_ic(sm: Any, endpoint: str, ctx: PlanContext, endpoint_tags: dict[str, str],
            meta: dict[str, Any]) -> tuple[dict[str, Any], str | None] | None:
    """The endpoint's own inference component: the declared one when it carries this stack's tags for this
    endpoint (else the first of this stack's). Components anyone else put on the endpoint are never read as
    its own: they go to ``meta["foreignComponents"]`` (a foreign one with the declared name also to
    ``meta["componentConflict"]``); ``meta["ownComponents"]``: this stack's. An endpoint being adopted (not
    yet this stack's: the plan says adopt) comes with its declared component and the components no reconcile
    stack owns; another stack's stay foreign."""
    res = ctx.resources.get(("Endpoint", endpoint))
    declared = None
    if res is not None and getattr(res.spec, "inferenceComponent", None) is not None:
        declared = res.spec.inferenceComponent.name or default_ic_name(endpoint)
    ours, foreign, tags = ownership.components(sm, endpoint, ctx.stack)
    if policy.owner_of(endpoint_tags) != ctx.stack:  # adopting
        taken = [n for n in foreign if policy.owner_of(tags[n]) is None
                 or (n == declared and policy.owner_of(tags[n]) == ctx.stack)]
        # another stack's components stay foreign; the declared one makes adopting a problem (owned_by_others)
        if declared in foreign and policy.owner_of(tags[declared]) not in (None, ctx.stack):
            meta["othersParts"] = {f"InferenceComponent/{declared}": policy.owner_of(tags[declared])}
        foreign = [n for n in foreign if n not in taken]
        ours = sorted([*ours, *taken])
    elif declared in foreign:
        meta["componentConflict"] = declared
    # components of this stack's InferenceComponent documents: theirs to change and delete (before the endpoint)
    meta["kindComponents"] = [n for n in foreign if policy.owner_of(tags[n]) == ctx.stack and tags[n].get(COMPONENT_TAG)]
    foreign = [n for n in foreign if n not in meta["kindComponents"]]
    meta["foreignComponents"] = foreign
    meta["ownComponents"] = ours
    meta["components"] = components(sm, endpoint, ours, tags)  # (each described once per read)
    described = {c["name"]: c for c in meta["components"]}
    if not described:
        return None
    chosen = declared if declared in described else meta["components"][0]["name"]
    c = described[chosen]
    out: dict[str, Any] = {"name": chosen, "copies": c["copies"], "memoryMb": c["compute"].get("MinMemoryRequiredInMb"),
                           **compute_of(c["compute"]), "status": c["status"]}
    others = [n for n in ours if n != chosen]
    if others:
        out["others"] = others
    return out, c["model"]


def components(sm: Any, endpoint: str, names: list[str], tags: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """The inference components ``names`` (this stack's on ``endpoint``: ``ownership.components``), as the
    operations decision needs them (sorted by name), with their ARNs and ``tags`` (the evidence their
    operations carry). Anyone else's are never in it: never updated or deleted."""
    out = []
    for name in sorted(names):
        d = smx.describe_ic(sm, name)
        if d is None:
            continue
        spec = d.get("Specification") or {}
        out.append({"name": d["InferenceComponentName"], "model": spec.get("ModelName"),
                    "arn": d["InferenceComponentArn"], "tags": tags.get(name) or {},
                    "compute": spec.get("ComputeResourceRequirements") or {},
                    "startup": spec.get("StartupParameters") or {},
                    "copies": (d.get("RuntimeConfig") or {}).get("DesiredCopyCount"),
                    "status": d.get("InferenceComponentStatus")})
    return out


def plan_facts(aws: Any, res: Resource, desired: dict[str, Any], ctx: PlanContext) -> dict[str, Any]:
    """What an endpoint's operations need besides its read (``EndpointKind.plan_facts``): ``secretVersions``,
    ``parts`` (this endpoint's own models and configs: {kind/name: {arn, tags}}) and ``taken`` ({kind/name:
    why}: a name it derives that exists but is not its own). Read-only; listings shared through ``Aws.cached``."""
    from reconciler.kinds.endpoint.content import config_name, model_name
    from reconciler.kinds.endpoint.leftovers import named

    sm = aws.client("sagemaker")
    versions = secret_versions(aws, res.spec.model.environment if res.spec.model else {})
    parts = owned_parts(aws, sm, res.name, ctx.stack)
    model = model_name(res.name, desired, versions) if "image" in desired else None
    taken = {}
    for kind, n, what in (("model", model, "Model"), ("config", config_name(res.name, desired, model), "EndpointConfig")):
        found = named(aws, sm, kind, n) if n and f"{kind}/{n}" not in parts else None
        if found is not None:
            taken[f"{kind}/{n}"] = ownership.conflict(f"{what}/{n}", found["tags"], res.name, ctx.stack)
    return {"secretVersions": versions, "parts": parts, **({"taken": taken} if taken else {})}


def secret_versions(aws: Any, environment: dict[str, Any]) -> dict[str, str] | None:
    """{environment key: current version id} of the secrets an environment reads (plan time only: they name
    the model apply would create). DescribeSecret only; a value is never read here. None: one is missing."""
    from reconciler.aws import secretsmanager

    out = {}
    for key, value in environment.items():
        if isinstance(value, SecretRef):
            vid = secretsmanager.version(aws, value.secretsManager, cached=True)
            if vid is None:
                return None
            out[key] = vid
    return out


def read_model(aws: Any, sm: Any, model_name: str) -> dict[str, Any]:
    m = sm.get("describe_model", f"Model/{model_name}", ModelName=model_name)
    if m is None:
        return {"image": None, "environment": {}, "executionRole": None}
    container = m.get("PrimaryContainer") or (m.get("Containers") or [{}])[0]
    tags = part_tags(aws, sm, m["ModelArn"], f"Model/{model_name}")  # (the orphan scan reads them too)
    env: dict[str, Any] = {}
    for k, v in sorted((container.get("Environment") or {}).items()):
        ref = tags.get(SECRET_TAG_PREFIX + k)
        if ref and ":" in ref:
            version, secret = ref.split(":", 1)
            env[k] = {"secretsManager": secret, "version": secret_version_state(aws, secret, version)}
        else:
            env[k] = v
    out = {"image": container.get("Image"), "environment": env, "executionRole": m.get("ExecutionRoleArn")}
    data = weights.of_container(container)
    return {**out, "weights": data} if data else out
