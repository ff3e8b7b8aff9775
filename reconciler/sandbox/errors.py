"""AWS's error answers where moto's differ in status or wording (pinned by tests/sandbox/test_error_fidelity.py).

- IAM: a missing role or user is ``404 NoSuchEntity`` "The role with name X cannot be found." /
  "The user with name X cannot be found." (moto: "Role X not found"), in every call that looks it up;
  a missing managed policy: "Policy ARN was not found."
- IAM deletes of what is still in use are ``409 DeleteConflict`` (moto lets them through): a user
  with access keys, an MFA device or a login profile; a managed policy still attached, or with
  non-default versions.
- Secrets Manager: ``ResourceNotFoundException`` is HTTP 400 (botocore's model gives it no other
  status; moto answers 404).
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    """Patch this process's moto (idempotent)."""
    from moto.iam.exceptions import DeleteConflictException, NotFoundException
    from moto.iam.models import IAMBackend
    from moto.secretsmanager import exceptions as sm_errors

    if getattr(IAMBackend.get_role, "rx_patched", False):
        return

    def renamed(original: Any, message: str) -> Any:
        def lookup(self: Any, name: str) -> Any:
            try:
                return original(self, name)
            except NotFoundException:
                raise NotFoundException(message.format(name=name)) from None

        lookup.rx_patched = True  # type: ignore[attr-defined]
        return lookup

    IAMBackend.get_role = renamed(IAMBackend.get_role, "The role with name {name} cannot be found.")  # type: ignore[method-assign]
    IAMBackend.get_user = renamed(IAMBackend.get_user, "The user with name {name} cannot be found.")  # type: ignore[method-assign]
    IAMBackend.get_policy = renamed(IAMBackend.get_policy, "Policy {name} was not found.")  # type: ignore[method-assign]

    original_delete_user = IAMBackend.delete_user
    original_delete_policy = IAMBackend.delete_policy

    def delete_user(self: Any, user_name: str) -> None:
        user = self.get_user(user_name)
        for present, what in ((user.access_keys, "access keys"), (user.mfa_devices, "MFA device"),
                              (user.password is not None, "login profile")):
            if present:
                raise DeleteConflictException(f"Cannot delete entity, must delete {what} first.")
        original_delete_user(self, user_name)

    def delete_policy(self: Any, policy_arn: str) -> None:
        policy = self.get_policy(policy_arn)
        if policy.attachment_count > 0:
            raise DeleteConflictException("Cannot delete a policy attached to entities.")
        if len(policy.versions) > 1:
            raise DeleteConflictException(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's "
                "versions. The default version is deleted with the policy.")
        original_delete_policy(self, policy_arn)

    IAMBackend.delete_user = delete_user  # type: ignore[method-assign]
    IAMBackend.delete_policy = delete_policy  # type: ignore[method-assign]

    # moto looks a role up by scanning ``roles.values()``; a CreateRole answered on another server
    # thread meanwhile made that scan fail ("dictionary changed size during iteration": HTTP 500) under
    # concurrent applies of large stacks. A copy (one C-level step, atomic under the GIL) cannot change.
    IAMBackend.get_roles = lambda self: list(self.roles.values())  # type: ignore[method-assign]

    for cls in (sm_errors.SecretNotFoundException, sm_errors.ResourceNotFoundException):
        original_init = cls.__init__

        def __init__(self: Any, *args: Any, _init: Any = original_init, **kwargs: Any) -> None:
            _init(self, *args, **kwargs)
            self.code = 400

        cls.__init__ = __init__  # type: ignore[method-assign]
