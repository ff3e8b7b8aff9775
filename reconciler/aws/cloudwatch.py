"""CloudWatch metric alarms: the calls the Endpoint kind's scale to zero makes (its
NoCapacityInvocationFailures alarm). Alarms are tagged at creation (PutMetricAlarm Tags; AWS ignores Tags
when the call updates an existing alarm)."""

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


def put_alarm(c: Any, request: dict[str, Any]) -> None:
    c.call("put_metric_alarm", f"Alarm/{request['AlarmName']}", **request)


def delete_alarms(c: Any, names: list[str]) -> None:
    if names:
        c.ignore_missing("delete_alarms", "Alarm/" + ", ".join(names), AlarmNames=names)
