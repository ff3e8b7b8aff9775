"""User: an IAM user (e.g. the deployer of seed 000) with an access key kept only in a secret store.

The access key is created once. Its secret goes only to the configured store (Secrets Manager or a
0600 file) and is never printed. The user carries the tag ``reconciler:access-key = <store>``, so a
later plan knows the key exists and where it went, and never rotates it by accident. While a key is
being created the tag reads ``pending:<store>``: a run killed between creating the key and storing
it leaves a marker, and the next apply deletes that unstored key and makes a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from reconciler import PREVENT_DESTROY_ANNOTATION, ops, policy
from reconciler.aws import iam as iamx
from reconciler.aws import secretsmanager
from reconciler.errors import Issue
from reconciler.kinds import _iam
from reconciler.kinds.base import (
    Kind,
    Observed,
    OpContext,
    PlanContext,
    Reference,
    Refusal,
    Resource,
    Spec,
    ownership_tags,
)
from reconciler.plan import Operation

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
        return Observed(self.kind, u["UserName"], u["Arn"], state,
                        meta={"marker": marker, "keys": len(keys), "ours": ours, "foreign": foreign})

    def _from_listing(self, aws: Any, u: dict[str, Any]) -> Observed:
        return self._observed(aws, u, iamx.attached_of(u), iamx.inline_of(u, "UserPolicyList"))

    def read_many(self, aws: Any, names: list[str], ctx: PlanContext, pmap: Any) -> list[Observed | None]:
        """Read ``names``: from the account listing when that costs fewer calls (see iamx.bulk), else one by one."""
        if not iamx.bulk(aws, len(names)):
            return pmap(lambda n: self.read(aws, n, ctx), names)
        ahead = [("user", n) for n in names if ctx.likely(self.kind, n) is not None]
        users = iamx.account_beside(aws, pmap, ahead, certain=bool(ctx.expected)).users
        # the access keys are one call per user: those run in the pool, beside the listing for the declared users
        # (a bet that they exist, see iamx.account_beside), else once it has said which do
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

    # ---- operations (pure) -------------------------------------------------------------------------
    def operations(self, name: str, desired: dict[str, Any] | None, observed: Observed | None,
                   ctx: OpContext) -> list[Operation]:
        if desired is None:
            assert observed is not None
            return self._delete(observed, ctx)
        if observed is None:
            arn = f"arn:{ctx.partition}:iam::{ctx.account}:user{desired['path']}{name}"
            request: dict[str, Any] = {"UserName": name, "Path": desired["path"], "Tags": policy.tag_list(desired["tags"])}
            if desired.get("permissionsBoundary"):
                request["PermissionsBoundary"] = desired["permissionsBoundary"]
            parts = {**desired, "permissionsBoundary": None}  # (boundary and tags: in CreateUser)
            out = [ops.call("iam", "CreateUser", name, request, id="user", resource=arn),
                   *_iam.principal_operations("user", name, arn, parts, {"tags": desired["tags"]}, ops.created("user"))]
            if desired.get("accessKey"):
                out += _key_operations(name, arn, desired["accessKey"], [], ops.created("user"), ctx)
            return out
        ev, arn, live, meta = ctx.evidence(observed), observed.arn, observed.state, observed.meta
        out = []
        if live.get("path") != desired["path"]:
            out.append(ops.call("iam", "UpdateUser", name, {"UserName": name, "NewPath": desired["path"]},
                                resource=arn, ownership=ev))
        out += _iam.principal_operations("user", name, arn, desired, live, ev,
                                         keep_tags=(ACCESS_KEY_TAG, ACCESS_KEY_ID_TAG))
        plan = key_plan(meta, desired)

        def drop(keys: list[str], why: str) -> None:
            out.extend(ops.call("iam", "DeleteAccessKey", key_target(name, k), {"UserName": name, "AccessKeyId": k},
                                resource=arn, ownership=ev, detail=why) for k in keys)

        drop(plan.unstored, "a key an interrupted apply made and never stored")
        drop(plan.foreign_dropped, "not made by reconcile; spec.unmanagedAccessKeys: delete")
        if plan.create:
            if plan.keys_after_create > 2:
                raise Refusal(f"the access key cannot be created: User/{name} already has 2 access keys (AWS's "
                              "limit)" + (", not made by reconcile; delete one, or set spec.unmanagedAccessKeys: delete"
                                          if plan.foreign_kept else ""))
            out += _key_operations(name, arn, desired["accessKey"], plan.foreign_kept, ev, ctx)
            drop(plan.replaced, "the key of the previous store")
        elif plan.removed:
            drop(plan.replaced, "spec.accessKey was removed")
            out.append(ops.call("iam", "UntagUser", name, {"UserName": name, "TagKeys": [ACCESS_KEY_TAG, ACCESS_KEY_ID_TAG]},
                                resource=arn, ownership=ev))
        return out

    def _delete(self, observed: Observed, ctx: OpContext) -> list[Operation]:
        name, arn, meta = observed.name, observed.arn, observed.meta
        ev = ctx.evidence(observed)
        secrets = [ops.call("secretsmanager", "DeleteSecret", s["name"], {"SecretId": s["name"], "RecoveryWindowInDays": 7},
                            resource=s["arn"], ownership=ops.by_tags(s["tags"], observed.read_at),
                            detail="the access key's secret (7-day recovery window)")
                   for s in meta.get("keySecrets") or ()]
        if meta.get("orphan_secret"):  # the user is gone (a run killed right after DeleteUser): only its secret
            return secrets
        if meta.get("foreign"):
            raise Refusal(f"cannot delete User/{name}: it has access key(s) reconcile did not create "
                          f"({', '.join(meta['foreign'])}), which the plan keeps; delete them yourself (or apply "
                          "spec.unmanagedAccessKeys: delete first), then run this again")
        out = [ops.call("iam", "DeleteAccessKey", key_target(name, k), {"UserName": name, "AccessKeyId": k},
                        resource=arn, ownership=ev) for k in meta.get("ours") or ()]
        if meta.get("loginProfile"):
            out.append(ops.call("iam", "DeleteLoginProfile", name, {"UserName": name}, resource=arn, ownership=ev,
                                detail="its console password"))
        out += [ops.call("iam", "DeactivateMFADevice", f"{name}/{m}", {"UserName": name, "SerialNumber": m},
                         resource=arn, ownership=ev) for m in meta.get("mfaDevices") or ()]
        out += [ops.call("iam", "RemoveUserFromGroup", f"{name}/{g}", {"UserName": name, "GroupName": g},
                         resource=arn, ownership=ev) for g in meta.get("groups") or ()]
        out += _iam.emptying_operations("user", name, arn, observed.state, ev)
        return out + [ops.call("iam", "DeleteUser", name, {"UserName": name}, resource=arn, ownership=ev)] + secrets

    facts_when_changing = True  # (only a step that creates the key stores it)

    def plan_facts(self, aws: Any, res: Resource, desired: dict[str, Any], ctx: PlanContext) -> dict[str, Any]:
        """The Secrets Manager secret the access key goes to: absent, ours (perhaps scheduled for deletion), or not."""
        store = desired.get("accessKey") or ""
        if not store.startswith("secretsManager:"):
            return {}
        got = secretsmanager.describe(aws, store.split(":", 1)[1], cached=True)
        if got is None:
            return {"store": None}
        return {"store": {"arn": got["ARN"], "tags": policy.normalize_tags(got.get("Tags", [])),
                          "deleted": bool(got.get("DeletedDate"))}}

    def read_details(self, aws: Any, live: Observed, action: str, ctx: PlanContext) -> Observed:
        """For a delete: what AWS wants gone before DeleteUser (console password, MFA devices, groups), and the
        secrets this stack keeps the user's access key in (found by their own tags, the user gone or not)."""
        if action == "update":
            return live
        iam, name, meta = aws.client("iam"), live.name, dict(live.meta)
        what = f"User/{name}"
        secrets = [s for s in secretsmanager.owned(aws, ctx.stack, KEY_OF_TAG)
                   if policy.normalize_tags(s.get("Tags", [])).get(KEY_OF_TAG, "").lower() == name.lower()]
        marked = (meta.get("marker") or "").removeprefix(PENDING)
        if marked.startswith("secretsManager:"):
            got = secretsmanager.describe(aws, marked.split(":", 1)[1], cached=True)
            if got and not got.get("DeletedDate") and policy.owner_of(got.get("Tags", [])) == ctx.stack:
                secrets.append(got)
        meta["keySecrets"] = sorted({s["Name"]: {"name": s["Name"], "arn": s["ARN"],
                                                 "tags": policy.normalize_tags(s.get("Tags", []))}
                                     for s in secrets}.values(), key=lambda s: s["name"])
        if not meta.get("orphan_secret"):
            meta["loginProfile"] = iam.get("get_login_profile", what, UserName=name) is not None
            meta["mfaDevices"] = [m["SerialNumber"] for m in iam.paginate("list_mfa_devices", "MFADevices", what,
                                                                          UserName=name)]
            meta["groups"] = [g["GroupName"] for g in iam.paginate("list_groups_for_user", "Groups", what, UserName=name)]
        return Observed(live.kind, live.name, live.arn, live.state, meta, live.read_at)

    def unlinked(self, state: dict[str, Any], gone: set[str]) -> dict[str, Any]:
        return _iam.unlinked(state, gone)

    def permissions(self, res: Resource | None, need: str, scope: Any) -> list[Any]:
        """A role's (``_iam.principal_permissions``), and the access key: its secret, made and deleted with it."""
        from reconciler.permissions.grants import READ, WRITE, grant

        out = _iam.principal_permissions("user", res, need, scope)
        arn, store = _iam.principal_arn("user", res, scope), (res.spec.accessKey if res is not None else None)
        named = getattr(getattr(store, "store", None), "secretsManager", None)
        secret = scope.secret(named) if named else scope.arn("secretsmanager", "secret:*")
        if need == READ:  # the store's metadata (never its value); the orphan scan's found by their tags
            return out + [grant("secretsmanager:DescribeSecret", secret, owned=named is None)]
        owned = not scope.adopts(res)
        out += [grant(("iam:DeleteAccessKey", "iam:GetLoginProfile", "iam:ListMFADevices", "iam:ListGroupsForUser",
                       "iam:DeleteLoginProfile", "iam:DeactivateMFADevice", "iam:DeleteUser"), arn, owned=owned),
                grant("iam:RemoveUserFromGroup", scope.iam("group/*")),
                grant("secretsmanager:ListSecrets"),  # the secrets holding the user's keys, found by their tags
                grant(("secretsmanager:DescribeSecret", "secretsmanager:DeleteSecret"),
                      scope.arn("secretsmanager", "secret:*"), owned=True)]
        if need == WRITE:
            out.append(grant("iam:CreateAccessKey", arn, owned=owned))
            if named:
                out += [grant(("secretsmanager:CreateSecret", "secretsmanager:TagResource"), secret),
                        grant(("secretsmanager:PutSecretValue", "secretsmanager:RestoreSecret"), secret, owned=True)]
        return out


def key_target(user: str, key_id: str) -> str:
    """How a plan's text names an access key: its user and the key id's ends (the full id is in the request)."""
    return f"{user}/{key_id[:4]}…{key_id[-4:]}" if len(key_id) > 12 else f"{user}/{key_id}"


@dataclass(frozen=True)
class KeyPlan:
    """What happens to a user's access keys: the unstored ones of an interrupted apply and (with
    unmanagedAccessKeys: delete) the foreign ones go; a key is created when the store has none; the key of a
    previous store goes after the new one is stored; with accessKey removed, reconcile's key goes."""

    unstored: list[str]
    foreign_dropped: list[str]
    foreign_kept: list[str]
    create: bool
    replaced: list[str]
    removed: bool

    @property
    def keys_after_create(self) -> int:
        return len(self.foreign_kept) + len(self.replaced) + 1


def key_plan(meta: dict[str, Any], desired: dict[str, Any]) -> KeyPlan:
    ours, foreign, marker = list(meta.get("ours") or ()), list(meta.get("foreign") or ()), meta.get("marker")
    unstored: list[str] = []
    if marker and marker.startswith(PENDING):
        unstored, ours, marker = ours, [], None
    dropped = foreign if desired.get("unmanagedAccessKeys") == [] else []
    kept = [k for k in foreign if k not in dropped]
    want = desired.get("accessKey")
    if want and ours and marker == want:
        return KeyPlan(unstored, dropped, kept, False, [], False)
    if want:
        return KeyPlan(unstored, dropped, kept, True, ours, False)
    return KeyPlan(unstored, dropped, kept, False, ours, bool(marker))


def _key_operations(name: str, arn: str, store: str, keep: list[str], evidence: Any, ctx: OpContext) -> list[Operation]:
    """Mark the user (so a kill before the key is stored is cleaned up), create the key, store its secret, record it."""
    user = {"UserName": name}
    payload = ops.as_json({"UserName": name, "AccessKeyId": ops.output("key", "AccessKey.AccessKeyId"),
                           "SecretAccessKey": ops.output("key", "AccessKey.SecretAccessKey")})
    out = [ops.call("iam", "TagUser", name, {**user, "Tags": [{"Key": ACCESS_KEY_TAG, "Value": PENDING + store},
                                                             {"Key": ACCESS_KEY_ID_TAG, "Value": " ".join([KEEP, *keep])}]},
                    resource=arn, ownership=evidence, detail="marks a key being made (cleaned up if this run stops)"),
           ops.call("iam", "CreateAccessKey", name, user, id="key", resource=arn, ownership=evidence,
                    detail=f"its secret goes only to {store}, never shown")]
    kind, _, target = store.partition(":")
    if kind == "file":
        out.append(ops.call("local", "WriteSecretFile", target, {"Path": target, "Content": payload},
                            detail="mode 0600"))
    else:
        facts = ctx.facts.get("store")
        tags = {**ownership_tags(ctx.stack, {}, False), KEY_OF_TAG: name}
        if facts is None:
            out.append(ops.call("secretsmanager", "CreateSecret", target,
                                {"Name": target, "SecretString": payload, "Tags": policy.tag_list(tags)}))
        elif policy.owner_of(facts["tags"]) != ctx.stack:
            raise Refusal(f"the access key's secret {target} exists and is not owned by stack {ctx.stack!r}; "
                          "choose another spec.accessKey.store.secretsManager name, or delete that secret")
        else:
            secret_ev = ops.by_tags(facts["tags"], None)
            if facts["deleted"]:
                out.append(ops.call("secretsmanager", "RestoreSecret", target, {"SecretId": target},
                                    resource=facts["arn"], ownership=secret_ev, detail="it was scheduled for deletion"))
            out.append(ops.call("secretsmanager", "PutSecretValue", target, {"SecretId": target, "SecretString": payload},
                                resource=facts["arn"], ownership=secret_ev))
    out.append(ops.call("iam", "TagUser", name, {**user, "Tags": [
        {"Key": ACCESS_KEY_TAG, "Value": store}, {"Key": ACCESS_KEY_ID_TAG, "Value": ops.output("key", "AccessKey.AccessKeyId")}]},
        resource=arn, ownership=evidence, detail="records the stored key"))
    return out


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


KIND = UserKind()
