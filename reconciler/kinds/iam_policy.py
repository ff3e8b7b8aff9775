"""Policy: a customer managed IAM policy. Updates go through policy versions (at most 5 kept)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, field_validator

from reconciler import PREVENT_DESTROY_ANNOTATION, policy
from reconciler.aws import iam as iamx
from reconciler.errors import AwsError, Issue
from reconciler.kinds import _iam
from reconciler.kinds.base import ApplyContext, Kind, Observed, PlanContext, Resource, Spec, ownership_tags


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
        return self._observed(aws, p, document, None)

    def read_many(self, aws: Any, names: list[str], ctx: PlanContext, pmap: Any) -> list[Observed | None]:
        """Read ``names``: from the account listing when that costs fewer calls (see iamx.bulk), else one by one.

        In bulk, a policy's tags (which the listing lacks) are its one call, run in the pool.
        """
        if not iamx.bulk(aws, len(names)):
            return pmap(lambda n: self.read(aws, n, ctx), names)
        policies = iamx.account(aws).policies
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

    def create(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        ctx.aws.client("iam").call(
            "create_policy", f"Policy/{name}", PolicyName=name, Path=desired["path"],
            Description=desired["description"], PolicyDocument=json.dumps(desired["document"]),
            Tags=policy.tag_list(desired["tags"]),
        )

    def _arn(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account}:policy{desired['path']}{name}"

    def update(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        iam = ctx.aws.client("iam")
        what = f"Policy/{name}"
        arn = self._arn(name, desired, ctx)
        p = iam.call("get_policy", what, PolicyArn=arn)["Policy"]
        live_doc = iam.call("get_policy_version", what, PolicyArn=arn, VersionId=p["DefaultVersionId"])
        if policy.canonical(live_doc["PolicyVersion"]["Document"]) != desired["document"]:
            versions = list(iam.paginate("list_policy_versions", "Versions", what, PolicyArn=arn))
            if len(versions) >= 5:
                oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
                ctx.progress(f"{what}: deleting oldest policy version {oldest['VersionId']} (AWS keeps at most 5)")
                iam.call("delete_policy_version", what, PolicyArn=arn, VersionId=oldest["VersionId"])
            iam.call("create_policy_version", what, PolicyArn=arn,
                     PolicyDocument=json.dumps(desired["document"]), SetAsDefault=True)
        live_tags = policy.normalize_tags(list(iam.paginate("list_policy_tags", "Tags", what, PolicyArn=arn)))
        to_set, to_remove = policy.tag_changes(live_tags, desired["tags"])
        if to_remove:
            iam.call("untag_policy", what, PolicyArn=arn, TagKeys=to_remove)
        if to_set:
            iam.call("tag_policy", what, PolicyArn=arn, Tags=policy.tag_list(to_set))

    def delete(self, name: str, ctx: ApplyContext) -> None:
        iam = ctx.aws.client("iam")
        what = f"Policy/{name}"
        arn = self.local_policies(ctx.aws).get(name.lower())
        if arn is None:
            return
        # detach everywhere first (AWS answers DeleteConflict otherwise) — but only from this stack's
        # own roles and users: a policy someone else attached is in use, and theirs is not ours to change
        attached = []
        foreign = []
        for key, param, op, tags_op, label in (
                ("PolicyRoles", "RoleName", "detach_role_policy", "list_role_tags", "Role"),
                ("PolicyUsers", "UserName", "detach_user_policy", "list_user_tags", "User"),
                ("PolicyGroups", "GroupName", "detach_group_policy", None, "Group")):
            for ent in iam.paginate("list_entities_for_policy", key, what, PolicyArn=arn):
                tags = policy.normalize_tags(list(iam.paginate(tags_op, "Tags", what, **{param: ent[param]}))) if tags_op else {}
                if policy.owner_of(tags) != ctx.stack:
                    foreign.append(f"{label}/{ent[param]}")
                attached.append((op, param, ent[param]))
        if foreign:
            raise AwsError(f"Failed to delete {what}: it is attached to {', '.join(foreign)}, which this stack "
                           f"does not own; detach it there first (nothing was changed)")
        for op, param, entity in attached:
            iam.ignore_missing(op, what, **{param: entity, "PolicyArn": arn})
        for v in iam.paginate("list_policy_versions", "Versions", what, PolicyArn=arn):
            if not v["IsDefaultVersion"]:
                iam.ignore_missing("delete_policy_version", what, PolicyArn=arn, VersionId=v["VersionId"])
        iam.ignore_missing("delete_policy", what, PolicyArn=arn)


KIND = PolicyKind()
