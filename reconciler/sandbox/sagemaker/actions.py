"""The SageMaker API actions copied onto moto's SageMakerResponse, and the List* paging rules."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .common import _ics, _invalid, _page, _start, _ts
from .components import (
    _get_ic,
    _sweep,
    create_inference_component,
    delete_inference_component,
    update_inference_component,
)
from .controls import _lock, get_config
from .endpoints import _create_endpoint_config, _get_endpoint, _update_endpoint
from .models import _model_view

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

    def describe_model(self: Any):  # type: ignore[no-untyped-def]
        from moto.core.responses import ActionResult

        return ActionResult(_model_view(self.sagemaker_backend.describe_model(self._get_param("ModelName"))))

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
            endpoint_config_name=self._get_param("EndpointConfigName"), tags=self._get_param("Tags"),
            deployment_config=self._get_param("DeploymentConfig"))
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
