"""SageMaker as AWS runs it, on top of moto 5.2.5 (which lacks most of it).

Modules: ``controls`` (delays, faults, the sandbox routes), ``common`` (shared helpers), ``endpoints``
(configs and endpoints), ``components`` (inference components), ``models`` (models, tags), ``actions``
(the API actions on moto's response class), ``runtime`` (InvokeEndpoint), ``streaming``
(InvokeEndpointWithResponseStream).

``install()`` patches moto in this process (backend, responses, sagemaker-runtime and the server's
WSGI dispatcher). What it adds, with AWS's API shapes (botocore's service model):

- ``UpdateEndpoint`` (EndpointConfigName, RetainAllVariantProperties, ExcludeRetainedVariantProperties,
  DeploymentConfig, shown as ``LastDeploymentConfig``): ``Updating`` with ``PendingDeploymentSummary``,
  then ``InService`` on the new config; the endpoint keeps its old ``EndpointConfigName`` until then.
- Inference components: Create/Describe/Update/UpdateInferenceComponentRuntimeConfig/Delete/List, with
  ``RuntimeConfig`` shown as ``DesiredCopyCount``/``CurrentCopyCount``, tags on their ARN.
- Endpoint configs without ``ModelName`` (inference-component based); every request field AWS echoes
  (ExecutionRoleArn, VpcConfig, EnableNetworkIsolation, ManagedInstanceScaling, RoutingConfig, …) is kept.
- Instance types from botocore's ``ProductionVariantInstanceType`` enum (moto knows ~66 old ones); AWS's name
  patterns and lengths for models, configs, endpoints and components.
- Execution roles checked as SageMaker does (CreateModel, CreateEndpointConfig with ExecutionRoleArn): the role
  must exist, trust sagemaker.amazonaws.com and be older than ``role_propagation_seconds`` (default 0).
- DescribeModel without the ``VpcConfig``/``Containers`` it was not given; CreateEndpoint keeps DeploymentConfig;
  one not-found answer everywhere (``Could not find <kind> "<ARN>".``), tags of missing resources included.
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

from typing import Any

from .actions import _Actions
from .common import _check_instance_type
from .controls import (
    ROUTE_PREFIX,
    SERVING,
    _lock,
    add_fault,
    clear_faults,
    get_config,
    handle_route,
    list_faults,
    reset_state,
    set_config,
    wsgi_middleware,
)
from .endpoints import (
    _create_endpoint,
    _create_endpoint_config,
    _delete_endpoint,
    _describe_endpoint,
    _describe_endpoint_config,
    _update_endpoint,
)
from .models import (
    _add_tags,
    _delete_endpoint_config,
    _delete_model,
    _describe_model,
    _patched_create_model,
    _patched_resource_from_arn,
)
from .runtime import _invoke_endpoint, tgi_generate

_installed = False

__all__ = ["ROUTE_PREFIX", "SERVING", "add_fault", "clear_faults", "get_config", "handle_route", "install",
           "list_faults", "reset_state", "set_config", "tgi_generate", "wsgi_middleware"]


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
    backend_cls.describe_model = _describe_model  # type: ignore[method-assign]
    backend_cls.delete_model = _delete_model  # type: ignore[method-assign]
    backend_cls.delete_endpoint_config = _delete_endpoint_config  # type: ignore[method-assign]

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

    from . import streaming

    in_front_of_server(wsgi_middleware)
    in_front_of_server(streaming.wsgi_middleware)  # InvokeEndpointWithResponseStream (moto has none)
