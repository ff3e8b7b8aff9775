"""Endpoint configs and endpoints: create, describe, update (blue/green with timed statuses), delete."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.autoscaling_targets import deregister_resource
from reconciler.sandbox.quotas import refuse_beyond

from .assume import check_execution_role
from .common import _arn, _check_name, _ics, _invalid, _model_image, _not_found, _now, _resolved, _start, _ts
from .controls import _lock, _take_fault, get_config

# --------------------------------------------------------------------------------------------------
# endpoint configs


def _config_is_ic_based(cfg: Any) -> bool:
    return any(not v.get("ModelName") for v in cfg.production_variants if "ServerlessConfig" not in v)


def _config_view(cfg: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "EndpointConfigName": cfg.endpoint_config_name,
        "EndpointConfigArn": cfg.endpoint_config_arn,
        "ProductionVariants": cfg.production_variants,
        "CreationTime": cfg.creation_time,
    }
    if cfg.data_capture_config:
        out["DataCaptureConfig"] = cfg.data_capture_config
    if cfg.kms_key_id:
        out["KmsKeyId"] = cfg.kms_key_id
    if cfg.async_inference_config:
        out["AsyncInferenceConfig"] = cfg.async_inference_config
    for key, value in (getattr(cfg, "rx_extra", None) or {}).items():
        if value is not None:
            out[key] = value
    return out


def _create_endpoint_config(self: Any, endpoint_config_name: str, production_variants: list[dict[str, Any]],
                            data_capture_config: dict[str, Any] | None = None,
                            async_inference_config: dict[str, Any] | None = None,
                            tags: list[dict[str, str]] | None = None, kms_key_id: str | None = None,
                            extra: dict[str, Any] | None = None) -> Any:
    from moto.sagemaker.models import FakeEndpointConfig

    _check_name("endpoint-config", endpoint_config_name)
    with _lock:
        if endpoint_config_name in self.endpoint_configs:
            arn = _arn(self, "endpoint-config", endpoint_config_name)
            raise _invalid(f'Cannot create already existing endpoint configuration "{arn}".')
        variants = production_variants or []
        if not variants:
            raise _invalid("1 validation error detected: Value '[]' at 'productionVariants' failed to satisfy "
                           "constraint: Member must have length greater than or equal to 1")
        seen = set()
        for v in variants:
            _check_name("variant", v.get("VariantName"))
            if v["VariantName"] in seen:
                raise _invalid(f"The variant name \"{v['VariantName']}\" was non-unique within the request.")
            seen.add(v["VariantName"])
            if v.get("ModelName") and v["ModelName"] not in self._models:
                raise _not_found(self, "model", v["ModelName"])
        check_execution_role(self, (extra or {}).get("ExecutionRoleArn"))
        cfg = FakeEndpointConfig(
            account_id=self.account_id, region_name=self.region_name, endpoint_config_name=endpoint_config_name,
            production_variants=variants, async_inference_config=async_inference_config or {},
            data_capture_config=data_capture_config or {}, tags=tags or [], kms_key_id=kms_key_id or "",
        )
        cfg.rx_extra = dict(extra or {})
        self.endpoint_configs[endpoint_config_name] = cfg
        return cfg


def _describe_endpoint_config(self: Any, endpoint_config_name: str) -> dict[str, Any]:
    cfg = self.endpoint_configs.get(endpoint_config_name)
    if cfg is None:
        raise _not_found(self, "endpoint-config", endpoint_config_name)
    return _config_view(cfg)


# --------------------------------------------------------------------------------------------------
# endpoints


def _variant_summaries(backend: Any, cfg: Any) -> list[dict[str, Any]]:
    out = []
    for v in cfg.production_variants:
        s: dict[str, Any] = {"VariantName": v["VariantName"]}
        model = backend._models.get(v.get("ModelName") or "")
        image = _model_image(model) if model else None
        if image:
            s["DeployedImages"] = [{"SpecifiedImage": image, "ResolvedImage": _resolved(image),
                                    "ResolutionTime": cfg.creation_time}]
        weight = float(v.get("InitialVariantWeight", 1.0))
        s["CurrentWeight"] = s["DesiredWeight"] = weight
        if "ServerlessConfig" in v:
            s["CurrentServerlessConfig"] = s["DesiredServerlessConfig"] = v["ServerlessConfig"]
        else:
            count = int(v.get("InitialInstanceCount", 1))
            s["CurrentInstanceCount"] = s["DesiredInstanceCount"] = count
        for key in ("ManagedInstanceScaling", "RoutingConfig"):
            if key in v:
                s[key] = v[key]
        out.append(s)
    return out


def _retain(old: list[dict[str, Any]], new: list[dict[str, Any]], excluded: set[str]) -> list[dict[str, Any]]:
    """RetainAllVariantProperties: keep the live instance counts and weights of variants that stay."""
    by_name = {v["VariantName"]: v for v in old}
    for v in new:
        o = by_name.get(v["VariantName"])
        if not o:
            continue
        if "DesiredInstanceCount" not in excluded and "DesiredInstanceCount" in o and "DesiredInstanceCount" in v:
            v["DesiredInstanceCount"] = o["DesiredInstanceCount"]
            v["CurrentInstanceCount"] = o.get("CurrentInstanceCount", o["DesiredInstanceCount"])
        if "DesiredWeight" not in excluded and "DesiredWeight" in o:
            v["DesiredWeight"] = o["DesiredWeight"]
            v["CurrentWeight"] = o.get("CurrentWeight", o["DesiredWeight"])
    return new




def _advance_endpoint(backend: Any, ep: Any) -> Any:
    """Apply every transition whose time has come; None when the endpoint is gone."""
    now = _now()
    while getattr(ep, "rx_until", None) is not None and now >= ep.rx_until:
        phase, fault, t = ep.rx_phase, ep.rx_fault, ep.rx_until
        ep.rx_phase = ep.rx_until = None
        ep.last_modified_time = _ts(t)
        if phase == "creating":
            if fault:
                ep.endpoint_status = "Failed"
                ep.failure_reason = fault["reason"]
            else:
                ep.endpoint_status = "InService"
                ep.production_variants = ep.rx_pending["variants"]
            ep.rx_pending = None
        elif phase == "updating":
            pending = ep.rx_pending or {}
            if not fault:
                if pending.get("config"):
                    ep.endpoint_config_name = pending["config"]
                if pending.get("variants") is not None:
                    ep.production_variants = pending["variants"]
                ep.failure_reason = None
                ep.endpoint_status = "InService"
                ep.rx_pending = None
            elif fault["mode"] == "fail":
                ep.endpoint_status = "InService"
                ep.failure_reason = fault["reason"]
                ep.rx_pending = None
            else:
                ep.endpoint_status = "RollingBack"
                ep.rx_phase = "rolling-back"
                ep.rx_fault = fault
                ep.rx_until = t + ep.rx_seconds
        elif phase == "rolling-back":
            ep.endpoint_status = "UpdateRollbackFailed" if fault and fault["mode"] == "rollback-failed" else "InService"
            ep.failure_reason = fault["reason"] if fault else None
            ep.rx_pending = None
        elif phase == "deleting":
            backend.endpoints.pop(ep.endpoint_name, None)
            for name, ic in list(_ics(backend).items()):
                if ic.endpoint_name == ep.endpoint_name:
                    _ics(backend).pop(name, None)
            return None
    return ep


def _get_endpoint(backend: Any, name: str) -> Any:
    ep = backend.endpoints.get(name)
    if ep is not None:
        ep = _advance_endpoint(backend, ep)
    if ep is None:
        raise _not_found(backend, "endpoint", name)
    return ep


def _endpoint_view(backend: Any, ep: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "EndpointName": ep.endpoint_name,
        "EndpointArn": ep.arn,
        "EndpointConfigName": ep.endpoint_config_name,
        "EndpointStatus": ep.endpoint_status,
        "CreationTime": ep.creation_time,
        "LastModifiedTime": ep.last_modified_time,
    }
    if ep.endpoint_status != "Creating" and ep.production_variants:  # botocore: min 1 when present
        out["ProductionVariants"] = ep.production_variants
    if ep.data_capture_config:
        dcc = ep.data_capture_config
        out["DataCaptureConfig"] = {
            "EnableCapture": bool(dcc.get("EnableCapture", True)),
            "CaptureStatus": "Started" if dcc.get("EnableCapture", True) else "Stopped",
            "CurrentSamplingPercentage": dcc.get("InitialSamplingPercentage", 0),
            "DestinationS3Uri": dcc.get("DestinationS3Uri", ""),
            "KmsKeyId": dcc.get("KmsKeyId", ""),
        }
    if ep.failure_reason:
        out["FailureReason"] = ep.failure_reason
    if getattr(ep, "rx_last_deployment_config", None):
        out["LastDeploymentConfig"] = ep.rx_last_deployment_config
    pending = getattr(ep, "rx_pending", None)
    if pending and pending.get("config") and ep.endpoint_status in ("Updating", "RollingBack"):
        out["PendingDeploymentSummary"] = {
            "EndpointConfigName": pending["config"],
            "ProductionVariants": [
                {k: v for k, v in s.items() if k != "CurrentServerlessConfig"}
                | {"VariantStatus": [{"Status": "Updating", "StartTime": ep.last_modified_time}]}
                for s in pending.get("variants") or []
            ],
            "StartTime": ep.last_modified_time,
        }
    return out


def _create_endpoint(self: Any, endpoint_name: str, endpoint_config_name: str,
                     tags: list[dict[str, str]] | None = None,
                     deployment_config: dict[str, Any] | None = None) -> Any:
    from moto.sagemaker.models import FakeEndpoint

    _check_name("endpoint", endpoint_name)
    with _lock:
        existing = self.endpoints.get(endpoint_name)
        if existing is not None and _advance_endpoint(self, existing) is not None:
            raise _invalid(f'Cannot create already existing endpoint "{_arn(self, "endpoint", endpoint_name)}".')
        cfg = self.endpoint_configs.get(endpoint_config_name)
        if cfg is None:
            raise _not_found(self, "endpoint-config", endpoint_config_name)
        refuse_beyond(self, endpoint_name, cfg)  # ResourceLimitExceeded past the instance quota
        ep = FakeEndpoint(account_id=self.account_id, region_name=self.region_name, endpoint_name=endpoint_name,
                          endpoint_config_name=endpoint_config_name, production_variants=[],
                          data_capture_config=cfg.data_capture_config, tags=tags or [])
        ep.endpoint_status = "Creating"
        ep.rx_pending = {"config": endpoint_config_name, "variants": _variant_summaries(self, cfg)}
        ep.rx_last_deployment_config = deployment_config or None  # AWS: LastDeploymentConfig
        fault = _take_fault("endpoint", endpoint_name, "create")
        _start(ep, "creating", get_config()["create_seconds"], fault)
        ep.creation_time = ep.last_modified_time
        self.endpoints[endpoint_name] = ep
        return ep


def _describe_endpoint(self: Any, endpoint_name: str) -> dict[str, Any]:
    with _lock:
        return _endpoint_view(self, _get_endpoint(self, endpoint_name))


def _update_endpoint(self: Any, endpoint_name: str, endpoint_config_name: str,
                     retain_all_variant_properties: bool = False,
                     exclude_retained_variant_properties: list[dict[str, str]] | None = None,
                     deployment_config: dict[str, Any] | None = None,
                     retain_deployment_config: bool = False) -> Any:
    with _lock:
        ep = _get_endpoint(self, endpoint_name)
        if ep.endpoint_status != "InService":
            word = "failed" if ep.endpoint_status in ("Failed", "UpdateRollbackFailed") else "in-progress"
            raise _invalid(f'Cannot update {word} endpoint "{ep.arn}".')
        cfg = self.endpoint_configs.get(endpoint_config_name)
        if cfg is None:
            raise _not_found(self, "endpoint-config", endpoint_config_name)
        refuse_beyond(self, endpoint_name, cfg)
        variants = _variant_summaries(self, cfg)
        if retain_all_variant_properties:
            excluded = {p.get("VariantPropertyType") for p in exclude_retained_variant_properties or []}
            variants = _retain(ep.production_variants, variants, excluded)  # type: ignore[arg-type]
        ep.rx_pending = {"config": endpoint_config_name, "variants": variants}
        if deployment_config is not None:
            ep.rx_last_deployment_config = deployment_config
        elif not retain_deployment_config:
            ep.rx_last_deployment_config = None
        ep.rx_update_options = {
            "RetainAllVariantProperties": bool(retain_all_variant_properties),
            "ExcludeRetainedVariantProperties": exclude_retained_variant_properties or [],
            "DeploymentConfig": deployment_config,
        }
        fault = _take_fault("endpoint", endpoint_name, "update")
        ep.endpoint_status = "Updating"
        _start(ep, "updating", get_config()["update_seconds"], fault)
        return ep


def _delete_endpoint(self: Any, endpoint_name: str) -> None:
    from .components import _advance_ic

    with _lock:
        ep = _get_endpoint(self, endpoint_name)
        if ep.endpoint_status in ("Creating", "Deleting"):
            raise _invalid(f'Cannot delete in-progress endpoint "{ep.arn}".')
        live = [ic.name for ic in _ics(self).values()
                if ic.endpoint_name == endpoint_name and _advance_ic(self, ic) is not None and ic.status != "Deleting"]
        if live:
            raise _invalid(f'Endpoint "{ep.arn}" has inference components ({", ".join(sorted(live))}); '
                           "delete them before deleting the endpoint.")
        ep.endpoint_status = "Deleting"
        ep.rx_pending = None
        _start(ep, "deleting", get_config()["delete_seconds"])
        deregister_resource(self.account_id, self.region_name, f"endpoint/{endpoint_name}")
