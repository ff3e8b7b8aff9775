"""The sandbox's API Gateway behaviour, without a server: route choice, the 2.0 event, response mapping,
and the permission SourceArn the HttpApi kind writes."""

from __future__ import annotations

import base64
import json

from reconciler.kinds.http_api import source_arn, statement_id
from reconciler.sandbox.lambda_runtime import http_event, http_response, match_route

ROUTES = ["GET /items", "GET /items/{id}", "ANY /items/{id}", "POST /{proxy+}", "$default"]


def test_route_choice_follows_api_gateway():
    assert match_route(ROUTES, "GET", "/items") == ("GET /items", {})
    assert match_route(ROUTES, "GET", "/items/7") == ("GET /items/{id}", {"id": "7"})
    assert match_route(ROUTES, "PUT", "/items/7") == ("ANY /items/{id}", {"id": "7"})
    assert match_route(ROUTES, "POST", "/a/b/c") == ("POST /{proxy+}", {"proxy": "a/b/c"})
    assert match_route(ROUTES, "DELETE", "/nothing") == ("$default", {})
    assert match_route(ROUTES[:-1], "DELETE", "/nothing") is None


def test_event_and_response_shapes():
    event = http_event(api_id="abc123", account="123456789012", region="us-east-1", route_key="POST /generate",
                       method="POST", path="/generate", query="a=1&a=2&b=", headers={"Content-Type": "application/json",
                                                                                     "Cookie": "x=1; y=2"},
                       body=b'{"prompt": "hi"}', params={})
    assert event["version"] == "2.0" and event["routeKey"] == "POST /generate"
    assert event["body"] == '{"prompt": "hi"}' and event["isBase64Encoded"] is False
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""} and event["cookies"] == ["x=1", "y=2"]
    assert event["headers"] == {"content-type": "application/json"}
    assert event["requestContext"]["http"]["method"] == "POST" and event["requestContext"]["stage"] == "$default"
    binary = http_event(api_id="a", account="1", region="r", route_key="$default", method="PUT", path="/",
                        query="", headers={"content-type": "image/png"}, body=b"\x89PNG", params={})
    assert binary["isBase64Encoded"] and base64.b64decode(binary["body"]) == b"\x89PNG"

    assert http_response(json.dumps({"statusCode": 418, "headers": {"X-A": "b"}, "body": "tea"})) == (
        418, {"x-a": "b"}, b"tea")
    assert http_response(json.dumps({"statusCode": 200, "body": base64.b64encode(b"\x00").decode(),
                                     "isBase64Encoded": True}))[2] == b"\x00"
    # any other JSON is the body of a 200
    assert http_response('{"generated_text": "x"}') == (200, {"content-type": "application/json"},
                                                        b'{"generated_text": "x"}')


def test_permission_source_arns_and_ids():
    assert source_arn("aws", "eu-west-1", "111122223333", "abc", "POST /generate") == \
        "arn:aws:execute-api:eu-west-1:111122223333:abc/*/POST/generate"
    assert source_arn("aws", "eu-west-1", "111122223333", "abc", "ANY /x/{proxy+}") == \
        "arn:aws:execute-api:eu-west-1:111122223333:abc/*/*/x/{proxy+}"
    assert source_arn("aws", "eu-west-1", "111122223333", "abc", "$default").endswith("abc/*/$default")
    sid = statement_id("abc", "POST /generate")
    assert sid.startswith("reconcile-abc-") and sid != statement_id("abc", "GET /generate") and len(sid) <= 100
