"""SageMaker hosting adapter: honest waits with progress, tags, and the "already exists" / "assume role" quirks.

AWS facts this module encodes (../shared/AWS-FACTS.md):
- missing resources answer ValidationException "Could not find …" (``Client.get`` -> None);
- creating one that exists answers ValidationException "Cannot create already existing …";
- endpoints pass through Creating / Updating / SystemUpdating / RollingBack (waited through);
  Failed and UpdateRollbackFailed are failures, as is "InService but on the old config" or
  "InService with a new FailureReason" after an update;
- CreateModel right after the execution role was created answers "Could not assume role": retried
  with backoff for about two minutes (IAM eventual consistency).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any

from reconciler import policy
from reconciler.aws import Client
from reconciler.errors import AwsError, Unsettled

Progress = Callable[[str], None]

TRANSITIONAL = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"})
ENDPOINT_FAILED = frozenset({"Failed", "UpdateRollbackFailed", "OutOfService"})
IC_TRANSITIONAL = frozenset({"Creating", "Updating", "Deleting"})
ASSUME_ROLE_RETRY_SECONDS = 120.0
DEFAULT_TIMEOUT = 3600


def poll_seconds_default() -> float:
    """Seconds between status polls: RECONCILE_POLL_SECONDS, else 1 s on a local emulator, 15 s on AWS."""
    env = os.environ.get("RECONCILE_POLL_SECONDS")
    if env:
        return max(0.05, float(env))
    url = os.environ.get("AWS_ENDPOINT_URL", "")
    return 1.0 if ("127.0.0.1" in url or "localhost" in url) else 15.0


class WaitTimeout(Unsettled):
    """A wait ran out of time; the resource is left as it is (apply again continues from there)."""


class _Ticker:
    """Progress lines: on every status change, and at most every ``every`` seconds otherwise."""

    def __init__(self, what: str, progress: Progress, every: float = 30.0):
        self.what, self.progress, self.every = what, progress, every
        self.started = time.monotonic()
        self.last_status: str | None = None
        self.last_time = 0.0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def tick(self, status: str) -> None:
        now = time.monotonic()
        if status != self.last_status or now - self.last_time >= self.every:
            self.progress(f"{self.what}: {status} ({_fmt(self.elapsed)} elapsed)")
            self.last_status, self.last_time = status, now


def _fmt(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{seconds:.0f}s"


def tags_of(sm: Client, arn: str, what: str) -> dict[str, str]:
    return policy.normalize_tags(list(sm.paginate("list_tags", "Tags", what, ResourceArn=arn)))


def assuming_role(call: Callable[[], Any], what: str, progress: Progress) -> Any:
    """``call()`` (a CreateModel, or a CreateEndpointConfig with ExecutionRoleArn), sent again with backoff for
    about two minutes while SageMaker answers "Could not assume role" (IAM has not propagated a new role)."""
    deadline = time.monotonic() + ASSUME_ROLE_RETRY_SECONDS
    delay = 2.0
    while True:
        try:
            return call()
        except AwsError as e:
            if "could not assume role" not in str(e).lower() or time.monotonic() + delay > deadline:
                raise
            pause = delay / 2 + random.uniform(0, delay / 2)  # backoff with jitter
            progress(f"{what}: SageMaker cannot assume the execution role yet (IAM is eventually "
                     f"consistent); retrying in {pause:.0f}s")
            time.sleep(pause)
            delay = min(delay * 2, 30.0)


def describe_endpoint(sm: Client, name: str) -> dict[str, Any] | None:
    return sm.get("describe_endpoint", f"Endpoint/{name}", EndpointName=name)


def poll(fetch: Callable[[], dict[str, Any] | None], status_key: str, what: str, *, progress: Progress,
         timeout: float, until: Callable[[str | None], bool], doing: str, action: str) -> dict[str, Any] | None:
    """Describe with ``fetch`` until ``until(status)`` (status None: gone); progress on changes, timeout honest."""
    ticker = _Ticker(what, progress)
    interval = poll_seconds_default()
    while True:
        d = fetch()
        status = None if d is None else str(d.get(status_key, ""))
        if until(status):
            if status is not None and ticker.last_status is not None:  # (no wait, no line: "InService (0s elapsed)")
                ticker.tick(status)
            return d
        ticker.tick(f"{status}{doing}")
        if ticker.elapsed > timeout:
            raise WaitTimeout(f"Failed to {action} {what}: timed out after {_fmt(ticker.elapsed)} (still {status}). "
                              "It is left as it is: run apply again to keep waiting, or raise spec.waitTimeoutSeconds")
        time.sleep(interval)


def _settled(status: str | None) -> bool:
    return status is None or status not in TRANSITIONAL


def wait_endpoint(sm: Client, name: str, *, progress: Progress, timeout: float, want_config: str | None = None,
                  old_failure: str | None = None, action: str = "create") -> dict[str, Any]:
    """Wait until endpoint ``name`` settles; return its description if InService on ``want_config``.

    Raises AwsError carrying AWS's FailureReason when it ends Failed / UpdateRollbackFailed, when it
    is InService on another config (a rolled-back update), or InService with a new FailureReason.
    """
    what = f"Endpoint/{name}"
    d = poll(lambda: describe_endpoint(sm, name), "EndpointStatus", what, progress=progress, timeout=timeout,
             until=_settled, doing="", action=action)
    if d is None:
        raise AwsError(f"Failed to {action} {what}: it disappeared while waiting for it to be InService")
    status = d.get("EndpointStatus")
    reason = d.get("FailureReason") or ""
    if status != "InService":
        raise AwsError(f"Failed to {action} {what}: endpoint is {status}: {reason or 'no FailureReason given'}")
    if want_config and d.get("EndpointConfigName") != want_config:
        raise AwsError(f"Failed to {action} {what}: the update was rolled back; the endpoint is still on "
                       f"config {d.get('EndpointConfigName')}, not {want_config}: {reason or 'no FailureReason given'}")
    if reason and reason != (old_failure or ""):
        raise AwsError(f"Failed to {action} {what}: InService but SageMaker reports a failure: {reason}")
    return d


def settle_endpoint(sm: Client, name: str, *, progress: Progress, timeout: float) -> dict[str, Any] | None:
    """Wait while the endpoint is in a transitional state; return its description (None if gone)."""
    return poll(lambda: describe_endpoint(sm, name), "EndpointStatus", f"Endpoint/{name}", progress=progress,
                timeout=timeout, until=_settled, doing=", waiting for it to settle", action="change")


def describe_ic(sm: Client, name: str) -> dict[str, Any] | None:
    return sm.get("describe_inference_component", f"InferenceComponent/{name}", InferenceComponentName=name)


def _ic_poll(sm: Client, name: str, progress: Progress, timeout: float, until: Callable[[str | None], bool],
             doing: str, action: str) -> dict[str, Any] | None:
    return poll(lambda: describe_ic(sm, name), "InferenceComponentStatus", f"InferenceComponent/{name}",
                progress=progress, timeout=timeout, until=until, doing=doing, action=action)


def wait_ic(sm: Client, name: str, *, progress: Progress, timeout: float, want_model: str | None = None,
            action: str = "create") -> dict[str, Any]:
    """Wait until inference component ``name`` is InService (on ``want_model``); failures carry AWS's reason."""
    what = f"InferenceComponent/{name}"
    d = _ic_poll(sm, name, progress, timeout, lambda s: s is None or s not in IC_TRANSITIONAL, "", action)
    if d is None:
        raise AwsError(f"Failed to {action} {what}: it disappeared while waiting for it to be InService")
    status = d.get("InferenceComponentStatus")
    reason = d.get("FailureReason") or "no FailureReason given"
    if status != "InService":
        raise AwsError(f"Failed to {action} {what}: inference component is {status}: {reason}")
    model = (d.get("Specification") or {}).get("ModelName")
    if want_model and model != want_model:
        raise AwsError(f"Failed to {action} {what}: the update was rolled back; it still runs model {model}, "
                       f"not {want_model}: {reason}")
    return d


def wait_ic_settled(sm: Client, name: str, *, progress: Progress, timeout: float) -> None:
    _ic_poll(sm, name, progress, timeout, lambda s: s is None or s not in IC_TRANSITIONAL,
             ", waiting for it to settle", "change")


def inference_components(sm: Client, endpoint: str) -> list[dict[str, Any]]:
    """Summaries of the inference components on ``endpoint``."""
    return list(sm.paginate("list_inference_components", "InferenceComponents", f"Endpoint/{endpoint}",
                            EndpointNameEquals=endpoint))


def wait_ic_gone(sm: Client, name: str, *, progress: Progress, timeout: float) -> None:
    """Wait until inference component ``name`` no longer exists (after DeleteInferenceComponent)."""
    d = _ic_poll(sm, name, progress, timeout, lambda s: s is None or s not in IC_TRANSITIONAL,
                 ", waiting until deleted", "delete")
    if d is not None:
        raise AwsError(f"Failed to delete InferenceComponent/{name}: it is {d.get('InferenceComponentStatus')} after "
                       f"DeleteInferenceComponent: {d.get('FailureReason') or 'no FailureReason given'}")
