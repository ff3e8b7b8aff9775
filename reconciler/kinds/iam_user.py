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
from typing import Any, Literal

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
#: on a secret holding a user's access key: the user's name (the secret is found by it, user or not)
KEY_OF_TAG = "reconciler:access-key-of"
#: the id of the key reconcile created (``keep ID …`` while one is being created: the keys it must not touch)
ACCESS_KEY_ID_TAG = "reconciler:access-key-id"
PENDING = "pending:"
KEEP = "keep"


def classify_keys(key_ids: list[str], marker: str | None, id_tag: str | None) -> tuple[list[str], list[str]]:
    """(keys reconcile created, keys it did not create) of a user, from its tags.

    Marker and key id set: that key is ours, any other is not. Marker without id (a key made by an
    older reconcile): every key is ours. No marker: none is. A pending marker (an interrupted
    create): the keys listed as ``keep`` are not ours, every other one is (unstored, to delete).
    """
    if not marker:
        return [], list(key_ids)
    if id_tag and not id_tag.startswith(KEEP) and not marker.startswith(PENDING):
        return [k for k in key_ids if k == id_tag], [k for k in key_ids if k != id_tag]
    # (a keep list is never ours, whatever the marker says: e.g. a tag edited by hand)
    keep = set((id_tag or "").split()[1:]) if (id_tag or "").startswith(KEEP) else set()
    return [k for k in key_ids if k not in keep], [k for k in key_ids if k in keep]


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
    unmanagedAccessKeys: Literal["keep", "delete"] = Field(
        "keep", description="Access keys of the user that reconcile did not create (e.g. of an adopted user): "
                            "keep leaves them alone (left out, the default: kept, and every plan warns that they "
                            "exist; written out: kept quietly); delete makes apply delete them (planned as a "
                            "change of unmanagedAccessKeys).")


class UserKind(Kind):
    kind = "User"
    spec_model = UserSpec
    description = "An IAM user with its policies and, optionally, one access key kept in a secret store."
    name_pattern = _iam.NAME_64
    name_rule = "1-64 characters of ASCII letters, digits and +=,.@_-"
    case_insensitive_names = True
    delete_order = 70
    service = "iam"
    plural = "users"
    tagged_types = ("secretsmanager:secret",)  # (the access-key secrets of users that are gone; users: the bulk read)
    listing_permissions = ("secretsmanager:ListSecrets",)
    #: unmanagedAccessKeys is compared only when the manifest asks to delete them
    observed_only_fields = frozenset({"unmanagedAccessKeys"})

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
            issues += _store_file_issues(res, key.store.file)
            target = Path(key.store.file).expanduser()
            manifest_dir = Path(res.file).resolve().parent
            if not target.is_absolute() and (Path.cwd() / target).resolve().is_relative_to(manifest_dir):
                issues.append(res.issue(("spec", "accessKey", "store", "file"),
                                        "the secret file would be written inside the manifests folder (and end up in git)",
                                        severity="warning"))
        from reconciler.kinds import _constraints  # API parameters vs botocore's model
        return issues + _constraints.check(res, issues)

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
            **({"unmanagedAccessKeys": []} if res.spec.unmanagedAccessKeys == "delete" else {}),
            # keep written out: the manifest knows of such keys and keeps them, so plan does not warn (not diffed)
            **({"_keepUnmanagedKeys": True} if "unmanagedAccessKeys" in res.spec.model_fields_set else {}),
            "tags": ownership_tags(ctx.stack, res.tags, res.annotated(PREVENT_DESTROY_ANNOTATION)),
        }

    def depends_on_arns(self, state: dict[str, Any]) -> list[str]:
        return _iam.principal_depends_on(state)

    def plan_reason(self, action: str, fields: list[str], live: dict[str, Any] | None,
                    operations: tuple[Any, ...] = ()) -> str | None:
        if action != "update" or "unmanagedAccessKeys" not in fields:
            return None
        others = [f for f in fields if f != "unmanagedAccessKeys"]
        foreign = ", ".join((live or {}).get("unmanagedAccessKeys") or [])
        return (f"delete access key(s) reconcile did not create ({foreign})"
                + (f"; {', '.join(others)} changed" if others else ""))

    def plan_warnings(self, live: dict[str, Any], desired: dict[str, Any]) -> list[str]:
        foreign = live.get("unmanagedAccessKeys") or []
        if not foreign or "unmanagedAccessKeys" in desired or desired.get("_keepUnmanagedKeys"):
            return []
        return [f"has access key(s) reconcile did not create ({', '.join(foreign)}); they are kept. Set "
                "spec.unmanagedAccessKeys: delete to delete them"]

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
        id_tag = tags.pop(ACCESS_KEY_ID_TAG, None)
        keys = iamx.access_keys(aws, u["UserName"])
        ours, foreign = classify_keys([k["AccessKeyId"] for k in keys], marker, id_tag)
        if not ours:
            access = None
        elif not marker.startswith(PENDING):  # type: ignore[union-attr]  # ours is empty without a marker
            access = marker
        else:
            access = "(unstored key from an interrupted apply)"
        state = {
            "path": u.get("Path", "/"),
            "managedPolicies": attached,
            "inlinePolicies": inline,
            "permissionsBoundary": (u.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "accessKey": access,
            "unmanagedAccessKeys": sorted(foreign),
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

    def list_owned(self, aws: Any, stack: str, ctx: PlanContext, exclude: set[str] = frozenset(),  # type: ignore[assignment]
                   tagged: Any = None) -> list[Observed]:
        """This stack's users (from the account's bulk read), and as users the access-key secrets of users that are
        gone. ``tagged``: the stack's tagging listing, for those secrets; None: list the account's secrets."""
        excluded = {n.lower() for n in exclude}
        out = []
        for lname, u in sorted(iamx.account(aws).users.items()):
            if lname in excluded:
                continue
            tags = policy.normalize_tags(u.get("Tags", []))
            if policy.owner_of(tags) == stack:
                out.append(self._from_listing(aws, u))
        # an access-key secret whose user is gone (a destroy or prune killed right after DeleteUser):
        # still this stack's, listed as its user so that the rerun deletes it
        users = iamx.account(aws).users

        def orphaned(tags: dict[str, str]) -> bool:
            user = tags.get(KEY_OF_TAG, "").lower()
            return bool(user) and user not in users and user not in excluded

        if tagged is not None:  # (an ARN ends in the name and 6 random characters: DescribeSecret says which)
            found = [secretsmanager.describe(aws, t.arn) for t in tagged.of("secretsmanager:secret") if orphaned(t.tags)]
            secrets = [s for s in found if s is not None and not s.get("DeletedDate")]
        else:
            secrets = secretsmanager.owned(aws, stack, KEY_OF_TAG)
        for secret in secrets:
            tags = policy.normalize_tags(secret.get("Tags", []))
            if orphaned(tags):
                state = {"accessKey": f"secretsManager:{secret['Name']}", "tags": tags}
                out.append(Observed(self.kind, tags[KEY_OF_TAG], secret["ARN"], state,
                                    meta={"orphan_secret": secret["Name"]}))
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
        iamx.sync_tags(iam, "user", name, live_tags, desired["tags"], keep=(ACCESS_KEY_TAG, ACCESS_KEY_ID_TAG))
        keys = [k["AccessKeyId"] for k in iam.paginate("list_access_keys", "AccessKeyMetadata", what, UserName=name)]
        ours, foreign = classify_keys(keys, marker, live_tags.get(ACCESS_KEY_ID_TAG))
        want = desired.get("accessKey")

        def drop(key_ids: list[str]) -> None:
            for key_id in key_ids:
                iam.ignore_missing("delete_access_key", what, UserName=name, AccessKeyId=key_id)

        if marker and marker.startswith(PENDING):
            # keys made by an interrupted apply whose secret was never stored: useless, remove them
            drop(ours)
            ours, marker = [], None
        if desired.get("unmanagedAccessKeys") == [] and foreign:  # spec.unmanagedAccessKeys: delete
            drop(foreign)
            ctx.progress(f"{what}: deleted {len(foreign)} access key(s) reconcile did not create")
            foreign = []
        if want and ours and marker == want:
            return
        if want:
            # store changed (or key missing): make the new key first, then retire the old ones
            if len(ours) + len(foreign) >= 2:
                raise AwsError(f"Failed to create the access key of {what}: the user already has 2 keys (AWS's limit)"
                               + (", not made by reconcile; delete one, or set spec.unmanagedAccessKeys: delete"
                                  if foreign else ""))
            self._new_key(name, want, ctx, keep=foreign)
            drop(ours)
            return
        if marker:  # accessKey removed from the manifest: delete the key reconcile created
            drop(ours)
            iam.call("untag_user", what, UserName=name, TagKeys=[ACCESS_KEY_TAG, ACCESS_KEY_ID_TAG])

    def _new_key(self, name: str, store: str, ctx: ApplyContext, keep: list[str] = ()) -> None:  # type: ignore[assignment]
        """Create the key and store its secret; ``keep``: the user's keys reconcile did not create."""
        iam = ctx.aws.client("iam")
        what = f"User/{name}"
        iam.call("tag_user", what, UserName=name, Tags=[{"Key": ACCESS_KEY_TAG, "Value": PENDING + store},
                                                        {"Key": ACCESS_KEY_ID_TAG, "Value": " ".join([KEEP, *keep])}])
        key = iam.call("create_access_key", what, UserName=name)["AccessKey"]
        payload = json.dumps({"UserName": name, "AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]})
        try:
            kind, _, target = store.partition(":")
            if kind == "secretsManager":
                tags = {**ownership_tags(ctx.stack, {}, False), KEY_OF_TAG: name}
                secretsmanager.write(ctx.aws, target, payload, tags, ctx.stack)
            else:
                write_secret_file(target, payload)
        except BaseException:
            iam.ignore_missing("delete_access_key", what, UserName=name, AccessKeyId=key["AccessKeyId"])
            raise
        finally:
            key_id = key["AccessKeyId"]
            del payload, key
        iam.call("tag_user", what, UserName=name, Tags=[{"Key": ACCESS_KEY_TAG, "Value": store},
                                                        {"Key": ACCESS_KEY_ID_TAG, "Value": key_id}])
        ctx.progress(f"{what}: access key created; its secret was written to {store} (not shown)")

    def delete(self, name: str, ctx: ApplyContext) -> None:
        iam = ctx.aws.client("iam")
        what = f"User/{name}"
        got = iam.get("get_user", what, UserName=name)
        if got is None:  # gone (perhaps a run killed right after DeleteUser): its key's secret may remain
            self._delete_secrets(name, None, ctx)
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
        self._delete_secrets(name, store.split(":", 1)[1] if store.startswith("secretsManager:") else None, ctx)

    def _delete_secrets(self, name: str, marked: str | None, ctx: ApplyContext) -> None:
        """Delete the secrets of ``name``'s access key this stack owns: the one its tag names, and every
        secret tagged as holding its key (found without the user, which may be gone)."""
        secrets = {marked} if marked else set()
        for s in secretsmanager.owned(ctx.aws, ctx.stack, KEY_OF_TAG, cached=False):
            if policy.normalize_tags(s.get("Tags", [])).get(KEY_OF_TAG, "").lower() == name.lower():
                secrets.add(s["Name"])
        for secret in sorted(secrets):
            if secretsmanager.delete_owned(ctx.aws, secret, ctx.stack):
                ctx.progress(f"User/{name}: secret {secret} scheduled for deletion (7-day recovery window)")


def _store_file_issues(res: Resource, file: str) -> list[Issue]:
    """A secret file apply could not write (found at validate, not after the user was created)."""
    where = ("spec", "accessKey", "store", "file")
    target = Path(file).expanduser()
    if target.is_dir():
        return [res.issue(where, f"{file!r} is a folder; give the path of a file to write the access key to")]
    if target.exists() and not target.is_file():
        return [res.issue(where, f"{file!r} is not a regular file (a device, pipe or socket); give a file path")]
    for parent in target.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                return [res.issue(where, f"{file!r} cannot be created: {str(parent)!r} is not a folder")]
            break
    return []


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
