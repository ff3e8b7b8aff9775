"""Inference components: create, describe, update, runtime config, delete, with timed statuses."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from reconciler.sandbox.autoscaling_targets import deregister_resource

from .common import _arn, _check_name, _ics, _invalid, _not_found, _now, _resolved, _start, _ts
from .controls import _lock, _take_fault, get_config
from .endpoints import _advance_endpoint, _get_endpoint
from .placement import place

# --------------------------------------------------------------------------------------------------
# inference components


class FakeInferenceComponent:
    def __init__(self, backend: Any, name: str, endpoint: Any, variant_name: str, specification: dict[str, Any],
                 copy_count: int, tags: list[dict[str, str]] | None):
        self.name = name
        self.arn = _arn(backend, "inference-component", name)
        self.endpoint_name = endpoint.endpoint_name
        self.endpoint_arn = endpoint.arn
        self.variant_name = variant_name
        self.specification = specification
        self.desired_copy_count = copy_count
        self.current_copy_count = 0
        self.status = "Creating"
        self.failure_reason: str | None = None
        self.tags = list(tags or [])
        self.last_deployment_config: dict[str, Any] | None = None
        self.rx_pending: dict[str, Any] | None = None
        self.rx_phase: str | None = None
        self.rx_until: float | None = None
        self.rx_fault: dict[str, Any] | None = None
        self.rx_seconds = 0.0
        self.creation_time = self.last_modified_time = _ts(_now())

    def summary(self) -> dict[str, Any]:
        return {"InferenceComponentName": self.name, "InferenceComponentArn": self.arn,
                "EndpointName": self.endpoint_name, "EndpointArn": self.endpoint_arn,
                "VariantName": self.variant_name, "InferenceComponentStatus": self.status,
                "CreationTime": self.creation_time, "LastModifiedTime": self.last_modified_time}

    def view(self) -> dict[str, Any]:
        out = self.summary()
        out["Specification"] = _spec_summary(self.specification, self.creation_time)
        out["RuntimeConfig"] = {"DesiredCopyCount": self.desired_copy_count,
                                "CurrentCopyCount": self.current_copy_count}
        if self.failure_reason:
            out["FailureReason"] = self.failure_reason
        if self.last_deployment_config:
            out["LastDeploymentConfig"] = self.last_deployment_config
        return out


def _spec_summary(spec: dict[str, Any], when: _dt.datetime) -> dict[str, Any]:
    out = {k: v for k, v in spec.items() if k != "Container"}
    container = spec.get("Container")
    if container:
        c = {k: v for k, v in container.items() if k != "Image"}
        if container.get("Image"):
            c["DeployedImage"] = {"SpecifiedImage": container["Image"], "ResolvedImage": _resolved(container["Image"]),
                                  "ResolutionTime": when}
        out["Container"] = c
    return out


def _advance_ic(backend: Any, ic: FakeInferenceComponent) -> FakeInferenceComponent | None:
    now = _now()
    while ic.rx_until is not None and now >= ic.rx_until:
        phase, fault, t = ic.rx_phase, ic.rx_fault, ic.rx_until
        ic.rx_phase = ic.rx_until = None
        ic.last_modified_time = _ts(t)
        pending = ic.rx_pending or {}
        ic.rx_pending = None
        if phase == "creating":
            if fault:
                ic.status, ic.failure_reason, ic.current_copy_count = "Failed", fault["reason"], 0
            else:
                ic.status, ic.current_copy_count = "InService", ic.desired_copy_count
        elif phase == "updating":
            if not fault:
                if "specification" in pending:
                    ic.specification = pending["specification"]
                if "copy_count" in pending:
                    ic.desired_copy_count = ic.current_copy_count = pending["copy_count"]
                ic.status, ic.failure_reason = "InService", None
            else:
                ic.desired_copy_count = pending.get("old_copy_count", ic.desired_copy_count)
                ic.failure_reason = fault["reason"]
                ic.status = "InService" if fault["mode"] == "rollback" else "Failed"
        elif phase == "deleting":
            _ics(backend).pop(ic.name, None)
            return None
    return ic


def _get_ic(backend: Any, name: str) -> FakeInferenceComponent:
    ic = _ics(backend).get(name)
    if ic is not None:
        ic = _advance_ic(backend, ic)  # type: ignore[assignment]
    if ic is None:
        raise _not_found(backend, "inference-component", name)
    return ic


def _check_spec(backend: Any, spec: dict[str, Any] | None) -> dict[str, Any]:
    spec = dict(spec or {})
    if not spec:
        raise _invalid("Specification is required.")
    model = spec.get("ModelName")
    if model and model not in backend._models:
        raise _not_found(backend, "model", model)
    base = spec.get("BaseInferenceComponentName")
    if base and base not in _ics(backend):
        raise _not_found(backend, "inference-component", base)
    if not model and not spec.get("Container") and not base:
        raise _invalid("The Specification must name a ModelName, a Container or a BaseInferenceComponentName.")
    if not base and not spec.get("ComputeResourceRequirements"):
        raise _invalid("ComputeResourceRequirements is required for an inference component that is not an adapter.")
    return spec


def _copy_count(runtime_config: dict[str, Any] | None, required: bool = True) -> int | None:
    if not runtime_config or runtime_config.get("CopyCount") is None:
        if required:
            raise _invalid("RuntimeConfig.CopyCount is required.")
        return None
    count = int(runtime_config["CopyCount"])
    if count < 0:
        raise _invalid(f"1 validation error detected: Value '{count}' at 'runtimeConfig.copyCount' failed to "
                       "satisfy constraint: Member must have value greater than or equal to 0")
    return count


def create_inference_component(backend: Any, name: str, endpoint_name: str, variant_name: str | None,
                               specification: dict[str, Any] | None, runtime_config: dict[str, Any] | None,
                               tags: list[dict[str, str]] | None) -> FakeInferenceComponent:
    _check_name("inference-component", name)
    with _lock:
        existing = _ics(backend).get(name)
        if existing is not None and _advance_ic(backend, existing) is not None:
            raise _invalid(f'Cannot create already existing inference component "{existing.arn}".')
        ep = _get_endpoint(backend, endpoint_name)
        if ep.endpoint_status not in ("InService", "Updating"):
            raise _invalid(f'Endpoint "{ep.arn}" is in status {ep.endpoint_status}; inference components can be '
                           "created only on an endpoint that is InService.")
        cfg = backend.endpoint_configs.get(ep.endpoint_config_name)
        variants = [v["VariantName"] for v in ep.production_variants]
        variant_name = variant_name or (variants[0] if len(variants) == 1 else None)
        if variant_name not in variants:
            raise _invalid(f'The variant name "{variant_name}" is not present on endpoint "{ep.arn}".')
        if cfg is not None:
            variant = next((v for v in cfg.production_variants if v["VariantName"] == variant_name), {})
            if variant.get("ModelName"):  # AWS's words (AWS-FACTS.md)
                raise _invalid("Invalid request provided: Inference Components are not supported in this Endpoint. "
                               "Please make sure this endpoint can deploy inference components.")
        spec = _check_spec(backend, specification)
        count = _copy_count(runtime_config, required=not spec.get("BaseInferenceComponentName")) or 0
        ic = FakeInferenceComponent(backend, name, ep, variant_name, spec, count, tags)  # type: ignore[arg-type]
        fault = _take_fault("inferenceComponent", name, "create")
        unplaced, scaled = place(backend, ep, cfg, name, spec, count)
        if unplaced and not fault:
            fault = {"reason": unplaced, "mode": "fail"}
        seconds = get_config()["create_seconds"] * (2 if scaled else 1)  # (new instances take a create's time)
        _start(ic, "creating", seconds, fault)
        ic.creation_time = ic.last_modified_time
        _ics(backend)[name] = ic
        return ic


def update_inference_component(backend: Any, name: str, specification: dict[str, Any] | None,
                               runtime_config: dict[str, Any] | None,
                               deployment_config: dict[str, Any] | None) -> FakeInferenceComponent:
    with _lock:
        ic = _get_ic(backend, name)
        if ic.status != "InService":
            raise _invalid(f'Cannot update inference component "{ic.arn}" while it is {ic.status}.')
        pending: dict[str, Any] = {"old_copy_count": ic.desired_copy_count}
        if specification:  # the members given replace the live ones; the others stay (the SageMaker SDK's
            # update_predictor(resources=…) sends ComputeResourceRequirements alone)
            pending["specification"] = _check_spec(backend, {**ic.specification, **specification})
        count = _copy_count(runtime_config, required=False)
        if count is not None:
            pending["copy_count"] = count
            ic.desired_copy_count = count
        if len(pending) == 1:
            raise _invalid("UpdateInferenceComponent needs a Specification or a RuntimeConfig.")
        ic.rx_pending = pending
        ic.last_deployment_config = deployment_config
        ic.status = "Updating"
        fault = _take_fault("inferenceComponent", name, "update")
        ep = _get_endpoint(backend, ic.endpoint_name)
        unplaced, scaled = place(backend, ep, backend.endpoint_configs.get(ep.endpoint_config_name), name,
                                 pending.get("specification") or ic.specification, pending.get("copy_count", ic.desired_copy_count))
        if unplaced and not fault:
            fault = {"reason": unplaced, "mode": "rollback"}  # (AWS rolls the update back; the old copies serve)
        seconds = get_config()["update_seconds"] + (get_config()["create_seconds"] if scaled else 0)
        _start(ic, "updating", seconds, fault)
        return ic


def delete_inference_component(backend: Any, name: str) -> None:
    with _lock:
        ic = _get_ic(backend, name)
        if ic.status == "Deleting":
            raise _invalid(f'Cannot delete inference component "{ic.arn}": it is already being deleted.')
        ic.status = "Deleting"
        ic.rx_pending = None
        _start(ic, "deleting", get_config()["delete_seconds"])
        deregister_resource(backend.account_id, backend.region_name, f"inference-component/{name}")


def _sweep(backend: Any) -> None:
    with _lock:
        for ep in list(backend.endpoints.values()):
            _advance_endpoint(backend, ep)
        for ic in list(_ics(backend).values()):
            _advance_ic(backend, ic)
