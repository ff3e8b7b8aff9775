"""Application Auto Scaling (ServiceNamespace ``sagemaker``): the calls the Endpoint kind's scaling makes.

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


def policies(c: Any, resource_id: str, dimension: str) -> list[dict[str, Any]]:
    return list(c.paginate("describe_scaling_policies", "ScalingPolicies", f"scaling policies of {resource_id}",
                           ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=dimension))


def register(c: Any, resource_id: str, dimension: str, min_count: int, max_count: int,
             tags: dict[str, str] | None = None) -> None:
    kwargs: dict[str, Any] = {"Tags": tags} if tags else {}
    c.call("register_scalable_target", f"ScalableTarget/{resource_id}", ServiceNamespace=NAMESPACE,
           ResourceId=resource_id, ScalableDimension=dimension, MinCapacity=min_count, MaxCapacity=max_count,
           **kwargs)


def put_target_tracking(c: Any, policy: str, resource_id: str, dimension: str, config: dict[str, Any]) -> None:
    c.call("put_scaling_policy", f"ScalingPolicy/{policy}", ServiceNamespace=NAMESPACE, PolicyName=policy,
           ResourceId=resource_id, ScalableDimension=dimension, PolicyType="TargetTrackingScaling",
           TargetTrackingScalingPolicyConfiguration=config)


def deregister(c: Any, resource_id: str, dimension: str) -> None:
    """Deregister (AWS deletes the target's policies with it); a target already gone is fine."""
    c.ignore_missing("deregister_scalable_target", f"ScalableTarget/{resource_id}", ServiceNamespace=NAMESPACE,
                     ResourceId=resource_id, ScalableDimension=dimension)


def put_step_scaling(c: Any, policy: str, resource_id: str, dimension: str, config: dict[str, Any]) -> str:
    """Put a step-scaling policy; its ARN (what a CloudWatch alarm's AlarmActions names)."""
    out = c.call("put_scaling_policy", f"ScalingPolicy/{policy}", ServiceNamespace=NAMESPACE, PolicyName=policy,
                 ResourceId=resource_id, ScalableDimension=dimension, PolicyType="StepScaling",
                 StepScalingPolicyConfiguration=config)
    return str(out["PolicyARN"])


def delete_policy(c: Any, policy: str, resource_id: str, dimension: str) -> None:
    c.ignore_missing("delete_scaling_policy", f"ScalingPolicy/{policy}", ServiceNamespace=NAMESPACE,
                     PolicyName=policy, ResourceId=resource_id, ScalableDimension=dimension)


def all_scheduled(aws: Any) -> list[dict[str, Any]]:
    """Every sagemaker scheduled action: one listing per command (cached)."""
    return aws.cached(f"{SERVICE}:scheduled", lambda: list(client(aws).paginate(
        "describe_scheduled_actions", "ScheduledActions", "scheduled actions", ServiceNamespace=NAMESPACE)))


def scheduled(c: Any, resource_id: str, dimension: str) -> list[dict[str, Any]]:
    return list(c.paginate("describe_scheduled_actions", "ScheduledActions", f"scheduled actions of {resource_id}",
                           ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=dimension))


def put_scheduled(c: Any, name: str, resource_id: str, dimension: str, schedule: str, timezone: str | None,
                  action: dict[str, int]) -> None:
    kwargs: dict[str, Any] = {"Timezone": timezone} if timezone else {}
    c.call("put_scheduled_action", f"ScheduledAction/{name}", ServiceNamespace=NAMESPACE, ScheduledActionName=name,
           ResourceId=resource_id, ScalableDimension=dimension, Schedule=schedule, ScalableTargetAction=action,
           **kwargs)


def delete_scheduled(c: Any, name: str, resource_id: str, dimension: str) -> None:
    c.ignore_missing("delete_scheduled_action", f"ScheduledAction/{name}", ServiceNamespace=NAMESPACE,
                     ScheduledActionName=name, ResourceId=resource_id, ScalableDimension=dimension)
