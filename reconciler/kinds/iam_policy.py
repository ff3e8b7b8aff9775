"""Policy: a customer managed IAM policy. Updates go through policy versions (at most 5 kept)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, field_validator

from reconciler import PREVENT_DESTROY_ANNOTATION, ops, policy
from reconciler.aws import iam as iamx
from reconciler.errors import Issue
from reconciler.kinds import _iam
from reconciler.kinds.base import Kind, Observed, OpContext, PlanContext, Resource, Spec, ownership_tags
from reconciler.plan import Operation


class PolicySpec(Spec):
    """A customer managed IAM policy."""

    description: str = Field("", max_length=1000, description="Description (immutable in AWS: a change replaces the policy).")
    path: str = Field("/", description="IAM path, e.g. /llm/. Immutable: a change replaces the policy.")
    document: _iam.PolicyDocument = Field(description=_iam.DOC_HELP)

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        return _iam.validate_path(v)


class PolicyKind(Kind):
    kind = "Policy"
    spec_model = PolicySpec
    description = "A customer managed IAM policy."
    name_pattern = _iam.NAME_128
    name_rule = "1-128 characters of ASCII letters, digits and +=,.@_-"
    case_insensitive_names = True
    replace_fields = frozenset({"path", "description"})
    delete_order = 90
    service = "iam"
    plural = "policies"

    def check(self, res: Resource) -> list[Issue]:
        issues = _iam.document_issues(res, ("spec", "document"), res.spec.document)
        if not issues:
            issues += _iam.size_issue(res, ("spec", "document"), policy.size(res.spec.document), 6144, "the policy document")
        from reconciler.kinds import _constraints  # API parameters vs botocore's model
        return issues + _constraints.check(res, issues)

    def lint(self, res: Resource) -> list[Issue]:
        from reconciler import lint_cache

        return lint_cache.document(res, ("spec", "document"), res.spec.document)

    def arn(self, name: str, spec: Any, ctx: PlanContext) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account}:policy{spec.path}{name}"

    def desired(self, res: Resource, ctx: PlanContext) -> dict[str, Any]:
        return {
            "path": res.spec.path,
            "description": res.spec.description,
            "document": policy.canonical(res.spec.document),
            "tags": ownership_tags(ctx.stack, res.tags, res.annotated(PREVENT_DESTROY_ANNOTATION)),
        }

    @staticmethod
    def local_policies(aws: Any) -> dict[str, str]:
        """{lower-case name: ARN} of every customer managed policy (listed once per command)."""

        def fetch() -> dict[str, str]:
            return {p["PolicyName"].lower(): p["Arn"]
                    for p in aws.client("iam").paginate("list_policies", "Policies", "policies", Scope="Local")}

        return aws.cached("iam:local-policies", fetch)

    def read(self, aws: Any, name: str, ctx: PlanContext, arn: str | None = None) -> Observed | None:
        iam = aws.client("iam")
        what = f"Policy/{name}"
        arn = arn or self.local_policies(aws).get(name.lower())
        if arn is None:
            return None
        got = iam.get("get_policy", what, PolicyArn=arn)
        if got is None:
            return None
        p = got["Policy"]
        version = iam.call("get_policy_version", what, PolicyArn=arn, VersionId=p["DefaultVersionId"])
        tags = p.get("Tags")
        return self._observed(aws, p, version["PolicyVersion"]["Document"],
                              policy.normalize_tags(tags) if tags is not None else None)

    def _observed(self, aws: Any, p: dict[str, Any], document: Any, tags: dict[str, str] | None) -> Observed:
        if tags is None:
            tags = iamx.policy_tags(aws, p["Arn"], f"Policy/{p['PolicyName']}")
        state = {
            "path": p.get("Path", "/"),
            "description": p.get("Description", "") or "",
            "document": policy.canonical(document),
            "tags": tags,
        }
        return Observed(self.kind, p["PolicyName"], p["Arn"], state, meta={"default_version": p["DefaultVersionId"]})

    def _from_listing(self, aws: Any, p: dict[str, Any], ctx: PlanContext) -> Observed | None:
        document = iamx.default_document(p)
        if document is None:  # (a listing without version documents: read it on its own)
            return self.read(aws, p["PolicyName"], ctx, arn=p["Arn"])
        obs = self._observed(aws, p, document, None)
        obs.meta["versions"] = sorted(({"id": v["VersionId"], "default": bool(v.get("IsDefaultVersion")),
                                        "created": str(v.get("CreateDate"))} for v in p.get("PolicyVersionList") or ()),
                                      key=lambda v: v["id"])
        return obs

    def read_many(self, aws: Any, names: list[str], ctx: PlanContext, pmap: Any) -> list[Observed | None]:
        """Read ``names``: from the account listing when that costs fewer calls (see iamx.bulk), else one by one.

        In bulk, a policy's tags (which the listing lacks) are its one call, run in the pool: beside the listing for
        the policies declared or just made (``ctx.likely``), else once the listing has said which exist.
        """
        if not iamx.bulk(aws, len(names)):
            return pmap(lambda n: self.read(aws, n, ctx), names)
        ahead = [("policy", f"arn:{ctx.partition}:iam::{ctx.account}:policy{d.get('path') or '/'}{n}")
                 for n in names if (d := ctx.likely(self.kind, n)) is not None]
        policies = iamx.account_beside(aws, pmap, ahead, certain=bool(ctx.expected)).policies
        return pmap(lambda n: self._from_listing(aws, policies[n.lower()], ctx) if n.lower() in policies else None,
                    names)

    def list_owned(self, aws: Any, stack: str, ctx: PlanContext, exclude: set[str] = frozenset(),  # type: ignore[assignment]
                   tagged: Any = None) -> list[Observed]:
        out = []
        excluded = {n.lower() for n in exclude}
        for lname, p in sorted(iamx.account(aws).policies.items()):
            if lname in excluded:
                continue
            tags = iamx.policy_tags(aws, p["Arn"], f"Policy/{p['PolicyName']}")
            if policy.owner_of(tags) == stack:
                full = self._from_listing(aws, p, ctx)
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
            arn = f"arn:{ctx.partition}:iam::{ctx.account}:policy{desired['path']}{name}"
            return [ops.call("iam", "CreatePolicy", name, {
                "PolicyName": name, "Path": desired["path"], "Description": desired["description"],
                "PolicyDocument": json.dumps(desired["document"]), "Tags": policy.tag_list(desired["tags"])},
                resource=arn)]
        ev, arn, out = ctx.evidence(observed), observed.arn, []
        if observed.state.get("document") != desired["document"]:
            versions = observed.meta.get("versions") or []
            if len(versions) >= 5:  # AWS keeps at most 5: the oldest that is not the default goes first
                oldest = min((v for v in versions if not v["default"]), key=lambda v: v["created"])
                out.append(ops.call("iam", "DeletePolicyVersion", f"{name}/{oldest['id']}",
                                    {"PolicyArn": arn, "VersionId": oldest["id"]}, resource=arn, ownership=ev,
                                    detail="AWS keeps at most 5 versions: the oldest goes"))
            out.append(ops.call("iam", "CreatePolicyVersion", name, {
                "PolicyArn": arn, "PolicyDocument": json.dumps(desired["document"]), "SetAsDefault": True},
                resource=arn, ownership=ev))
        return out + _iam.tag_operations("policy", name, arn, observed.state.get("tags") or {}, desired["tags"], ev)

    def _delete(self, observed: Observed, ctx: OpContext) -> list[Operation]:
        name, arn, ev = observed.name, observed.arn, ctx.evidence(observed)
        # a role or user this plan deletes before (its delete detaches its policies first) is not detached again
        out = [ops.call("iam", f"Detach{e['type'].title()}Policy", f"{e['name']}/{name}",
                        {f"{e['type'].title()}Name": e["name"], "PolicyArn": arn}, resource=arn, ownership=ev,
                        detail=f"detach from {e['type'].title()}/{e['name']} first")
               for e in observed.meta.get("entities") or () if (e["type"].title(), e["name"]) not in ctx.deleted_before]
        out += [ops.call("iam", "DeletePolicyVersion", f"{name}/{v['id']}", {"PolicyArn": arn, "VersionId": v["id"]},
                         resource=arn, ownership=ev) for v in observed.meta.get("versions") or () if not v["default"]]
        return out + [ops.call("iam", "DeletePolicy", name, {"PolicyArn": arn}, resource=arn, ownership=ev)]

    def problems(self, live: Observed, action: str, desired: dict[str, Any] | None = None) -> list[str]:
        if action == "update":
            return []
        foreign = [f"{e['type'].title()}/{e['name']}" for e in live.meta.get("entities") or ()
                   if e.get("owner") != policy.owner_of(live.tags)]
        if not foreign:
            return []
        return [f"cannot {action} it: it is attached to {', '.join(foreign)}, which this stack does not own "
                "(a delete detaches it everywhere first); detach it there first"]

    def read_details(self, aws: Any, live: Observed, action: str, ctx: PlanContext) -> Observed:
        """Its versions (a document change may first delete the oldest; a delete deletes them all) and, for a
        delete or replace, the roles, users and groups it is attached to, with their owners."""
        iam, what = aws.client("iam"), f"Policy/{live.name}"
        meta = dict(live.meta)
        if "versions" not in meta:
            meta["versions"] = sorted(({"id": v["VersionId"], "default": bool(v["IsDefaultVersion"]),
                                        "created": str(v["CreateDate"])}
                                       for v in iam.paginate("list_policy_versions", "Versions", what, PolicyArn=live.arn)),
                                      key=lambda v: v["id"])
        if action != "update" and "entities" not in meta:
            entities = []
            for key, kind, field in (("PolicyRoles", "role", "RoleName"), ("PolicyUsers", "user", "UserName"),
                                     ("PolicyGroups", "group", "GroupName")):
                for ent in iam.paginate("list_entities_for_policy", key, what, PolicyArn=live.arn):
                    owner = None
                    if kind != "group":
                        tags = iam.paginate(f"list_{kind}_tags", "Tags", what, **{field: ent[field]})
                        owner = policy.owner_of(list(tags))
                    entities.append({"type": kind, "name": ent[field], "owner": owner})
            meta["entities"] = entities
        return Observed(live.kind, live.name, live.arn, live.state, meta, live.read_at)

    def permissions(self, res: Resource | None, need: str, scope: Any) -> list[Any]:
        from reconciler.permissions.grants import READ, WRITE, grant

        arn = scope.iam(f"policy{res.spec.path}{res.name}" if res is not None else "policy/*")
        # the name's ARN (ListPolicies), the account's bulk read; the orphan scan reads every local policy's tags
        reads = [grant(("iam:ListPolicies", *_iam.BULK["user"]))]
        if need == READ:
            if res is None:
                return [*reads, grant("iam:ListPolicyTags", arn)]
            return [*reads, grant(("iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyTags"), arn)]
        owned = not scope.adopts(res)
        # a document change deletes the oldest of 5 versions; a delete detaches the policy from this stack's roles
        # and users (read_details reads whose they are) and deletes its versions. The detaches are not conditioned
        # on the role's or user's tags: the destroy that deletes the policy (last) has deleted them already, and
        # IAM answers a call on a resource that is gone with the NoSuchEntity reconcile takes as done only when it
        # need not read that resource's tags to authorize it
        this = (("ArnLike", "iam:PolicyARN", (arn,)),)
        out = [grant(("iam:GetPolicy", "iam:ListPolicyTags", "iam:ListPolicyVersions", "iam:DeletePolicyVersion",
                      "iam:ListEntitiesForPolicy", "iam:DeletePolicy"), arn, owned=owned),
               grant(("iam:ListRoleTags",), scope.iam("role/*")), grant(("iam:ListUserTags",), scope.iam("user/*")),
               grant(("iam:DetachRolePolicy", "iam:DetachUserPolicy"), scope.iam("role/*"), scope.iam("user/*"),
                     conditions=this)]
        if need == WRITE:
            out += [grant(("iam:CreatePolicy", "iam:TagPolicy"), arn),
                    grant(("iam:CreatePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"), arn, owned=owned)]
        return out


KIND = PolicyKind()
