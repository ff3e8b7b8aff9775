"""Application Auto Scaling (ServiceNamespace ``sagemaker``): the reads the Endpoint kind's scaling makes at
plan time (its writes are plan operations: ``kinds/endpoint/autoscaling``).

Scalable targets are named by ResourceId + ScalableDimension; their policies are found through the
target (DescribeScalingPolicies by ResourceId) and go with it on DeregisterScalableTarget.
"""

from __future__ import annotations

from typing import Any

SERVICE = "application-autoscaling"
NAMESPACE = "sagemaker"


def client(aws: Any) -> Any:
    return aws.client(SERVICE)


def targets(c: Any, resource_ids: list[str]) -> list[dict[str, Any]]:
    """The scalable targets of these ResourceIds (one call)."""
    if not resource_ids:
        return []
    return list(c.paginate("describe_scalable_targets", "ScalableTargets", "scalable targets",
                           ServiceNamespace=NAMESPACE, ResourceIds=resource_ids))


def all_targets(aws: Any) -> list[dict[str, Any]]:
    """Every sagemaker scalable target of the account/region: one listing per command (cached)."""
    return aws.cached(f"{SERVICE}:targets", lambda: list(client(aws).paginate(
        "describe_scalable_targets", "ScalableTargets", "scalable targets", ServiceNamespace=NAMESPACE)))


def all_policies(aws: Any) -> list[dict[str, Any]]:
    """Every sagemaker scaling policy: one listing per command (cached)."""
    return aws.cached(f"{SERVICE}:policies", lambda: list(client(aws).paginate(
        "describe_scaling_policies", "ScalingPolicies", "scaling policies", ServiceNamespace=NAMESPACE)))


def target_tags(c: Any, target: dict[str, Any]) -> dict[str, str] | None:
    """The tags of a scalable target (ListTagsForResource on its ``ScalableTargetARN``); None when it is gone or
    the answer names no ARN (then nothing proves whose it is)."""
    arn = target.get("ScalableTargetARN")
    if not arn:
        return None
    got = c.get("list_tags_for_resource", f"scalable target {target.get('ResourceId')}", ResourceARN=arn)
    return None if got is None else dict(got.get("Tags") or {})


def policies(c: Any, resource_id: str, dimension: str) -> list[dict[str, Any]]:
    return list(c.paginate("describe_scaling_policies", "ScalingPolicies", f"scaling policies of {resource_id}",
                           ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=dimension))


def all_scheduled(aws: Any) -> list[dict[str, Any]]:
    """Every sagemaker scheduled action: one listing per command (cached)."""
    return aws.cached(f"{SERVICE}:scheduled", lambda: list(client(aws).paginate(
        "describe_scheduled_actions", "ScheduledActions", "scheduled actions", ServiceNamespace=NAMESPACE)))


def scheduled(c: Any, resource_id: str, dimension: str) -> list[dict[str, Any]]:
    return list(c.paginate("describe_scheduled_actions", "ScheduledActions", f"scheduled actions of {resource_id}",
                           ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=dimension))
