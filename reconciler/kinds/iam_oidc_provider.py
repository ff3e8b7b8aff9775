"""OidcProvider: an IAM OpenID Connect identity provider, e.g. GitHub Actions' token.actions.githubusercontent.com.

Identity: ``metadata.name`` is the provider URL without ``https://`` (its host, plus a path for issuers
that have one), which is also what AWS puts in the ARN: ``arn:aws:iam::ACCOUNT:oidc-provider/NAME``.

Thumbprints are optional. AWS verifies well-known issuers (GitHub among them) through its own library of
trusted root CAs and, when none are given, stores a thumbprint it computed itself. When the manifest
gives no thumbprints, reconcile leaves them to AWS: it marks the provider with the tag
``reconciler:thumbprints = aws-managed`` and then neither shows nor changes the live thumbprints, so an
AWS-computed value is never a perpetual diff. Giving thumbprints in the manifest makes them managed.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from reconciler import PREVENT_DESTROY_ANNOTATION, ops, policy
from reconciler.errors import Issue
from reconciler.kinds import _constraints, _iam
from reconciler.kinds.base import Kind, Observed, OpContext, PlanContext, Resource, Spec, ownership_tags
from reconciler.plan import Operation

THUMBPRINTS_TAG = "reconciler:thumbprints"
AWS_MANAGED = "aws-managed"
_THUMBPRINT = re.compile(r"^[0-9a-fA-F]{40}$")
#: AWS: at most 100 client ids per provider (AddClientIDToOpenIDConnectProvider fails past it)
MAX_CLIENT_IDS = 100
_NAME = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(/[\x21-\x7E]*)?$")


def provider_name(url: str) -> str:
    """'https://Token.Example.com/path/' -> 'token.example.com/path' (what AWS stores and puts in the ARN)."""
    parts = urlsplit(url)
    return parts.netloc.lower() + parts.path.rstrip("/")


class OidcProviderSpec(Spec):
    """An IAM OpenID Connect identity provider."""

    url: str = Field(
        description="Issuer URL, https:// only, e.g. https://token.actions.githubusercontent.com. "
        "metadata.name must be this URL without https://.",
        max_length=255,
    )
    clientIds: list[str] = Field(
        min_length=1, max_length=100,
        description="Audiences (client IDs) accepted from this provider; for GitHub Actions with "
        "aws-actions/configure-aws-credentials: [sts.amazonaws.com].",
    )
    thumbprints: list[str] | None = Field(
        None, min_length=1, max_length=5,
        description="SHA-1 thumbprints (40 hex digits) of the issuer's certificate chain. Optional: when "
        "omitted AWS manages them (it verifies well-known issuers such as GitHub through trusted root CAs).",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment or "@" in parts.netloc \
                or ":" in parts.netloc:
            raise ValueError(f"{v!r} is not an https:// issuer URL without port, query or fragment")
        return v

    @field_validator("clientIds")
    @classmethod
    def _client_ids(cls, v: list[str]) -> list[str]:
        for c in v:
            if not 1 <= len(c) <= 255:
                raise ValueError(f"client id {c[:40]!r} must be 1-255 characters")
        dupes = sorted({c for c in v if v.count(c) > 1})
        if dupes:
            raise ValueError(f"listed more than once: {dupes}")
        return v

    @field_validator("thumbprints")
    @classmethod
    def _thumbprints(cls, v: list[str] | None) -> list[str] | None:
        for t in v or []:
            if not _THUMBPRINT.match(t):
                raise ValueError(f"thumbprint {t[:50]!r} is not 40 hexadecimal digits (a SHA-1 fingerprint)")
        return v


class OidcProviderKind(Kind):
    kind = "OidcProvider"
    spec_model = OidcProviderSpec
    description = "An IAM OpenID Connect identity provider (e.g. GitHub Actions), trusted by roles for web-identity federation."
    name_pattern = _NAME
    name_rule = "the provider URL without https:// (lower-case host, optional path), e.g. token.actions.githubusercontent.com"
    case_insensitive_names = False
    replace_fields = frozenset({"url"})
    # after the roles that trust it (80) are gone
    delete_order = 85
    service = "iam"
    plural = "OIDC providers"

    def check(self, res: Resource) -> list[Issue]:
        want = provider_name(res.spec.url)
        issues = []
        if res.name != want:
            issues.append(res.issue(("metadata", "name"), f"must be the provider URL without https://, i.e. {want!r}"))
        return issues + _constraints.check(res, issues)

    def arn(self, name: str, spec: Any, ctx: PlanContext) -> str:
        return f"arn:{ctx.partition}:iam::{ctx.account}:oidc-provider/{name}"

    def desired(self, res: Resource, ctx: PlanContext) -> dict[str, Any]:
        tags = ownership_tags(ctx.stack, res.tags, res.annotated(PREVENT_DESTROY_ANNOTATION))
        state: dict[str, Any] = {"url": f"https://{res.name}", "clientIds": sorted(res.spec.clientIds)}
        if res.spec.thumbprints is None:
            tags[THUMBPRINTS_TAG] = AWS_MANAGED
        else:
            state["thumbprints"] = sorted({t.lower() for t in res.spec.thumbprints})
        state["tags"] = tags
        return state

    # ---- AWS -----------------------------------------------------------------------------------
    def _observe(self, arn: str, got: dict[str, Any]) -> Observed:
        tags = policy.normalize_tags(got.get("Tags", []))
        name = arn.split(":oidc-provider/", 1)[1]
        state: dict[str, Any] = {"url": f"https://{name}", "clientIds": sorted(got.get("ClientIDList", []))}
        if tags.get(THUMBPRINTS_TAG) != AWS_MANAGED:
            state["thumbprints"] = sorted({t.lower() for t in got.get("ThumbprintList", [])})
        state["tags"] = tags
        return Observed(self.kind, name, arn, state,
                        meta={"thumbprints": sorted(got.get("ThumbprintList", []))})

    def read(self, aws: Any, name: str, ctx: PlanContext) -> Observed | None:
        arn = self.arn(name, None, ctx)
        got = aws.client("iam").get("get_open_id_connect_provider", f"OidcProvider/{name}", OpenIDConnectProviderArn=arn)
        return None if got is None else self._observe(arn, got)

    def list_owned(self, aws: Any, stack: str, ctx: PlanContext, exclude: set[str] = frozenset(),  # type: ignore[assignment]
                   tagged: Any = None) -> list[Observed]:
        iam = aws.client("iam")
        out = []
        listed = iam.call("list_open_id_connect_providers", "OIDC providers")  # not paginated by AWS
        for item in listed.get("OpenIDConnectProviderList", []):
            arn = item["Arn"]
            name = arn.split(":oidc-provider/", 1)[-1]
            if name in exclude:
                continue
            got = iam.get("get_open_id_connect_provider", f"OidcProvider/{name}", OpenIDConnectProviderArn=arn)
            if got is None:
                continue
            obs = self._observe(arn, got)
            if obs.stack == stack:
                out.append(obs)
        return out

    # ---- operations (pure) -------------------------------------------------------------------------
    def operations(self, name: str, desired: dict[str, Any] | None, observed: Observed | None,
                   ctx: OpContext) -> list[Operation]:
        arn = f"arn:{ctx.partition}:iam::{ctx.account}:oidc-provider/{name}"
        if desired is None:
            assert observed is not None
            return [ops.call("iam", "DeleteOpenIDConnectProvider", name, {"OpenIDConnectProviderArn": observed.arn},
                             resource=observed.arn, ownership=ctx.evidence(observed))]
        if observed is None:
            request: dict[str, Any] = {"Url": desired["url"], "ClientIDList": desired["clientIds"]}
            if "thumbprints" in desired:
                request["ThumbprintList"] = desired["thumbprints"]
            return [ops.call("iam", "CreateOpenIDConnectProvider", name, {**request, "Tags": policy.tag_list(desired["tags"])},
                             resource=arn)]
        ev, arn = ctx.evidence(observed), observed.arn
        live_ids, want = set(observed.state.get("clientIds") or ()), set(desired["clientIds"])
        adds = [ops.call("iam", "AddClientIDToOpenIDConnectProvider", f"{name}/{c}",
                         {"OpenIDConnectProviderArn": arn, "ClientID": c}, resource=arn, ownership=ev)
                for c in sorted(want - live_ids)]
        removes = [ops.call("iam", "RemoveClientIDFromOpenIDConnectProvider", f"{name}/{c}",
                            {"OpenIDConnectProviderArn": arn, "ClientID": c}, resource=arn, ownership=ev)
                   for c in sorted(live_ids - want)]
        # add before remove, so that the provider never lacks an audience it should accept in between; except as
        # many removes first as keep it within AWS's limit of client ids
        first = max(0, len(live_ids | want) - MAX_CLIENT_IDS)
        out = removes[:first] + adds + removes[first:]
        live_thumbprints = sorted({t.lower() for t in observed.meta.get("thumbprints") or ()})
        if "thumbprints" in desired and live_thumbprints != desired["thumbprints"]:
            out.append(ops.call("iam", "UpdateOpenIDConnectProviderThumbprint", name,
                                {"OpenIDConnectProviderArn": arn, "ThumbprintList": desired["thumbprints"]},
                                resource=arn, ownership=ev))
        return out + _iam.tag_operations("oidc", name, arn, observed.state.get("tags") or {}, desired["tags"], ev)

    def permissions(self, res: Resource | None, need: str, scope: Any) -> list[Any]:
        from reconciler.permissions.grants import READ, WRITE, grant

        arn = scope.iam(f"oidc-provider/{res.name}" if res is not None else "oidc-provider/*")
        if need == READ:  # the orphan scan reads every provider of the account to see whose it is
            return [grant("iam:ListOpenIDConnectProviders"), grant("iam:GetOpenIDConnectProvider", arn)]
        owned = not scope.adopts(res)
        out = [grant(("iam:ListOpenIDConnectProviderTags", "iam:DeleteOpenIDConnectProvider"), arn, owned=owned)]
        if need == WRITE:
            out += [grant(("iam:CreateOpenIDConnectProvider", "iam:TagOpenIDConnectProvider"), arn),
                    grant(("iam:AddClientIDToOpenIDConnectProvider", "iam:RemoveClientIDFromOpenIDConnectProvider",
                           "iam:UpdateOpenIDConnectProviderThumbprint", "iam:TagOpenIDConnectProvider",
                           "iam:UntagOpenIDConnectProvider"), arn, owned=owned)]
        return out

KIND = OidcProviderKind()
