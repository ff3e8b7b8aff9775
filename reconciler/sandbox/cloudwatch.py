"""CloudWatch metric alarms where moto 5.2 is not AWS (the PutMetricAlarm / DeleteAlarms API reference).

- PutMetricAlarm sets ``Tags`` only when it creates the alarm; on an update AWS ignores them (change tags
  with TagResource). moto tagged on every call.
- DeleteAlarms removes the alarm's tags with it: moto kept them, so a new alarm of the same name (and ARN),
  made by anyone, inherited the old owner's tags.
- An alarm action must be an ARN (``InvalidParameterValue``).

Request constraints (enums such as ComparisonOperator and Statistic, lengths, list sizes) are checked from
botocore's model by ``validation``.
"""

from __future__ import annotations

from typing import Any


def _invalid(message: str) -> Exception:
    from moto.cloudwatch.exceptions import InvalidParameterValue

    return InvalidParameterValue(message)


def install() -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    if getattr(CloudWatchBackend, "_reconcile_patched", False):
        return
    CloudWatchBackend._reconcile_patched = True  # type: ignore[attr-defined]
    original_put = CloudWatchBackend.put_metric_alarm
    original_delete = CloudWatchBackend.delete_alarms

    def put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
        name = kwargs.get("name", args[0] if args else None)
        for key in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
            for action in kwargs.get(key) or []:
                if not str(action).startswith("arn:"):
                    raise _invalid(f"Invalid arn syntax: {action}")
        if name in self.alarms:
            kwargs["tags"] = None  # an update: AWS ignores Tags
        return original_put(self, *args, **kwargs)

    def delete_alarms(self: Any, alarm_names: list[str]) -> None:
        for n in alarm_names:
            alarm = self.alarms.get(n)
            if alarm is not None:
                self.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
        original_delete(self, alarm_names)

    CloudWatchBackend.put_metric_alarm = put_metric_alarm  # type: ignore[method-assign]
    CloudWatchBackend.delete_alarms = delete_alarms  # type: ignore[method-assign]
