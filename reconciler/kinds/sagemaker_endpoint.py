"""Endpoint: one SageMaker real-time endpoint serving an LLM, and everything behind it.

What one manifest becomes in AWS
- ``model-based``: Model -> EndpointConfig (one variant ``AllTraffic`` serving the model) -> Endpoint.
- ``inference-component-based``: EndpointConfig (variant without a model, with ExecutionRoleArn,
  ManagedInstanceScaling, RoutingConfig) -> Endpoint -> Model -> InferenceComponent.

Update semantics (AWS-FACTS.md)
- Models and endpoint configs are immutable: their names are content-derived, ``<endpoint>-<hash>``,
  so an unchanged spec maps to the same names and a changed one to new ones. A change creates the new
  model/config, then ``UpdateEndpoint`` (RetainAllVariantProperties, DeploymentConfig from
  spec.deployment); the endpoint is never deleted to change it. Only after the endpoint is verified
  InService on the new config are older configs/models deleted; the one it ran before is kept (tagged on
  the endpoint as ``reconciler:previous-config`` / ``reconciler:previous-model``) for ``reconcile rollback``.
- Inference components are updated in place: UpdateInferenceComponent for a new model or compute
  requirements, UpdateInferenceComponentRuntimeConfig when only the copy count changes.
- A Failed endpoint is replaced (delete, wait until gone, create). Deletion order: inference
  components -> endpoint (waited until gone) -> endpoint configs -> models.

Ownership: the endpoint, its configs, models and inference components all carry the stack's ownership
tags plus ``reconciler:endpoint = <name>``, set in the create calls, so prune finds leftovers of an
interrupted apply too. Leftovers of a declared endpoint show in its plan (``leftovers``) and are deleted
by the next apply.

Secrets: ``environment: {KEY: {secretsManager: NAME}}`` is resolved at apply time only. The state
(and so every plan, saved plan and log) holds ``{"secretsManager": NAME, "version": "current"}``; the
model carries a tag ``reconciler:secret:KEY = <secret version id>:<NAME>``, so a new secret value shows
as ``version: previous -> current`` and rolls out a new model. The value itself is never stored by reconcile.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from reconciler import PREVENT_DESTROY_ANNOTATION, policy
from reconciler.aws import sagemaker as smx
from reconciler.errors import AwsError, Issue, ManifestError
from reconciler.kinds._secrets import MASK, SECRETISH, SecretRef, mask_environment_change
from reconciler.kinds.base import (
    ApplyContext,
    Kind,
    Observed,
    PlanContext,
    Reference,
    Resource,
    Spec,
    ownership_tags,
)

ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
COMPONENT_NAME = re.compile(r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$")
ENV_KEY = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
HASH_LEN = 10
VARIANT = "AllTraffic"
ENDPOINT_TAG = "reconciler:endpoint"
PREVIOUS_CONFIG_TAG = "reconciler:previous-config"
PREVIOUS_MODEL_TAG = "reconciler:previous-model"
SECRET_TAG_PREFIX = "reconciler:secret:"
INTERNAL_TAGS = (PREVIOUS_CONFIG_TAG, PREVIOUS_MODEL_TAG)
#: desired-state fields that tell apply *how* to change the endpoint; not observable, never diffed
APPLY_ONLY = frozenset({"deployment", "smokeTest", "waitTimeoutSeconds"})


# ---- spec ---------------------------------------------------------------------------------------


class Version(Spec):
    """A version of one of the SageMaker SDK's serving-container families."""

    version: str = Field(description="Container version as the SageMaker SDK names it, e.g. 2.2.0 (or an alias like 3.3).")


class ImageSpec(Spec):
    """The serving container: one family at a version (resolved for the stack's region), or a literal URI."""

    huggingfaceLlm: Version | None = Field(None, description="Hugging Face LLM container (TGI), e.g. {version: 2.2.0}.")
    huggingfaceTei: Version | None = Field(None, description="Hugging Face Text Embeddings Inference, GPU.")
    huggingfaceTeiCpu: Version | None = Field(None, description="Hugging Face Text Embeddings Inference, CPU.")
    huggingfaceVllm: Version | None = Field(None, description="Hugging Face vLLM container.")
    djlLmi: Version | None = Field(None, description="DJL Large Model Inference (LMI) container.")
    vllm: Version | None = Field(None, description="AWS Deep Learning Container for vLLM.")
    uri: str | None = Field(None, min_length=1, max_length=255,
                            description="A literal container image URI (ECR), up to 255 characters.")

    @model_validator(mode="after")
    def _one(self) -> ImageSpec:
        given = [k for k in type(self).model_fields if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(type(self).model_fields)}; got {given or 'none'}")
        if self.uri is not None and re.search(r"\s", self.uri):
            raise ValueError("uri must not contain whitespace")
        return self

    def family(self) -> tuple[str, str] | None:
        for k in type(self).model_fields:
            v = getattr(self, k)
            if k != "uri" and v is not None:
                return k, v.version
        return None


class ModelSpec(Spec):
    """The model: container image and its environment."""

    image: ImageSpec = Field(description="Container image: {huggingfaceLlm: {version: …}} (or another family) or {uri: …}.")
    environment: dict[str, str | SecretRef] = Field(
        default_factory=dict,
        description="Container environment (at most 100 entries; values are strings, or {secretsManager: NAME} for "
                    "secrets such as HUGGING_FACE_HUB_TOKEN, resolved at apply time and never shown).",
    )

    @field_validator("environment", mode="before")
    @classmethod
    def _strings(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for key, value in v.items():
                if isinstance(value, bool | int | float) or value is None:
                    raise ValueError(f"{key}: environment values are strings; quote it: {key}: \"{value}\"")
        return v

    @field_validator("environment")
    @classmethod
    def _limits(cls, v: dict[str, Any]) -> dict[str, Any]:
        if len(v) > 100:
            raise ValueError(f"{len(v)} entries; AWS allows at most 100")
        for key, value in v.items():
            if not ENV_KEY.match(key) or len(key) > 1024:
                raise ValueError(f"{key[:40]!r}: keys are letters, digits and _, not starting with a digit, "
                                 "at most 1024 characters")
            if isinstance(value, str) and len(value) > 1024:
                raise ValueError(f"{key}: values are at most 1024 characters")
            if isinstance(value, SecretRef) and len(key) > 110:
                raise ValueError(f"{key}: keys read from a secret are at most 110 characters")
        return v


class ManagedScaling(Spec):
    """SageMaker-managed instance scaling of the variant (inference-component-based endpoints)."""

    minCount: int = Field(ge=0, description="Fewest instances.")
    maxCount: int = Field(ge=1, description="Most instances.")

    @model_validator(mode="after")
    def _order(self) -> ManagedScaling:
        if self.minCount > self.maxCount:
            raise ValueError("minCount must be at most maxCount")
        return self


class InstanceSpec(Spec):
    """The instances behind the endpoint's single variant."""

    type: str = Field(description="SageMaker hosting instance type, e.g. ml.g5.2xlarge.",
                      pattern=r"^ml\.[a-z0-9][a-z0-9-]*\.[a-z0-9]+$")
    count: int = Field(1, ge=1, le=1000, description="Initial instance count. An autoscaled count is kept on "
                                                     "updates (RetainAllVariantProperties) unless this changes.")
    managedScaling: ManagedScaling | None = Field(None, description="Managed instance scaling (inference-component-based only).")
    routing: Literal["LEAST_OUTSTANDING_REQUESTS", "RANDOM"] | None = Field(
        None, description="Request routing strategy of the variant (inference-component-based only).")


class StartupSpec(Spec):
    """How long SageMaker waits for the container while it starts."""

    healthCheckTimeoutSeconds: int | None = Field(None, ge=60, le=3600,
                                                  description="Container startup health check timeout, 60-3600 s.")
    modelDownloadTimeoutSeconds: int | None = Field(None, ge=60, le=3600,
                                                    description="Model data download timeout, 60-3600 s.")


class InferenceComponentSpec(Spec):
    """The inference component (inference-component-based endpoints): compute per copy, number of copies."""

    name: str | None = Field(None, max_length=63, pattern=COMPONENT_NAME.pattern,
                             description="Inference component name (default: <endpoint>-ic).")
    copies: int = Field(1, ge=0, le=1000, description="Number of copies (CopyCount). Changing only this uses "
                                                       "UpdateInferenceComponentRuntimeConfig.")
    acceleratorDevices: float | None = Field(None, ge=0, description="GPUs / accelerators per copy.")
    cpuCores: float | None = Field(None, gt=0, description="CPU cores per copy.")
    memoryMb: int = Field(ge=128, description="Minimum memory per copy, in MB.")
    maxMemoryMb: int | None = Field(None, ge=128, description="Maximum memory per copy, in MB.")


Size = int | str


def _size(v: Size | None, unit: str) -> dict[str, Any] | None:
    """3 -> {Type: <unit>, Value: 3}; "10%" -> {Type: CAPACITY_PERCENT, Value: 10}."""
    if v is None:
        return None
    if isinstance(v, str):
        return {"Type": "CAPACITY_PERCENT", "Value": int(v.rstrip("%"))}
    return {"Type": unit, "Value": int(v)}


def _check_size(v: Size | None) -> Size | None:
    if isinstance(v, str) and not re.fullmatch(r"([1-9]\d?|100)%", v):
        raise ValueError(f"{v!r}: a count (like 1) or a percentage (like \"10%\")")
    if isinstance(v, int) and v < 1:
        raise ValueError("sizes are at least 1")
    return v


class DeploymentSpec(Spec):
    """How updates roll out (UpdateEndpoint's DeploymentConfig)."""

    strategy: Literal["all-at-once", "canary", "linear", "rolling"] = Field(
        "all-at-once", description="Blue/green all at once, canary, linear, or rolling (in batches).")
    canarySize: Size | None = Field(None, description="Canary: instances (1) or capacity percentage (\"10%\") shifted first.")
    linearStepSize: Size | None = Field(None, description="Linear: instances or percentage shifted per step.")
    batchSize: Size | None = Field(None, description="Rolling: instances (or percentage) updated per batch; for "
                                                     "inference components, copies per batch.")
    rollbackBatchSize: Size | None = Field(None, description="Rolling: batch size when rolling back.")
    waitSeconds: int = Field(0, ge=0, le=3600, description="Wait between traffic shifts / batches (0-3600 s).")
    terminationWaitSeconds: int | None = Field(None, ge=0, le=3600,
                                               description="Blue/green: wait before the old fleet is terminated.")
    maxExecutionSeconds: int | None = Field(None, ge=600, le=28800,
                                            description="Longest the whole deployment may take (600-28800 s).")
    autoRollbackAlarms: list[str] = Field(default_factory=list, max_length=10,
                                          description="CloudWatch alarm names that roll the update back (at most 10).")

    _size_checks = field_validator("canarySize", "linearStepSize", "batchSize", "rollbackBatchSize")(
        classmethod(lambda cls, v: _check_size(v)))

    @model_validator(mode="after")
    def _needs(self) -> DeploymentSpec:
        need = {"canary": "canarySize", "linear": "linearStepSize", "rolling": "batchSize"}.get(self.strategy)
        if need and getattr(self, need) is None:
            raise ValueError(f"strategy {self.strategy} needs {need}")
        return self


class SmokeTestSpec(Spec):
    """One request sent after every create/update; the apply fails if it fails."""

    inputs: str = Field(min_length=1, description="The prompt (TGI 'inputs').")
    parameters: dict[str, Any] = Field(default_factory=dict,
                                       description="Generation parameters, e.g. {max_new_tokens: 16}.")
    expect: str | None = Field(None, description="Text the generated answer must contain (optional).")


class EndpointSpec(Spec):
    """A SageMaker real-time endpoint serving an LLM."""

    type: Literal["model-based", "inference-component-based"] = Field(
        "model-based", description="model-based (the config's variant serves the model) or inference-component-based.")
    executionRole: str = Field(description="The execution role SageMaker assumes: a Role name in the manifests, or a role ARN.")
    model: ModelSpec = Field(description="The container image and environment.")
    instance: InstanceSpec = Field(description="Instance type and count.")
    startup: StartupSpec | None = Field(None, description="Container startup timeouts.")
    inferenceComponent: InferenceComponentSpec | None = Field(
        None, description="Compute requirements and copies (required for inference-component-based).")
    deployment: DeploymentSpec = Field(default_factory=DeploymentSpec,  # type: ignore[arg-type]
                                       description="How updates roll out.")
    smokeTest: SmokeTestSpec | None = Field(None, description="A request sent after every create/update.")
    waitTimeoutSeconds: int = Field(3600, ge=60, le=4 * 3600,
                                    description="How long apply waits for the endpoint to become InService (60-14400 s).")

    @model_validator(mode="after")
    def _type_fields(self) -> EndpointSpec:
        ic = self.type == "inference-component-based"
        if ic and self.inferenceComponent is None:
            raise ValueError("type inference-component-based needs inferenceComponent {copies, memoryMb, …}")
        if not ic and self.inferenceComponent is not None:
            raise ValueError("inferenceComponent is only for type inference-component-based")
        if not ic and (self.instance.managedScaling or self.instance.routing):
            raise ValueError("instance.managedScaling and instance.routing are only for type inference-component-based")
        return self


# ---- names --------------------------------------------------------------------------------------


def content_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:HASH_LEN]


def prefix(endpoint: str) -> str:
    """The endpoint name cut so that ``<prefix>-<hash>`` fits AWS's 63 characters."""
    return endpoint[: 63 - HASH_LEN - 1].rstrip("-")


def derived_name(endpoint: str, content: Any) -> str:
    """``<endpoint>-<hash of content>``: valid as a model, endpoint-config and component name, at most 63 chars."""
    return f"{prefix(endpoint)}-{content_hash(content)}"


def is_derived(endpoint: str, name: str) -> bool:
    return re.fullmatch(re.escape(prefix(endpoint)) + rf"-[0-9a-f]{{{HASH_LEN}}}", name) is not None


def ic_name(endpoint: str, desired: dict[str, Any]) -> str:
    return str((desired.get("inferenceComponent") or {}).get("name") or f"{endpoint[:60].rstrip('-')}-ic")


# ---- the kind -----------------------------------------------------------------------------------


class EndpointKind(Kind):
    kind = "Endpoint"
    spec_model = EndpointSpec
    description = ("A SageMaker real-time endpoint serving an LLM, with its model, endpoint config and (for "
                   "inference-component-based endpoints) inference component.")
    name_pattern = ENDPOINT_NAME
    name_rule = "1-63 letters, digits and hyphens, starting and ending with a letter or digit"
    replace_fields = frozenset({"type", "failed"})
    apply_only_fields = APPLY_ONLY
    delete_order = 40  # before the execution role (Role: 80)
    long_running = True  # apply waits for many endpoints together, beside --concurrency busy steps
    service = "sagemaker"

    # ---- static ---------------------------------------------------------------------------------
    def check(self, res: Resource) -> list[Issue]:
        from reconciler import images

        spec: EndpointSpec = res.spec
        issues = []
        fam = spec.model.image.family()
        if fam:
            problem = images.check_version(*fam)
            if problem:
                issues.append(res.issue(("spec", "model", "image", fam[0], "version"), problem))
        role = spec.executionRole
        if role.startswith("arn:") and not ROLE_ARN.match(role):
            issues.append(res.issue(("spec", "executionRole"), f"{role!r} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)"))
        secrets = sum(1 for v in spec.model.environment.values() if isinstance(v, SecretRef))
        if len(res.tags) + 4 + secrets > 50:
            issues.append(res.issue(("metadata", "tags"), f"{len(res.tags)} tags plus reconcile's 4 and one per secret "
                                                          f"({secrets}) exceed AWS's 50 tags per model"))
        ic = spec.inferenceComponent
        if ic and ic.maxMemoryMb is not None and ic.maxMemoryMb < ic.memoryMb:
            issues.append(res.issue(("spec", "inferenceComponent", "maxMemoryMb"), "must be at least memoryMb"))
        from reconciler.kinds import _constraints  # API parameters vs botocore's model, instance fit
        return issues + _constraints.check(res, issues, derived=_constraints.endpoint_names(derived_name, ic_name))

    def lint(self, res: Resource) -> list[Issue]:
        out = []
        for key, value in res.spec.model.environment.items():
            if isinstance(value, str) and value and SECRETISH.search(key):
                out.append(res.issue(("spec", "model", "environment", key),
                                     f"{key} looks like a secret but is written in the manifest; use "
                                     "{secretsManager: NAME} so it stays out of git, plans and logs", "warning"))
        return out

    def references(self, res: Resource, names: dict[str, set[str]]) -> list[Reference]:
        role = res.spec.executionRole
        if role.startswith("arn:"):
            return []
        return [Reference(("spec", "executionRole"), "Role", role)]

    def arn(self, name: str, spec: Any, ctx: PlanContext) -> str:
        return f"arn:{ctx.partition}:sagemaker:{ctx.region}:{ctx.account}:endpoint/{name.lower()}"

    def desired(self, res: Resource, ctx: PlanContext) -> dict[str, Any]:
        from reconciler import images

        spec: EndpointSpec = res.spec
        role = spec.executionRole if spec.executionRole.startswith("arn:") else ctx.arn_of("Role", spec.executionRole)
        fam = spec.model.image.family()
        if fam:
            try:
                image = images.uri(fam[0], fam[1], ctx.region)
            except images.ImageError as e:
                raise ManifestError([res.issue(("spec", "model", "image", fam[0]), str(e))]) from None
        else:
            image = str(spec.model.image.uri)
        env: dict[str, Any] = {}
        for k, v in sorted(spec.model.environment.items()):
            env[k] = {"secretsManager": v.secretsManager, "version": "current"} if isinstance(v, SecretRef) else v
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
            "tags": ownership_tags(ctx.stack, res.tags, res.annotated(PREVENT_DESTROY_ANNOTATION)),
            "deployment": spec.deployment.model_dump(exclude_defaults=True),
            "smokeTest": spec.smokeTest.model_dump(exclude_none=True) if spec.smokeTest else None,
            "waitTimeoutSeconds": spec.waitTimeoutSeconds,
        }
        if spec.inferenceComponent:
            ic = spec.inferenceComponent
            state["inferenceComponent"] = {
                "name": ic.name or ic_name(res.name, {}), "copies": ic.copies, "memoryMb": ic.memoryMb,
                **({"maxMemoryMb": ic.maxMemoryMb} if ic.maxMemoryMb is not None else {}),
                **({"acceleratorDevices": ic.acceleratorDevices} if ic.acceleratorDevices is not None else {}),
                **({"cpuCores": ic.cpuCores} if ic.cpuCores is not None else {}),
                "status": "InService",
            }
        return state

    def depends_on_arns(self, state: dict[str, Any]) -> list[str]:
        return [state["executionRole"]] if state.get("executionRole") else []

    def mask_change(self, change: Any) -> Any:
        return mask_environment_change(change)

    def display(self, state: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in state.items() if k not in APPLY_ONLY or v}
        env = state.get("environment")
        if isinstance(env, dict):
            out["environment"] = {k: (MASK if isinstance(v, dict) else v) for k, v in env.items()}
        return out

    def plan_reason(self, action: str, fields: list[str], state: dict[str, Any] | None) -> str | None:
        if action == "replace" and "failed" in fields:
            why = (state or {}).get("failed") or "no FailureReason"
            return f"the endpoint is Failed ({why}): delete it, wait until gone, create it again"
        if action != "update":
            return None
        ic_based = (state or {}).get("type") == "inference-component-based"
        model_fields = [f for f in fields if f in ("image", "environment", "executionRole", "startup")]
        config_fields = [f for f in fields if f in ("instance", "executionRole")]
        forced = sorted(set(model_fields + config_fields))
        parts = []
        if ic_based:
            if config_fields:
                parts.append(f"new endpoint config + UpdateEndpoint, forced by {', '.join(config_fields)}")
            if model_fields or "inferenceComponent" in fields:
                what = f"new model, forced by {', '.join(model_fields)}" if model_fields else "inference component changed"
                parts.append(f"UpdateInferenceComponent ({what})")
        elif forced:
            parts.append(f"new model/config + UpdateEndpoint, forced by {', '.join(forced)}")
        if "status" in fields and not forced:
            parts.append(f"wait for it to be InService (now {(state or {}).get('status')})")
        if "leftovers" in fields:
            parts.append("delete leftover models/configs")
        if "tags" in fields:
            parts.append("tags changed")
        return "; ".join(parts) or None

    # ---- read -----------------------------------------------------------------------------------
    def read(self, aws: Any, name: str, ctx: PlanContext) -> Observed | None:
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
                                "previousConfig": all_tags.get(PREVIOUS_CONFIG_TAG),
                                "previousModel": all_tags.get(PREVIOUS_MODEL_TAG)}
        cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{cfg_name}", EndpointConfigName=cfg_name)
        model_name = None
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
            if v.get("ModelName"):
                state["type"] = "model-based"
                model_name = v["ModelName"]
                state["startup"] = _startup(v)
            else:
                state["type"] = "inference-component-based"
                ic = self._read_ic(sm, name)
                if ic is not None:
                    state["inferenceComponent"], model_name = ic
                    meta["component"] = state["inferenceComponent"]["name"]
                state["startup"] = meta.pop("startup", None) or self._ic_startup(sm, meta.get("component"))
        if model_name:
            meta["model"] = model_name
            state.update(self._read_model(aws, sm, model_name))
        in_use = {cfg_name, model_name, meta["previousConfig"], meta["previousModel"],
                  (d.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")}
        meta["previousModelOfConfig"] = self._model_of_config(sm, meta["previousConfig"])
        in_use.add(meta["previousModelOfConfig"])
        state["leftovers"] = [f"{k}/{n}" for k, n in self._owned_parts(sm, name, state["tags"], skip=in_use, aws=aws)]
        return Observed(self.kind, name, d["EndpointArn"], state, meta=meta)

    def _model_of_config(self, sm: Any, cfg_name: str | None) -> str | None:
        if not cfg_name:
            return None
        cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{cfg_name}", EndpointConfigName=cfg_name)
        if cfg is None:
            return None
        return (cfg.get("ProductionVariants") or [{}])[0].get("ModelName")

    def _read_ic(self, sm: Any, endpoint: str) -> tuple[dict[str, Any], str | None] | None:
        ics = smx.inference_components(sm, endpoint)
        if not ics:
            return None
        ics.sort(key=lambda s: s["InferenceComponentName"])
        d = smx.describe_ic(sm, ics[0]["InferenceComponentName"])
        if d is None:
            return None
        spec = d.get("Specification") or {}
        req = spec.get("ComputeResourceRequirements") or {}
        out: dict[str, Any] = {"name": d["InferenceComponentName"],
                               "copies": (d.get("RuntimeConfig") or {}).get("DesiredCopyCount"),
                               "memoryMb": req.get("MinMemoryRequiredInMb")}
        if req.get("MaxMemoryRequiredInMb") is not None:
            out["maxMemoryMb"] = req["MaxMemoryRequiredInMb"]
        if req.get("NumberOfAcceleratorDevicesRequired") is not None:
            out["acceleratorDevices"] = float(req["NumberOfAcceleratorDevicesRequired"])
        if req.get("NumberOfCpuCoresRequired") is not None:
            out["cpuCores"] = float(req["NumberOfCpuCoresRequired"])
        out["status"] = d.get("InferenceComponentStatus")
        if len(ics) > 1:
            out["others"] = [s["InferenceComponentName"] for s in ics[1:]]
        return out, spec.get("ModelName")

    def _ic_startup(self, sm: Any, name: str | None) -> dict[str, Any]:
        if not name:
            return {}
        d = smx.describe_ic(sm, name) or {}
        return _startup((d.get("Specification") or {}).get("StartupParameters") or {})

    def _read_model(self, aws: Any, sm: Any, model_name: str) -> dict[str, Any]:
        m = sm.get("describe_model", f"Model/{model_name}", ModelName=model_name)
        if m is None:
            return {"image": None, "environment": {}, "executionRole": None}
        container = m.get("PrimaryContainer") or (m.get("Containers") or [{}])[0]
        tags = smx.tags_of(sm, m["ModelArn"], f"Model/{model_name}")
        env: dict[str, Any] = {}
        for k, v in sorted((container.get("Environment") or {}).items()):
            ref = tags.get(SECRET_TAG_PREFIX + k)
            if ref and ":" in ref:
                version, secret = ref.split(":", 1)
                env[k] = {"secretsManager": secret, "version": _secret_version_state(aws, secret, version)}
            else:
                env[k] = v
        return {"image": container.get("Image"), "environment": env, "executionRole": m.get("ExecutionRoleArn")}

    def _owned_parts(self, sm: Any, endpoint: str, endpoint_tags: dict[str, str], skip: set[Any] = frozenset(),  # type: ignore[assignment]
                     aws: Any = None) -> list[tuple[str, str]]:
        """(kind, name) of models and configs this stack made for ``endpoint`` (by name pattern and tags).

        ``skip``: names not looked at (in use, or kept). ``aws``: list every config and model once per
        command (``Aws.cached``, shared by all endpoints' reads) instead of once per endpoint.
        """
        stack = endpoint_tags.get("reconciler:stack")
        out = []
        for kind, op, key, name_key, arn_key in (
            ("config", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", "EndpointConfigArn"),
            ("model", "list_models", "Models", "ModelName", "ModelArn"),
        ):
            if aws is not None:
                items = aws.cached(f"sagemaker:{op}", lambda op=op, key=key: list(sm.paginate(op, key, "sagemaker")))
            else:
                items = sm.paginate(op, key, f"Endpoint/{endpoint}", NameContains=prefix(endpoint))
            for item in items:
                n = item[name_key]
                if n in skip or not is_derived(endpoint, n):
                    continue
                tags = smx.tags_of(sm, item[arn_key], n)
                if tags.get(ENDPOINT_TAG) == endpoint and (stack is None or tags.get("reconciler:stack") == stack):
                    out.append((kind, n))
        return sorted(out)

    def list_owned(self, aws: Any, stack: str, ctx: PlanContext, exclude: set[str] = frozenset()) -> list[Observed]:  # type: ignore[assignment]
        sm = aws.client("sagemaker")
        out: list[Observed] = []
        live = set()
        for e in sm.paginate("list_endpoints", "Endpoints", "endpoints"):
            live.add(e["EndpointName"])
            if e["EndpointName"] in exclude:
                continue
            tags = smx.tags_of(sm, e["EndpointArn"], f"Endpoint/{e['EndpointName']}")
            if policy.owner_of(tags) == stack:
                full = self.read(aws, e["EndpointName"], ctx)
                if full:
                    out.append(full)
        # leftovers of endpoints that no longer exist (an interrupted create, or a delete cut short)
        orphans: dict[str, list[str]] = {}
        for kind, op, key, name_key, arn_key in (
            ("config", "list_endpoint_configs", "EndpointConfigs", "EndpointConfigName", "EndpointConfigArn"),
            ("model", "list_models", "Models", "ModelName", "ModelArn"),
        ):
            for item in sm.paginate(op, key, kind):
                n = item[name_key]
                if not re.search(rf"-[0-9a-f]{{{HASH_LEN}}}$", n):
                    continue
                tags = smx.tags_of(sm, item[arn_key], n)
                owner = tags.get(ENDPOINT_TAG)
                if not owner or owner in live or owner in exclude:
                    continue
                if policy.owner_of(tags) == stack:
                    orphans.setdefault(owner, []).append(f"{kind}/{n}")
        for owner, parts in sorted(orphans.items()):
            out.append(Observed(self.kind, owner, self.arn(owner, None, ctx),
                                {"status": "deleted", "leftovers": sorted(parts),
                                 "tags": ownership_tags(stack, {}, False)}, meta={"orphan": True}))
        return out

    # ---- apply ----------------------------------------------------------------------------------
    def create(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        sm = ctx.aws.client("sagemaker")
        timeout = _timeout(desired, ctx)
        parts = self._ensure_parts(name, desired, ctx)
        tags = _tag_list(desired["tags"], name)
        if smx.describe_endpoint(sm, name) is None:
            ctx.progress(f"Endpoint/{name}: creating on config {parts['config']}")
            sm.call("create_endpoint", f"Endpoint/{name}", EndpointName=name, EndpointConfigName=parts["config"],
                    Tags=tags)
        smx.wait_endpoint(sm, name, progress=ctx.progress, timeout=timeout, want_config=parts["config"])
        if desired["type"] == "inference-component-based":
            self._converge_ic(name, desired, parts["model"], ctx, timeout)
        self._cleanup(name, ctx, keep={parts["config"], parts["model"]})
        self._smoke(name, desired, ctx)

    def update(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        sm = ctx.aws.client("sagemaker")
        what = f"Endpoint/{name}"
        timeout = _timeout(desired, ctx)
        d = smx.settle_endpoint(sm, name, progress=ctx.progress, timeout=timeout)
        if d is None:
            self.create(name, desired, ctx)
            return
        if d["EndpointStatus"] == "Failed":
            self.delete(name, ctx)
            self.create(name, desired, ctx)
            return
        live_tags = smx.tags_of(sm, d["EndpointArn"], what)
        parts = self._ensure_parts(name, desired, ctx)
        current = d.get("EndpointConfigName", "")
        changed = False
        keep_prev: dict[str, str] = {}
        if parts["config"] != current or d["EndpointStatus"] != "InService":
            old_model = self._model_of_config(sm, current)
            kwargs = self._update_kwargs(sm, current, desired)
            # (old_model stays if the update fails: it is what the endpoint still runs)
            ctx.progress(f"{what}: updating from config {current} to {parts['config']}")
            sm.call("update_endpoint", what, EndpointName=name, EndpointConfigName=parts["config"], **kwargs)
            try:
                smx.wait_endpoint(sm, name, progress=ctx.progress, timeout=timeout, want_config=parts["config"],
                                  old_failure=d.get("FailureReason"), action="update")
            except smx.WaitTimeout:
                raise
            except AwsError:
                self._discard(name, ctx, parts, keep={current, old_model or ""})
                raise
            if parts["config"] != current:
                keep_prev[PREVIOUS_CONFIG_TAG] = current  # (model-based: its model is the previous model)
            changed = True
        if desired["type"] == "inference-component-based":
            old_model = self._converge_ic(name, desired, parts["model"], ctx, timeout)
            if old_model:
                keep_prev[PREVIOUS_MODEL_TAG] = old_model
                changed = True
        want_tags = {**desired["tags"], ENDPOINT_TAG: name}
        for k in INTERNAL_TAGS:
            if k == PREVIOUS_MODEL_TAG and desired["type"] != "inference-component-based":
                continue
            if k in keep_prev or live_tags.get(k):
                want_tags[k] = keep_prev.get(k) or live_tags[k]
        smx.set_tags(sm, d["EndpointArn"], what, live_tags, want_tags)
        keep = {parts["config"], parts["model"], want_tags.get(PREVIOUS_CONFIG_TAG, ""), want_tags.get(PREVIOUS_MODEL_TAG, "")}
        keep.add(self._model_of_config(sm, want_tags.get(PREVIOUS_CONFIG_TAG)) or "")
        self._cleanup(name, ctx, keep=keep)
        if changed:
            self._smoke(name, desired, ctx)

    def delete(self, name: str, ctx: ApplyContext) -> None:
        sm = ctx.aws.client("sagemaker")
        timeout = _timeout({}, ctx)
        for ic in smx.inference_components(sm, name):
            ctx.progress(f"InferenceComponent/{ic['InferenceComponentName']}: deleting")
            smx.delete_ic(sm, ic["InferenceComponentName"], progress=ctx.progress, timeout=timeout)
            ctx.progress(f"InferenceComponent/{ic['InferenceComponentName']}: deleted")
        if smx.describe_endpoint(sm, name) is not None:
            ctx.progress(f"Endpoint/{name}: deleting")
            smx.delete_endpoint(sm, name, progress=ctx.progress, timeout=timeout)
            ctx.progress(f"Endpoint/{name}: deleted")
        self._cleanup(name, ctx, keep=set(), stack=ctx.stack)

    # ---- apply helpers --------------------------------------------------------------------------
    def _ensure_parts(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> dict[str, str]:
        """Create (if missing) the model and endpoint config ``desired`` maps to; their names."""
        sm = ctx.aws.client("sagemaker")
        env, secret_tags, versions = _resolve_env(ctx, desired["environment"])
        role = desired["executionRole"]
        model_content = {"image": desired["image"], "environment": {k: v for k, v in desired["environment"].items()},
                         "secrets": versions, "executionRole": role}
        model = derived_name(name, model_content)
        base_tags = _tag_list(desired["tags"], name)
        if smx.create_model(sm, f"Model/{model}", ctx.progress, ModelName=model, ExecutionRoleArn=role,
                            PrimaryContainer={"Image": desired["image"], "Environment": env},
                            Tags=base_tags + [{"Key": k, "Value": v} for k, v in sorted(secret_tags.items())]):
            ctx.progress(f"Model/{model}: created")
        inst = desired["instance"]
        variant: dict[str, Any] = {"VariantName": VARIANT, "InstanceType": inst["type"],
                                   "InitialInstanceCount": inst["count"]}
        cfg_kwargs: dict[str, Any] = {}
        if desired["type"] == "model-based":
            variant["ModelName"] = model
            variant.update(_startup_params(desired.get("startup") or {}))
            content: dict[str, Any] = {"variant": variant}
        else:
            if inst.get("managedScaling"):
                variant["ManagedInstanceScaling"] = {"Status": "ENABLED",
                                                     "MinInstanceCount": inst["managedScaling"]["minCount"],
                                                     "MaxInstanceCount": inst["managedScaling"]["maxCount"]}
            if inst.get("routing"):
                variant["RoutingConfig"] = {"RoutingStrategy": inst["routing"]}
            cfg_kwargs["ExecutionRoleArn"] = role
            content = {"variant": variant, "executionRole": role}
        config = derived_name(name, content)
        if smx.create_if_missing(sm, "create_endpoint_config", f"EndpointConfig/{config}", EndpointConfigName=config,
                                 ProductionVariants=[variant], Tags=base_tags, **cfg_kwargs):
            ctx.progress(f"EndpointConfig/{config}: created")
        return {"model": model, "config": config}

    def _update_kwargs(self, sm: Any, current: str, desired: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"RetainAllVariantProperties": True}
        cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{current}", EndpointConfigName=current) or {}
        live_count = (cfg.get("ProductionVariants") or [{}])[0].get("InitialInstanceCount")
        if live_count != desired["instance"]["count"]:
            # the manifest changed the count: apply it; otherwise keep what autoscaling set
            kwargs["ExcludeRetainedVariantProperties"] = [{"VariantPropertyType": "DesiredInstanceCount"}]
        dc = deployment_config(desired.get("deployment") or {})
        if dc:
            kwargs["DeploymentConfig"] = dc
        return kwargs

    def _converge_ic(self, name: str, desired: dict[str, Any], model: str, ctx: ApplyContext,
                     timeout: float) -> str | None:
        """Create or update the inference component; the model it ran before, when that changed."""
        sm = ctx.aws.client("sagemaker")
        want = desired["inferenceComponent"]
        ic = want["name"]
        what = f"InferenceComponent/{ic}"
        spec = {"ModelName": model, "ComputeResourceRequirements": _compute(want)}
        startup = _startup_params(desired.get("startup") or {})
        if startup:
            spec["StartupParameters"] = startup
        for other in smx.inference_components(sm, name):
            if other["InferenceComponentName"] != ic:
                ctx.progress(f"InferenceComponent/{other['InferenceComponentName']}: deleting (no longer declared)")
                smx.delete_ic(sm, other["InferenceComponentName"], progress=ctx.progress, timeout=timeout)
        d = smx.describe_ic(sm, ic)
        if d is not None and d.get("InferenceComponentStatus") in smx.IC_TRANSITIONAL:
            # Creating/Updating, or Deleting after an interrupted delete: let it settle (or go) first
            smx.wait_ic_settled(sm, ic, progress=ctx.progress, timeout=timeout)
            d = smx.describe_ic(sm, ic)
        if d is not None and d.get("InferenceComponentStatus") == "Failed":
            ctx.progress(f"{what}: Failed ({d.get('FailureReason')}); deleting it to create it again")
            smx.delete_ic(sm, ic, progress=ctx.progress, timeout=timeout)
            d = None
        if d is None:
            ctx.progress(f"{what}: creating ({want['copies']} copies of {model})")
            sm.call("create_inference_component", what, InferenceComponentName=ic, EndpointName=name,
                    VariantName=VARIANT, Specification=spec, RuntimeConfig={"CopyCount": want["copies"]},
                    Tags=_tag_list(desired["tags"], name))
            smx.wait_ic(sm, ic, progress=ctx.progress, timeout=timeout, want_model=model)
            return None
        live_spec = d.get("Specification") or {}
        old_model = live_spec.get("ModelName")
        live_copies = (d.get("RuntimeConfig") or {}).get("DesiredCopyCount")
        same_spec = (old_model == model and _compute(_ic_live(live_spec)) == spec["ComputeResourceRequirements"]
                     and _startup_params(_startup(live_spec.get("StartupParameters") or {})) == startup)
        if not same_spec:
            kwargs: dict[str, Any] = {"Specification": spec, "RuntimeConfig": {"CopyCount": want["copies"]}}
            dc = ic_deployment_config(desired.get("deployment") or {})
            if dc:
                kwargs["DeploymentConfig"] = dc
            ctx.progress(f"{what}: updating (model {old_model} -> {model})" if old_model != model else f"{what}: updating")
            sm.call("update_inference_component", what, InferenceComponentName=ic, **kwargs)
            smx.wait_ic(sm, ic, progress=ctx.progress, timeout=timeout, want_model=model, action="update")
            return old_model if old_model != model else None
        if live_copies != want["copies"]:
            ctx.progress(f"{what}: copies {live_copies} -> {want['copies']} (UpdateInferenceComponentRuntimeConfig)")
            sm.call("update_inference_component_runtime_config", what, InferenceComponentName=ic,
                    DesiredRuntimeConfig={"CopyCount": want["copies"]})
            smx.wait_ic(sm, ic, progress=ctx.progress, timeout=timeout, action="update")
        return None

    def _in_use(self, sm: Any, name: str) -> set[str]:
        """Configs and models the endpoint and its inference components use now, as AWS reports them."""
        d = smx.describe_endpoint(sm, name) or {}
        cfgs = {d.get("EndpointConfigName"), (d.get("PendingDeploymentSummary") or {}).get("EndpointConfigName")}
        used = {c for c in cfgs if c} | {self._model_of_config(sm, c) or "" for c in cfgs if c}
        for ic in smx.inference_components(sm, name):
            spec = (smx.describe_ic(sm, ic["InferenceComponentName"]) or {}).get("Specification") or {}
            used.add(spec.get("ModelName") or "")
        return used

    def _discard(self, name: str, ctx: ApplyContext, parts: dict[str, str], keep: set[str]) -> None:
        """After a failed update: delete the new config/model nothing uses (best effort). What the endpoint
        runs is re-read first: a Failed or UpdateRollbackFailed endpoint may still use the new config, and
        an inference component keeps its model when only the instance settings changed."""
        sm = ctx.aws.client("sagemaker")
        try:
            keep = keep | self._in_use(sm, name)
            if parts["config"] not in keep:
                sm.ignore_missing("delete_endpoint_config", f"EndpointConfig/{parts['config']}",
                                  EndpointConfigName=parts["config"])
            if parts["model"] not in keep:
                sm.ignore_missing("delete_model", f"Model/{parts['model']}", ModelName=parts["model"])
        except AwsError as e:
            ctx.progress(f"Endpoint/{name}: could not delete the unused new config/model: {e}")

    def _cleanup(self, name: str, ctx: ApplyContext, keep: set[str], stack: str | None = None) -> None:
        """Delete this endpoint's owned configs, then models, except ``keep``."""
        sm = ctx.aws.client("sagemaker")
        parts = self._owned_parts(sm, name, {"reconciler:stack": stack or ctx.stack}, skip=keep)
        for kind, n in parts:
            if kind == "config" and n not in keep:
                sm.ignore_missing("delete_endpoint_config", f"EndpointConfig/{n}", EndpointConfigName=n)
                ctx.progress(f"EndpointConfig/{n}: deleted")
        for kind, n in parts:
            if kind == "model" and n not in keep:
                sm.ignore_missing("delete_model", f"Model/{n}", ModelName=n)
                ctx.progress(f"Model/{n}: deleted")

    def _smoke(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        test = desired.get("smokeTest")
        if not test:
            return
        from reconciler import invoke

        component = (desired.get("inferenceComponent") or {}).get("name")
        try:
            text = invoke.generate(ctx.aws, name, test["inputs"], test.get("parameters") or {}, component=component)
        except AwsError as e:
            raise AwsError(f"Smoke test of Endpoint/{name} failed: {e}") from e
        if test.get("expect") and test["expect"] not in text:
            raise AwsError(f"Smoke test of Endpoint/{name} failed: the answer does not contain {test['expect']!r}: {text[:200]!r}")
        ctx.progress(f"Endpoint/{name}: smoke test passed ({len(text)} characters generated)")

    # ---- rollback -------------------------------------------------------------------------------
    def rollback(self, name: str, ctx: ApplyContext, timeout: float | None = None) -> str:
        """Switch the endpoint back to the config (and model) it ran before the last update."""
        sm = ctx.aws.client("sagemaker")
        what = f"Endpoint/{name}"
        timeout = timeout or smx.DEFAULT_TIMEOUT
        d = smx.settle_endpoint(sm, name, progress=ctx.progress, timeout=timeout)
        if d is None:
            raise AwsError(f"Cannot roll back {what}: it does not exist")
        tags = smx.tags_of(sm, d["EndpointArn"], what)
        prev_cfg, prev_model = tags.get(PREVIOUS_CONFIG_TAG), tags.get(PREVIOUS_MODEL_TAG)
        current = d.get("EndpointConfigName", "")
        if not prev_cfg and not prev_model:
            raise AwsError(f"Cannot roll back {what}: no previous config is recorded (it was never updated by reconcile)")
        new_tags = dict(tags)
        done = []
        if prev_cfg and prev_cfg != current:
            if sm.get("describe_endpoint_config", f"EndpointConfig/{prev_cfg}", EndpointConfigName=prev_cfg) is None:
                raise AwsError(f"Cannot roll back {what}: its previous config {prev_cfg} no longer exists")
            ctx.progress(f"{what}: rolling back from config {current} to {prev_cfg}")
            sm.call("update_endpoint", what, EndpointName=name, EndpointConfigName=prev_cfg,
                    RetainAllVariantProperties=True)
            smx.wait_endpoint(sm, name, progress=ctx.progress, timeout=timeout, want_config=prev_cfg,
                              old_failure=d.get("FailureReason"), action="roll back")
            new_tags[PREVIOUS_CONFIG_TAG] = current
            done.append(f"config {current} -> {prev_cfg}")
        ics = smx.inference_components(sm, name)
        if ics and prev_model:
            ic = ics[0]["InferenceComponentName"]
            live = smx.describe_ic(sm, ic) or {}
            spec = dict(live.get("Specification") or {})
            old = spec.get("ModelName")
            if old != prev_model:
                spec = {k: v for k, v in spec.items() if k in ("ComputeResourceRequirements", "StartupParameters")}
                spec["ModelName"] = prev_model
                ctx.progress(f"InferenceComponent/{ic}: rolling back from model {old} to {prev_model}")
                sm.call("update_inference_component", f"InferenceComponent/{ic}", InferenceComponentName=ic,
                        Specification=spec)
                smx.wait_ic(sm, ic, progress=ctx.progress, timeout=timeout, want_model=prev_model, action="roll back")
                new_tags[PREVIOUS_MODEL_TAG] = old or ""
                done.append(f"model {old} -> {prev_model}")
        if not done:
            raise AwsError(f"Cannot roll back {what}: it already runs its previous config")
        smx.set_tags(sm, d["EndpointArn"], what, tags, new_tags)
        return ", ".join(done)


# ---- module helpers ---------------------------------------------------------------------------


def _timeout(desired: dict[str, Any], ctx: ApplyContext) -> float:
    """Wait timeout: the apply option, else RECONCILE_WAIT_TIMEOUT (seconds), else spec.waitTimeoutSeconds."""
    override = ctx.options.get("wait_timeout") or os.environ.get("RECONCILE_WAIT_TIMEOUT")
    return float(override or desired.get("waitTimeoutSeconds") or smx.DEFAULT_TIMEOUT)


def _tag_list(tags: dict[str, str], endpoint: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted({**tags, ENDPOINT_TAG: endpoint}.items())]


STARTUP_KEYS = (("healthCheckTimeoutSeconds", "ContainerStartupHealthCheckTimeoutInSeconds"),
                ("modelDownloadTimeoutSeconds", "ModelDataDownloadTimeoutInSeconds"))


def _startup(params: dict[str, Any]) -> dict[str, Any]:
    """AWS's startup parameters -> spec.startup keys."""
    return {ours: params[theirs] for ours, theirs in STARTUP_KEYS if params.get(theirs) is not None}


def _startup_params(startup: dict[str, Any]) -> dict[str, Any]:
    """spec.startup -> AWS's startup parameters."""
    return {theirs: startup[ours] for ours, theirs in STARTUP_KEYS if startup.get(ours) is not None}


def _compute(ic: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"MinMemoryRequiredInMb": ic["memoryMb"]}
    if ic.get("maxMemoryMb") is not None:
        out["MaxMemoryRequiredInMb"] = ic["maxMemoryMb"]
    if ic.get("acceleratorDevices") is not None:
        out["NumberOfAcceleratorDevicesRequired"] = float(ic["acceleratorDevices"])
    if ic.get("cpuCores") is not None:
        out["NumberOfCpuCoresRequired"] = float(ic["cpuCores"])
    return out


def _ic_live(spec: dict[str, Any]) -> dict[str, Any]:
    req = spec.get("ComputeResourceRequirements") or {}
    return {"memoryMb": req.get("MinMemoryRequiredInMb"), "maxMemoryMb": req.get("MaxMemoryRequiredInMb"),
            "acceleratorDevices": req.get("NumberOfAcceleratorDevicesRequired"),
            "cpuCores": req.get("NumberOfCpuCoresRequired")}


def _secret_version_state(aws: Any, secret: str, version: str) -> str:
    from reconciler.aws import secretsmanager

    now = secretsmanager.version(aws, secret)
    if now is None:
        return "missing"
    return "current" if now == version else "previous"


def _resolve_env(ctx: ApplyContext, env: dict[str, Any]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(environment with secrets resolved, model tags recording them, {key: secret version}). Values stay in memory."""
    out: dict[str, str] = {}
    tags: dict[str, str] = {}
    versions: dict[str, str] = {}
    sm = ctx.aws.client("secretsmanager")
    for k, v in env.items():
        if isinstance(v, dict):
            secret = v["secretsManager"]
            got = sm.call("get_secret_value", f"secret {secret}", SecretId=secret)
            out[k] = str(got["SecretString"]) if "SecretString" in got else bytes(got.get("SecretBinary", b"")).decode()
            versions[k] = str(got.get("VersionId", ""))
            tags[SECRET_TAG_PREFIX + k] = f"{versions[k]}:{secret}"
        else:
            out[k] = str(v)
    return out, tags, versions


def deployment_config(dep: dict[str, Any]) -> dict[str, Any] | None:
    """spec.deployment -> UpdateEndpoint's DeploymentConfig (None: AWS's default blue/green all at once)."""
    strategy = dep.get("strategy", "all-at-once")
    alarms = [{"AlarmName": a} for a in dep.get("autoRollbackAlarms") or []]
    wait = int(dep.get("waitSeconds", 0))
    out: dict[str, Any] = {}
    if strategy == "rolling":
        out["RollingUpdatePolicy"] = _rolling(dep, "INSTANCE_COUNT")
    elif strategy != "all-at-once" or alarms or set(dep) - {"strategy"}:
        routing: dict[str, Any] = {"Type": strategy.upper().replace("-", "_"), "WaitIntervalInSeconds": wait}
        if strategy == "canary":
            routing["CanarySize"] = _size(dep.get("canarySize"), "INSTANCE_COUNT")
        if strategy == "linear":
            routing["LinearStepSize"] = _size(dep.get("linearStepSize"), "INSTANCE_COUNT")
        bg: dict[str, Any] = {"TrafficRoutingConfiguration": routing}
        if dep.get("terminationWaitSeconds") is not None:
            bg["TerminationWaitInSeconds"] = dep["terminationWaitSeconds"]
        if dep.get("maxExecutionSeconds"):
            bg["MaximumExecutionTimeoutInSeconds"] = dep["maxExecutionSeconds"]
        out["BlueGreenUpdatePolicy"] = bg
    if alarms:
        out["AutoRollbackConfiguration"] = {"Alarms": alarms}
    return out or None


def _rolling(dep: dict[str, Any], unit: str) -> dict[str, Any]:
    policy: dict[str, Any] = {"MaximumBatchSize": _size(dep.get("batchSize"), unit),
                              "WaitIntervalInSeconds": int(dep.get("waitSeconds", 0))}
    if dep.get("maxExecutionSeconds"):
        policy["MaximumExecutionTimeoutInSeconds"] = dep["maxExecutionSeconds"]
    if dep.get("rollbackBatchSize") is not None:
        policy["RollbackMaximumBatchSize"] = _size(dep["rollbackBatchSize"], unit)
    return policy


def ic_deployment_config(dep: dict[str, Any]) -> dict[str, Any] | None:
    """spec.deployment -> UpdateInferenceComponent's DeploymentConfig (rolling only; else AWS's default)."""
    if dep.get("strategy") != "rolling":
        return None
    out: dict[str, Any] = {"RollingUpdatePolicy": _rolling(dep, "COPY_COUNT")}
    if dep.get("autoRollbackAlarms"):
        out["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in dep["autoRollbackAlarms"]]}
    return out


KIND = EndpointKind()
