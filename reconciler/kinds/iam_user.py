"""User: an IAM user (e.g. the deployer of seed 000) with an access key kept only in a secret store.

The access key is created once. Its secret goes only to the configured store (Secrets Manager or a
0600 file) and is never printed. The user carries the tag ``reconciler:access-key = <store>``, so a
later plan knows the key exists and where it went, and never rotates it by accident. While a key is
being created the tag reads ``pending:<store>``: a run killed between creating the key and storing
it leaves a marker, and the next apply deletes that unstored key and makes a new one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from reconciler import PREVENT_DESTROY_ANNOTATION, policy
from reconciler.aws import iam as iamx
from reconciler.aws import secretsmanager
from reconciler.errors import AwsError, Issue
from reconciler.kinds import _iam
from reconciler.kinds.base import (
    ApplyContext,
    Kind,
    Observed,
    PlanContext,
    Reference,
    Resource,
    Spec,
    ownership_tags,
)

ACCESS_KEY_TAG = "reconciler:access-key"
PENDING = "pending:"


class KeyStore(Spec):
    """Where the access key's secret is written: exactly one of secretsManager or file."""

    secretsManager: str | None = Field(None, description="Name of a Secrets Manager secret (created, owned by the stack).")
    file: str | None = Field(None, description="Path of a file written with mode 0600 (relative to the working directory).")

    @model_validator(mode="after")
    def _one(self) -> KeyStore:
        if (self.secretsManager is None) == (self.file is None):
            given = "both are given" if self.file is not None else "neither is given"
            raise ValueError("give exactly one store: secretsManager (a Secrets Manager secret name) or file "
                             f"(a path, written with mode 0600); {given}")
        if self.secretsManager is not None and not (1 <= len(self.secretsManager) <= 512):
            raise ValueError("secret names are 1-512 characters")
        return self

    def ref(self) -> str:
        return f"secretsManager:{self.secretsManager}" if self.secretsManager else f"file:{self.file}"


class AccessKeySpec(Spec):
    """An access key for the user, created once."""

    store: KeyStore = Field(description="Where the secret goes: {secretsManager: NAME} or {file: PATH}.")


class UserSpec(_iam.PrincipalSpec):
    """An IAM user."""

    accessKey: AccessKeySpec | None = Field(None, description="Create one access key and store its secret.")


class UserKind(Kind):
    kind = "User"
    spec_model = UserSpec
    description = "An IAM user with its policies and, optionally, one access key kept in a secret store."
    name_pattern = _iam.NAME_64
    name_rule = "1-64 characters of letters, digits and +=,.@_-"
    case_insensitive_names = True
    delete_order = 70
    service = "iam"

    def check(self, res: Resource) -> list[Issue]:
        issues = _iam.arn_issues(res) + _iam.inline_name_issues(res)
        total = 0
        for name, doc in res.spec.inlinePolicies.items():
            found = _iam.document_issues(res, ("spec", "inlinePolicies", name), doc)
            issues += found
            if not found:
                total += policy.size(doc)
        issues += _iam.size_issue(res, ("spec", "inlinePolicies"), total, 2048, "the user's inline policies together")
        key = res.spec.accessKey
        if key and key.store.file:
            target = Path(key.store.file).expanduser()
            manifest_dir = Path(res.file).resolve().parent
            if not target.is_absolute() and (Path.cwd() / target).resolve().is_relative_to(manifest_dir):
                issues.append(res.issue(("spec", "accessKey", "store", "file"),
                                        "the secret file would be written inside the manifests folder (and end up in git)",
                                        severity="warning"))
        return issues

    def lint(self, res: Resource) -> list[Issue]:
        return _iam.lint_principal(res)

    def references(self, res: Resource, names: dict[str, set[str]]) -> list[Reference]:
        return _iam.policy_references(res, names)

    def arn(self, name: str, spec: Any, ctx: PlanContext) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account}:user{spec.path}{name}"

    def desired(self, res: Resource, ctx: PlanContext) -> dict[str, Any]:
        return {
            **_iam.principal_state(res, ctx),
            "accessKey": res.spec.accessKey.store.ref() if res.spec.accessKey else None,
            "tags": ownership_tags(ctx.stack, res.tags, res.annotated(PREVENT_DESTROY_ANNOTATION)),
        }

    def depends_on_arns(self, state: dict[str, Any]) -> list[str]:
        return _iam.principal_depends_on(state)

    def read(self, aws: Any, name: str, ctx: PlanContext) -> Observed | None:
        iam = aws.client("iam")
        got = iam.get("get_user", f"User/{name}", UserName=name)
        if got is None:
            return None
        u = got["User"]
        if "Tags" not in u:
            u = {**u, "Tags": list(iam.paginate("list_user_tags", "Tags", f"User/{name}", UserName=name))}
        return self._observed(aws, u, iamx.attached(iam, "user", u["UserName"]), iamx.inline(iam, "user", u["UserName"]))

    def _observed(self, aws: Any, u: dict[str, Any], attached: list[str], inline: dict[str, Any]) -> Observed:
        tags = policy.normalize_tags(u.get("Tags", []))
        marker = tags.pop(ACCESS_KEY_TAG, None)
        keys = iamx.access_keys(aws, u["UserName"])
        if not keys:
            access = None
        elif marker and not marker.startswith(PENDING):
            access = marker
        else:
            access = "(unmanaged key)" if not marker else "(unstored key from an interrupted apply)"
        state = {
            "path": u.get("Path", "/"),
            "managedPolicies": attached,
            "inlinePolicies": inline,
            "permissionsBoundary": (u.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "accessKey": access,
            "tags": tags,
        }
        return Observed(self.kind, u["UserName"], u["Arn"], state, meta={"marker": marker, "keys": len(keys)})

    def _from_listing(self, aws: Any, u: dict[str, Any]) -> Observed:
        return self._observed(aws, u, iamx.attached_of(u), iamx.inline_of(u, "UserPolicyList"))

    def read_many(self, aws: Any, names: list[str], ctx: PlanContext, pmap: Any) -> list[Observed | None]:
        """Read ``names``: from the account listing when that costs fewer calls (see iamx.bulk), else one by one."""
        if not iamx.bulk(aws, len(names)):
            return pmap(lambda n: self.read(aws, n, ctx), names)
        users = iamx.account(aws).users
        # the access keys are one call per user: those run in the pool
        return pmap(lambda n: self._from_listing(aws, users[n.lower()]) if n.lower() in users else None, names)

    def list_owned(self, aws: Any, stack: str, ctx: PlanContext, exclude: set[str] = frozenset()) -> list[Observed]:  # type: ignore[assignment]
        excluded = {n.lower() for n in exclude}
        out = []
        for lname, u in sorted(iamx.account(aws).users.items()):
            if lname in excluded:
                continue
            tags = policy.normalize_tags(u.get("Tags", []))
            if policy.owner_of(tags) == stack:
                out.append(self._from_listing(aws, u))
        return out

    def create(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        iam = ctx.aws.client("iam")
        kwargs: dict[str, Any] = {}
        if desired.get("permissionsBoundary"):
            kwargs["PermissionsBoundary"] = desired["permissionsBoundary"]
        iam.call("create_user", f"User/{name}", UserName=name, Path=desired["path"],
                 Tags=policy.tag_list(desired["tags"]), **kwargs)
        # just created: nothing is attached or inline yet, so nothing to read back before adding
        iamx.sync_attached(iam, "user", name, desired["managedPolicies"], live=[])
        iamx.sync_inline(iam, "user", name, desired["inlinePolicies"], live={})
        if desired.get("accessKey"):
            self._new_key(name, desired["accessKey"], ctx)

    def update(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        iam = ctx.aws.client("iam")
        what = f"User/{name}"
        u = iam.call("get_user", what, UserName=name)["User"]
        if u.get("Path", "/") != desired["path"]:
            iam.call("update_user", what, UserName=name, NewPath=desired["path"])
        live_boundary = (u.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        iamx.sync_boundary(iam, "user", name, live_boundary, desired.get("permissionsBoundary"))
        iamx.sync_attached(iam, "user", name, desired["managedPolicies"])
        iamx.sync_inline(iam, "user", name, desired["inlinePolicies"])
        live_tags = policy.normalize_tags(list(iam.paginate("list_user_tags", "Tags", what, UserName=name)))
        marker = live_tags.get(ACCESS_KEY_TAG)
        iamx.sync_tags(iam, "user", name, live_tags, desired["tags"], keep=(ACCESS_KEY_TAG,))
        keys = list(iam.paginate("list_access_keys", "AccessKeyMetadata", what, UserName=name))
        want = desired.get("accessKey")
        if marker and marker.startswith(PENDING):
            # keys made by an interrupted apply whose secret was never stored: useless, remove them
            for k in keys:
                iam.ignore_missing("delete_access_key", what, UserName=name, AccessKeyId=k["AccessKeyId"])
            keys = []
            marker = None
        if want and keys and marker == want:
            return
        if want and keys and not marker:
            raise AwsError(f"Failed to manage the access key of {what}: the user has an access key reconcile did not "
                           "create; delete it (or remove spec.accessKey) so reconcile can create one it can store")
        if want:
            # store changed (or key missing): make the new key first, then retire the old ones
            old = [k["AccessKeyId"] for k in keys]
            if len(old) >= 2:
                raise AwsError(f"Failed to rotate the access key of {what}: the user already has 2 keys (AWS's limit)")
            self._new_key(name, want, ctx)
            for key_id in old:
                iam.ignore_missing("delete_access_key", what, UserName=name, AccessKeyId=key_id)
            return
        if marker:  # accessKey removed from the manifest: delete the key reconcile created
            for k in keys:
                iam.ignore_missing("delete_access_key", what, UserName=name, AccessKeyId=k["AccessKeyId"])
            iam.call("untag_user", what, UserName=name, TagKeys=[ACCESS_KEY_TAG])

    def _new_key(self, name: str, store: str, ctx: ApplyContext) -> None:
        iam = ctx.aws.client("iam")
        what = f"User/{name}"
        iam.call("tag_user", what, UserName=name, Tags=[{"Key": ACCESS_KEY_TAG, "Value": PENDING + store}])
        key = iam.call("create_access_key", what, UserName=name)["AccessKey"]
        payload = json.dumps({"UserName": name, "AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]})
        try:
            kind, _, target = store.partition(":")
            if kind == "secretsManager":
                tags = ownership_tags(ctx.stack, {}, False)
                secretsmanager.write(ctx.aws, target, payload, tags, ctx.stack)
            else:
                write_secret_file(target, payload)
        except BaseException:
            iam.ignore_missing("delete_access_key", what, UserName=name, AccessKeyId=key["AccessKeyId"])
            raise
        finally:
            del payload, key
        iam.call("tag_user", what, UserName=name, Tags=[{"Key": ACCESS_KEY_TAG, "Value": store}])
        ctx.progress(f"{what}: access key created; its secret was written to {store} (not shown)")

    def delete(self, name: str, ctx: ApplyContext) -> None:
        iam = ctx.aws.client("iam")
        what = f"User/{name}"
        got = iam.get("get_user", what, UserName=name)
        if got is None:
            return
        tags = policy.normalize_tags(got["User"].get("Tags") or
                                     list(iam.paginate("list_user_tags", "Tags", what, UserName=name)))
        for k in list(iam.paginate("list_access_keys", "AccessKeyMetadata", what, UserName=name)):
            iam.ignore_missing("delete_access_key", what, UserName=name, AccessKeyId=k["AccessKeyId"])
        iam.ignore_missing("delete_login_profile", what, UserName=name)
        for mfa in list(iam.paginate("list_mfa_devices", "MFADevices", what, UserName=name)):
            iam.ignore_missing("deactivate_mfa_device", what, UserName=name, SerialNumber=mfa["SerialNumber"])
        for g in list(iam.paginate("list_groups_for_user", "Groups", what, UserName=name)):
            iam.ignore_missing("remove_user_from_group", what, UserName=name, GroupName=g["GroupName"])
        iamx.empty(iam, "user", name)
        iam.ignore_missing("delete_user", what, UserName=name)
        store = tags.get(ACCESS_KEY_TAG, "").removeprefix(PENDING)
        if store.startswith("secretsManager:"):
            secret = store.split(":", 1)[1]
            if secretsmanager.delete_owned(ctx.aws, secret, ctx.stack):
                ctx.progress(f"{what}: secret {secret} scheduled for deletion (7-day recovery window)")


def write_secret_file(path: str, payload: str) -> None:
    """Write ``payload`` to ``path`` with mode 0600 (created that way, never world-readable)."""
    import tempfile

    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file exclusively (O_EXCL: no planted symlink is followed) with mode 0600
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        try:
            os.write(fd, payload.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)  # never leave a copy of the secret behind
        raise


KIND = UserKind()
