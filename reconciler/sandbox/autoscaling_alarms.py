"""The CloudWatch alarms of a SageMaker target-tracking policy (AWS-FACTS.md: Application Auto Scaling).

AWS creates two alarms for a TargetTrackingScaling policy, ``TargetTracking-<ResourceId>-AlarmHigh-<uuid>``
(scale out) and ``TargetTracking-<ResourceId>-AlarmLow-<uuid>`` (scale in; none when ``DisableScaleIn``),
returns them in the policy's ``Alarms`` (PutScalingPolicy and DescribeScalingPolicies), and deletes them with
the policy (DeleteScalingPolicy, DeregisterScalableTarget). moto does so for DynamoDB and ECS only; this
module adds the SageMaker metrics: the variant's ``InvocationsPerInstance`` / ``ConcurrentRequestsPerModel``
(dimensions EndpointName, VariantName) and the inference component's ``InvocationsPerCopy`` /
``ConcurrentRequestsPerCopy`` (dimension InferenceComponentName), or the policy's customized metric.
An update of the policy keeps its alarms' names and updates their thresholds.
"""

from __future__ import annotations

import uuid
from typing import Any

#: predefined metric type -> (CloudWatch metric name, period in seconds)
METRICS = {
    "SageMakerVariantInvocationsPerInstance": ("InvocationsPerInstance", 60),
    "SageMakerVariantConcurrentRequestsPerModelHighResolution": ("ConcurrentRequestsPerModel", 10),
    "SageMakerInferenceComponentInvocationsPerCopy": ("InvocationsPerCopy", 60),
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution": ("ConcurrentRequestsPerCopy", 10),
}


def _dimensions(resource_id: str) -> list[dict[str, str]]:
    parts = resource_id.split("/")
    if parts[0] == "endpoint" and len(parts) == 4:
        return [{"Name": "EndpointName", "Value": parts[1]}, {"Name": "VariantName", "Value": parts[3]}]
    return [{"Name": "InferenceComponentName", "Value": parts[-1]}]


def _metric(policy: Any) -> dict[str, Any]:
    config = policy.target_tracking_scaling_policy_configuration or {}
    custom = config.get("CustomizedMetricSpecification")
    if custom and custom.get("MetricName"):
        return {"namespace": custom.get("Namespace") or "AWS/SageMaker", "metric_name": custom["MetricName"],
                "dimensions": [{"Name": d["Name"], "Value": d["Value"]} for d in custom.get("Dimensions") or []],
                "statistic": custom.get("Statistic") or "Average", "period": 60}
    predefined = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType", "")
    name, period = METRICS.get(predefined, ("InvocationsPerInstance", 60))
    return {"namespace": "AWS/SageMaker", "metric_name": name, "dimensions": _dimensions(policy.resource_id),
            "statistic": "Sum" if name.startswith("Invocations") else "Maximum", "period": period}


def create_alarms(policy: Any, old: Any | None) -> None:
    """Give a SageMaker target-tracking ``policy`` its alarms (``old``: the policy it replaces, whose alarm names
    it keeps); a policy of another type or namespace loses any alarms ``old`` had."""
    from moto.cloudwatch.models import cloudwatch_backends

    cloudwatch = cloudwatch_backends[policy.account_id][policy.region_name]
    kept = {side_of(a.name): a.name for a in (old.alarms if old is not None else [])}
    stale = set(kept.values())
    if policy.service_namespace != "sagemaker" or policy.policy_type != "TargetTrackingScaling":
        if stale:
            cloudwatch.delete_alarms(sorted(stale))
        return
    config = policy.target_tracking_scaling_policy_configuration or {}
    target = float(config.get("TargetValue") or 0)
    metric = _metric(policy)
    sides = [("AlarmHigh", "GreaterThanThreshold", target, 3)]
    if not config.get("DisableScaleIn"):
        sides.append(("AlarmLow", "LessThanThreshold", round(target * 0.9, 6), 15))
    action = f"{policy.policy_arn}:createdBy/{uuid.uuid4()}"
    policy.alarms = []
    for side, comparison, threshold, periods in sides:
        name = kept.get(side) or f"TargetTracking-{policy.resource_id}-{side}-{uuid.uuid4()}"
        stale.discard(name)
        policy.alarms.append(cloudwatch.put_metric_alarm(
            name=name, comparison_operator=comparison, evaluation_periods=periods, datapoints_to_alarm=periods,
            threshold=threshold, description=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {action}.",
            alarm_actions=[action], metric_data_queries=[], **metric))
    if stale:
        cloudwatch.delete_alarms(sorted(stale))


def side_of(alarm_name: str) -> str:
    """AlarmHigh or AlarmLow, from an alarm name of this module's form."""
    return alarm_name.rsplit("-", 5)[0].rsplit("-", 1)[-1]
