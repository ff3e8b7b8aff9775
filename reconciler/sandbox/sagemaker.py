"""SageMaker as AWS runs it, on top of moto 5.2.5 (which lacks most of it).

``install()`` patches moto in this process (backend, responses, sagemaker-runtime and the server's
WSGI dispatcher). What it adds, with AWS's API shapes (botocore's service model):

- ``UpdateEndpoint`` (EndpointConfigName, RetainAllVariantProperties, ExcludeRetainedVariantProperties,
  DeploymentConfig, shown as ``LastDeploymentConfig``): ``Updating`` with ``PendingDeploymentSummary``,
  then ``InService`` on the new config; the endpoint keeps its old ``EndpointConfigName`` until then.
- Inference components: Create/Describe/Update/UpdateInferenceComponentRuntimeConfig/Delete/List, with
  ``RuntimeConfig`` shown as ``DesiredCopyCount``/``CurrentCopyCount``, tags on their ARN.
- Endpoint configs without ``ModelName`` (inference-component based); every request field AWS echoes
  (ExecutionRoleArn, VpcConfig, EnableNetworkIsolation, ManagedInstanceScaling, RoutingConfig, …) is kept.
- Any ``ml.*`` instance type; AWS's name patterns and lengths for models, configs, endpoints and components.
- Timed statuses, computed lazily from timestamps: Creating -> InService, Updating -> InService,
  Deleting -> gone (same for inference components). Durations: env ``RECONCILE_SANDBOX_SAGEMAKER_CREATE_SECONDS``
  / ``_UPDATE_SECONDS`` / ``_DELETE_SECONDS`` (defaults 3 / 3 / 1) or ``POST /reconcile-sandbox/sagemaker/config``.
- Fault injection by ``POST /reconcile-sandbox/sagemaker/faults`` (an object or a list; GET lists, DELETE clears):
  ``{"endpoint": NAME|"*", "on": "create"|"update", "mode": "fail"|"rollback"|"rollback-failed", "reason": …,
  "times": 1}`` (``inferenceComponent`` instead of ``endpoint`` for components), one-shot unless ``times`` says
  otherwise; ``{"role": NAME|ARN|"*", "on": "create-model", "seconds": N}``: CreateModel answers "Could not
  assume role" while the IAM role is younger than N seconds (persistent). ``POST /moto-api/reset`` clears
  faults and restores the delays.
- AWS's errors: duplicate creates, updates outside InService, deleting a Creating endpoint, ``AddTags``
  overwriting a key, ``ListModels`` filters, and ``InvokeEndpoint`` only on a serving endpoint, answering in
  the Hugging Face TGI shape ``[{"generated_text": …}]``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import threading
import time
from typing import Any
from urllib.parse import unquote

ROUTE_PREFIX = "/reconcile-sandbox/sagemaker/"
ENV_PREFIX = "RECONCILE_SANDBOX_SAGEMAKER_"
DEFAULTS = {"create_seconds": 3.0, "update_seconds": 3.0, "delete_seconds": 1.0}

_lock = threading.RLock()
_config: dict[str, float] = {}
_faults: list[dict[str, Any]] = []
_installed = False

# Statuses in which an endpoint serves traffic (a previous deployment keeps serving during an update).
SERVING = {"InService", "Updating", "SystemUpdating", "RollingBack"}


# --------------------------------------------------------------------------------------------------
# extension state: delays and faults


def env_config() -> dict[str, float]:
    out = {}
    for key, default in DEFAULTS.items():
        raw = os.environ.get(ENV_PREFIX + key.split("_")[0].upper() + "_SECONDS")
        try:
            out[key] = float(raw) if raw not in (None, "") else default
        except ValueError:
            out[key] = default
    return out


def reset_state() -> None:
    """Faults gone, delays back to the environment's (or built-in) defaults."""
    with _lock:
        _config.clear()
        _config.update(env_config())
        _faults.clear()


def get_config() -> dict[str, float]:
    with _lock:
        if not _config:
            _config.update(env_config())
        return dict(_config)


def set_config(values: dict[str, Any]) -> dict[str, float]:
    with _lock:
        get_config()
        for key, value in values.items():
            if key not in DEFAULTS:
                raise ValueError(f"unknown setting {key!r} (known: {', '.join(DEFAULTS)})")
            value = float(value)
            if value < 0:
                raise ValueError(f"{key} must be >= 0")
            _config[key] = value
        return dict(_config)


FAULT_TARGETS = ("endpoint", "inferenceComponent", "role")


def add_fault(fault: dict[str, Any]) -> dict[str, Any]:
    """Validate and store one fault; see the module's docs and the README of the sandbox routes."""
    targets = [k for k in FAULT_TARGETS if k in fault]
    if len(targets) != 1:
        raise ValueError(f"a fault names exactly one of {', '.join(FAULT_TARGETS)}")
    target = targets[0]
    f = dict(fault)
    if target == "role":
        f.setdefault("on", "create-model")
        if f["on"] != "create-model":
            raise ValueError("a role fault applies on 'create-model'")
        f.setdefault("seconds", 60.0)
        f["seconds"] = float(f["seconds"])
        f.setdefault("times", None)  # persistent: applies while the role is younger than `seconds`
    else:
        if f.get("on") not in ("create", "update"):
            raise ValueError("'on' must be 'create' or 'update'")
        f.setdefault("mode", "fail")
        if f["mode"] not in ("fail", "rollback", "rollback-failed"):
            raise ValueError("'mode' must be 'fail', 'rollback' or 'rollback-failed'")
        f.setdefault("times", 1)
    f.setdefault("reason", _default_reason(f))
    with _lock:
        _faults.append(f)
    return f


def _default_reason(f: dict[str, Any]) -> str:
    if "role" in f:
        return ""
    if f["on"] == "create":
        return "The primary container for production variant AllTraffic did not pass the ping health check. " \
               "Please check CloudWatch logs for this endpoint."
    return "Request to service failed. If failure persists after retry, contact customer support."


def list_faults() -> list[dict[str, Any]]:
    with _lock:
        return [dict(f) for f in _faults]


def clear_faults() -> None:
    with _lock:
        _faults.clear()


def _take_fault(kind: str, name: str, on: str) -> dict[str, Any] | None:
    """The first matching fault for a create/update of ``name`` (consumed when one-shot)."""
    with _lock:
        for f in _faults:
            if f.get(kind) in (name, "*") and f.get("on") == on:
                if f.get("times") is not None:
                    f["times"] -= 1
                    if f["times"] <= 0:
                        _faults.remove(f)
                return dict(f)
    return None


# --------------------------------------------------------------------------------------------------
# helpers


def _now() -> float:
    return time.time()


def _ts(t: float) -> _dt.datetime:
    """moto's naive-UTC datetimes."""
    return _dt.datetime.fromtimestamp(t, _dt.UTC).replace(tzinfo=None)


def _errors():  # type: ignore[no-untyped-def]
    from moto.sagemaker.exceptions import ValidationError

    return ValidationError


def _invalid(message: str) -> Exception:
    return _errors()(message=message)


def _arn(backend: Any, kind: str, name: str) -> str:
    from moto.sagemaker.utils import arn_formatter

    return arn_formatter(kind, name, backend.account_id, backend.region_name)


NAME_RULES = {
    # member name in AWS's messages, pattern, max length
    "endpoint": ("endpointName", r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", 63),
    "endpoint-config": ("endpointConfigName", r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", 63),
    "model": ("modelName", r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?", 63),
    "inference-component": ("inferenceComponentName", r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?", 63),
    "variant": ("variantName", r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", 63),
}


def _check_name(kind: str, value: str | None) -> None:
    member, pattern, max_len = NAME_RULES[kind]
    value = value or ""
    if len(value) > max_len:
        raise _invalid(f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
                       f"constraint: Member must have length less than or equal to {max_len}")
    if not re.fullmatch(pattern.lstrip("^"), value):
        raise _invalid(f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
                       f"constraint: Member must satisfy regular expression pattern: {pattern}")


INSTANCE_TYPE = re.compile(r"ml\.[a-z0-9][a-z0-9-]*\.[a-z0-9]+")


def _check_instance_type(instance_type: str) -> None:
    if not INSTANCE_TYPE.fullmatch(instance_type or ""):
        raise _invalid(f"1 validation error detected: Value '{instance_type}' at 'instanceType' failed to "
                       "satisfy constraint: Member must be an ml.* instance type")


def _page(items: list[Any], max_results: int | None, token: str | None) -> tuple[list[Any], str | None]:
    start = int(token) if token and str(token).isdigit() else 0
    size = int(max_results) if max_results else 100
    chunk = items[start:start + size]
    nxt = str(start + size) if start + size < len(items) else None
    return chunk, nxt


def _resolved(image: str) -> str:
    digest = hashlib.sha256(image.encode()).hexdigest()
    repo = image.split("@")[0]
    last = repo.rsplit("/", 1)[-1]
    if ":" in last:
        repo = repo[: len(repo) - len(last)] + last.split(":")[0]
    return f"{repo}@sha256:{digest}"


def _model_image(model: Any) -> str | None:
    primary = getattr(model, "primary_container", None) or {}
    if primary.get("Image"):
        return str(primary["Image"])
    for c in getattr(model, "containers", None) or []:
        if c.get("Image"):
            return str(c["Image"])
    return None


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
                raise _invalid(f"Could not find model \"{_arn(self, 'model', v['ModelName'])}\".")
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
        arn = _arn(self, "endpoint-config", endpoint_config_name)
        raise _invalid(f'Could not find endpoint configuration "{arn}".')
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


def _start(obj: Any, phase: str, seconds: float, fault: dict[str, Any] | None = None) -> None:
    now = _now()
    obj.rx_phase = phase
    obj.rx_seconds = seconds
    obj.rx_until = now + seconds
    obj.rx_fault = fault
    obj.last_modified_time = _ts(now)


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


def _sweep(backend: Any) -> None:
    with _lock:
        for ep in list(backend.endpoints.values()):
            _advance_endpoint(backend, ep)
        for ic in list(_ics(backend).values()):
            _advance_ic(backend, ic)


def _get_endpoint(backend: Any, name: str) -> Any:
    ep = backend.endpoints.get(name)
    if ep is not None:
        ep = _advance_endpoint(backend, ep)
    if ep is None:
        raise _invalid(f'Could not find endpoint "{_arn(backend, "endpoint", name)}".')
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
    if ep.endpoint_status != "Creating" and not (ep.endpoint_status == "Failed" and not ep.production_variants):
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
                     tags: list[dict[str, str]] | None = None) -> Any:
    from moto.sagemaker.models import FakeEndpoint

    _check_name("endpoint", endpoint_name)
    with _lock:
        existing = self.endpoints.get(endpoint_name)
        if existing is not None and _advance_endpoint(self, existing) is not None:
            raise _invalid(f'Cannot create already existing endpoint "{_arn(self, "endpoint", endpoint_name)}".')
        cfg = self.endpoint_configs.get(endpoint_config_name)
        if cfg is None:
            arn = _arn(self, "endpoint-config", endpoint_config_name)
            raise _invalid(f'Could not find endpoint configuration "{arn}".')
        ep = FakeEndpoint(account_id=self.account_id, region_name=self.region_name, endpoint_name=endpoint_name,
                          endpoint_config_name=endpoint_config_name, production_variants=[],
                          data_capture_config=cfg.data_capture_config, tags=tags or [])
        ep.endpoint_status = "Creating"
        ep.rx_pending = {"config": endpoint_config_name, "variants": _variant_summaries(self, cfg)}
        ep.rx_last_deployment_config = None
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
            arn = _arn(self, "endpoint-config", endpoint_config_name)
            raise _invalid(f'Could not find endpoint configuration "{arn}".')
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


def _ics(backend: Any) -> dict[str, FakeInferenceComponent]:
    ics = backend.__dict__.get("inference_components")
    if ics is None:
        ics = backend.__dict__.setdefault("inference_components", {})
    return ics  # type: ignore[no-any-return]


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
        raise _invalid(f'Could not find inference component "{_arn(backend, "inference-component", name)}".')
    return ic


def _check_spec(backend: Any, spec: dict[str, Any] | None) -> dict[str, Any]:
    spec = dict(spec or {})
    if not spec:
        raise _invalid("Specification is required.")
    model = spec.get("ModelName")
    if model and model not in backend._models:
        raise _invalid(f'Could not find model "{_arn(backend, "model", model)}".')
    base = spec.get("BaseInferenceComponentName")
    if base and base not in _ics(backend):
        raise _invalid(f'Could not find inference component "{_arn(backend, "inference-component", base)}".')
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
            if variant.get("ModelName"):
                raise _invalid(f'Endpoint "{ep.arn}" variant "{variant_name}" serves a model; inference components '
                               "need an endpoint config whose variant has no ModelName.")
        spec = _check_spec(backend, specification)
        count = _copy_count(runtime_config, required=not spec.get("BaseInferenceComponentName")) or 0
        ic = FakeInferenceComponent(backend, name, ep, variant_name, spec, count, tags)  # type: ignore[arg-type]
        _start(ic, "creating", get_config()["create_seconds"], _take_fault("inferenceComponent", name, "create"))
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
        if specification:
            pending["specification"] = _check_spec(backend, specification)
        count = _copy_count(runtime_config, required=False)
        if count is not None:
            pending["copy_count"] = count
            ic.desired_copy_count = count
        if len(pending) == 1:
            raise _invalid("UpdateInferenceComponent needs a Specification or a RuntimeConfig.")
        ic.rx_pending = pending
        ic.last_deployment_config = deployment_config
        ic.status = "Updating"
        _start(ic, "updating", get_config()["update_seconds"], _take_fault("inferenceComponent", name, "update"))
        return ic


def delete_inference_component(backend: Any, name: str) -> None:
    with _lock:
        ic = _get_ic(backend, name)
        if ic.status == "Deleting":
            raise _invalid(f'Cannot delete inference component "{ic.arn}": it is already being deleted.')
        ic.status = "Deleting"
        ic.rx_pending = None
        _start(ic, "deleting", get_config()["delete_seconds"])


# --------------------------------------------------------------------------------------------------
# models, tags


def _role_fault(backend: Any, role_arn: str | None) -> None:
    if not role_arn:
        return
    with _lock:
        faults = [f for f in _faults if "role" in f]
    if not faults:
        return
    role_name = role_arn.rsplit("/", 1)[-1]
    created: float | None = None
    try:
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        role = iam_backends[backend.account_id][get_partition(backend.region_name)].get_role(role_name)
        created = role.create_date.replace(tzinfo=_dt.UTC).timestamp()
    except Exception:
        created = None
    for f in faults:
        if f["role"] not in ("*", role_name, role_arn):
            continue
        if created is not None and _now() - created >= f["seconds"]:
            continue
        raise _invalid(f["reason"] or f"Could not assume role {role_arn}. Please ensure that the role exists and "
                       "allows principal 'sagemaker.amazonaws.com' to assume the role.")


def _patched_create_model(original: Any) -> Any:
    def create_model(self: Any, model_name: str, execution_role_arn: str, *args: Any, **kwargs: Any) -> Any:
        _check_name("model", model_name)
        with _lock:
            if model_name in self._models:
                raise _invalid(f'Cannot create already existing model "{_arn(self, "model", model_name)}".')
            _role_fault(self, execution_role_arn)
            return original(self, model_name, execution_role_arn, *args, **kwargs)

    return create_model


def _patched_resource_from_arn(original: Any) -> Any:
    def _get_resource_from_arn(self: Any, arn: str) -> Any:
        kind, _, name = arn.split(":")[-1].partition("/")
        if kind == "inference-component":
            ic = _ics(self).get(name)
            if ic is None:
                raise _invalid(f"Could not find {kind} with name {name}")
            return ic
        if kind == "endpoint":
            _sweep(self)
        return original(self, arn)

    return _get_resource_from_arn


def _add_tags(self: Any, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    resource = self._get_resource_from_arn(arn)
    if resource is None:
        raise _invalid(f"Could not find resource {arn}")
    with _lock:
        for tag in tags or []:
            for existing in resource.tags:
                if existing["Key"] == tag["Key"]:
                    existing["Value"] = tag.get("Value", "")
                    break
            else:
                resource.tags.append({"Key": tag["Key"], "Value": tag.get("Value", "")})
        return resource.tags  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------------
# responses (SageMaker API actions)


def _sort_page(resp: Any, items: list[Any], name_key: str, status_key: str | None = None) -> tuple[list[Any], str | None]:
    sort_by = resp._get_param("SortBy") or "CreationTime"
    reverse = (resp._get_param("SortOrder") or ("Descending" if sort_by == "CreationTime" else "Ascending")) == "Descending"
    key = {"Name": lambda x: x[name_key], "Status": lambda x: x.get(status_key or "", "")}.get(
        sort_by, lambda x: x["CreationTime"])
    items = sorted(items, key=key, reverse=reverse)
    return _page(items, resp._get_param("MaxResults"), resp._get_param("NextToken"))


def _time_filters(resp: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def naive(v: Any) -> Any:
        return v.astimezone(_dt.UTC).replace(tzinfo=None) if getattr(v, "tzinfo", None) else v

    for param, key, op in (("CreationTimeBefore", "CreationTime", "lt"), ("CreationTimeAfter", "CreationTime", "gt"),
                           ("LastModifiedTimeBefore", "LastModifiedTime", "lt"),
                           ("LastModifiedTimeAfter", "LastModifiedTime", "gt")):
        value = resp._get_param(param)
        if value is None:
            continue
        if isinstance(value, (int, float)):
            value = _ts(float(value))
        value = naive(value)
        items = [i for i in items if key in i and ((i[key] < value) if op == "lt" else (i[key] > value))]
    return items


def _list_result(resp: Any, items: list[dict[str, Any]], result_key: str, name_key: str,
                 status_key: str | None = None, equals: tuple[tuple[str, str], ...] = ()) -> Any:
    """A List* answer: NameContains, *Equals and time filters, SortBy/SortOrder, MaxResults/NextToken."""
    from moto.core.responses import ActionResult

    for param, key in equals:
        value = resp._get_param(param)
        if value:
            items = [i for i in items if i.get(key) == value]
    contains = resp._get_param("NameContains")
    if contains:
        items = [i for i in items if contains.lower() in i[name_key].lower()]
    items = _time_filters(resp, items)
    page, token = _sort_page(resp, items, name_key, status_key)
    out: dict[str, Any] = {result_key: page}
    if token:
        out["NextToken"] = token
    return ActionResult(out)


class _Actions:
    """Methods copied onto moto's SageMakerResponse (``self`` is that response)."""

    def create_model(self: Any):  # type: ignore[no-untyped-def]
        from moto.core.responses import ActionResult

        model = self.sagemaker_backend.create_model(
            model_name=self._get_param("ModelName"), execution_role_arn=self._get_param("ExecutionRoleArn"),
            primary_container=self._get_param("PrimaryContainer"), vpc_config=self._get_param("VpcConfig"),
            containers=self._get_param("Containers"), tags=self._get_param("Tags"))
        enable = self._get_param("EnableNetworkIsolation")
        if enable is not None:
            model.enable_network_isolation = bool(enable)
        return ActionResult(model.response_create)

    def list_models(self: Any):  # type: ignore[no-untyped-def]

        items = [{"ModelName": m.model_name, "ModelArn": m.arn, "CreationTime": m.creation_time}
                 for m in self.sagemaker_backend.list_models()]
        return _list_result(self, items, "Models", "ModelName")

    def create_endpoint_config(self: Any):  # type: ignore[no-untyped-def]
        from moto.core.responses import ActionResult

        params = dict(self.params or {})
        handled = {"EndpointConfigName", "ProductionVariants", "DataCaptureConfig", "AsyncInferenceConfig",
                   "Tags", "KmsKeyId"}
        cfg = _create_endpoint_config(
            self.sagemaker_backend, params.get("EndpointConfigName"), params.get("ProductionVariants") or [],
            data_capture_config=params.get("DataCaptureConfig"),
            async_inference_config=params.get("AsyncInferenceConfig"), tags=params.get("Tags"),
            kms_key_id=params.get("KmsKeyId"), extra={k: v for k, v in params.items() if k not in handled})
        return ActionResult({"EndpointConfigArn": cfg.endpoint_config_arn})

    def create_endpoint(self: Any):  # type: ignore[no-untyped-def]
        from moto.core.responses import ActionResult

        ep = self.sagemaker_backend.create_endpoint(
            endpoint_name=self._get_param("EndpointName"),
            endpoint_config_name=self._get_param("EndpointConfigName"), tags=self._get_param("Tags"))
        return ActionResult({"EndpointArn": ep.arn})

    def update_endpoint(self: Any):  # type: ignore[no-untyped-def]
        from moto.core.responses import ActionResult

        ep = _update_endpoint(
            self.sagemaker_backend, self._get_param("EndpointName"), self._get_param("EndpointConfigName"),
            retain_all_variant_properties=bool(self._get_param("RetainAllVariantProperties")),
            exclude_retained_variant_properties=self._get_param("ExcludeRetainedVariantProperties"),
            deployment_config=self._get_param("DeploymentConfig"),
            retain_deployment_config=bool(self._get_param("RetainDeploymentConfig")))
        return ActionResult({"EndpointArn": ep.arn})

    def update_endpoint_weights_and_capacities(self: Any):  # type: ignore[no-untyped-def]
        from moto.core.responses import ActionResult

        backend = self.sagemaker_backend
        name = self._get_param("EndpointName")
        with _lock:
            ep = _get_endpoint(backend, name)
            if ep.endpoint_status != "InService":
                raise _invalid(f'Cannot update in-progress endpoint "{ep.arn}".')
            desired = self._get_param("DesiredWeightsAndCapacities") or []
            backend.update_endpoint_weights_and_capacities(endpoint_name=name, desired_weights_and_capacities=desired)
            for v in ep.production_variants:  # moto sets None for what the request leaves out
                for key in ("DesiredWeight", "CurrentWeight", "DesiredInstanceCount", "CurrentInstanceCount"):
                    if key in v and v[key] is None:
                        v.pop(key)
            ep.endpoint_status = "Updating"
            ep.rx_pending = None
            _start(ep, "updating", get_config()["update_seconds"])
        return ActionResult({"EndpointArn": ep.arn})

    def list_endpoints(self: Any):  # type: ignore[no-untyped-def]

        backend = self.sagemaker_backend
        _sweep(backend)
        items = [{"EndpointName": e.endpoint_name, "EndpointArn": e.arn, "CreationTime": e.creation_time,
                  "LastModifiedTime": e.last_modified_time, "EndpointStatus": e.endpoint_status}
                 for e in backend.endpoints.values()]
        return _list_result(self, items, "Endpoints", "EndpointName", "EndpointStatus",
                            (("StatusEquals", "EndpointStatus"),))

    def create_inference_component(self: Any):  # type: ignore[no-untyped-def]
        from moto.core.responses import ActionResult

        ic = create_inference_component(
            self.sagemaker_backend, self._get_param("InferenceComponentName"), self._get_param("EndpointName"),
            self._get_param("VariantName"), self._get_param("Specification"), self._get_param("RuntimeConfig"),
            self._get_param("Tags"))
        return ActionResult({"InferenceComponentArn": ic.arn})

    def describe_inference_component(self: Any):  # type: ignore[no-untyped-def]
        from moto.core.responses import ActionResult

        with _lock:
            ic = _get_ic(self.sagemaker_backend, self._get_param("InferenceComponentName"))
            return ActionResult(ic.view())

    def update_inference_component(self: Any):  # type: ignore[no-untyped-def]
        from moto.core.responses import ActionResult

        ic = update_inference_component(
            self.sagemaker_backend, self._get_param("InferenceComponentName"), self._get_param("Specification"),
            self._get_param("RuntimeConfig"), self._get_param("DeploymentConfig"))
        return ActionResult({"InferenceComponentArn": ic.arn})

    def update_inference_component_runtime_config(self: Any):  # type: ignore[no-untyped-def]
        from moto.core.responses import ActionResult

        desired = self._get_param("DesiredRuntimeConfig")
        if not desired or desired.get("CopyCount") is None:
            raise _invalid("DesiredRuntimeConfig.CopyCount is required.")
        ic = update_inference_component(self.sagemaker_backend, self._get_param("InferenceComponentName"),
                                        None, desired, None)
        return ActionResult({"InferenceComponentArn": ic.arn})

    def delete_inference_component(self: Any):  # type: ignore[no-untyped-def]
        from moto.core.responses import EmptyResult

        delete_inference_component(self.sagemaker_backend, self._get_param("InferenceComponentName"))
        return EmptyResult()

    def list_inference_components(self: Any):  # type: ignore[no-untyped-def]

        backend = self.sagemaker_backend
        _sweep(backend)
        items = [ic.summary() for ic in _ics(backend).values()]
        return _list_result(self, items, "InferenceComponents", "InferenceComponentName", "InferenceComponentStatus",
                            (("EndpointNameEquals", "EndpointName"), ("VariantNameEquals", "VariantName"),
                             ("StatusEquals", "InferenceComponentStatus")))


# --------------------------------------------------------------------------------------------------
# sagemaker-runtime


CANNED = (
    "Here is a short answer from the reconcile sandbox, an emulated SageMaker endpoint serving a "
    "Hugging Face LLM container. A real model would continue the text with its own words, but this one "
    "repeats a fixed and deterministic continuation so that tests and demos can rely on it."
)


def tgi_generate(payload: Any, label: str) -> list[dict[str, str]]:
    """The Hugging Face TGI answer for one request: deterministic, bounded by max_new_tokens (in words)."""
    if isinstance(payload, list):
        return [tgi_generate(p, label)[0] for p in payload]
    if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), str):
        raise ValueError('the request must be a JSON object with a string "inputs"')
    params = payload.get("parameters") or {}
    if not isinstance(params, dict):
        raise ValueError('"parameters" must be an object')
    prompt = payload["inputs"]
    max_new = params.get("max_new_tokens", 20)
    try:
        max_new = int(max_new)
    except (TypeError, ValueError):
        raise ValueError("max_new_tokens must be an integer") from None
    if max_new < 1:
        raise ValueError("`max_new_tokens` must be strictly positive")
    words = CANNED.split()  # (no leading space, no "[label hash]" tag: a user reads this answer)
    text = " ".join(words[:max_new])
    for stop in params.get("stop") or []:
        if isinstance(stop, str) and stop and stop in text:
            text = text[: text.index(stop) + len(stop)]
    if params.get("return_full_text"):
        text = f"{prompt} {text}"
    return [{"generated_text": text}]


def _invoke_endpoint(self: Any, original: Any) -> Any:
    from moto.core.exceptions import ServiceException
    from moto.sagemaker.models import sagemaker_backends

    class RuntimeValidationError(ServiceException):
        code = "ValidationError"

    class ModelError(ServiceException):
        code = "ModelError"

    parts = self.path.split("?")[0].split("/")
    name = unquote(parts[2]) if len(parts) > 2 else ""
    backend = sagemaker_backends[self.current_account][self.region]
    ic_name = self.headers.get("X-Amzn-SageMaker-Inference-Component")
    with _lock:
        ep = backend.endpoints.get(name)
        if ep is not None:
            ep = _advance_endpoint(backend, ep)
        if ep is None or ep.endpoint_status not in SERVING:
            raise RuntimeValidationError(f"Endpoint {name} of account {self.current_account} not found.")
        cfg = backend.endpoint_configs.get(ep.endpoint_config_name)
        ic_based = cfg is not None and _config_is_ic_based(cfg)
        label = name
        if ic_name:
            ic = _ics(backend).get(ic_name)
            if ic is not None:
                ic = _advance_ic(backend, ic)
            if ic is None or ic.endpoint_name != name:
                raise RuntimeValidationError(
                    f"Inference Component {ic_name} not found for endpoint {name} of account {self.current_account}.")
            if ic.status not in ("InService", "Updating") or ic.current_copy_count < 1:
                raise RuntimeValidationError(
                    f"Inference Component {ic_name} is not in service (status {ic.status}, "
                    f"{ic.current_copy_count} copies).")
            label = f"{name}/{ic_name}"
        elif ic_based:
            raise RuntimeValidationError(
                "Inference Component Name header is required for endpoints to which you plan to deploy inference "
                "components. Please include Inference Component Name header or consider using SageMaker models.")
    if self.sagemakerruntime_backend.results_queue:  # moto's canned results, when a test queued some
        return original(self)
    raw = self.body if isinstance(self.body, (bytes, str)) else b""
    try:
        payload = json.loads(raw or b"null")
        generated = tgi_generate(payload, label)
    except (ValueError, TypeError) as e:
        err = ModelError(f"Received client error (422) from primary with message \"{e}\". See "
                         f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}"
                         f"#logEventViewer:group=/aws/sagemaker/Endpoints/{name} in account "
                         f"{self.current_account} for more information.")
        err.OriginalStatusCode = 422  # type: ignore[attr-defined]
        err.OriginalMessage = json.dumps({"error": str(e), "error_type": "validation"})  # type: ignore[attr-defined]
        raise err from None
    variant = ep.production_variants[0]["VariantName"] if ep.production_variants else "AllTraffic"
    headers = {"Content-Type": "application/json", "x-Amzn-Invoked-Production-Variant": variant}
    return 200, headers, json.dumps(generated)


# --------------------------------------------------------------------------------------------------
# HTTP routes of the sandbox


def handle_route(method: str, path: str, body: bytes) -> tuple[int, dict[str, Any] | list[Any]]:
    """``/reconcile-sandbox/sagemaker/{config,faults}``: (status, JSON answer)."""
    sub = path[len(ROUTE_PREFIX):].strip("/")
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return 400, {"error": "the body must be JSON"}
    try:
        if sub == "config":
            if method == "GET":
                return 200, get_config()
            if method == "POST":
                if not isinstance(payload, dict):
                    raise ValueError("the body must be a JSON object")
                return 200, set_config(payload)
            if method == "DELETE":
                reset_config = env_config()
                with _lock:
                    _config.clear()
                    _config.update(reset_config)
                return 200, get_config()
        elif sub == "faults":
            if method == "GET":
                return 200, {"faults": list_faults()}
            if method == "POST":
                items = payload if isinstance(payload, list) else [payload]
                added = [add_fault(f) for f in items if isinstance(f, dict)]
                if not added:
                    raise ValueError("the body must be a fault object or a list of them")
                return 200, {"faults": list_faults(), "added": added}
            if method == "DELETE":
                clear_faults()
                return 200, {"faults": []}
        else:
            return 404, {"error": f"unknown route {path}; known: {ROUTE_PREFIX}config, {ROUTE_PREFIX}faults"}
    except (ValueError, TypeError) as e:
        return 400, {"error": str(e)}
    return 405, {"error": f"{method} not allowed on {path}"}


def wsgi_middleware(app: Any) -> Any:
    """Answer the sandbox's own routes; pass everything else to ``app``."""

    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(ROUTE_PREFIX.rstrip("/")):
            return app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length else b""
        status, answer = handle_route(environ.get("REQUEST_METHOD", "GET"), path, body)
        data = json.dumps(answer).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return middleware


# --------------------------------------------------------------------------------------------------
# install


def install() -> None:
    """Patch moto's SageMaker, sagemaker-runtime, reset and server dispatcher in this process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    reset_state()

    from moto.moto_api._internal.models import MotoAPIBackend
    from moto.sagemaker import models as sm_models
    from moto.sagemaker.responses import SageMakerResponse
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

    backend_cls = sm_models.SageMakerModelBackend
    # Any ml.* instance type (moto knows ~66 old ones), configs without ModelName (inference components).
    sm_models.FakeEndpointConfig.validate_instance_type = lambda self, t: _check_instance_type(t)  # type: ignore[method-assign]
    backend_cls.create_model = _patched_create_model(backend_cls.create_model)  # type: ignore[method-assign]
    backend_cls.create_endpoint_config = _create_endpoint_config  # type: ignore[method-assign,assignment]
    backend_cls.describe_endpoint_config = _describe_endpoint_config  # type: ignore[method-assign]
    backend_cls.create_endpoint = _create_endpoint  # type: ignore[method-assign,assignment]
    backend_cls.describe_endpoint = _describe_endpoint  # type: ignore[method-assign]
    backend_cls.update_endpoint = _update_endpoint  # type: ignore[attr-defined]
    backend_cls.delete_endpoint = _delete_endpoint  # type: ignore[method-assign]
    backend_cls._get_resource_from_arn = _patched_resource_from_arn(backend_cls._get_resource_from_arn)  # type: ignore[method-assign]
    backend_cls.add_tags = _add_tags  # type: ignore[method-assign]

    for name, fn in vars(_Actions).items():
        if callable(fn) and not name.startswith("__"):
            setattr(SageMakerResponse, name, fn)

    original_invoke = SageMakerRuntimeResponse.invoke_endpoint

    def invoke_endpoint(self: Any) -> Any:
        return _invoke_endpoint(self, original_invoke)

    SageMakerRuntimeResponse.invoke_endpoint = invoke_endpoint  # type: ignore[method-assign]

    original_reset = MotoAPIBackend.reset

    def reset(self: Any) -> None:
        original_reset(self)
        reset_state()

    MotoAPIBackend.reset = reset  # type: ignore[method-assign]

    from reconciler.sandbox.extensions import in_front_of_server

    in_front_of_server(wsgi_middleware)
