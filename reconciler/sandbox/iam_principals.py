"""IAM stores an account given as a trust policy's principal as the account's root ARN; moto kept it as written.

AWS: ``"Principal": {"AWS": "123456789012"}`` sent with CreateRole or UpdateAssumeRolePolicy comes back from
GetRole, ListRoles and GetAccountAuthorizationDetails as ``arn:aws:iam::123456789012:root`` (in the role's
partition): a lone id stays a lone string, a list stays a list, anything else in the document is kept as it
is (IAM user guide, "AWS JSON policy elements: Principal", AWS account principals; AWS-FACTS.md: IAM;
reported by users of the console and the CDK, e.g. aws/aws-cdk#9334). A client that compares policies as
text sees a change it never made; the sandbox answers as IAM does so that tests see it too.
"""

from __future__ import annotations

import json
import re
from typing import Any

_ACCOUNT = re.compile(r"^[0-9]{12}$")


def _root(ids: Any, partition: str) -> Any:
    def one(v: Any) -> Any:
        return f"arn:{partition}:iam::{v}:root" if isinstance(v, str) and _ACCOUNT.match(v) else v

    return [one(v) for v in ids] if isinstance(ids, list) else one(ids)


def as_stored(document: Any, partition: str) -> Any:
    """``document`` (JSON text) as IAM stores it: every AWS principal that is an account id becomes the
    account's root ARN. Text that is not a JSON policy, or has no such principal, is returned unchanged."""
    try:
        doc = json.loads(document) if isinstance(document, str) else None
    except ValueError:
        return document
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    changed = False
    for st in [statements] if isinstance(statements, dict) else statements if isinstance(statements, list) else []:
        for key in ("Principal", "NotPrincipal"):
            p = st.get(key) if isinstance(st, dict) else None
            if isinstance(p, dict) and "AWS" in p:
                stored = _root(p["AWS"], partition)
                changed = changed or stored != p["AWS"]
                p["AWS"] = stored
    return json.dumps(doc) if changed else document


def install() -> None:
    """CreateRole and UpdateAssumeRolePolicy store the trust policy as IAM does (idempotent)."""
    from moto.iam.models import IAMBackend

    if getattr(IAMBackend.create_role, "_stores_root_arns", False):
        return
    original_create = IAMBackend.create_role
    original_update = IAMBackend.update_assume_role_policy

    def create_role(self: Any, role_name: str, assume_role_policy_document: str, *args: Any, **kwargs: Any) -> Any:
        return original_create(self, role_name, as_stored(assume_role_policy_document, self.partition), *args, **kwargs)

    def update_assume_role_policy(self: Any, role_name: str, policy_document: str) -> None:
        original_update(self, role_name, as_stored(policy_document, self.partition))

    create_role._stores_root_arns = True  # type: ignore[attr-defined]
    IAMBackend.create_role = create_role  # type: ignore[method-assign]
    IAMBackend.update_assume_role_policy = update_assume_role_policy  # type: ignore[method-assign]
