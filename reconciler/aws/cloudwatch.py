"""CloudWatch metric alarms: what the Endpoint kind's scale to zero reads at plan time (its
NoCapacityInvocationFailures alarm; the writes are plan operations). Alarms are tagged at creation
(PutMetricAlarm Tags; AWS ignores Tags when the call updates an existing alarm)."""

from __future__ import annotations

from typing import Any

SERVICE = "cloudwatch"


def client(aws: Any) -> Any:
    return aws.client(SERVICE)


def alarms(c: Any, names: list[str]) -> list[dict[str, Any]]:
    """The metric alarms with these names (one call; a name that does not exist is simply absent)."""
    if not names:
        return []
    return list(c.paginate("describe_alarms", "MetricAlarms", "alarms", AlarmNames=names, AlarmTypes=["MetricAlarm"]))


def tags(c: Any, arn: str, name: str) -> dict[str, str]:
    found = c.get("list_tags_for_resource", f"Alarm/{name}", ResourceARN=arn) or {}
    return {t["Key"]: t["Value"] for t in found.get("Tags") or []}
