"""Can a service assume an IAM role? The check SageMaker's CreateModel / CreateEndpointConfig and
Lambda's CreateFunction make before they accept an execution role (AWS-FACTS.md: IAM, eventual
consistency).

A role is assumable by ``service`` when it exists in the sandbox's IAM, its trust policy has an
``Allow`` statement for ``sts:AssumeRole`` (or ``sts:*`` / ``*``) whose principal names the service
(or ``*``), and, when the sandbox is told to emulate IAM's propagation delay
(``role_propagation_seconds``), it is at least that old.
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from typing import Any
from urllib.parse import unquote


def _role(account_id: str, role_arn: str) -> Any | None:
    from moto.iam.models import iam_backends

    partition = role_arn.split(":")[1] if role_arn.count(":") >= 5 else "aws"
    try:
        backend = iam_backends[account_id][partition]
    except KeyError:
        return None
    for role in backend.roles.values():
        if role.arn == role_arn:
            return role
    return None


def _trust(document: Any) -> dict[str, Any]:
    if isinstance(document, dict):
        return document
    text = str(document or "")
    for candidate in (text, unquote(text)):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def trusts(document: Any, service: str) -> bool:
    """Does the trust policy let ``service`` (e.g. sagemaker.amazonaws.com) call sts:AssumeRole?"""
    for st in _listed(_trust(document).get("Statement") or []):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = [str(a).lower() for a in _listed(st.get("Action") or [])]
        if not {"sts:assumerole", "sts:*", "*"} & set(actions):
            continue
        principal = st.get("Principal")
        if principal == "*":
            return True
        if isinstance(principal, dict) and (service in _listed(principal.get("Service") or [])
                                            or "*" in _listed(principal.get("AWS") or [])):
            return True
    return False


def why_not_assumable(account_id: str, role_arn: str, service: str, propagation_seconds: float = 0.0) -> str | None:
    """None when ``service`` can assume the role now; otherwise "missing", "untrusted" or "propagating"."""
    role = _role(account_id, role_arn)
    if role is None:
        return "missing"
    if not trusts(role.assume_role_policy_document, service):
        return "untrusted"
    if propagation_seconds > 0:
        created = role.create_date
        if created.tzinfo is None:
            created = created.replace(tzinfo=_dt.UTC)
        if time.time() - created.timestamp() < propagation_seconds:
            return "propagating"
    return None
