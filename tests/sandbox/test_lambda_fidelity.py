"""Lambda Invoke and HTTP API integrations as AWS answers them (issue 24, items 8 and 9; AWS-FACTS.md: Lambda,
API Gateway v2)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.test_aws_gaps import answer, create_function, no_retry
from tests.sandbox.test_sagemaker_emulator import ACCOUNT, REGION, N, client, ensure_role, wait_for
from tests.support.server import MotoServer


@pytest.fixture
def function(server: MotoServer) -> str:
    role = ensure_role(server, "lambda-exec", "lambda.amazonaws.com")
    return str(create_function(client(server, "lambda"), N("fn"), role)["FunctionArn"])


def test_invoke_answers_as_lambda_does(server: MotoServer, function: str) -> None:
    lam = no_retry(server, "lambda")
    with pytest.raises(ClientError) as e:  # not JSON: refused at once, not a 500 the CLI retries
        lam.invoke(FunctionName=N("fn"), Payload=b"not json")
    status, code, _ = answer(e)
    assert (status, code) == (400, "InvalidRequestContentException")
    done = lam.invoke(FunctionName=N("fn"), Payload=b'{"a": 1}')
    assert (done["StatusCode"], done["ExecutedVersion"], json.loads(done["Payload"].read())) == (200, "$LATEST", {"ok": True})
    queued = lam.invoke(FunctionName=N("fn"), Payload=b'{"a": 1}', InvocationType="Event")
    assert (queued["StatusCode"], queued["Payload"].read()) == (202, b"")
    assert "ExecutedVersion" not in queued
    assert lam.invoke(FunctionName=N("fn"), InvocationType="DryRun")["StatusCode"] == 204


def test_an_http_api_integration_takes_the_lambda_invoke_arn(server: MotoServer, function: str) -> None:
    gw, lam = client(server, "apigatewayv2"), client(server, "lambda")
    invoke_arn = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"
    api = gw.create_api(Name=N("api"), ProtocolType="HTTP")["ApiId"]
    integration = gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=invoke_arn,
                                        PayloadFormatVersion="2.0")["IntegrationId"]
    gw.create_route(ApiId=api, RouteKey="POST /generate", Target=f"integrations/{integration}")
    gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    lam.add_permission(FunctionName=N("fn"), StatementId="api", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com", SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api}/*")
    request = urllib.request.Request(f"{server.url}/reconcile-sandbox/execute-api/{api}/generate", data=b"{}",
                                     method="POST", headers={"Content-Type": "application/json"})

    def call() -> tuple[int, Any]:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, json.loads(r.read())

    assert wait_for(call, lambda got: True, timeout=30) == (200, {"ok": True})
