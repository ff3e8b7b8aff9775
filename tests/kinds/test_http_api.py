"""HttpApi (API Gateway v2): the four-step contract over the CLI, routes served by the sandbox,
invoke permissions kept exact (drift, route removal) and removed on prune."""

from __future__ import annotations

import json

from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: api-test}\n"

FUNCTION = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: api-fn-exec}
spec:
  assumedBy: [lambda.amazonaws.com]
---
apiVersion: reconciler/v1
kind: Function
metadata: {name: echo}
spec:
  code: code
  runtime: python3.12
  handler: app.handler
  role: api-fn-exec
"""

API = """
apiVersion: reconciler/v1
kind: HttpApi
metadata: {name: echo-api, tags: {team: ml}}
spec:
  description: echoes
  routes:
    "POST /echo": {function: echo}
    "GET /items/{id}": {function: echo}
  cors: {allowOrigins: ["https://example.com"], allowMethods: [post, GET], maxAge: 60}
"""

HANDLER = """
import json

def handler(event, context):
    return {"statusCode": 201 if event["routeKey"].startswith("POST") else 200,
            "headers": {"content-type": "application/json", "x-route": event["routeKey"]},
            "body": json.dumps({"route": event["routeKey"], "body": event.get("body"),
                                "params": event.get("pathParameters"), "version": event["version"]})}
"""


def _statements(lam, fn: str) -> dict[str, str]:
    """Sid -> SourceArn of the function's resource policy ({} when it has none)."""
    try:
        doc = json.loads(lam.get_policy(FunctionName=fn)["Policy"])
    except lam.exceptions.ResourceNotFoundException:
        return {}
    return {s["Sid"]: s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in doc["Statement"]}


def test_four_steps_serve_permissions_and_prune(cli, boto, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "fn.yaml": FUNCTION, "api.yaml": API, "code/app.py": HANDLER})
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert "Plan: 3 to create" in r.out and "+ HttpApi/echo-api" in r.out
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "HttpApi/echo-api is served at http://127.0.0.1:" in r.err
    assert cli("plan", str(m), "--detailed-exitcode").code == 0
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0 and "No changes." in r.out and "Apply complete" not in r.out

    gw, lam = boto("apigatewayv2"), boto("lambda")
    (api,) = [a for a in gw.get_apis()["Items"] if a["Name"] == "echo-api"]
    api_id = api["ApiId"]
    assert api["Tags"]["reconciler:stack"] == "api-test" and api["Tags"]["team"] == "ml"
    assert api["CorsConfiguration"]["AllowMethods"] == ["GET", "POST"]
    assert gw.get_stage(ApiId=api_id, StageName="$default")["AutoDeploy"] is True
    (integration,) = gw.get_integrations(ApiId=api_id)["Items"]
    assert (integration["IntegrationType"], integration["PayloadFormatVersion"]) == ("AWS_PROXY", "2.0")
    fn_arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    assert integration["IntegrationUri"] == fn_arn
    assert sorted(_statements(lam, "echo").values()) == [
        f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/GET/items/{{id}}",
        f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/POST/echo",
    ]

    # the sandbox serves the routes: prompt -> route -> function, with the 2.0 event shape
    r = cli("call-api", "echo-api", "POST /echo", "--json", '{"hello": "world"}')
    assert r.code == 0, r.text
    assert json.loads(r.out) == {"route": "POST /echo", "body": '{"hello": "world"}', "params": None, "version": "2.0"}
    r = cli("call-api", "echo-api", "GET /items/42")
    assert r.code == 0 and json.loads(r.out)["params"] == {"id": "42"}, r.text
    r = cli("call-api", "echo-api", "DELETE /echo")
    assert r.code == 1 and "HTTP 404" in r.err

    # a permission removed out of band plans as drift, and apply restores it
    (sid,) = [s for s, arn in _statements(lam, "echo").items() if arn.endswith("/POST/echo")]
    lam.remove_permission(FunctionName="echo", StatementId=sid)
    r = cli("call-api", "echo-api", "POST /echo", "--json", "{}")
    assert r.code == 1 and "HTTP 500" in r.err  # as AWS: the API may not invoke the function
    r = cli("plan", str(m), "--format", "json")
    (step,) = [s for s in json.loads(r.out)["steps"] if s["action"] != "noop"]
    assert [(c["path"], c["before"], c["after"]) for c in step["changes"]] == [
        ("routes.POST /echo.invokePermission", False, True)]

    # dropping a route removes its permission too (one apply: restore + drop)
    (m / "api.yaml").write_text(API.replace('    "GET /items/{id}": {function: echo}\n', ""))
    assert cli("apply", str(m), "--auto-approve").code == 0
    assert list(_statements(lam, "echo").values()) == [
        f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/*/POST/echo"]
    assert [r["RouteKey"] for r in gw.get_routes(ApiId=api_id)["Items"]] == ["POST /echo"]

    # prune deletes the API and its permission, keeps the function
    (m / "api.yaml").unlink()
    r = cli("prune", str(m), "--auto-approve")
    assert r.code == 0 and "- HttpApi/echo-api" in r.out, r.text
    assert [a for a in gw.get_apis()["Items"] if a["Name"] == "echo-api"] == []
    assert _statements(lam, "echo") == {}
    assert lam.get_function(FunctionName="echo")


def test_an_api_of_the_same_name_not_owned_is_a_conflict(cli, boto, tmp_path):
    boto("apigatewayv2").create_api(Name="echo-api", ProtocolType="HTTP", Tags={"owner": "someone-else"})
    m = write(tmp_path / "m", {"stack.yaml": STACK, "fn.yaml": FUNCTION, "api.yaml": API, "code/app.py": HANDLER})
    r = cli("plan", str(m))
    assert r.code == 1 and "HttpApi/echo-api [conflict]" in r.out, r.text


def test_each_change_rechecks_the_apis_tags_by_its_arn_at_that_moment(stack):
    """Plan an update, then the API is tagged as another stack's before apply runs the plan: nothing is written."""
    import boto3

    from reconciler import pipeline

    stack.write({"fn.yaml": FUNCTION, "api.yaml": API, "code/app.py": HANDLER})
    stack.apply()
    stack.write({"fn.yaml": FUNCTION, "api.yaml": API.replace("description: echoes", "description: echoes v2"),
                 "code/app.py": HANDLER})
    p, t, m = pipeline.plan(stack.root, stack.opts)
    (step,) = p.changes
    assert [(o.action, o.ownership.basis, o.resource) for o in step.operations] == [
        ("UpdateApi", "tags", f"arn:aws:apigateway:us-east-1::/apis/{step.operations[0].request['ApiId']}")]
    gw = boto3.client("apigatewayv2", region_name="us-east-1")
    gw.tag_resource(ResourceArn=step.operations[0].resource, Tags={"reconciler:stack": "other"})
    result = pipeline.apply(p, t, stack.opts, m.stack.name)
    ((_, err),) = result.outcome.failed
    assert "became owned by stack 'other'" in str(err), err
    (api,) = [a for a in gw.get_apis()["Items"] if a["Name"] == "echo-api"]
    assert api["Description"] == "echoes"


def test_a_route_to_a_replaced_function_gets_its_permission_again_in_the_relink():
    """A function replaced in the same plan loses its resource policy: the API's re-link adds the permission back."""
    from reconciler.kinds.base import Observed, OpContext
    from reconciler.kinds.http_api import KIND

    fn = "arn:aws:lambda:us-east-1:123456789012:function:echo"
    tags = {"reconciler:managed-by": "reconciler", "reconciler:stack": "api-test"}
    state = {"description": "", "routes": {"POST /echo": {"function": fn, "invokePermission": True}}, "cors": None,
             "stage": "$default (auto-deploy)", "tags": tags}
    meta = {"id": "a1b2", "routes": {"POST /echo": {"RouteId": "r", "Target": "integrations/i"}},
            "integrations": [{"IntegrationId": "i", "IntegrationType": "AWS_PROXY", "IntegrationUri": fn,
                              "PayloadFormatVersion": "2.0"}],
            "statements": {fn: [{"Sid": "reconcile-a1b2-90aba273c32f", "grants": True,
                                 "SourceArn": "arn:aws:execute-api:us-east-1:123456789012:a1b2/*/POST/echo"}]}}
    ctx = OpContext(stack="api-test", account="123456789012", region="us-east-1")
    arn = "arn:aws:apigateway:us-east-1::/apis/a1b2"
    assert KIND.operations("echo-api", state, Observed("HttpApi", "echo-api", arn, state, meta), ctx) == []
    again = Observed("HttpApi", "echo-api", arn, KIND.unlinked(state, {fn}), meta)
    assert [(o.action, o.request["StatementId"]) for o in KIND.operations("echo-api", state, again, ctx)] == [
        ("AddPermission", "reconcile-a1b2-90aba273c32f")]
