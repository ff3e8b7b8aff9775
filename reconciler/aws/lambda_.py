"""Lambda adapter helpers: waiting for a function to settle, and resource-policy statements."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from reconciler.aws import Aws
from reconciler.errors import AwsError

ROLE_NOT_READY = "cannot be assumed by Lambda"


def wait_settled(aws: Aws, name: str, timeout: float = 300.0, sleep: Callable[[float], None] = time.sleep) -> None:
    """Wait until the function is no longer Pending and its last update is no longer InProgress.

    Lambda refuses UpdateFunctionConfiguration while UpdateFunctionCode is still in progress
    (ResourceConflictException), so updates wait here between the two calls.
    """
    lam = aws.client("lambda")
    what = f"Function/{name}"
    deadline = time.monotonic() + timeout
    delay = 1.0
    while True:
        cfg = lam.call("get_function_configuration", what, FunctionName=name)
        state, last = cfg.get("State", "Active"), cfg.get("LastUpdateStatus", "Successful")
        if state == "Failed" or last == "Failed":
            reason = cfg.get("LastUpdateStatusReason") or cfg.get("StateReason") or "no reason given"
            raise AwsError(f"Function/{name} failed to become ready: {reason}")
        if state != "Pending" and last != "InProgress":
            return
        if time.monotonic() > deadline:
            raise AwsError(f"Function/{name} is still {state}/{last} after {timeout:.0f}s")
        sleep(delay)
        delay = min(delay * 1.5, 5.0)


def retry_role(call: Callable[[], Any], timeout: float = 120.0, sleep: Callable[[float], None] = time.sleep) -> Any:
    """Run ``call``, retrying while Lambda cannot assume a just-created role yet (IAM eventual consistency)."""
    deadline = time.monotonic() + timeout
    delay = 2.0
    while True:
        try:
            return call()
        except AwsError as e:
            if ROLE_NOT_READY not in str(e) or time.monotonic() > deadline:
                raise
        sleep(delay)
        delay = min(delay * 1.5, 15.0)


def statements(aws: Aws, function: str) -> list[dict[str, Any]]:
    """The statements of a function's resource policy ([] when it has none, or the function is gone)."""
    got = aws.client("lambda").get("get_policy", f"Function/{function}", FunctionName=function)
    if not got:
        return []
    doc = got.get("Policy") or "{}"
    doc = json.loads(doc) if isinstance(doc, str) else doc
    found = doc.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def source_arn(statement: dict[str, Any]) -> str | None:
    """The AWS:SourceArn condition of a policy statement, if any."""
    for test in (statement.get("Condition") or {}).values():
        for key, value in (test or {}).items():
            if key.lower() == "aws:sourcearn":
                return value[0] if isinstance(value, list) else str(value)
    return None
