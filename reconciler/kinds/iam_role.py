"""Role: an IAM role, e.g. the execution role SageMaker assumes to run an endpoint."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, field_validator, model_validator

from reconciler import PREVENT_DESTROY_ANNOTATION, ops, policy
from reconciler.aws import iam as iamx
from reconciler.errors import Issue
from reconciler.kinds import _iam
from reconciler.kinds.base import Kind, Observed, OpContext, PlanContext, Reference, Resource, ownership_tags
from reconciler.plan import Operation


class RoleSpec(_iam.PrincipalSpec):
    """An IAM role."""

    description: str = Field("", max_length=1000, description="Description of the role.")
    maxSessionDuration: int = Field(3600, ge=3600, le=43200, description="Maximum session length in seconds (3600-43200).")
    trustPolicy: _iam.PolicyDocument | None = Field(
        None, description="The full trust (assume-role) policy document. Give this or assumedBy."
    )
    assumedBy: list[str] | None = Field(
        None,
        description="Shorthand trust policy: service principals allowed to assume the role, e.g. [sagemaker.amazonaws.com].",
    )

    @field_validator("maxSessionDuration", mode="before")
    @classmethod
    def _seconds(cls, v: Any) -> Any:
        if isinstance(v, bool):  # YAML's true/false would otherwise pass as 1/0
            raise ValueError(f"must be a whole number of seconds (3600-43200), got the boolean {str(v).lower()}")
        return v

    @model_validator(mode="after")
    def _one_trust(self) -> RoleSpec:
        if (self.trustPolicy is None) == (self.assumedBy is None):
            given = "both are given" if self.trustPolicy is not None else "neither is given"
            raise ValueError(f"give exactly one of trustPolicy (a full trust policy document) or assumedBy "
                             f"(a list of service principals, e.g. [sagemaker.amazonaws.com]); {given}")
        return self

    def trust_document(self) -> Any:
        if self.assumedBy is not None:
            return policy.assume_role_document(self.assumedBy)
        return self.trustPolicy


class RoleKind(Kind):
    kind = "Role"
    spec_model = RoleSpec
    description = "An IAM role with its trust policy, managed and inline policies."
    name_pattern = _iam.NAME_64
    name_rule = "1-64 characters of ASCII letters, digits and +=,.@_-"
    case_insensitive_names = True
    replace_fields = frozenset({"path"})
    delete_order = 80
    service = "iam"
    plural = "roles"

    def check(self, res: Resource) -> list[Issue]:
        spec = res.spec
        issues = _iam.arn_issues(res) + _iam.inline_name_issues(res)
        for i, svc in enumerate(spec.assumedBy or []):
            if not svc.endswith((".amazonaws.com", ".amazonaws.com.cn")):
                issues.append(res.issue(("spec", "assumedBy", i), f"{svc!r} is not a service principal; allowed: "
                                        "AWS service principals like sagemaker.amazonaws.com (for other principals, "
                                        "write a trustPolicy)"))
        if spec.trustPolicy is not None:
            issues += _iam.document_issues(res, ("spec", "trustPolicy"), spec.trustPolicy, trust=True)
        total = 0
        for name, doc in spec.inlinePolicies.items():
            found = _iam.document_issues(res, ("spec", "inlinePolicies", name), doc)
            issues += found
            if not found:
                total += policy.size(doc)
        issues += _iam.size_issue(res, ("spec", "inlinePolicies"), total, 10240, "the role's inline policies together")
        if not issues:
            issues += _iam.size_issue(res, ("spec", "trustPolicy"), policy.size(spec.trust_document()), 2048, "the trust policy")
        from reconciler.kinds import _constraints  # API parameters vs botocore's model
        return issues + _constraints.check(res, issues)

    def lint(self, res: Resource) -> list[Issue]:
        return _iam.lint_principal(res)

    def references(self, res: Resource, names: dict[str, set[str]]) -> list[Reference]:
        refs = _iam.policy_references(res, names)
        # a trust policy naming an OIDC provider declared in the manifests must wait for it
        # (AWS refuses a trust policy whose Federated principal does not exist yet)
        try:
            doc = policy.parse(res.spec.trust_document()) if res.spec.trustPolicy is not None else {}
        except ValueError:  # invalid JSON text: reported by check()
            doc = {}
        statements = doc.get("Statement", []) if isinstance(doc, dict) else []
        for st in [statements] if isinstance(statements, dict) else statements if isinstance(statements, list) else []:
            principal = st.get("Principal") if isinstance(st, dict) else None
            federated = principal.get("Federated", []) if isinstance(principal, dict) else []
            for arn in [federated] if isinstance(federated, str) else federated if isinstance(federated, list) else []:
                host = str(arn).split(":oidc-provider/", 1)[-1] if ":oidc-provider/" in str(arn) else None
                if host and host in names.get("OidcProvider", set()):
                    refs.append(Reference(("spec", "trustPolicy"), "OidcProvider", host))
        return refs

    def arn(self, name: str, spec: Any, ctx: PlanContext) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account}:role{spec.path}{name}"

    def desired(self, res: Resource, ctx: PlanContext) -> dict[str, Any]:
        return {
            **_iam.principal_state(res, ctx),
            "description": res.spec.description,
            "maxSessionDuration": res.spec.maxSessionDuration,
            "trustPolicy": policy.canonical(res.spec.trust_document()),
            "tags": ownership_tags(ctx.stack, res.tags, res.annotated(PREVENT_DESTROY_ANNOTATION)),
        }

    def depends_on_arns(self, state: dict[str, Any]) -> list[str]:
        return _iam.principal_depends_on(state)

    def read(self, aws: Any, name: str, ctx: PlanContext) -> Observed | None:
        iam = aws.client("iam")
        got = iam.get("get_role", f"Role/{name}", RoleName=name)
        if got is None:
            return None
        r = got["Role"]
        return self._observed(r, iamx.attached(iam, "role", r["RoleName"]), iamx.inline(iam, "role", r["RoleName"]))

    def _observed(self, r: dict[str, Any], attached: list[str], inline: dict[str, Any]) -> Observed:
        state = {
            "path": r.get("Path", "/"),
            "managedPolicies": attached,
            "inlinePolicies": inline,
            "permissionsBoundary": (r.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
            "description": r.get("Description", "") or "",
            "maxSessionDuration": r.get("MaxSessionDuration", 3600),
            "trustPolicy": policy.canonical(r["AssumeRolePolicyDocument"]),
            "tags": policy.normalize_tags(r.get("Tags", [])),
        }
        return Observed(self.kind, r["RoleName"], r["Arn"], state, meta={"id": r.get("RoleId")})

    def _from_listing(self, aws: Any, r: dict[str, Any], ctx: PlanContext) -> Observed | None:
        """A role of the bulk listing, with Description and MaxSessionDuration from ListRoles."""
        settings = iamx.role_settings(aws).get(r["RoleName"].lower())
        if settings is None:  # created between the two listings: read it on its own
            return self.read(aws, r["RoleName"], ctx)
        merged = {**r, "Description": settings.get("Description"),
                  "MaxSessionDuration": settings.get("MaxSessionDuration", 3600)}
        obs = self._observed(merged, iamx.attached_of(r), iamx.inline_of(r, "RolePolicyList"))
        obs.meta["instanceProfiles"] = sorted(p["InstanceProfileName"] for p in r.get("InstanceProfileList") or ())
        return obs

    def read_many(self, aws: Any, names: list[str], ctx: PlanContext, pmap: Any) -> list[Observed | None]:
        """Read ``names``: from the account listing when that costs fewer calls (see iamx.bulk), else one by one."""
        if not iamx.bulk(aws, len(names)):
            return pmap(lambda n: self.read(aws, n, ctx), names)
        pmap(lambda fetch: fetch(aws), [iamx.account, iamx.role_settings])  # both listings at once (kept in aws.cached)
        roles = iamx.account(aws).roles
        return [self._from_listing(aws, roles[n.lower()], ctx) if n.lower() in roles else None for n in names]

    def list_owned(self, aws: Any, stack: str, ctx: PlanContext, exclude: set[str] = frozenset(),  # type: ignore[assignment]
                   tagged: Any = None) -> list[Observed]:
        excluded = {n.lower() for n in exclude}
        out = []
        for lname, r in sorted(iamx.account(aws).roles.items()):
            if lname in excluded:
                continue
            tags = policy.normalize_tags(r.get("Tags", []))
            if policy.owner_of(tags) == stack:
                full = self._from_listing(aws, r, ctx)
                if full:
                    out.append(full)
        return out

    # ---- operations (pure) -------------------------------------------------------------------------
    def operations(self, name: str, desired: dict[str, Any] | None, observed: Observed | None,
                   ctx: OpContext) -> list[Operation]:
        if desired is None:
            assert observed is not None
            return self._delete(observed, ctx)
        if observed is None:
            return self._create(name, desired, ctx)
        ev = ctx.evidence(observed)
        live, arn = observed.state, observed.arn
        out = []
        if live.get("description") != desired["description"] or live.get("maxSessionDuration") != desired["maxSessionDuration"]:
            out.append(ops.call("iam", "UpdateRole", name, {"RoleName": name, "Description": desired["description"],
                                                            "MaxSessionDuration": desired["maxSessionDuration"]},
                                resource=arn, ownership=ev))
        if live.get("trustPolicy") != desired["trustPolicy"]:
            out.append(ops.call("iam", "UpdateAssumeRolePolicy", name,
                                {"RoleName": name, "PolicyDocument": json.dumps(desired["trustPolicy"])},
                                resource=arn, ownership=ev))
        return out + _iam.principal_operations("role", name, arn, desired, live, ev)

    def _create(self, name: str, desired: dict[str, Any], ctx: OpContext) -> list[Operation]:
        arn = f"arn:{ctx.partition}:iam::{ctx.account}:role{desired['path']}{name}"
        request: dict[str, Any] = {
            "RoleName": name, "Path": desired["path"], "AssumeRolePolicyDocument": json.dumps(desired["trustPolicy"]),
            "Description": desired["description"], "MaxSessionDuration": desired["maxSessionDuration"],
            "Tags": policy.tag_list(desired["tags"])}
        if desired.get("permissionsBoundary"):
            request["PermissionsBoundary"] = desired["permissionsBoundary"]
        parts = {**desired, "permissionsBoundary": None, "tags": desired["tags"]}  # (boundary and tags: in CreateRole)
        return [ops.call("iam", "CreateRole", name, request, id="role", resource=arn),
                *_iam.principal_operations("role", name, arn, parts, {"tags": desired["tags"]}, ops.created("role"))]

    def _delete(self, observed: Observed, ctx: OpContext) -> list[Operation]:
        name, arn, ev = observed.name, observed.arn, ctx.evidence(observed)
        out = [ops.call("iam", "RemoveRoleFromInstanceProfile", f"{name}/{p}",
                        {"RoleName": name, "InstanceProfileName": p}, resource=arn, ownership=ev)
               for p in observed.meta.get("instanceProfiles") or ()]
        out += _iam.emptying_operations("role", name, arn, observed.state, ev)
        return out + [ops.call("iam", "DeleteRole", name, {"RoleName": name}, resource=arn, ownership=ev)]

    def read_details(self, aws: Any, live: Observed, action: str, ctx: PlanContext) -> Observed:
        """A delete or replace first removes the role from its instance profiles: which they are."""
        if action == "update" or "instanceProfiles" in live.meta:
            return live
        profiles = [p["InstanceProfileName"] for p in aws.client("iam").paginate(
            "list_instance_profiles_for_role", "InstanceProfiles", f"Role/{live.name}", RoleName=live.name)]
        return Observed(live.kind, live.name, live.arn, live.state, {**live.meta, "instanceProfiles": profiles},
                        live.read_at)

    def unlinked(self, state: dict[str, Any], gone: set[str]) -> dict[str, Any]:
        return _iam.unlinked(state, gone)

    def permissions(self, res: Resource | None, need: str, scope: Any) -> list[Any]:
        return _iam.principal_permissions("role", res, need, scope)


KIND = RoleKind()
