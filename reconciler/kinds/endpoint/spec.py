"""The Endpoint manifest's spec: pydantic models with AWS's limits."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from reconciler.kinds._secrets import SecretRef
from reconciler.kinds.base import Spec
from reconciler.kinds.endpoint.naming import COMPONENT_NAME, ENV_KEY


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


def _a_string(value: Any) -> Any:
    """An environment value is text: a number or boolean YAML read is refused, each at its own key (the message
    shows the value as the YAML wrote it: manifests/error_wording.py)."""
    if isinstance(value, bool | int | float) or value is None:
        shown = "" if value is None else str(value).lower() if isinstance(value, bool) else value
        raise ValueError(f'environment values are strings; quote it: "{shown}"')
    return value


EnvironmentValue = Annotated[str | SecretRef, BeforeValidator(_a_string)]


class WeightsSpec(Spec):
    """Where the model's weights are, when not on the Hugging Face Hub: S3."""

    s3: str = Field(description="s3://BUCKET/PREFIX/ (uncompressed weights: every object under the prefix, which "
                                "ends in /, is copied to /opt/ml/model) or s3://BUCKET/KEY.tar.gz (a compressed "
                                "artifact, unpacked there). HF_MODEL_ID defaults to /opt/ml/model.")

    @field_validator("s3")
    @classmethod
    def _uri(cls, v: str) -> str:
        from reconciler.kinds.endpoint.weights import problem

        why = problem(v)
        if why:
            raise ValueError(why)
        return v


class ModelSpec(Spec):
    """The model: container image, its environment, and where its weights are."""

    image: ImageSpec = Field(description="Container image: {huggingfaceLlm: {version: …}} (or another family) or {uri: …}.")
    weights: WeightsSpec | None = Field(
        None, description="Weights from S3 ({s3: s3://BUCKET/PREFIX/} or {s3: s3://BUCKET/KEY.tar.gz}) instead of "
                          "the Hub: deployed through the container's ModelDataSource / ModelDataUrl; the plan checks "
                          "they exist. HF_MODEL_ID defaults to /opt/ml/model.")
    environment: dict[str, EnvironmentValue] = Field(
        default_factory=dict,
        description="Container environment (at most 100 entries; values are strings, or {secretsManager: NAME} for "
                    "secrets such as HUGGING_FACE_HUB_TOKEN, resolved at apply time and never shown).",
    )

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
                             description="Inference component name (default: <endpoint>-ic, or the endpoint's name when it ends in -ic).")
    copies: int = Field(1, ge=0, le=1000, description="Number of copies (CopyCount). Changing only this uses "
                                                       "UpdateInferenceComponentRuntimeConfig.")
    acceleratorDevices: float | None = Field(None, ge=0, description="GPUs / accelerators per copy.")
    cpuCores: float | None = Field(None, gt=0, description="CPU cores per copy.")
    memoryMb: int = Field(ge=128, description="Minimum memory per copy, in MB.")
    maxMemoryMb: int | None = Field(None, ge=128, description="Maximum memory per copy, in MB.")


Size = int | str


def size(v: Size | None, unit: str) -> dict[str, Any] | None:
    """3 -> {Type: <unit>, Value: 3}; "10%" -> {Type: CAPACITY_PERCENT, Value: 10}."""
    if v is None:
        return None
    if isinstance(v, str):
        return {"Type": "CAPACITY_PERCENT", "Value": int(v.rstrip("%"))}
    return {"Type": unit, "Value": int(v)}


def _check_size(v: Size | None) -> Size | None:
    if isinstance(v, str) and not re.fullmatch(r"([1-9][0-9]?|100)%", v):
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


from reconciler.kinds.endpoint.autoscaling import AutoscalingSpec  # noqa: E402


class EndpointSpec(Spec):
    """A SageMaker real-time endpoint serving an LLM."""

    type: Literal["model-based", "inference-component-based"] = Field(
        "model-based", description="model-based (the config's variant serves the model) or inference-component-based.")
    executionRole: str = Field(description="The execution role SageMaker assumes: a Role name in the manifests, or a role ARN.")
    model: ModelSpec | None = Field(None, description="The container image and environment (not given for an "
                                    "inference-component-based endpoint whose components are InferenceComponent documents).")
    instance: InstanceSpec = Field(description="Instance type and count.")
    startup: StartupSpec | None = Field(None, description="Container startup timeouts.")
    inferenceComponent: InferenceComponentSpec | None = Field(
        None, description="Compute requirements and copies of the endpoint's one component (inference-component-based; "
                          "a shorthand for one InferenceComponent; leave it and model out to declare components as "
                          "InferenceComponent documents).")
    deployment: DeploymentSpec = Field(default_factory=DeploymentSpec,  # type: ignore[arg-type]
                                       description="How updates roll out.")
    smokeTest: SmokeTestSpec | None = Field(None, description="A request sent after every create/update.")
    autoscaling: AutoscalingSpec | None = Field(
        None, description="Application Auto Scaling of the instances (model-based) or copies (inference components); "
                          "with it, the live count within minCount..maxCount is the autoscaler's and never reset.")
    waitTimeoutSeconds: int = Field(3600, ge=60, le=4 * 3600,
                                    description="How long apply waits for the endpoint to become InService (60-14400 s).")

    @model_validator(mode="after")
    def _type_fields(self) -> EndpointSpec:
        ic = self.type == "inference-component-based"
        if (self.model is None) != (ic and self.inferenceComponent is None):
            raise ValueError("give model (and, for inference-component-based, inferenceComponent {copies, memoryMb, …}); "
                             "an inference-component-based endpoint without them runs the InferenceComponent documents "
                             "that name it" if self.model is None else
                             "model without inferenceComponent: an inference-component-based endpoint's models belong "
                             "to its components (add inferenceComponent, or move the model to an InferenceComponent)")
        if not ic and self.inferenceComponent is not None:
            raise ValueError("inferenceComponent is only for type inference-component-based")
        if not ic and (self.instance.managedScaling or self.instance.routing):
            raise ValueError("instance.managedScaling and instance.routing are only for type inference-component-based")
        return self
