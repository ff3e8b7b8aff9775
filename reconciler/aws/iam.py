"""IAM adapter helpers shared by the Role and User kinds (users and roles have the same sub-resources)."""

from __future__ import annotations

import json
from typing import Any

from reconciler import policy
from reconciler.aws import Client

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


def sync_attached(iam: Client, entity: str, name: str, desired: list[str]) -> None:
    param, noun = _NOUN[entity]
    live = set(attached(iam, entity, name))
    what = f"{entity.title()}/{name}"
    for arn in sorted(live - set(desired)):
        iam.ignore_missing(f"detach_{noun}_policy", what, **{param: name, "PolicyArn": arn})
    for arn in sorted(set(desired) - live):
        iam.call(f"attach_{noun}_policy", what, **{param: name, "PolicyArn": arn})


def sync_inline(iam: Client, entity: str, name: str, desired: dict[str, Any]) -> None:
    param, noun = _NOUN[entity]
    live = inline(iam, entity, name)
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
