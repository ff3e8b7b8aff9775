"""HttpApi: an API Gateway HTTP API whose routes invoke Lambda functions.

HTTP APIs have generated ids, so an API is found by its name plus this stack's ownership tags.
Each route gets a Lambda proxy integration (payload format 2.0) and the function a resource-policy
statement letting API Gateway invoke it from exactly that route; the statements are named
``reconcile-<api id>-<hash of the route>`` and are removed with the route or the API. The API
is served by a ``$default`` stage with auto-deploy, so its URL is the API endpoint itself.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import Field, field_validator

from reconciler import PREVENT_DESTROY_ANNOTATION, policy
from reconciler.aws import lambda_ as lamx
from reconciler.errors import AwsError, ConflictError, Issue
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

ROUTE_KEY = re.compile(r"^(\$default|(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /[^\s]*)$")
FUNCTION_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]{1,64}(:[\w$-]+)?$",
                          re.ASCII)
STAGE = "$default"
STAGE_STATE = "$default (auto-deploy)"
PRINCIPAL = "apigateway.amazonaws.com"


class Route(Spec):
    """What a route calls."""

    function: str = Field(description="The name of a Function in the manifests, or a Lambda function ARN.")


class Cors(Spec):
    """CORS settings API Gateway answers preflight requests with."""

    allowOrigins: list[str] = Field(default_factory=list, description='Allowed origins, e.g. ["https://example.com"].')
    allowMethods: list[str] = Field(default_factory=list, description="Allowed methods, e.g. [POST].")
    allowHeaders: list[str] = Field(default_factory=list, description="Allowed request headers, e.g. [content-type].")
    exposeHeaders: list[str] = Field(default_factory=list, description="Response headers exposed to the browser.")
    maxAge: int | None = Field(None, ge=0, le=86400, description="Seconds browsers may cache the preflight answer.")
    allowCredentials: bool = Field(False, description="Whether credentials (cookies) are allowed.")


class HttpApiSpec(Spec):
    """An API Gateway HTTP API."""

    description: str = Field("", max_length=1024, description="Description of the API.")
    routes: dict[str, Route] = Field(
        description='Routes: {"METHOD /path" or "$default": {function: NAME or ARN}}, e.g. {"POST /generate": {function: generate}}.')
    cors: Cors | None = Field(None, description="CORS configuration (optional).")

    @field_validator("routes")
    @classmethod
    def _routes(cls, v: dict[str, Route]) -> dict[str, Route]:
        if not v:
            raise ValueError("declare at least one route")
        for key in v:
            if not ROUTE_KEY.match(key):
                raise ValueError(f"route {key!r}: use 'METHOD /path' (METHOD one of ANY GET POST PUT PATCH DELETE "
                                 "HEAD OPTIONS) or '$default'")
        return v


def _cors_state(c: dict[str, Any] | None) -> dict[str, Any] | None:
    """CORS in one shape for both sides: camelCase keys, sorted lists, unset values dropped."""
    if not c:
        return None
    out: dict[str, Any] = {}
    for key in ("allowOrigins", "allowMethods", "allowHeaders", "exposeHeaders"):
        values = c.get(key) or c.get(key[0].upper() + key[1:]) or []
        if values:
            out[key] = sorted(x.upper() if key == "allowMethods" else x for x in values)
    max_age = c.get("maxAge", c.get("MaxAge"))
    if max_age:
        out["maxAge"] = max_age
    if c.get("allowCredentials", c.get("AllowCredentials")):
        out["allowCredentials"] = True
    return out or None


def _aws_cors(c: dict[str, Any]) -> dict[str, Any]:
    return {k[0].upper() + k[1:]: v for k, v in c.items()}


def statement_id(api_id: str, route_key: str) -> str:
    return f"reconcile-{api_id}-{hashlib.sha256(route_key.encode()).hexdigest()[:12]}"


def source_arn(partition: str, region: str, account: str, api_id: str, route_key: str) -> str:
    """The execute-api ARN of one route, any stage (the invoke permission's SourceArn)."""
    if route_key == "$default":
        return f"arn:{partition}:execute-api:{region}:{account}:{api_id}/*/$default"
    method, path = route_key.split(" ", 1)
    return f"arn:{partition}:execute-api:{region}:{account}:{api_id}/*/{'*' if method == 'ANY' else method}{path}"


def _grants_api(statement: dict[str, Any]) -> bool:
    """An Allow of lambda:InvokeFunction to API Gateway."""
    principal = statement.get("Principal")
    service = principal.get("Service") if isinstance(principal, dict) else principal
    action = statement.get("Action")
    return (statement.get("Effect") == "Allow" and service == PRINCIPAL
            and action in ("lambda:InvokeFunction", ["lambda:InvokeFunction"], "lambda:*"))


def _where(arn: str) -> tuple[str, str, str]:
    """(partition, region, account) of an ARN."""
    parts = arn.split(":")
    return parts[1], parts[3], parts[4]


class HttpApiKind(Kind):
    kind = "HttpApi"
    spec_model = HttpApiSpec
    description = "An API Gateway HTTP API: routes to Lambda functions, a $default stage with auto-deploy, CORS."
    name_pattern = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,127}$")
    name_rule = "1-128 characters of letters, digits, space and ._- (starting with a letter or digit)"
    delete_order = 10
    service = "apigatewayv2"

    def check(self, res: Resource) -> list[Issue]:
        issues = []
        for key, route in res.spec.routes.items():
            f = route.function
            if f.startswith("arn:") and not FUNCTION_ARN.match(f):
                issues.append(res.issue(("spec", "routes", key, "function"),
                                        f"{f!r} is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)"))
        from reconciler.kinds import _constraints  # API parameters vs botocore's model
        return issues + _constraints.check(res, issues)

    def references(self, res: Resource, names: dict[str, set[str]]) -> list[Reference]:
        return [Reference(("spec", "routes", key, "function"), "Function", r.function)
                for key, r in res.spec.routes.items() if not r.function.startswith("arn:")]

    def arn(self, name: str, spec: Any, ctx: PlanContext) -> str:
        # API ids are generated by AWS; the real ARN (…::/apis/ID) is known only once it exists.
        return f"arn:{ctx.partition}:apigateway:{ctx.region}::/apis/name={name}"

    def desired(self, res: Resource, ctx: PlanContext) -> dict[str, Any]:
        def target(f: str) -> str:
            return f if f.startswith("arn:") else ctx.arn_of("Function", f)

        return {
            "description": res.spec.description,
            "routes": {k: {"function": target(r.function), "invokePermission": True}
                       for k, r in sorted(res.spec.routes.items())},
            "cors": _cors_state(res.spec.cors.model_dump()) if res.spec.cors else None,
            "stage": STAGE_STATE,
            "tags": ownership_tags(ctx.stack, res.tags, res.annotated(PREVENT_DESTROY_ANNOTATION)),
        }

    def depends_on_arns(self, state: dict[str, Any]) -> list[str]:
        return sorted({r["function"] for r in state.get("routes", {}).values()})

    # ---- AWS -------------------------------------------------------------------------------
    @staticmethod
    def _apis(aws: Any, cached: bool = True) -> list[dict[str, Any]]:
        def fetch() -> list[dict[str, Any]]:
            apis = aws.client("apigatewayv2").paginate("get_apis", "Items", "HTTP APIs")
            return [a for a in apis if a.get("ProtocolType") == "HTTP"]

        return aws.cached("apigatewayv2:apis", fetch) if cached else fetch()

    def find(self, aws: Any, name: str, stack: str, cached: bool = True) -> dict[str, Any] | None:
        """The API named ``name``: the one this stack owns, else (a conflict) any other of that name."""
        same = [a for a in self._apis(aws, cached) if a["Name"] == name]
        mine = [a for a in same if self._stack(a) == stack]
        if len(mine) > 1:
            ids = ", ".join(sorted(a["ApiId"] for a in mine))
            raise AwsError(f"HttpApi/{name}: several HTTP APIs of that name are owned by stack {stack!r} ({ids}); "
                           "delete all but one")
        return (mine or same or [None])[0]

    @staticmethod
    def _stack(api: dict[str, Any]) -> str | None:
        return policy.owner_of(api.get("Tags") or {})

    def _observe(self, aws: Any, api: dict[str, Any], ctx: PlanContext) -> Observed:
        gw = aws.client("apigatewayv2")
        api_id, what = api["ApiId"], f"HttpApi/{api['Name']}"
        integrations = {i["IntegrationId"]: i for i in gw.paginate("get_integrations", "Items", what, ApiId=api_id)}
        routes: dict[str, Any] = {}
        for r in gw.paginate("get_routes", "Items", what, ApiId=api_id):
            integ = integrations.get((r.get("Target") or "").removeprefix("integrations/"))
            if integ is None:
                routes[r["RouteKey"]] = {"function": None, "invokePermission": False}
                continue
            uri = integ.get("IntegrationUri", "")
            if integ.get("IntegrationType") != "AWS_PROXY" or integ.get("PayloadFormatVersion") != "2.0":
                uri = f"{integ.get('IntegrationType')} {uri} (payload format {integ.get('PayloadFormatVersion')})"
            routes[r["RouteKey"]] = {"function": uri, "invokePermission": False}
        for fn in {r["function"] for r in routes.values() if r["function"] and r["function"].startswith("arn:")}:
            stmts = lamx.statements(aws, fn)
            found = {s.get("Sid"): lamx.source_arn(s) for s in stmts}
            # content decides: a grant made outside reconcile (SAM's, of an adopted API) for this route counts
            granted = {lamx.source_arn(s) for s in stmts if _grants_api(s)}
            for key, r in routes.items():
                if r["function"] == fn:
                    sid, src = statement_id(api_id, key), source_arn(*_where(fn), api_id, key)
                    r["invokePermission"] = found.get(sid) == src or src in granted
        stage = gw.get("get_stage", what, ApiId=api_id, StageName=STAGE)
        state = {
            "description": api.get("Description", "") or "",
            "routes": dict(sorted(routes.items())),
            "cors": _cors_state(api.get("CorsConfiguration")),
            "stage": None if stage is None else (STAGE_STATE if stage.get("AutoDeploy") else f"{STAGE} (manual deploy)"),
            "tags": policy.normalize_tags(api.get("Tags") or {}),
        }
        return Observed(self.kind, api["Name"], f"arn:{ctx.partition}:apigateway:{ctx.region}::/apis/{api_id}", state,
                        meta={"id": api_id, "url": api.get("ApiEndpoint")})

    def read(self, aws: Any, name: str, ctx: PlanContext) -> Observed | None:
        api = self.find(aws, name, ctx.stack)
        return None if api is None else self._observe(aws, api, ctx)

    def list_owned(self, aws: Any, stack: str, ctx: PlanContext, exclude: set[str] = frozenset()) -> list[Observed]:  # type: ignore[assignment]
        return [self._observe(aws, a, ctx) for a in self._apis(aws) if a["Name"] not in exclude and self._stack(a) == stack]

    def create(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        gw = ctx.aws.client("apigatewayv2")
        what = f"HttpApi/{name}"
        kwargs: dict[str, Any] = {}
        if desired.get("cors"):
            kwargs["CorsConfiguration"] = _aws_cors(desired["cors"])
        api = gw.call("create_api", what, Name=name, ProtocolType="HTTP", Description=desired["description"],
                      Tags=desired["tags"], **kwargs)
        gw.call("create_stage", what, ApiId=api["ApiId"], StageName=STAGE, AutoDeploy=True, Tags=desired["tags"])
        self._sync_routes(api["ApiId"], name, desired, ctx)
        self._announce(name, api, sorted(desired["routes"]), ctx)

    def update(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        gw = ctx.aws.client("apigatewayv2")
        what = f"HttpApi/{name}"
        api = self.find(ctx.aws, name, ctx.stack, cached=False)
        if api is None:
            raise AwsError(f"Failed to update {what}: it no longer exists")
        api_id = api["ApiId"]
        live_cors = _cors_state(api.get("CorsConfiguration"))
        if (api.get("Description", "") or "") != desired["description"] or (desired["cors"] and live_cors != desired["cors"]):
            kwargs = {"CorsConfiguration": _aws_cors(desired["cors"])} if desired["cors"] else {}
            gw.call("update_api", what, ApiId=api_id, Description=desired["description"], **kwargs)
        if live_cors and not desired["cors"]:
            gw.call("delete_cors_configuration", what, ApiId=api_id)
        stage = gw.get("get_stage", what, ApiId=api_id, StageName=STAGE)
        if stage is None:
            gw.call("create_stage", what, ApiId=api_id, StageName=STAGE, AutoDeploy=True, Tags=desired["tags"])
        elif not stage.get("AutoDeploy"):
            gw.call("update_stage", what, ApiId=api_id, StageName=STAGE, AutoDeploy=True)
        self._sync_routes(api_id, name, desired, ctx)
        arn = f"arn:{ctx.partition}:apigateway:{ctx.region}::/apis/{api_id}"
        to_set, to_remove = policy.tag_changes(policy.normalize_tags(api.get("Tags") or {}), desired["tags"])
        if to_set:
            gw.call("tag_resource", what, ResourceArn=arn, Tags=to_set)
        if to_remove:
            gw.call("untag_resource", what, ResourceArn=arn, TagKeys=to_remove)
        self._announce(name, api, sorted(desired["routes"]), ctx)

    def _sync_routes(self, api_id: str, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        """Routes, their Lambda integrations and the functions' invoke permissions, as desired."""
        gw = ctx.aws.client("apigatewayv2")
        what = f"HttpApi/{name}"
        want = {k: r["function"] for k, r in desired["routes"].items()}
        integrations = list(gw.paginate("get_integrations", "Items", what, ApiId=api_id))
        live_routes = {r["RouteKey"]: r for r in gw.paginate("get_routes", "Items", what, ApiId=api_id)}
        old_functions = {i.get("IntegrationUri") for i in integrations if i.get("IntegrationType") == "AWS_PROXY"}
        by_uri = {i["IntegrationUri"]: i["IntegrationId"] for i in integrations
                  if i.get("IntegrationType") == "AWS_PROXY" and i.get("PayloadFormatVersion") == "2.0"}
        for fn in sorted(set(want.values()) - set(by_uri)):
            made = gw.call("create_integration", what, ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                           PayloadFormatVersion="2.0")
            by_uri[fn] = made["IntegrationId"]
        for key, fn in sorted(want.items()):
            target = f"integrations/{by_uri[fn]}"
            live = live_routes.get(key)
            if live is None:
                gw.call("create_route", what, ApiId=api_id, RouteKey=key, Target=target)
            elif live.get("Target") != target:
                gw.call("update_route", what, ApiId=api_id, RouteId=live["RouteId"], Target=target)
        for key, live in sorted(live_routes.items()):
            if key not in want:
                gw.ignore_missing("delete_route", what, ApiId=api_id, RouteId=live["RouteId"])
        used = {by_uri[fn] for fn in want.values()}
        for i in integrations:
            if i["IntegrationId"] not in used:
                gw.ignore_missing("delete_integration", what, ApiId=api_id, IntegrationId=i["IntegrationId"])
        for fn in sorted(set(want.values()) | {f for f in old_functions if f and f.startswith("arn:")}):
            self._sync_permissions(api_id, fn, {k for k, f in want.items() if f == fn}, ctx)

    @staticmethod
    def _sync_permissions(api_id: str, fn: str, keys: set[str], ctx: ApplyContext) -> None:
        prefix = f"reconcile-{api_id}-"
        wanted = {statement_id(api_id, k): source_arn(*_where(fn), api_id, k) for k in keys}
        stmts = lamx.statements(ctx.aws, fn)
        have = {s.get("Sid"): lamx.source_arn(s) for s in stmts if str(s.get("Sid", "")).startswith(prefix)}
        # a grant made outside reconcile (SAM's, of an adopted API) already lets the route call the function
        others = {lamx.source_arn(s) for s in stmts if _grants_api(s) and not str(s.get("Sid", "")).startswith(prefix)}
        for sid, src in sorted(have.items()):
            if wanted.get(sid) != src:
                lamx.remove_permission(ctx.aws, fn, sid)
        for sid, src in sorted(wanted.items()):
            if have.get(sid) != src and src not in others:
                lamx.add_permission(ctx.aws, fn, sid, PRINCIPAL, src)

    def url(self, aws: Any, name: str) -> str:
        """Where HTTP API ``name`` answers: its execute-api URL, or the sandbox's local one on an emulator."""
        same = [a for a in self._apis(aws, cached=False) if a["Name"] == name]
        if not same:
            from reconciler.invoke import not_found

            raise not_found("call", f"HttpApi/{name}", aws)
        if len(same) != 1:
            raise AwsError(f"HttpApi/{name}: {len(same)} HTTP APIs of that name (delete the extras)")
        if aws.endpoint_url:
            from reconciler.sandbox_contract import execute_api_url as local_url

            return local_url(aws.endpoint_url, same[0]["ApiId"])
        return str(same[0]["ApiEndpoint"])

    @staticmethod
    def _announce(name: str, api: dict[str, Any], routes: list[str], ctx: ApplyContext) -> None:
        url = api.get("ApiEndpoint", "")
        if ctx.aws.endpoint_url:  # an emulated AWS: the sandbox serves the API itself
            from reconciler.sandbox_contract import execute_api_url as local_url

            url = f"{local_url(ctx.aws.endpoint_url, api['ApiId'])} (in AWS: {url})"
        ctx.progress(f"HttpApi/{name} is served at {url}; try: reconcile call-api {name} '{routes[0]}'")

    def delete(self, name: str, ctx: ApplyContext) -> None:
        gw = ctx.aws.client("apigatewayv2")
        api = self.find(ctx.aws, name, ctx.stack, cached=False)
        if api is None:
            return  # gone already
        if self._stack(api) != ctx.stack:  # never delete another stack's API
            raise ConflictError(f"refusing to delete HttpApi/{name}: it is not owned by stack {ctx.stack!r} "
                                "(its tags changed since the plan was made); nothing was deleted")
        api_id = api["ApiId"]
        functions = {i.get("IntegrationUri") for i in gw.paginate("get_integrations", "Items", f"HttpApi/{name}", ApiId=api_id)
                     if i.get("IntegrationType") == "AWS_PROXY"}
        for fn in sorted(f for f in functions if f and f.startswith("arn:")):
            self._sync_permissions(api_id, fn, set(), ctx)
        gw.ignore_missing("delete_api", f"HttpApi/{name}", ApiId=api_id)


KIND = HttpApiKind()
