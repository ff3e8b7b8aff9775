"""The SageMaker calls and waits an Endpoint or InferenceComponent step makes, as plan operations: each
request exactly as botocore names it (``client.<call>(**request)``), secrets only as references.

Pure: no AWS. The names of models and configs are content-derived (``naming``), so every request is known
at plan time; a secret's value is ``ops.secret(NAME, VERSION)`` with the version the plan read.
"""

from __future__ import annotations

from typing import Any

from reconciler import ops
from reconciler.kinds.endpoint import weights
from reconciler.kinds.endpoint.naming import SECRET_TAG_PREFIX, VARIANT
from reconciler.plan import Operation, Ownership

SERVICE = "sagemaker"
RESOURCE = {"model": "model", "config": "endpoint-config", "endpoint": "endpoint", "component": "inference-component"}


def arn(ctx: Any, kind: str, name: str) -> str:
    """The ARN AWS gives a SageMaker resource (names lower-cased), for one that does not exist yet."""
    return f"arn:{ctx.partition}:sagemaker:{ctx.region}:{ctx.account}:{RESOURCE[kind]}/{name.lower()}"


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def count(n: int, one: str = "copy", many: str = "copies") -> str:
    return f"{n} {one if n == 1 else many}"


# ---- models and endpoint configs ----------------------------------------------------------------------


def secret_keys(desired: dict[str, Any]) -> list[str]:
    return sorted(k for k, v in (desired.get("environment") or {}).items() if isinstance(v, dict))


def environment(desired: dict[str, Any], versions: dict[str, str]) -> dict[str, Any]:
    """The container environment: plain values, and each secret as a reference to the version the plan read."""
    return {k: ops.secret(v["secretsManager"], versions.get(k)) if isinstance(v, dict) else v
            for k, v in sorted((desired.get("environment") or {}).items())}


def secret_tags(desired: dict[str, Any], versions: dict[str, str]) -> dict[str, str]:
    """``reconciler:secret:KEY = VERSION:NAME`` on the model: which secret version it was made with."""
    return {SECRET_TAG_PREFIX + k: f"{versions.get(k)}:{v['secretsManager']}"
            for k, v in sorted((desired.get("environment") or {}).items()) if isinstance(v, dict)}


def create_model(name: str, desired: dict[str, Any], versions: dict[str, str], tags: dict[str, str], ctx: Any,
                 detail: str | None = None) -> Operation:
    request = {"ModelName": name, "ExecutionRoleArn": desired["executionRole"],
               "PrimaryContainer": {"Image": desired["image"], **weights.container(desired.get("weights")),
                                    "Environment": environment(desired, versions)},
               "Tags": tag_list({**tags, **secret_tags(desired, versions)})}
    return ops.call(SERVICE, "CreateModel", name, request, id="model", resource=arn(ctx, "model", name),
                    detail=detail)


def create_config(name: str, variant: dict[str, Any], extra: dict[str, Any], tags: dict[str, str], ctx: Any,
                  detail: str | None = None) -> Operation:
    request = {"EndpointConfigName": name, "ProductionVariants": [variant], **extra, "Tags": tag_list(tags)}
    return ops.call(SERVICE, "CreateEndpointConfig", name, request, id="config", resource=arn(ctx, "config", name),
                    detail=detail)


def delete_config(name: str, resource: str, evidence: Ownership, detail: str | None = None) -> Operation:
    return ops.call(SERVICE, "DeleteEndpointConfig", name, {"EndpointConfigName": name}, resource=resource,
                    ownership=evidence, detail=detail)


def delete_model(name: str, resource: str, evidence: Ownership, detail: str | None = None) -> Operation:
    return ops.call(SERVICE, "DeleteModel", name, {"ModelName": name}, resource=resource, ownership=evidence,
                    detail=detail)


# ---- tags -------------------------------------------------------------------------------------------------


def add_tags(target: str, resource: str, tags: dict[str, str], evidence: Ownership, detail: str | None = None,
             ) -> Operation:
    return ops.call(SERVICE, "AddTags", target, {"ResourceArn": resource, "Tags": tag_list(tags)},
                    resource=resource, ownership=evidence, detail=detail or ", ".join(sorted(tags)))


def delete_tags(target: str, resource: str, keys: list[str], evidence: Ownership, detail: str | None = None,
                ) -> Operation:
    return ops.call(SERVICE, "DeleteTags", target, {"ResourceArn": resource, "TagKeys": sorted(keys)},
                    resource=resource, ownership=evidence, detail=detail or ", ".join(sorted(keys)))


def tag_changes(target: str, resource: str, live: dict[str, str], want: dict[str, str], evidence: Ownership,
                ignore: tuple[str, ...] = ()) -> list[Operation]:
    """DeleteTags for the keys that go, AddTags for the ones that are new or change (``ignore``: left alone)."""
    stale = sorted(k for k in live if k not in want and k not in ignore)
    changed = {k: v for k, v in want.items() if live.get(k) != v}
    return ([delete_tags(target, resource, stale, evidence)] if stale else []) + (
        [add_tags(target, resource, changed, evidence)] if changed else [])


def record(target: str, resource: str, key: str, value: str, before: str | None, evidence: Ownership,
           ) -> tuple[list[Operation], tuple[Operation, ...]]:
    """(the AddTags that records a rollback point ``key = value`` before the call that moves away from it, what
    puts the point recorded until now back when that call fails). Nothing when it is recorded already."""
    if not value or before == value:
        return [], ()
    put = add_tags(target, resource, {key: value}, evidence, f"{key} = {value}: the rollback point, recorded "
                                                             "before the call that moves away from it")
    undo = (add_tags(target, resource, {key: before}, evidence, f"{key} = {before} again") if before else
            delete_tags(target, resource, [key], evidence, f"{key}: none was recorded before"))
    return [put], (undo,)


# ---- waits ------------------------------------------------------------------------------------------------


def timeout(desired: dict[str, Any] | None) -> int:
    return int((desired or {}).get("waitTimeoutSeconds") or 3600)


def endpoint_in_service(name: str, config: str | None, timeout_s: int, after: str, failure: str | None = None,
                        on_failure: tuple[Operation, ...] = (), detail: str | None = None) -> Operation:
    request: dict[str, Any] = {"EndpointName": name, **({"EndpointConfigName": config} if config else {}),
                               **({"FailureReason": failure} if failure else {}), "TimeoutSeconds": timeout_s,
                               "After": after}
    what = detail or (f"on config {config}, with no new FailureReason" if config else "with no new FailureReason")
    return ops.wait(SERVICE, "EndpointInService", name, what, on_failure=on_failure, **request)


def endpoint_settled(name: str, timeout_s: int, status: str) -> Operation:
    return ops.wait(SERVICE, "EndpointSettled", name, f"now {status}: AWS changes it only once that ends",
                    EndpointName=name, TimeoutSeconds=timeout_s)


def endpoint_deleted(name: str, timeout_s: int) -> Operation:
    return ops.wait(SERVICE, "EndpointDeleted", name, "until it is gone", EndpointName=name,
                    TimeoutSeconds=timeout_s)


def component_in_service(name: str, model: str | None, timeout_s: int, after: str,
                         on_failure: tuple[Operation, ...] = ()) -> Operation:
    request: dict[str, Any] = {"InferenceComponentName": name, **({"ModelName": model} if model else {}),
                               "TimeoutSeconds": timeout_s, "After": after}
    return ops.wait(SERVICE, "InferenceComponentInService", name, f"running {model}" if model else None,
                    on_failure=on_failure, **request)


def component_settled(name: str, timeout_s: int, status: str) -> Operation:
    return ops.wait(SERVICE, "InferenceComponentSettled", name, f"now {status}", InferenceComponentName=name,
                    TimeoutSeconds=timeout_s)


def smoke_test(endpoint: str, component: str | None, test: dict[str, Any]) -> Operation:
    request: dict[str, Any] = {"EndpointName": endpoint, **({"InferenceComponentName": component} if component else {}),
                               "Inputs": test["inputs"], "Parameters": test.get("parameters") or {},
                               **({"Expect": test["expect"]} if test.get("expect") else {})}
    what = f"one InvokeEndpoint; the answer must contain {test['expect']!r}" if test.get("expect") else \
        "one InvokeEndpoint must answer"
    return ops.wait("sagemaker-runtime", "SmokeTestPasses", component or endpoint, what, **request)


# ---- inference components ---------------------------------------------------------------------------------


def delete_component(name: str, resource: str, evidence: Ownership, timeout_s: int, status: str | None,
                     detail: str | None = None, interrupts: bool = True) -> list[Operation]:
    """Delete a component (after it settles: AWS refuses while it is Creating or Updating) and wait until gone."""
    first = [component_settled(name, timeout_s, status)] if status in ("Creating", "Updating") else []
    if status == "Deleting":
        return [ops.wait(SERVICE, "InferenceComponentDeleted", name, "already Deleting", InferenceComponentName=name,
                         TimeoutSeconds=timeout_s)]
    return first + [
        ops.call(SERVICE, "DeleteInferenceComponent", name, {"InferenceComponentName": name}, resource=resource,
                 ownership=evidence, detail=detail, interrupts=interrupts),
        ops.wait(SERVICE, "InferenceComponentDeleted", name, "until it is gone", InferenceComponentName=name,
                 TimeoutSeconds=timeout_s)]


def create_component(name: str, endpoint: str, spec: dict[str, Any], copies: int, tags: dict[str, str], ctx: Any,
                     timeout_s: int, detail: str | None = None, op_id: str | None = None) -> list[Operation]:
    request = {"InferenceComponentName": name, "EndpointName": endpoint, "VariantName": VARIANT,
               "Specification": spec, "RuntimeConfig": {"CopyCount": copies}, "Tags": tag_list(tags)}
    return [ops.call(SERVICE, "CreateInferenceComponent", name, request, id=op_id, resource=arn(ctx, "component", name),
                     detail=detail),
            component_in_service(name, spec.get("ModelName"), timeout_s, "CreateInferenceComponent")]


def update_component(name: str, resource: str, evidence: Ownership, spec: dict[str, Any], copies: int | None,
                     deployment: dict[str, Any] | None, timeout_s: int, detail: str,
                     on_failure: tuple[Operation, ...] = ()) -> list[Operation]:
    """UpdateInferenceComponent (``copies`` None: no RuntimeConfig, the autoscaler's count stays) and its wait."""
    request: dict[str, Any] = {"InferenceComponentName": name, "Specification": spec,
                               **({"RuntimeConfig": {"CopyCount": copies}} if copies is not None else {}),
                               **({"DeploymentConfig": deployment} if deployment else {})}
    return [ops.call(SERVICE, "UpdateInferenceComponent", name, request, resource=resource, ownership=evidence,
                     detail=detail, on_failure=on_failure),
            component_in_service(name, spec.get("ModelName"), timeout_s, "UpdateInferenceComponent", on_failure)]


def runtime_config(name: str, resource: str, evidence: Ownership, copies: int, timeout_s: int, detail: str,
                   ) -> list[Operation]:
    return [ops.call(SERVICE, "UpdateInferenceComponentRuntimeConfig", name,
                     {"InferenceComponentName": name, "DesiredRuntimeConfig": {"CopyCount": copies}},
                     resource=resource, ownership=evidence, detail=detail),
            component_in_service(name, None, timeout_s, "UpdateInferenceComponentRuntimeConfig")]
