"""Service Quotas for SageMaker, and the instance quotas SageMaker enforces (moto 5.2 has neither).

- ``ListServiceQuotas`` / ``GetServiceQuota`` / ``ListAWSDefaultServiceQuotas`` for ServiceCode ``sagemaker``
  answer one quota per hosting instance type (botocore's ``ProductionVariantInstanceType`` enum), named
  ``<type> for endpoint usage``, as AWS names them (AWS-FACTS.md), with generous defaults (``DEFAULT``
  instances) and stable ``L-XXXXXXXX`` quota codes; ListServiceQuotas pages at ``MaxResults`` (default 100).
  Other services are moto's.
- ``CreateEndpoint`` and ``UpdateEndpoint`` refuse, with ``ResourceLimitExceeded`` worded as AWS words it, a
  fleet that would take the account's instances of a type past its quota: the instances the account's
  other endpoints run, plus the new fleet's most (``InitialInstanceCount``, or managed instance scaling's
  ``MaxInstanceCount`` when it is enabled).
- Control ``POST /reconcile-sandbox/quotas`` ``{"service": "sagemaker", "name": "ml.g5.2xlarge for endpoint
  usage", "value": N}`` sets one (every account and region of the sandbox); ``{"service": "sagemaker",
  "accessDenied": true}`` makes reading them answer ``AccessDeniedException`` (false undoes it); ``GET`` lists
  what was set; ``DELETE`` and ``/moto-api/reset`` restore the defaults.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from reconciler.sandbox.extensions import answer_json, control_route, page, request_body

ROUTE = "/reconcile-sandbox/quotas"
DEFAULT = 1000.0  # generous: the benchmarks run hundreds of endpoints of one type
SERVICE = "sagemaker"
SERVICE_NAME = "Amazon SageMaker"
SUFFIX = " for endpoint usage"

_lock = threading.Lock()
_values: dict[str, float] = {}  # quota name -> value set by the control
_denied = False


def _instance_types() -> tuple[str, ...]:
    from reconciler.sandbox.sagemaker.common import instance_types

    return instance_types()


def quota_code(name: str) -> str:
    return "L-" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()


def value_of(name: str) -> float:
    with _lock:
        return _values.get(name, DEFAULT)


def _quota(name: str, account: str, region: str) -> dict[str, Any]:
    code = quota_code(name)
    return {"ServiceCode": SERVICE, "ServiceName": SERVICE_NAME,
            "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:{SERVICE}/{code}", "QuotaCode": code,
            "QuotaName": name, "Value": value_of(name), "Unit": "None", "Adjustable": True, "GlobalQuota": False,
            "QuotaAppliedAtLevel": "ACCOUNT"}


def quotas(account: str, region: str) -> list[dict[str, Any]]:
    return [_quota(f"{t}{SUFFIX}", account, region) for t in _instance_types()]


def reset() -> None:
    global _denied
    with _lock:
        _values.clear()
        _denied = False


# ---- the control route ----------------------------------------------------------------------------


def _shown() -> dict[str, Any]:
    with _lock:
        return {"quotas": [{"service": SERVICE, "name": n, "value": v} for n, v in sorted(_values.items())],
                "accessDenied": _denied}


def _set(payload: dict[str, Any]) -> dict[str, Any]:
    global _denied
    if payload.get("service") != SERVICE:
        raise ValueError(f'give {{"service": "{SERVICE}", "name": "<type>{SUFFIX}", "value": N}}')
    if "accessDenied" in payload:
        with _lock:
            _denied = bool(payload["accessDenied"])
        return {"accessDenied": _denied}
    name, value = payload.get("name"), payload.get("value")
    if name not in {f"{t}{SUFFIX}" for t in _instance_types()}:
        raise ValueError(f"unknown quota {name!r}: the sandbox has '<instance type>{SUFFIX}' for each type")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError("value must be a number of instances, at least 0")
    with _lock:
        _values[name] = float(value)
    return {"service": SERVICE, "name": name, "value": float(value), "quotaCode": quota_code(name)}


def wsgi_middleware(app: Any) -> Any:
    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").rstrip("/") != ROUTE:
            return app(environ, start_response)
        return answer_json(start_response, *control_route(environ.get("REQUEST_METHOD", "GET"), request_body(environ),
                                                          ROUTE, _shown, reset, _set))

    return middleware


# ---- the Service Quotas API (moto's response class, extended) ---------------------------------------


def _errors() -> tuple[type[Exception], type[Exception], type[Exception]]:
    from moto.core.exceptions import ServiceException

    class AccessDenied(ServiceException):
        code = "AccessDeniedException"

    class NoSuchResource(ServiceException):
        code = "NoSuchResourceException"

    class IllegalArgument(ServiceException):
        code = "IllegalArgumentException"

    return AccessDenied, NoSuchResource, IllegalArgument


def _sagemaker_call(response: Any, action: str) -> dict[str, Any] | None:
    """The request's parameters when it is about SageMaker (else None: moto answers it)."""
    params = json.loads(response.body or "{}")
    if params.get("ServiceCode") != SERVICE:
        return None
    if _denied:
        raise _errors()[0](f"User: arn:aws:sts::{response.current_account}:assumed-role/caller is not authorized "
                           f"to perform: servicequotas:{action} because no identity-based policy allows it")
    return params


def _listed(response: Any, params: dict[str, Any]) -> str:
    items = quotas(response.current_account, response.region)
    if params.get("QuotaCode"):
        items = [q for q in items if q["QuotaCode"] == params["QuotaCode"]]
    try:
        chunk, token = page(items, params.get("MaxResults"), params.get("NextToken"))
    except ValueError:
        raise _errors()[2]("Invalid pagination token") from None
    out: dict[str, Any] = {"Quotas": chunk}
    if token:
        out["NextToken"] = token
    return json.dumps(out)


def install() -> None:
    """Extend this process's moto (idempotent)."""
    from moto.servicequotas.responses import ServiceQuotasResponse

    if getattr(ServiceQuotasResponse, "rx_patched", False):
        return
    ServiceQuotasResponse.rx_patched = True  # type: ignore[attr-defined]
    original_get = ServiceQuotasResponse.get_service_quota
    original_defaults = ServiceQuotasResponse.list_aws_default_service_quotas

    def list_service_quotas(self: Any) -> str:
        params = _sagemaker_call(self, "ListServiceQuotas")
        if params is None:
            raise _errors()[1]("This service is not available in the current Region. Choose a different Region "
                               "or a different service.")
        return _listed(self, params)

    def list_aws_default_service_quotas(self: Any) -> str:
        params = _sagemaker_call(self, "ListAWSDefaultServiceQuotas")
        return original_defaults(self) if params is None else _listed(self, params)

    def get_service_quota(self: Any) -> str:
        params = _sagemaker_call(self, "GetServiceQuota")
        if params is None:
            return str(original_get(self))
        found = [q for q in quotas(self.current_account, self.region) if q["QuotaCode"] == params.get("QuotaCode")]
        if not found:
            raise _errors()[1](f"The request failed because the specified quota {params.get('QuotaCode')} does "
                               "not exist.")
        return json.dumps({"Quota": found[0]})

    ServiceQuotasResponse.list_service_quotas = list_service_quotas  # type: ignore[attr-defined]
    ServiceQuotasResponse.list_aws_default_service_quotas = list_aws_default_service_quotas  # type: ignore[method-assign]
    ServiceQuotasResponse.get_service_quota = get_service_quota  # type: ignore[method-assign]

    from reconciler.sandbox.extensions import in_front_of_server, on_reset

    on_reset(reset)
    in_front_of_server(wsgi_middleware)


# ---- what SageMaker enforces ----------------------------------------------------------------------


def _fleets(backend: Any, cfg: Any, summaries: list[dict[str, Any]] | None) -> list[tuple[str, int]]:
    """(instance type, instances) of a config's variants: ``summaries``' current counts, else the config's
    most (InitialInstanceCount, or MaxInstanceCount with managed instance scaling)."""
    current = {s.get("VariantName"): s.get("CurrentInstanceCount") for s in summaries or []}
    out = []
    for v in cfg.production_variants:
        if not v.get("InstanceType") or "ServerlessConfig" in v:
            continue
        n = current.get(v.get("VariantName"))
        if not isinstance(n, int):
            n = int(v.get("InitialInstanceCount") or 1)
            managed = v.get("ManagedInstanceScaling") or {}
            if managed.get("Status") == "ENABLED":
                n = max(n, int(managed.get("MaxInstanceCount") or 0))
        out.append((v["InstanceType"], n))
    return out


def refuse_beyond(backend: Any, endpoint_name: str, cfg: Any) -> None:
    """ResourceLimitExceeded when ``cfg``'s fleet on ``endpoint_name`` takes an instance type past its quota."""
    from moto.sagemaker.exceptions import SagemakerClientError

    class ResourceLimitExceeded(SagemakerClientError):
        code = "ResourceLimitExceeded"

    in_use: dict[str, int] = {}
    for name, ep in backend.endpoints.items():
        other = backend.endpoint_configs.get(ep.endpoint_config_name)
        if name == endpoint_name or other is None or ep.endpoint_status in ("Failed", "Deleting"):
            continue
        for itype, n in _fleets(backend, other, ep.production_variants or None):
            in_use[itype] = in_use.get(itype, 0) + n
    for itype, delta in _fleets(backend, cfg, None):
        name = f"{itype}{SUFFIX}"
        limit, used = value_of(name), in_use.get(itype, 0)
        if used + delta > limit:
            raise ResourceLimitExceeded(
                f"The account-level service limit '{name}' is {int(limit)} Instances, with current utilization of "
                f"{used} Instances and a request delta of {delta} Instances. Please use AWS Service Quotas to "
                "request an increase for this quota. If AWS Service Quotas is not available, contact AWS support "
                "to request an increase for this quota.")
