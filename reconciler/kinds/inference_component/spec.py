"""The InferenceComponent manifest's spec: one model placed on an inference-component-based Endpoint.

The model block is the Endpoint's ``ModelSpec`` (image, environment, secrets), startup, deployment and
smoke test are the Endpoint's specs too: one shape for one thing."""

from __future__ import annotations

from pydantic import Field, model_validator

from reconciler.kinds.base import Spec
from reconciler.kinds.endpoint.autoscaling import AutoscalingSpec
from reconciler.kinds.endpoint.spec import DeploymentSpec, ModelSpec, SmokeTestSpec, StartupSpec


class InferenceComponentKindSpec(Spec):
    """One model with its compute on an inference-component-based endpoint (several share its instances)."""

    endpoint: str = Field(min_length=1, max_length=63, pattern=r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
                          description="The inference-component-based Endpoint it runs on: an Endpoint in the "
                                      "manifests (ordered before it) or the name of a live one.")
    executionRole: str | None = Field(None, description="Role the model runs as: a Role name in the manifests or "
                                                        "a role ARN (default: the endpoint's, when it is in the manifests).")
    model: ModelSpec = Field(description="The container image and environment, as an Endpoint's model.")
    acceleratorDevices: float | None = Field(None, ge=0, description="GPUs / accelerators per copy.")
    cpuCores: float | None = Field(None, gt=0, description="CPU cores per copy.")
    memoryMb: int = Field(ge=128, description="Minimum memory per copy, in MB.")
    maxMemoryMb: int | None = Field(None, ge=128, description="Maximum memory per copy, in MB.")
    copies: int = Field(1, ge=0, le=1000, description="Number of copies (CopyCount); changing only this uses "
                                                      "UpdateInferenceComponentRuntimeConfig.")
    startup: StartupSpec | None = Field(None, description="Container startup timeouts.")
    deployment: DeploymentSpec = Field(default_factory=DeploymentSpec,  # type: ignore[arg-type]
                                       description="How a new model or compute rolls out: strategy rolling with "
                                                   "batchSize (copies per batch), else AWS's blue/green default.")
    smokeTest: SmokeTestSpec | None = Field(None, description="A request sent to this component after every create/update.")
    autoscaling: AutoscalingSpec | None = Field(
        None, description="Application Auto Scaling of this component's copies, as an Endpoint's autoscaling "
                          "(metric invocationsPerCopy or concurrentRequestsPerCopy; minCount 0 scales to zero). "
                          "With it, the live copy count within minCount..maxCount is the autoscaler's and never reset.")
    waitTimeoutSeconds: int = Field(3600, ge=60, le=4 * 3600,
                                    description="How long apply waits for the component to become InService (60-14400 s).")

    @model_validator(mode="after")
    def _memory(self) -> InferenceComponentKindSpec:
        if self.maxMemoryMb is not None and self.maxMemoryMb < self.memoryMb:
            raise ValueError("maxMemoryMb must be at least memoryMb")
        if self.deployment.strategy in ("canary", "linear"):
            raise ValueError("an inference component rolls out all-at-once (blue/green) or rolling (batchSize copies)")
        return self
