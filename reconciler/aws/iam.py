"""IAM adapter helpers shared by the Role and User kinds (users and roles have the same sub-resources)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler import policy
from reconciler.aws import Client

if TYPE_CHECKING:
    from reconciler.aws import Aws

# entity -> (name parameter, API noun) : role -> RoleName / "role", user -> UserName / "user"
_NOUN = {"role": ("RoleName", "role"), "user": ("UserName", "user")}


def attached(iam: Client, entity: str, name: str) -> list[str]:
    param, noun = _NOUN[entity]
    return sorted(p["PolicyArn"] for p in iam.paginate(
        f"list_attached_{noun}_policies", "AttachedPolicies", f"{entity.title()}/{name}", **{param: name}))


def inline(iam: Client, entity: str, name: str) -> dict[str, Any]:
    param, noun = _NOUN[entity]
    out = {}
    for pname in iam.paginate(f"list_{noun}_policies", "PolicyNames", f"{entity.title()}/{name}", **{param: name}):
        got = iam.get(f"get_{noun}_policy", f"{entity.title()}/{name}", **{param: name, "PolicyName": pname})
        if got is not None:
            out[pname] = policy.canonical(got["PolicyDocument"])
    return dict(sorted(out.items()))


def sync_attached(iam: Client, entity: str, name: str, desired: list[str], live: list[str] | None = None) -> None:
    """Attach/detach so exactly ``desired`` is attached. ``live``: what is attached, when known (a role or
    user this run just created has nothing attached: reading that back would cost a call per entity)."""
    param, noun = _NOUN[entity]
    live = set(attached(iam, entity, name) if live is None else live)
    what = f"{entity.title()}/{name}"
    for arn in sorted(live - set(desired)):
        iam.ignore_missing(f"detach_{noun}_policy", what, **{param: name, "PolicyArn": arn})
    for arn in sorted(set(desired) - live):
        iam.call(f"attach_{noun}_policy", what, **{param: name, "PolicyArn": arn})


def sync_inline(iam: Client, entity: str, name: str, desired: dict[str, Any], live: dict[str, Any] | None = None) -> None:
    """Put/delete inline policies so exactly ``desired`` is there. ``live``: the inline policies, when known."""
    param, noun = _NOUN[entity]
    live = inline(iam, entity, name) if live is None else live
    what = f"{entity.title()}/{name}"
    for pname in sorted(set(live) - set(desired)):
        iam.ignore_missing(f"delete_{noun}_policy", what, **{param: name, "PolicyName": pname})
    for pname, doc in sorted(desired.items()):
        if live.get(pname) != policy.canonical(doc):
            iam.call(f"put_{noun}_policy", what, **{param: name, "PolicyName": pname, "PolicyDocument": json.dumps(doc)})


def sync_boundary(iam: Client, entity: str, name: str, live: str | None, desired: str | None) -> None:
    param, noun = _NOUN[entity]
    what = f"{entity.title()}/{name}"
    if desired and desired != live:
        iam.call(f"put_{noun}_permissions_boundary", what, **{param: name, "PermissionsBoundary": desired})
    elif not desired and live:
        iam.ignore_missing(f"delete_{noun}_permissions_boundary", what, **{param: name})


def sync_tags(iam: Client, entity: str, name: str, live: dict[str, str], desired: dict[str, str],
              keep: tuple[str, ...] = ()) -> None:
    param, noun = _NOUN[entity]
    what = f"{entity.title()}/{name}"
    to_set, to_remove = policy.tag_changes(live, desired)
    to_remove = [k for k in to_remove if k not in keep]
    if to_remove:
        iam.call(f"untag_{noun}", what, **{param: name, "TagKeys": to_remove})
    if to_set:
        iam.call(f"tag_{noun}", what, **{param: name, "Tags": policy.tag_list(to_set)})


def empty(iam: Client, entity: str, name: str) -> None:
    """Detach managed policies and delete inline policies (before deleting the entity)."""
    param, noun = _NOUN[entity]
    what = f"{entity.title()}/{name}"
    for arn in attached(iam, entity, name):
        iam.ignore_missing(f"detach_{noun}_policy", what, **{param: name, "PolicyArn": arn})
    for pname in list(iam.paginate(f"list_{noun}_policies", "PolicyNames", what, **{param: name})):
        iam.ignore_missing(f"delete_{noun}_policy", what, **{param: name, "PolicyName": pname})


# ---- bulk reads ------------------------------------------------------------------------------------
# GetAccountAuthorizationDetails returns every role, user and customer managed policy with their
# attachments, inline documents and (roles, users) tags: ceil(entities / 1000) calls for the whole
# account, against 3-5 calls per entity read one by one. It lacks a role's Description and
# MaxSessionDuration (ListRoles has them: one more call per 1000 roles), a policy's tags and a user's
# access keys (one call each, read once per command and shared with the prune scan).

BULK_MIN = 10
"""Declared IAM resources of one kind from which a command reads the account in bulk (RECONCILE_IAM_BULK=auto)."""

PAGE = 1000  # the largest MaxItems IAM accepts


@dataclass
class Account:
    """Every role, user and customer managed policy, by lower-case name (IAM names are case-insensitive)."""

    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)


def bulk(aws: Aws, count: int) -> bool:
    """Read ``count`` declared resources of an IAM kind from the account listing instead of one by one?

    RECONCILE_IAM_BULK: ``auto`` (default: when ``count`` >= BULK_MIN, or the listing was read already
    in this command), ``always``, ``never``.
    """
    mode = os.environ.get("RECONCILE_IAM_BULK", "auto").lower()
    if mode in ("always", "1", "true", "yes"):
        return True
    if mode in ("never", "0", "false", "no"):
        return False
    return count >= BULK_MIN or aws.is_cached("iam:account")


def _pages(iam: Client, op: str, what: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    marker = None
    while True:
        page = iam.call(op, what, MaxItems=PAGE, **kwargs, **({"Marker": marker} if marker else {}))
        yield page
        marker = page.get("Marker")
        if not page.get("IsTruncated") or not marker:
            return


def account(aws: Aws) -> Account:
    """The account's roles, users and customer managed policies (GetAccountAuthorizationDetails, once per command)."""

    def fetch() -> Account:
        out = Account()
        for page in _pages(aws.client("iam"), "get_account_authorization_details", "the account's IAM entities",
                           Filter=["Role", "User", "LocalManagedPolicy"]):
            for r in page.get("RoleDetailList", []):
                out.roles[r["RoleName"].lower()] = r
            for u in page.get("UserDetailList", []):
                out.users[u["UserName"].lower()] = u
            for p in page.get("Policies", []):
                name = p.get("PolicyName") or p["Arn"].rsplit("/", 1)[1]  # (moto leaves PolicyName out)
                out.policies[name.lower()] = {**p, "PolicyName": name}
        return out

    return aws.cached("iam:account", fetch)


def account_beside(aws: Aws, pmap: Any, ahead: list[tuple[str, str]]) -> Account:
    """``account(aws)``, fetched while the per-resource reads whose targets are known without it
    (``PlanContext.expected``) run in the pool (``read_ahead``) instead of after it."""
    if not ahead:
        return account(aws)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="iam-listing") as one:
        listing = one.submit(account, aws)
        pmap(lambda target: read_ahead(aws, target), ahead)
        return listing.result()


def role_settings(aws: Aws) -> dict[str, dict[str, Any]]:
    """{lower-case role name: ListRoles entry} — Description and MaxSessionDuration, which the bulk listing lacks."""

    def fetch() -> dict[str, dict[str, Any]]:
        return {r["RoleName"].lower(): r for page in _pages(aws.client("iam"), "list_roles", "roles")
                for r in page.get("Roles", [])}

    return aws.cached("iam:list-roles", fetch)


def policy_tags(aws: Aws, arn: str, what: str) -> dict[str, str]:
    """Tags of a managed policy (read once per command)."""
    return aws.cached(f"iam:policy-tags:{arn}", lambda: policy.normalize_tags(
        list(aws.client("iam").paginate("list_policy_tags", "Tags", what, PolicyArn=arn))))


def read_ahead(aws: Aws, target: tuple[str, str]) -> None:
    """Read a policy's tags (``("policy", ARN)``) or a user's access keys (``("user", NAME)``) before the account
    listing says it exists, for ``policy_tags`` / ``access_keys`` to return. Kept only when found in one page (a
    policy or user not visible yet, IAM being eventually consistent, is read again once the listing has it)."""
    what, key = target
    iam = aws.client("iam")
    if what == "policy":
        got = iam.get("list_policy_tags", f"Policy/{key.rsplit('/', 1)[-1]}", PolicyArn=key)
        if got is not None and not got.get("IsTruncated"):
            aws.keep(f"iam:policy-tags:{key}", policy.normalize_tags(got.get("Tags", [])))
    else:
        got = iam.get("list_access_keys", f"User/{key}", UserName=key)
        if got is not None and not got.get("IsTruncated"):
            aws.keep(f"iam:access-keys:{key.lower()}", list(got.get("AccessKeyMetadata", [])))


def access_keys(aws: Aws, user: str) -> list[dict[str, Any]]:
    """Access key metadata of a user (read once per command)."""
    return aws.cached(f"iam:access-keys:{user.lower()}", lambda: list(aws.client("iam").paginate(
        "list_access_keys", "AccessKeyMetadata", f"User/{user}", UserName=user)))


def attached_of(detail: dict[str, Any]) -> list[str]:
    """Managed policy ARNs of a role/user detail from the bulk listing."""
    return sorted(p["PolicyArn"] for p in detail.get("AttachedManagedPolicies", []))


def inline_of(detail: dict[str, Any], key: str) -> dict[str, Any]:
    """Inline policies of a role/user detail (``RolePolicyList`` / ``UserPolicyList``), canonical."""
    return dict(sorted((p["PolicyName"], policy.canonical(p["PolicyDocument"])) for p in detail.get(key, [])))


def default_document(detail: dict[str, Any]) -> Any:
    """The default version's document of a managed policy detail (None when the listing lacks it)."""
    for v in detail.get("PolicyVersionList", []):
        if v.get("IsDefaultVersion") or v.get("VersionId") == detail.get("DefaultVersionId"):
            return v.get("Document")
    return None
