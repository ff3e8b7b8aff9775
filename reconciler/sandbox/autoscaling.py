"""Application Auto Scaling for inference components: moto 5.2 knows the scalable dimension
``sagemaker:variant:DesiredInstanceCount`` but not ``sagemaker:inference-component:DesiredCopyCount``
(ResourceId ``inference-component/NAME``), so RegisterScalableTarget, DescribeScalableTargets,
PutScalingPolicy, … refused it. Add it to the dimensions moto accepts (AWS-FACTS.md: Autoscaling)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

EXTRA_DIMENSIONS = ("sagemaker:inference-component:DesiredCopyCount",)


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
    models.ScalableDimensionValueSet = _Dimensions(models.ScalableDimensionValueSet)  # type: ignore[misc,assignment]
    responses.ScalableDimensionValueSet = models.ScalableDimensionValueSet  # type: ignore[attr-defined]
