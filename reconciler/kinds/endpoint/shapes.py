"""Pure mappings between the desired state and SageMaker's request/response shapes."""

from __future__ import annotations

from typing import Any

from reconciler.kinds.endpoint.spec import size

STARTUP_KEYS = (("healthCheckTimeoutSeconds", "ContainerStartupHealthCheckTimeoutInSeconds"),
                ("modelDownloadTimeoutSeconds", "ModelDataDownloadTimeoutInSeconds"))


def startup_of(params: dict[str, Any]) -> dict[str, Any]:
    """AWS's startup parameters -> spec.startup keys."""
    return {ours: params[theirs] for ours, theirs in STARTUP_KEYS if params.get(theirs) is not None}


def startup_params(startup: dict[str, Any]) -> dict[str, Any]:
    """spec.startup -> AWS's startup parameters."""
    return {theirs: startup[ours] for ours, theirs in STARTUP_KEYS if startup.get(ours) is not None}


#: spec.inferenceComponent keys <-> ComputeResourceRequirements keys (devices and cores are numbers with decimals)
COMPUTE_KEYS = (("memoryMb", "MinMemoryRequiredInMb"), ("maxMemoryMb", "MaxMemoryRequiredInMb"),
                ("acceleratorDevices", "NumberOfAcceleratorDevicesRequired"), ("cpuCores", "NumberOfCpuCoresRequired"))
_FLOATS = ("acceleratorDevices", "cpuCores")


def compute(ic: dict[str, Any]) -> dict[str, Any]:
    """spec.inferenceComponent -> ComputeResourceRequirements (memoryMb always sent)."""
    return {theirs: float(ic[ours]) if ours in _FLOATS else ic[ours] for ours, theirs in COMPUTE_KEYS
            if ours == "memoryMb" or ic.get(ours) is not None}


def compute_of(req: dict[str, Any]) -> dict[str, Any]:
    """ComputeResourceRequirements as AWS answers it -> spec.inferenceComponent keys (those it holds)."""
    return {ours: float(req[theirs]) if ours in _FLOATS else req[theirs] for ours, theirs in COMPUTE_KEYS
            if req.get(theirs) is not None}


def ic_live(spec: dict[str, Any]) -> dict[str, Any]:
    req = spec.get("ComputeResourceRequirements") or {}
    return {"memoryMb": req.get("MinMemoryRequiredInMb"), "maxMemoryMb": req.get("MaxMemoryRequiredInMb"),
            "acceleratorDevices": req.get("NumberOfAcceleratorDevicesRequired"),
            "cpuCores": req.get("NumberOfCpuCoresRequired")}


def secret_version_state(aws: Any, secret: str, version: str) -> str:
    from reconciler.aws import secretsmanager

    now = secretsmanager.version(aws, secret, cached=True)
    if now is None:
        return "missing"
    return "current" if now == version else "previous"


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
            routing["CanarySize"] = size(dep.get("canarySize"), "INSTANCE_COUNT")
        if strategy == "linear":
            routing["LinearStepSize"] = size(dep.get("linearStepSize"), "INSTANCE_COUNT")
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
    policy: dict[str, Any] = {"MaximumBatchSize": size(dep.get("batchSize"), unit),
                              "WaitIntervalInSeconds": int(dep.get("waitSeconds", 0))}
    if dep.get("maxExecutionSeconds"):
        policy["MaximumExecutionTimeoutInSeconds"] = dep["maxExecutionSeconds"]
    if dep.get("rollbackBatchSize") is not None:
        policy["RollbackMaximumBatchSize"] = size(dep["rollbackBatchSize"], unit)
    return policy


def ic_deployment_config(dep: dict[str, Any]) -> dict[str, Any] | None:
    """spec.deployment -> UpdateInferenceComponent's DeploymentConfig (rolling only; else AWS's default)."""
    if dep.get("strategy") != "rolling":
        return None
    out: dict[str, Any] = {"RollingUpdatePolicy": _rolling(dep, "COPY_COUNT")}
    if dep.get("autoRollbackAlarms"):
        out["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in dep["autoRollbackAlarms"]]}
    return out
