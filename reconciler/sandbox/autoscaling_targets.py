"""Scalable targets as AWS keeps them, where moto 5.2 does not (issue 24; AWS-FACTS.md: Application Auto Scaling).

- TagResource / UntagResource / ListTagsForResource on a target's ``ScalableTargetARN`` (moto: HTTP 500), and
  RegisterScalableTarget's ``Tags`` when it creates the target (an update ignores them, as the API reference
  says: use TagResource). A target's tags go with it. An ARN that names no target: ResourceNotFoundException.
- DescribeScalableTargets answers every target; ``paging`` cuts pages (moto's token repeated itself forever).
- DescribeScalingActivities answers (moto: HTTP 500): the sandbox scales nothing by itself, so no activities.
- RegisterScalableTarget of a SageMaker endpoint variant or inference component that does not exist:
  ValidationException (moto accepted anything).
- DeregisterScalableTarget of a target that is not registered: ObjectNotFoundException (moto:
  ValidationException; Terraform treats only the former as "already gone").
- DeleteEndpoint deregisters its variants' targets, DeleteInferenceComponent its component's (with their
  policies, alarms and scheduled actions), as SageMaker does when it may (AWS-FACTS.md).
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.sandbox.autoscaling import not_found


def _tags(backend: Any) -> dict[str, dict[str, str]]:
    return backend.__dict__.setdefault("rx_tags", {})  # type: ignore[no-any-return]


def _target_by_arn(backend: Any, arn: str) -> Any:
    for by_id in backend.targets.values():
        for target in by_id.values():
            if target.arn == arn:
                return target
    from moto.core.exceptions import JsonRESTError

    raise JsonRESTError("ResourceNotFoundException", f"No scalable target found for ARN {arn}")


def sagemaker_resource_problem(account: str, region: str, resource_id: str) -> str | None:
    """Why SageMaker has no resource ``resource_id`` (endpoint/E/variant/V or inference-component/N), or None."""
    from moto.sagemaker.models import sagemaker_backends

    from reconciler.sandbox.sagemaker.common import _ics
    from reconciler.sandbox.sagemaker.components import _advance_ic
    from reconciler.sandbox.sagemaker.controls import _lock
    from reconciler.sandbox.sagemaker.endpoints import _advance_endpoint

    backend = sagemaker_backends[account][region]
    parts = resource_id.split("/")
    with _lock:
        if parts[0] == "endpoint" and len(parts) == 4 and parts[2] == "variant":
            ep = backend.endpoints.get(parts[1])
            ep = _advance_endpoint(backend, ep) if ep is not None else None
            if ep is None:
                return f"The endpoint {parts[1]} does not exist."
            variants = {v.get("VariantName") for v in (ep.production_variants or [])}
            variants |= {v.get("VariantName") for v in ((getattr(ep, "rx_pending", None) or {}).get("variants") or [])}
            return None if parts[3] in variants else f"The variant {parts[3]} of endpoint {parts[1]} does not exist."
        if parts[0] == "inference-component" and len(parts) == 2:
            ic = _ics(backend).get(parts[1])
            if ic is None or _advance_ic(backend, ic) is None:
                return f"The inference component {parts[1]} does not exist."
            return None
    return f"Unsupported resource ID {resource_id} for service namespace sagemaker."


def deregister_resource(account: str, region: str, resource_id: str) -> None:
    """What SageMaker does on deleting a resource: deregister every scalable target of it (or of its variants)."""
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    backend = applicationautoscaling_backends[account][region]
    for dimension, by_id in list(backend.targets.items()):
        for rid in list(by_id):
            if rid == resource_id or rid.startswith(resource_id + "/variant/"):
                backend.deregister_scalable_target("sagemaker", rid, dimension)


def install_backend(backend: Any) -> None:
    from moto.applicationautoscaling.exceptions import AWSValidationException

    original_register = backend.register_scalable_target
    original_deregister = backend.deregister_scalable_target

    def register_scalable_target(self: Any, namespace: str, r_id: str, dimension: str, *args: Any,
                                 **kwargs: Any) -> Any:
        if namespace == "sagemaker":
            problem = sagemaker_resource_problem(self.account_id, self.region_name, r_id)
            if problem:
                raise AWSValidationException(problem)
        return original_register(self, namespace, r_id, dimension, *args, **kwargs)

    def deregister_scalable_target(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        target = self.targets.get(dimension, {}).get(r_id)
        if target is None or target.service_namespace != namespace:
            raise not_found(f"No scalable target found for service namespace: {namespace}, resource ID: {r_id}, "
                            f"scalable dimension: {dimension}")
        original_deregister(self, namespace, r_id, dimension)
        _tags(self).pop(target.arn, None)

    backend.register_scalable_target = register_scalable_target
    backend.deregister_scalable_target = deregister_scalable_target


class _Actions:
    """Methods set on moto's ApplicationAutoScalingResponse (``self`` is that response)."""

    def register_scalable_target(self: Any) -> str:
        backend = self.applicationautoscaling_backend
        self._validate_params()
        existed = self._get_param("ResourceId") in backend.targets.get(self._get_param("ScalableDimension"), {})
        target = backend.register_scalable_target(
            self._get_param("ServiceNamespace"), self._get_param("ResourceId"), self._get_param("ScalableDimension"),
            min_capacity=self._get_int_param("MinCapacity"), max_capacity=self._get_int_param("MaxCapacity"),
            role_arn=self._get_param("RoleARN"), suspended_state=self._get_param("SuspendedState"))
        if not existed and self._get_param("Tags"):
            _tags(backend)[target.arn] = dict(self._get_param("Tags"))
        return json.dumps({"ScalableTargetARN": target.arn})

    def describe_scalable_targets(self: Any) -> str:
        from moto.applicationautoscaling.responses import _build_target

        self._validate_params()
        targets = self.applicationautoscaling_backend.describe_scalable_targets(
            self._get_param("ServiceNamespace"), self._get_param("ResourceIds"), self._get_param("ScalableDimension"))
        return json.dumps({"ScalableTargets": [_build_target(t) for t in targets]})

    def describe_scaling_activities(self: Any) -> str:
        self._validate_params()
        return json.dumps({"ScalingActivities": []})

    def tag_resource(self: Any) -> str:
        backend = self.applicationautoscaling_backend
        target = _target_by_arn(backend, self._get_param("ResourceARN"))
        tags = {**_tags(backend).get(target.arn, {}), **(self._get_param("Tags") or {})}
        if len(tags) > 50:
            from moto.core.exceptions import JsonRESTError

            raise JsonRESTError("TooManyTagsException", "A scalable target can have at most 50 tags.")
        _tags(backend)[target.arn] = tags
        return "{}"

    def untag_resource(self: Any) -> str:
        backend = self.applicationautoscaling_backend
        target = _target_by_arn(backend, self._get_param("ResourceARN"))
        keys = set(self._get_param("TagKeys") or [])
        _tags(backend)[target.arn] = {k: v for k, v in _tags(backend).get(target.arn, {}).items() if k not in keys}
        return "{}"

    def list_tags_for_resource(self: Any) -> str:
        backend = self.applicationautoscaling_backend
        target = _target_by_arn(backend, self._get_param("ResourceARN"))
        return json.dumps({"Tags": _tags(backend).get(target.arn, {})})


def install_actions(response_cls: Any) -> None:
    for name, fn in vars(_Actions).items():
        if callable(fn) and not name.startswith("__"):
            setattr(response_cls, name, fn)
