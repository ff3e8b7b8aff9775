"""Pieces shared by the IAM kinds: name/path rules, policy-document checks, policy references."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from reconciler import policy
from reconciler.errors import Issue
from reconciler.kinds.base import PlanContext, Reference, Resource, Spec

NAME_64 = re.compile(r"^[\w+=,.@-]{1,64}$", re.ASCII)  # AWS: ASCII only (no é, no fullwidth ２)
NAME_128 = re.compile(r"^[\w+=,.@-]{1,128}$", re.ASCII)
PATH = re.compile(r"^/([\x21-\x7E]*/)?$")
ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/.+$", re.ASCII)
PolicyDocument = dict[str, Any] | str

DOC_HELP = "An IAM policy document (AWS's own keys: Version, Statement …), as YAML or as JSON text."


def validate_path(v: str) -> str:
    if len(v) > 512 or not PATH.match(v):
        shown = repr(v) if len(v) <= 40 else repr(v[:37] + "...")
        raise ValueError(f"{shown} ({len(v)} characters) is not an IAM path; allowed: starts and ends with '/' "
                         "(e.g. /service/), printable ASCII without spaces, at most 512 characters")
    return v


class PrincipalSpec(Spec):
    """Fields shared by roles and users."""

    path: str = Field("/", description="IAM path, e.g. /service/. Starts and ends with '/'.")
    managedPolicies: list[str] = Field(
        default_factory=list,
        description="Managed policies to attach: AWS ARNs, or names of Policy resources in the manifests.",
    )
    inlinePolicies: dict[str, PolicyDocument] = Field(
        default_factory=dict, description="Inline policies: {policy name: policy document}."
    )
    permissionsBoundary: str | None = Field(
        None, description="Permissions boundary: a managed policy ARN or the name of a Policy in the manifests."
    )

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        return validate_path(v)

    @field_validator("managedPolicies")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        dupes = sorted({x for x in v if v.count(x) > 1})
        if dupes:
            raise ValueError(f"listed more than once: {dupes}")
        return v


def inline_name_issues(res: Resource) -> list[Issue]:
    """Inline policy names AWS refuses, each located at its own key."""
    return [res.issue(("spec", "inlinePolicies", name),
                      f"inline policy name {name!r} is not allowed; allowed: 1-128 characters of letters, digits and +=,.@_-")
            for name in res.spec.inlinePolicies if not NAME_128.match(name)]


def document_issues(res: Resource, path: tuple, doc: Any, *, trust: bool = False) -> list[Issue]:
    out = []
    for sub, message in policy.problems(doc, trust=trust):
        parts = tuple(sub.replace("[", ".").replace("]", "").split(".")) if sub else ()
        parts = tuple(int(p) if p.isdigit() else p for p in parts if p != "")
        out.append(res.issue(path + parts, message))
    return out


def size_issue(res: Resource, path: tuple, total: int, limit: int, what: str) -> list[Issue]:
    if total > limit:
        return [res.issue(path, f"{what}: {total} characters (not counting whitespace); AWS allows at most {limit}")]
    return []


def policy_references(res: Resource, names: dict[str, set[str]]) -> list[Reference]:
    """managedPolicies / permissionsBoundary entries that are not ARNs must name a Policy in the manifests."""
    refs = []
    for i, value in enumerate(res.spec.managedPolicies):
        if not value.startswith("arn:"):
            refs.append(Reference(("spec", "managedPolicies", i), "Policy", value))
    if res.spec.permissionsBoundary and not res.spec.permissionsBoundary.startswith("arn:"):
        refs.append(Reference(("spec", "permissionsBoundary"), "Policy", res.spec.permissionsBoundary))
    return refs


#: managed policies attached to one role or user: IAM's default quota, and the most it can be raised to
MANAGED_POLICIES_DEFAULT, MANAGED_POLICIES_MAX = 10, 20


def arn_issues(res: Resource) -> list[Issue]:
    out = []
    for i, value in enumerate(res.spec.managedPolicies):
        if value.startswith("arn:") and not ARN.match(value):
            out.append(res.issue(("spec", "managedPolicies", i),
                                 f"{value!r} is not a managed policy ARN (arn:aws:iam::ACCOUNT|aws:policy/NAME)"))
    b = res.spec.permissionsBoundary
    if b and b.startswith("arn:") and not ARN.match(b):
        out.append(res.issue(("spec", "permissionsBoundary"), f"{b!r} is not a managed policy ARN"))
    n, who = len(res.spec.managedPolicies), res.kind.lower()
    if n > MANAGED_POLICIES_MAX:
        out.append(res.issue(("spec", "managedPolicies"), f"{n} policies; AWS allows at most {MANAGED_POLICIES_MAX} "
                                                          f"per {who} ({MANAGED_POLICIES_DEFAULT} by default)"))
    elif n > MANAGED_POLICIES_DEFAULT:
        out.append(res.issue(("spec", "managedPolicies"), f"{n} managed policies; AWS's default quota is "
                             f"{MANAGED_POLICIES_DEFAULT} per {who} (IAM quota 'Managed policies per {who}'): the "
                             f"attach fails unless the account's quota was raised (Service Quotas, up to "
                             f"{MANAGED_POLICIES_MAX})", "warning"))
    return out


def resolve_policy(value: str | None, ctx: PlanContext) -> str | None:
    if value is None or value.startswith("arn:"):
        return value
    return ctx.arn_of("Policy", value)


def principal_depends_on(state: dict[str, Any]) -> list[str]:
    """The managed policies (and boundary) a role or user needs: pruning them is refused while it is kept."""
    boundary = [state["permissionsBoundary"]] if state.get("permissionsBoundary") else []
    return [*state.get("managedPolicies", []), *boundary]


def principal_state(res: Resource, ctx: PlanContext) -> dict[str, Any]:
    spec = res.spec
    return {
        "path": spec.path,
        "managedPolicies": sorted(resolve_policy(p, ctx) or "" for p in spec.managedPolicies),
        "inlinePolicies": {k: policy.canonical(v) for k, v in sorted(spec.inlinePolicies.items())},
        "permissionsBoundary": resolve_policy(spec.permissionsBoundary, ctx),
    }


def lint_principal(res: Resource) -> list[Issue]:
    from reconciler import lint, lint_cache

    out = lint.managed(res, ("spec", "managedPolicies"), res.spec.managedPolicies)
    for name, doc in res.spec.inlinePolicies.items():
        out += lint_cache.document(res, ("spec", "inlinePolicies", name), doc)
    return out


# ---- operations (pure) ------------------------------------------------------------------------------
# Roles and users have the same parts: managed policies attached, inline policies, a permissions boundary,
# tags. ``principal_operations`` takes the live parts to the desired ones, one call per change.

_PARAM = {"role": "RoleName", "user": "UserName"}
_NOUN = {"role": "Role", "user": "User"}


def principal_operations(entity: str, name: str, arn: str, desired: dict[str, Any], live: dict[str, Any],
                         evidence: Any, keep_tags: tuple[str, ...] = ()) -> list[Any]:
    """Calls that take a role's or user's ``live`` parts (empty for one just created) to ``desired``."""
    import json

    from reconciler import ops

    param, noun = _PARAM[entity], _NOUN[entity]
    out = []

    def call(action: str, target: str, **request: Any) -> None:
        out.append(ops.call("iam", action, target, {param: name, **request}, resource=arn, ownership=evidence))

    boundary, live_boundary = desired.get("permissionsBoundary"), live.get("permissionsBoundary")
    if boundary and boundary != live_boundary:
        call(f"Put{noun}PermissionsBoundary", name, PermissionsBoundary=boundary)
    elif not boundary and live_boundary:
        call(f"Delete{noun}PermissionsBoundary", name)
    attached, want = set(live.get("managedPolicies") or ()), set(desired["managedPolicies"])
    for policy_arn in sorted(attached - want):
        call(f"Detach{noun}Policy", f"{name}/{policy_arn.rsplit('/', 1)[-1]}", PolicyArn=policy_arn)
    for policy_arn in sorted(want - attached):
        call(f"Attach{noun}Policy", f"{name}/{policy_arn.rsplit('/', 1)[-1]}", PolicyArn=policy_arn)
    inline, want_inline = live.get("inlinePolicies") or {}, desired["inlinePolicies"]
    for pname in sorted(set(inline) - set(want_inline)):
        call(f"Delete{noun}Policy", f"{name}/{pname}", PolicyName=pname)
    for pname, doc in sorted(want_inline.items()):
        if inline.get(pname) != doc:
            call(f"Put{noun}Policy", f"{name}/{pname}", PolicyName=pname, PolicyDocument=json.dumps(doc))
    out += tag_operations(entity, name, arn, live.get("tags") or {}, desired["tags"], evidence, keep_tags)
    return out


def tag_operations(entity: str, name: str, arn: str, live: dict[str, str], desired: dict[str, str], evidence: Any,
                   keep: tuple[str, ...] = ()) -> list[Any]:
    """Untag{Role,User,Policy,…} the keys that go, Tag… the ones that change (the entity's own parameter)."""
    from reconciler import ops

    param = {"role": "RoleName", "user": "UserName", "policy": "PolicyArn",
             "oidc": "OpenIDConnectProviderArn"}[entity]
    noun = {"role": "Role", "user": "User", "policy": "Policy", "oidc": "OpenIDConnectProvider"}[entity]
    ident = arn if entity in ("policy", "oidc") else name
    to_set, to_remove = policy.tag_changes(live, desired)
    to_remove = [k for k in to_remove if k not in keep]
    out = []
    if to_remove:
        out.append(ops.call("iam", f"Untag{noun}", name, {param: ident, "TagKeys": sorted(to_remove)},
                            resource=arn, ownership=evidence, detail=", ".join(sorted(to_remove))))
    if to_set:
        out.append(ops.call("iam", f"Tag{noun}", name, {param: ident, "Tags": policy.tag_list(to_set)},
                            resource=arn, ownership=evidence, detail=", ".join(sorted(to_set))))
    return out


def emptying_operations(entity: str, name: str, arn: str, live: dict[str, Any], evidence: Any) -> list[Any]:
    """Detach every managed policy and delete every inline policy (AWS refuses to delete the entity before)."""
    from reconciler import ops

    param, noun = _PARAM[entity], _NOUN[entity]
    out = [ops.call("iam", f"Detach{noun}Policy", f"{name}/{a.rsplit('/', 1)[-1]}", {param: name, "PolicyArn": a},
                    resource=arn, ownership=evidence) for a in sorted(live.get("managedPolicies") or ())]
    out += [ops.call("iam", f"Delete{noun}Policy", f"{name}/{p}", {param: name, "PolicyName": p},
                     resource=arn, ownership=evidence) for p in sorted(live.get("inlinePolicies") or {})]
    return out


def unlinked(state: dict[str, Any], gone: set[str]) -> dict[str, Any]:
    """A role's or user's state once the managed policies ``gone`` are deleted (they detach from it first)."""
    out = dict(state)
    out["managedPolicies"] = [a for a in state.get("managedPolicies") or () if a not in gone]
    return out


# ---- permissions (reconcile permissions) -------------------------------------------------------------------
# What the Role and User kinds' reads and operations call. Reads of the declared names are not conditioned on
# tags (plan must see a same-named resource that is not the stack's, to say so); changes and deletes act only on
# what carries the stack's tags (the adopted excepted: their tags come with the adoption's first apply).

_READS = {"role": ("iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy"),
          "user": ("iam:GetUser", "iam:ListUserTags", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies",
                   "iam:GetUserPolicy", "iam:ListAccessKeys")}
#: the account's bulk reads (reconciler/aws/iam.py): the declared names' and the orphan scan's
BULK = {"role": ("iam:GetAccountAuthorizationDetails", "iam:ListRoles"),
        "user": ("iam:GetAccountAuthorizationDetails",)}


def principal_arn(entity: str, res: Resource | None, scope: Any) -> str:
    """The ARN of the role or user ``res`` (with its path), or of every role or user (``res`` None)."""
    if res is None:
        return str(scope.iam(f"{entity}/*"))
    return str(scope.iam(f"{entity}{res.spec.path}{res.name}"))


def principal_permissions(entity: str, res: Resource | None, need: str, scope: Any) -> list[Any]:
    """What plan (read), apply (write) and prune/destroy (delete) call on a role or user."""
    from reconciler.permissions.grants import READ, WRITE, grant

    noun, arn = _NOUN[entity], principal_arn(entity, res, scope)
    reads = [grant(BULK[entity])]
    if need == READ:
        if res is not None:
            return [*reads, grant(_READS[entity], arn)]
        if entity == "user":  # the orphan scan reads the access keys of the stack's users
            return [*reads, grant("iam:ListAccessKeys", arn, owned=True)]
        return reads
    owned = not scope.adopts(res)
    # apply re-checks the tags of what it changes or deletes just before the call (reconciler/aws/tags.py)
    recheck = (f"iam:Get{noun}", f"iam:List{noun}Tags")
    out = [grant(recheck, arn, owned=owned), *_emptying(entity, arn, owned)]
    if entity == "role":
        out += [grant(("iam:ListInstanceProfilesForRole", "iam:DeleteRole"), arn, owned=owned),
                grant("iam:RemoveRoleFromInstanceProfile", scope.iam("instance-profile/*"))]
    if need != WRITE:
        return out
    assert res is not None
    out += [grant((f"iam:Create{noun}", f"iam:Tag{noun}"), arn),  # creating with tags takes Tag* as well
            grant((f"iam:Update{noun}" if entity == "user" else "iam:UpdateRole", f"iam:Tag{noun}",
                   f"iam:Untag{noun}", f"iam:Put{noun}Policy", f"iam:Delete{noun}PermissionsBoundary"),
                  arn, owned=owned)]
    if entity == "role":
        out.append(grant("iam:UpdateAssumeRolePolicy", arn, owned=owned))
    policies = sorted({scope.policy_arn(p) for p in res.spec.managedPolicies})
    if policies:  # attach only the policies the manifests name
        out.append(grant(f"iam:Attach{noun}Policy", arn, owned=owned,
                         conditions=(("ArnLike", "iam:PolicyARN", tuple(policies)),)))
    if res.spec.permissionsBoundary:
        boundary = scope.policy_arn(res.spec.permissionsBoundary)
        out.append(grant((f"iam:Create{noun}", f"iam:Put{noun}PermissionsBoundary"), arn,
                         conditions=(("ArnLike", "iam:PermissionsBoundary", (boundary,)),)))
    return out


def _emptying(entity: str, arn: str, owned: bool) -> list[Any]:
    """Detach every managed policy, delete every inline one (before a delete, or as an update drops them)."""
    from reconciler.permissions.grants import grant

    noun = _NOUN[entity]
    return [grant((f"iam:Detach{noun}Policy", f"iam:Delete{noun}Policy"), arn, owned=owned)]
