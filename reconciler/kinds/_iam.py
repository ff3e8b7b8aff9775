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
