"""Application Auto Scaling for inference components: moto 5.2 knows the scalable dimension
``sagemaker:variant:DesiredInstanceCount`` but not ``sagemaker:inference-component:DesiredCopyCount``
(ResourceId ``inference-component/NAME``), so RegisterScalableTarget, DescribeScalableTargets,
PutScalingPolicy, … refused it. Add it to the dimensions moto accepts (AWS-FACTS.md: Autoscaling)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

EXTRA_DIMENSIONS = ("sagemaker:inference-component:DesiredCopyCount",)
SERVICE_LINKED_ROLES = {
    "sagemaker": "arn:aws:iam::{account}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
                 "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
}


class _Dimensions:
    """moto's ScalableDimensionValueSet enum plus the dimensions it lacks (iteration yields ``.value``s)."""

    def __init__(self, enum: Any) -> None:
        self._enum = enum

    def __iter__(self) -> Iterator[Any]:
        yield from self._enum
        for value in EXTRA_DIMENSIONS:
            yield SimpleNamespace(value=value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._enum, name)


def install() -> None:
    """Teach this process's moto the inference-component dimension (idempotent)."""
    from moto.applicationautoscaling import models, responses

    if isinstance(models.ScalableDimensionValueSet, _Dimensions):
        return
    backend = models.ApplicationAutoscalingBackend
    original_register = backend.register_scalable_target

    def register_scalable_target(self: Any, namespace: str, r_id: str, dimension: str, min_capacity: Any,
                                 max_capacity: Any, role_arn: str, *args: Any, **kwargs: Any) -> Any:
        # AWS answers with the service-linked role it uses when the request names none (RoleARN is required)
        role_arn = role_arn or SERVICE_LINKED_ROLES.get(namespace, "").format(account=self.account_id)
        return original_register(self, namespace, r_id, dimension, min_capacity, max_capacity, role_arn,
                                 *args, **kwargs)

    backend.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    models.ScalableDimensionValueSet = _Dimensions(models.ScalableDimensionValueSet)  # type: ignore[misc,assignment]
    responses.ScalableDimensionValueSet = models.ScalableDimensionValueSet  # type: ignore[attr-defined]
