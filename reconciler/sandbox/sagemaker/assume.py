"""SageMaker's execution-role check (CreateModel, CreateEndpointConfig with ExecutionRoleArn): the role must
exist, trust sagemaker.amazonaws.com and have propagated; else ValidationException "Could not assume role …"."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from reconciler.sandbox.roles import why_not_assumable

from .common import _invalid, _now
from .controls import _faults, _lock, get_config

SERVICE = "sagemaker.amazonaws.com"


def _message(role_arn: str) -> str:
    return (f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal "
            f"'{SERVICE}' to assume the role.")


def _role_fault(backend: Any, role_arn: str | None) -> None:
    if not role_arn:
        return
    with _lock:
        faults = [f for f in _faults if "role" in f]
    if not faults:
        return
    role_name = role_arn.rsplit("/", 1)[-1]
    created: float | None = None
    try:
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        role = iam_backends[backend.account_id][get_partition(backend.region_name)].get_role(role_name)
        created = role.create_date.replace(tzinfo=_dt.UTC).timestamp()
    except Exception:
        created = None
    for f in faults:
        if f["role"] not in ("*", role_name, role_arn):
            continue
        if created is not None and _now() - created >= f["seconds"]:
            continue
        raise _invalid(f["reason"] or _message(role_arn))


def check_execution_role(backend: Any, role_arn: str | None) -> None:
    """Refuse a role SageMaker could not assume now (injected faults first, then IAM's real state)."""
    if not role_arn:
        return
    _role_fault(backend, role_arn)
    if why_not_assumable(backend.account_id, role_arn, SERVICE, get_config()["role_propagation_seconds"]):
        raise _invalid(_message(role_arn))
