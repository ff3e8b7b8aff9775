"""A role lookup is not broken by a role created meanwhile on another server thread (was HTTP 500)."""

from __future__ import annotations

import boto3
from moto import mock_aws
from moto.iam.models import iam_backends

from reconciler.sandbox import errors

TRUST = '{"Version": "2012-10-17", "Statement": []}'


class _CreatesWhileScanned:
    """A role whose name, when the lookup scan reads it, makes another role appear (as a concurrent CreateRole)."""

    def __init__(self, role, roles: dict):  # type: ignore[no-untyped-def]
        self._role, self._roles = role, roles

    @property
    def name(self) -> str:
        if "late" not in self._roles:
            self._roles["late"] = self._role
        return self._role.name


@mock_aws
def test_lookup_while_a_role_is_created():
    errors.install()
    iam = boto3.client("iam", region_name="us-east-1")
    for name in ("first", "second"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    backend = iam_backends["123456789012"]["global"]
    first_id = next(k for k, r in backend.roles.items() if r.name == "first")
    backend.roles[first_id] = _CreatesWhileScanned(backend.roles[first_id], backend.roles)
    assert backend.get_role("second").name == "second"  # without the copy: RuntimeError, dict changed size
