"""HttpApi: an API Gateway HTTP API whose routes invoke Lambda functions.

HTTP APIs have generated ids, so an API is found by its name plus this stack's ownership tags.
Each route gets a Lambda proxy integration (payload format 2.0) and the function a resource-policy
statement letting API Gateway invoke it from exactly that route; the statements are named
``reconcile-<api id>-<hash of the route>`` and are removed with the route or the API. The API
is served by a ``$default`` stage with auto-deploy, so its URL is the API endpoint itself.

Every call is planned: a new API's id is what CreateApi answers (``$output``), used by the calls after it;
the routes, integrations and invoke permissions of an existing API are read at plan time, and each call
carries the API's ownership evidence (apply re-reads its tags by its ARN, ``arn:aws:apigateway:REGION::/apis/ID``).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import Field, field_validator

from reconciler import PREVENT_DESTROY_ANNOTATION, ops, policy
from reconciler.aws import lambda_ as lamx
from reconciler.errors import AwsError, Issue
from reconciler.kinds.base import (
    ApplyContext,
    Kind,
    Observed,
    OpContext,
    PlanContext,
    Reference,
    Resource,
    Spec,
    ownership_tags,
)
from reconciler.plan import Action, Operation, Step

ROUTE_KEY = re.compile(r"^(\$default|(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /[^\s]*)$")
FUNCTION_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9_-]{1,64}(:[\w$-]+)?$",
                          re.ASCII)
STAGE = "$default"
STAGE_STATE = "$default (auto-deploy)"
PRINCIPAL = "apigateway.amazonaws.com"


class Route(Spec):
    """What a route calls."""

    function: str = Field(description="The name of a Function in the manifests, or a Lambda function ARN.")
    example: Any = Field(None, description="A JSON request body the route accepts, e.g. {prompt: Hello}: after apply, "
                                           "the `reconcile call-api` hint sends it with --json (not sent to AWS).")


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


def statement_id(api_id: Any, route_key: str) -> Any:
    """The invoke permission's StatementId (``api_id``: the id, or a reference to CreateApi's answer)."""
    return ops.concat("reconcile-", api_id, f"-{hashlib.sha256(route_key.encode()).hexdigest()[:12]}")


def source_arn(partition: str, region: str, account: str, api_id: Any, route_key: str) -> Any:
    """The execute-api ARN of one route, any stage (the invoke permission's SourceArn)."""
    if route_key == "$default":
        tail = "/*/$default"
    else:
        method, path = route_key.split(" ", 1)
        tail = f"/*/{'*' if method == 'ANY' else method}{path}"
    return ops.concat(f"arn:{partition}:execute-api:{region}:{account}:", api_id, tail)


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
    plural = "HTTP APIs"
    tagged_types = ("apigateway:apis",)  # (…::/apis/ID; its stages, …/apis/ID/stages/NAME, are of the same type)
    listing_permissions = ("apigateway:GET",)

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
        listed = list(gw.paginate("get_integrations", "Items", what, ApiId=api_id))
        integrations = {i["IntegrationId"]: i for i in listed}
        live_routes = list(gw.paginate("get_routes", "Items", what, ApiId=api_id))
        routes: dict[str, Any] = {}
        for r in live_routes:
            integ = integrations.get((r.get("Target") or "").removeprefix("integrations/"))
            if integ is None:
                routes[r["RouteKey"]] = {"function": None, "invokePermission": False}
                continue
            uri = integ.get("IntegrationUri", "")
            if integ.get("IntegrationType") != "AWS_PROXY" or integ.get("PayloadFormatVersion") != "2.0":
                uri = f"{integ.get('IntegrationType')} {uri} (payload format {integ.get('PayloadFormatVersion')})"
            routes[r["RouteKey"]] = {"function": uri, "invokePermission": False}
        statements = {fn: _statements(aws, fn) for fn in sorted({r["function"] for r in routes.values()
                                                                 if r["function"] and r["function"].startswith("arn:")})}
        for fn, stmts in statements.items():
            # content decides: a grant made outside reconcile (SAM's, of an adopted API) for this route counts
            found = {s["Sid"]: s["SourceArn"] for s in stmts}
            granted = {s["SourceArn"] for s in stmts if s["grants"]}
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
        meta = {"id": api_id, "url": api.get("ApiEndpoint"), "statements": statements,
                "routes": {r["RouteKey"]: {"RouteId": r["RouteId"], "Target": r.get("Target")} for r in live_routes},
                "integrations": [{k: i.get(k) for k in ("IntegrationId", "IntegrationType", "IntegrationUri",
                                                        "PayloadFormatVersion")} for i in listed]}
        return Observed(self.kind, api["Name"], f"arn:{ctx.partition}:apigateway:{ctx.region}::/apis/{api_id}", state,
                        meta=meta)

    def read(self, aws: Any, name: str, ctx: PlanContext) -> Observed | None:
        api = self.find(aws, name, ctx.stack)
        return None if api is None else self._observe(aws, api, ctx)

    def list_owned(self, aws: Any, stack: str, ctx: PlanContext, exclude: set[str] = frozenset(),  # type: ignore[assignment]
                   tagged: Any = None) -> list[Observed]:
        """This stack's HTTP APIs, each read in full. ``tagged``: the stack's tagging listing (an API's ARN holds its
        id, not its name: each is read with GetApi, unless the account's APIs were listed already); None: list every
        API of the account (GetApis answers their tags)."""
        if tagged is None or aws.is_cached("apigatewayv2:apis"):
            apis = self._apis(aws)
        else:
            gw = aws.client("apigatewayv2")
            ids = [t.resource for t in tagged.of("apigateway:apis") if "/" not in t.resource]  # (not its stages)
            apis = [a for a in (gw.get("get_api", f"HTTP API {i}", ApiId=i) for i in ids)
                    if a is not None and a.get("ProtocolType") == "HTTP"]
        return [self._observe(aws, a, ctx) for a in apis if a["Name"] not in exclude and self._stack(a) == stack]

    # ---- operations (pure) -------------------------------------------------------------------------
    def operations(self, name: str, desired: dict[str, Any] | None, observed: Observed | None,
                   ctx: OpContext) -> list[Operation]:
        if desired is None:  # delete
            return self._delete(observed, ctx) if observed else []
        return self._update(name, desired, observed, ctx) if observed else self._create(name, desired, ctx)

    @staticmethod
    def _create(name: str, desired: dict[str, Any], ctx: OpContext) -> list[Operation]:
        """CreateApi, its $default stage, then the routes: the calls after CreateApi take its answer's ApiId."""
        api, made = ops.output("api", "ApiId"), ops.created("api")
        request: dict[str, Any] = {"Name": name, "ProtocolType": "HTTP", "Description": desired["description"],
                                   "Tags": desired["tags"]}
        if desired.get("cors"):
            request["CorsConfiguration"] = _aws_cors(desired["cors"])
        return [ops.call("apigatewayv2", "CreateApi", name, request, id="api"),
                ops.call("apigatewayv2", "CreateStage", f"{name}/{STAGE}",
                         {"ApiId": api, "StageName": STAGE, "AutoDeploy": True, "Tags": desired["tags"]}, ownership=made),
                *_route_operations(name, api, desired, None, made, None, ctx)]

    @staticmethod
    def _update(name: str, desired: dict[str, Any], observed: Observed, ctx: OpContext) -> list[Operation]:
        live, arn, ev, api_id = observed.state, observed.arn, ctx.evidence(observed), observed.meta["id"]
        out = []

        def call(action: str, target: str, request: dict[str, Any]) -> None:
            out.append(ops.call("apigatewayv2", action, target, request, resource=arn, ownership=ev))

        live_cors = live.get("cors")
        if live.get("description") != desired["description"] or (desired["cors"] and live_cors != desired["cors"]):
            request: dict[str, Any] = {"ApiId": api_id, "Description": desired["description"]}
            if desired["cors"]:
                request["CorsConfiguration"] = _aws_cors(desired["cors"])
            call("UpdateApi", name, request)
        if live_cors and not desired["cors"]:
            call("DeleteCorsConfiguration", name, {"ApiId": api_id})
        if live.get("stage") is None:
            call("CreateStage", f"{name}/{STAGE}", {"ApiId": api_id, "StageName": STAGE, "AutoDeploy": True,
                                                   "Tags": desired["tags"]})
        elif live["stage"] != STAGE_STATE:
            call("UpdateStage", f"{name}/{STAGE}", {"ApiId": api_id, "StageName": STAGE, "AutoDeploy": True})
        out += _route_operations(name, api_id, desired, observed, ev, arn, ctx)
        to_set, to_remove = policy.tag_changes(live.get("tags") or {}, desired["tags"])
        if to_set:
            call("TagResource", name, {"ResourceArn": arn, "Tags": to_set})
        if to_remove:
            call("UntagResource", name, {"ResourceArn": arn, "TagKeys": sorted(to_remove)})
        return out

    @staticmethod
    def _delete(observed: Observed, ctx: OpContext) -> list[Operation]:
        """The invoke permissions it added to functions (they outlive it), then the API (routes, stage and all)."""
        name, arn, ev, api_id = observed.name, observed.arn, ctx.evidence(observed), observed.meta["id"]
        prefix = f"reconcile-{api_id}-"
        out = [ops.call("lambda", "RemovePermission", f"{_fn_name(fn)}/{s['Sid']}", {"FunctionName": fn, "StatementId": s["Sid"]},
                        resource=arn, ownership=ev)
               for fn, stmts in sorted((observed.meta.get("statements") or {}).items())
               for s in stmts if s["Sid"].startswith(prefix)]
        return out + [ops.call("apigatewayv2", "DeleteApi", name, {"ApiId": api_id}, resource=arn, ownership=ev)]

    def read_details(self, aws: Any, live: Observed, action: str, ctx: PlanContext) -> Observed:
        """The resource policies of every function the API's integrations call and (an update) its routes will call:
        which invoke permissions exist, reconcile's and others'."""
        fns = set(_proxied(live.meta.get("integrations") or []))
        res = ctx.resources.get((self.kind, live.name))
        if action != "delete" and res is not None:
            fns |= set(self.depends_on_arns(self.desired(res, ctx)))
        known = live.meta.get("statements") or {}
        missing = sorted(f for f in fns if f.startswith("arn:") and f not in known)
        if not missing:
            return live
        statements = {**known, **{fn: _statements(aws, fn) for fn in missing}}
        return Observed(live.kind, live.name, live.arn, live.state, {**live.meta, "statements": statements},
                        live.read_at)

    def unlinked(self, state: dict[str, Any], gone: set[str]) -> dict[str, Any]:
        """A replaced function loses the invoke permissions it had (its resource policy goes with it)."""
        routes = {k: ({**r, "invokePermission": False} if r.get("function") in gone else r)
                  for k, r in (state.get("routes") or {}).items()}
        return {**state, "routes": routes}

    def applied(self, step: Step, outputs: dict[str, Any], ctx: ApplyContext) -> None:
        """Where the API answers now, and how to try it."""
        if step.action == Action.delete or not step.desired:
            return
        api = outputs.get("api") or {}
        api_id = api.get("ApiId") or next((o.resource.rsplit("/apis/", 1)[1] for o in step.operations
                                           if o.resource and "/apis/" in o.resource), None)
        if not api_id:
            return
        suffix = ".amazonaws.com.cn" if ctx.partition == "aws-cn" else ".amazonaws.com"
        url = api.get("ApiEndpoint") or f"https://{api_id}.execute-api.{ctx.region}{suffix}"
        if ctx.aws.endpoint_url:  # an emulated AWS: the sandbox serves the API itself
            from reconciler.sandbox_contract import execute_api_url as local_url

            url = f"{local_url(ctx.aws.endpoint_url, api_id)} (in AWS: {url})"
        ctx.progress(f"{step.id} is served at {url}")  # (the command prints how to call it, after apply)

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

    def permissions(self, res: Resource | None, need: str, scope: Any) -> list[Any]:
        """An HTTP API's id is AWS's choice: its ARNs are ``/apis/*``; the API itself (which carries the stack's tags)
        is changed or deleted only when it is the stack's, its routes, integrations and stage (which carry none)
        under any API. Invoke permissions are added only to the functions the routes name, only for API Gateway."""
        from reconciler.permissions.grants import READ, WRITE, grant

        def api(path: str) -> str:
            return f"arn:{scope.partition}:apigateway:{scope.region}::{path}"

        functions = sorted({r.function if r.function.startswith("arn:") else scope.arn("lambda", f"function:{r.function}")
                            for r in res.spec.routes.values()}) if res is not None else []
        # GetApis finds the API by name; its integrations, routes and stage; the invoke permissions of the functions
        # its live integrations call (any function: GetPolicy)
        out = [grant("apigateway:GET", api("/apis"), api("/apis/*")),
               grant("lambda:GetPolicy", scope.arn("lambda", "function:*"))]
        if need == READ:
            return out
        owned = not scope.adopts(res)
        parts = [api(f"/apis/*/{p}") for p in ("routes/*", "integrations/*", "stages/*", "cors")]
        out += [grant(("apigateway:GET", "apigateway:DELETE", "apigateway:PATCH"), api("/apis/*"), owned=owned),
                grant(("apigateway:DELETE", "apigateway:PATCH"), *parts),
                # GetTags, TagResource, UntagResource: IAM checks /tags/<the API's ARN, URL-encoded>
                grant(("apigateway:GET", "apigateway:POST", "apigateway:DELETE"), api("/tags/*"), as_given=True),
                grant("lambda:RemovePermission", scope.arn("lambda", "function:*"))]  # only reconcile's statements
        if need == WRITE:
            out += [grant("apigateway:POST", api("/apis"), *(api(f"/apis/*/{p}") for p in ("routes", "integrations",
                                                                                          "stages")))]
            if functions:
                out.append(grant("lambda:AddPermission", *functions,
                                 conditions=(("StringEquals", "lambda:Principal", ("apigateway.amazonaws.com",)),)))
        return out


def _fn_name(arn: str) -> str:
    """A function's name, from its ARN (for the operations' targets)."""
    return arn.split(":function:", 1)[-1]


def _proxied(integrations: list[dict[str, Any]]) -> list[str]:
    """The function ARNs the Lambda proxy integrations call."""
    return [i["IntegrationUri"] for i in integrations
            if i.get("IntegrationType") == "AWS_PROXY" and str(i.get("IntegrationUri", "")).startswith("arn:")]


def _statements(aws: Any, fn: str) -> list[dict[str, Any]]:
    """The statements of a function's resource policy, as far as the invoke permissions go."""
    return [{"Sid": str(s.get("Sid", "")), "SourceArn": lamx.source_arn(s), "grants": _grants_api(s)}
            for s in lamx.statements(aws, fn)]


def _route_operations(name: str, api_id: Any, desired: dict[str, Any], observed: Observed | None, evidence: Any,
                      arn: str | None, ctx: OpContext) -> list[Operation]:
    """Integrations, routes and the functions' invoke permissions, from the live ones (none for a new API:
    ``observed`` None, ``api_id`` a reference to CreateApi's answer) to the desired ones."""
    meta = observed.meta if observed else {}
    out: list[Operation] = []

    def call(action: str, target: str, request: dict[str, Any], **kw: Any) -> None:
        out.append(ops.call("apigatewayv2", action, target, {"ApiId": api_id, **request}, resource=arn,
                            ownership=evidence, **kw))

    want = {k: r["function"] for k, r in desired["routes"].items()}
    integrations = meta.get("integrations") or []
    by_uri: dict[str, str] = {}
    for i in sorted(integrations, key=lambda i: i["IntegrationId"]):
        if i.get("IntegrationType") == "AWS_PROXY" and i.get("PayloadFormatVersion") == "2.0":
            by_uri.setdefault(i["IntegrationUri"], i["IntegrationId"])
    targets: dict[str, Any] = {fn: f"integrations/{iid}" for fn, iid in by_uri.items()}
    for n, fn in enumerate(sorted(set(want.values()) - set(by_uri)), 1):
        call("CreateIntegration", f"{name}/{_fn_name(fn)}", {"IntegrationType": "AWS_PROXY", "IntegrationUri": fn,
                                                            "PayloadFormatVersion": "2.0"}, id=f"integration-{n}")
        targets[fn] = ops.concat("integrations/", ops.output(f"integration-{n}", "IntegrationId"))
    live_routes = meta.get("routes") or {}
    for key, fn in sorted(want.items()):
        live = live_routes.get(key)
        if live is None:
            call("CreateRoute", f"{name}/{key}", {"RouteKey": key, "Target": targets[fn]})
        elif live.get("Target") != targets[fn]:
            call("UpdateRoute", f"{name}/{key}", {"RouteId": live["RouteId"], "Target": targets[fn]})
    for key, live in sorted(live_routes.items()):
        if key not in want:
            call("DeleteRoute", f"{name}/{key}", {"RouteId": live["RouteId"]})
    used = {by_uri[fn] for fn in want.values() if fn in by_uri}
    for i in integrations:
        if i["IntegrationId"] not in used:
            call("DeleteIntegration", f"{name}/{i['IntegrationId']}", {"IntegrationId": i["IntegrationId"]})
    for fn in sorted(set(want.values()) | set(_proxied(integrations))):
        out += _permission_operations(fn, sorted(k for k, f in want.items() if f == fn), api_id, observed, evidence,
                                      arn)
    return out


def _permission_operations(fn: str, keys: list[str], api_id: Any, observed: Observed | None, evidence: Any,
                           arn: str | None) -> list[Operation]:
    """RemovePermission for reconcile's statements of this API on ``fn`` that no route wants (any more, or with
    another source), AddPermission for each route in ``keys`` that API Gateway may not invoke ``fn`` for yet."""
    stmts = ((observed.meta.get("statements") or {}) if observed else {}).get(fn) or []
    prefix = f"reconcile-{api_id}-" if isinstance(api_id, str) else None
    have = {s["Sid"]: s["SourceArn"] for s in stmts if prefix and s["Sid"].startswith(prefix)}
    # a grant made outside reconcile (SAM's, of an adopted API) already lets the route call the function
    others = {s["SourceArn"] for s in stmts if s["grants"] and not (prefix and s["Sid"].startswith(prefix))}
    wanted = [(k, statement_id(api_id, k), source_arn(*_where(fn), api_id, k)) for k in keys]
    keep = {sid: src for _k, sid, src in wanted if isinstance(sid, str)}
    live_routes = observed.state.get("routes") or {} if observed else {}
    out = [ops.call("lambda", "RemovePermission", f"{_fn_name(fn)}/{sid}", {"FunctionName": fn, "StatementId": sid},
                    resource=arn, ownership=evidence) for sid, src in sorted(have.items()) if keep.get(sid) != src]
    for key, sid, src in wanted:
        route = live_routes.get(key) or {}
        if route.get("function") == fn:  # the route calls fn already: whether it may (after a re-link too)
            granted = bool(route.get("invokePermission"))
        else:
            granted = isinstance(sid, str) and (have.get(sid) == src or src in others)
        if not granted or (isinstance(sid, str) and sid in have and have[sid] != src):
            out.append(ops.call("lambda", "AddPermission", f"{_fn_name(fn)}/{key}", {
                "FunctionName": fn, "StatementId": sid, "Action": "lambda:InvokeFunction", "Principal": PRINCIPAL,
                "SourceArn": src}, resource=arn, ownership=evidence))
    return out


KIND = HttpApiKind()
