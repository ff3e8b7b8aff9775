"""The sandbox refuses what breaks botocore's model constraints, as AWS does (reconciler/sandbox/validation.py).

Every request here is sent with botocore's own client-side validation switched off
(``Config(parameter_validation=False)``), so it reaches the sandbox as a client that skipped it would send it;
the answer must be AWS's: HTTP 400, the service's error code, and AWS's message shape.
"""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.server import MotoServer

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/exec"
UNCHECKED = Config(parameter_validation=False, retries={"max_attempts": 1})


def client(server: MotoServer, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=server.url, config=UNCHECKED,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def refused(call: Any, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as e:
        call(**params)
    return e.value.response


def uid() -> str:
    return uuid.uuid4().hex[:8]


def test_sagemaker_endpoint_name_longer_than_63(moto_server: MotoServer) -> None:
    name = "e" + "-e" * 34  # 69 characters; the pattern alone would let it through
    r = refused(client(moto_server, "sagemaker").create_endpoint, EndpointName=name, EndpointConfigName="c")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert r["Error"]["Code"] == "ValidationException"
    assert r["Error"]["Message"] == (f"1 validation error detected: Value '{name}' at 'endpointName' failed to satisfy "
                                     "constraint: Member must have length less than or equal to 63")


def test_sagemaker_unknown_instance_type(moto_server: MotoServer) -> None:
    sm = client(moto_server, "sagemaker")
    r = refused(sm.create_endpoint_config, EndpointConfigName=f"c-{uid()}", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.g5.nonsense"}])
    assert r["Error"]["Code"] == "ValidationException"
    assert r["Error"]["Message"].startswith(
        "1 validation error detected: Value 'ml.g5.nonsense' at 'productionVariants.1.member.instanceType' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ml.t2.medium, ")
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):  # a valid type gets past validation to moto
        sm.create_endpoint(EndpointName=f"e-{uid()}", EndpointConfigName=f"missing-{uid()}")


def test_sagemaker_several_violations_in_one_answer(moto_server: MotoServer) -> None:
    r = refused(client(moto_server, "sagemaker").create_model, ModelName=f"m-{uid()}", ExecutionRoleArn=ROLE,
                PrimaryContainer={"Image": "img", "Environment": {f"K{i}": "v" for i in range(101)}},
                Tags=[{"Key": "k" * 129, "Value": "v"}])
    message = r["Error"]["Message"]
    assert message.startswith("2 validation errors detected: Value '{")
    assert "at 'primaryContainer.environment' failed to satisfy constraint: Member must have length less than or equal to 100; " in message
    assert message.endswith(f"Value '{'k' * 129}' at 'tags.1.member.key' failed to satisfy constraint: "
                            "Member must have length less than or equal to 128")


def test_sagemaker_missing_required_member(moto_server: MotoServer) -> None:
    r = refused(client(moto_server, "sagemaker").create_endpoint, EndpointName=f"e-{uid()}")
    assert r["Error"]["Message"] == ("1 validation error detected: Value null at 'endpointConfigName' failed to "
                                     "satisfy constraint: Member must not be null")


def test_iam_answers_validation_error_in_xml(moto_server: MotoServer) -> None:
    iam = client(moto_server, "iam")
    r = refused(iam.create_role, RoleName="r" * 65, AssumeRolePolicyDocument="{}")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert r["Error"] == {"Type": "Sender", "Code": "ValidationError", "Message": (
        f"1 validation error detected: Value '{'r' * 65}' at 'roleName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64")}
    r = refused(iam.create_role, RoleName=f"r-{uid()}", AssumeRolePolicyDocument="{}", MaxSessionDuration=60,
                Tags=[{"Key": "cost center!", "Value": "x"}])
    assert r["Error"]["Message"].startswith(
        "2 validation errors detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must "
        "have value greater than or equal to 3600; Value 'cost center!' at 'tags.1.member.key' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+")


def test_valid_requests_reach_moto_with_their_body_intact(moto_server: MotoServer) -> None:
    iam = client(moto_server, "iam")
    name = f"ok-{uid()}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}", MaxSessionDuration=7200, Description="fine",
                    Tags=[{"Key": "Équipe data", "Value": "ml"}])
    role = iam.get_role(RoleName=name)["Role"]
    assert role["MaxSessionDuration"] == 7200 and role["Description"] == "fine"
    sec = client(moto_server, "secretsmanager")
    sec.create_secret(Name=f"s-{uid()}", SecretString="value")


def test_lambda_answers_validation_exception(moto_server: MotoServer) -> None:
    lam = client(moto_server, "lambda")
    r = refused(lam.create_function, FunctionName=f"f-{uid()}", Role=ROLE, Runtime="python3.12", Handler="h.h",
                Code={"ZipFile": b"PK"}, MemorySize=64, Timeout=0)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert r["Error"]["Code"] == "ValidationException"
    assert r["Error"]["Message"] == (
        "2 validation errors detected: Value '0' at 'timeout' failed to satisfy constraint: Member must have value "
        "greater than or equal to 1; Value '64' at 'memorySize' failed to satisfy constraint: Member must have value "
        "greater than or equal to 128")  # in the model's member order


def test_lambda_uri_labels_are_checked(moto_server: MotoServer) -> None:
    r = refused(client(moto_server, "lambda").get_function, FunctionName="bad name!")
    assert r["Error"]["Code"] == "ValidationException"
    assert r["Error"]["Message"].startswith("1 validation error detected: Value 'bad name!' at 'functionName' failed "
                                            "to satisfy constraint: Member must satisfy regular expression pattern: ")


def test_apigatewayv2_answers_bad_request(moto_server: MotoServer) -> None:
    r = refused(client(moto_server, "apigatewayv2").create_api, Name="api", ProtocolType="REST")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert r["Error"]["Code"] == "BadRequestException"
    assert r["Error"]["Message"] == ("1 validation error detected: Value 'REST' at 'protocolType' failed to satisfy "
                                     "constraint: Member must satisfy enum value set: [WEBSOCKET, HTTP]")


def test_secretsmanager_name_too_long(moto_server: MotoServer) -> None:
    r = refused(client(moto_server, "secretsmanager").describe_secret, SecretId="s" * 2049)
    assert r["Error"]["Code"] == "ValidationException"
    assert r["Error"]["Message"].endswith("at 'secretId' failed to satisfy constraint: Member must have length less "
                                          "than or equal to 2048")


# ---- the wire, parsed back into parameters (no server) ----------------------------------------------


def environ(method: str, path: str, *, service: str = "", target: str = "", query: str = "") -> dict[str, Any]:
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query}
    if target:
        env["HTTP_X_AMZ_TARGET"] = target
    if service:
        env["HTTP_AUTHORIZATION"] = (f"AWS4-HMAC-SHA256 Credential=testing/20260101/{REGION}/{service}/aws4_request, "
                                     "SignedHeaders=host, Signature=x")
    return env


def test_query_protocol_lists_and_numbers() -> None:
    from reconciler.sandbox import validation

    body = (b"Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D&MaxSessionDuration=60"
            b"&Tags.member.1.Key=a&Tags.member.1.Value=1&Tags.member.2.Key=b+c&Tags.member.2.Value=")
    env = environ("POST", "/", service="iam")
    assert validation.identify(env) == ("iam", "")
    op, params = validation.parameters("iam", env, body)
    assert op == "CreateRole" and params["MaxSessionDuration"] == 60
    assert params["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b c", "Value": ""}]


def test_rest_json_uri_labels_query_and_location_names() -> None:
    from reconciler.sandbox import validation

    env = environ("POST", "/v2/apis/abc123/routes", service="apigateway")
    assert validation.identify(env) == ("apigatewayv2", "CreateRoute")
    op, params = validation.parameters("apigatewayv2", env, b'{"routeKey": "POST /generate", "target": "integrations/x"}')
    assert op == "CreateRoute" and params == {"ApiId": "abc123", "RouteKey": "POST /generate", "Target": "integrations/x"}
    env = environ("GET", "/2019-09-30/functions/f/provisioned-concurrency", service="lambda", query="List=ALL")
    assert validation.identify(env) == ("lambda", "ListProvisionedConcurrencyConfigs")
    assert validation.identify(environ("GET", "/restapis", service="apigateway")) is None  # API Gateway v1: not ours


def test_requests_of_other_services_pass_untouched() -> None:
    from reconciler.sandbox import validation

    assert validation.identify(environ("POST", "/", service="sts")) is None
    assert validation.identify(environ("POST", "/", target="DynamoDB_20120810.PutItem")) is None
    assert validation.identify(environ("POST", "/moto-api/reset")) is None
    seen = []
    app = validation.wsgi_middleware(lambda env, start: seen.append(env["wsgi.input"].read()) or [b"moto"])
    import io

    env = {**environ("POST", "/", target="SageMaker.ListEndpoints"), "CONTENT_LENGTH": "2", "wsgi.input": io.BytesIO(b"{}")}
    assert app(env, lambda *a: None) == [b"moto"] and seen == [b"{}"]  # the body reaches moto intact
