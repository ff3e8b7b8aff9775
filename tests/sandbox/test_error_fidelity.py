"""Error fidelity (issue 11, point 5): for every operation reconcile calls, the sandbox's not-found,
already-exists, in-use and invalid-state answers carry AWS's HTTP status, error code and message.

References: AWS-FACTS.md ("Missing resources answer ValidationException … Cannot create already
existing …"; IAM DeleteConflict), botocore's service models (the error shapes and their HTTP
status codes) and the messages AWS sends, as quoted in public issue threads:
- SageMaker "Could not find endpoint", "Cannot update in-progress endpoint":
  https://github.com/aws/sagemaker-python-sdk/issues/1285, https://github.com/hashicorp/terraform-provider-aws/issues/13545
- Lambda "Function not found: <arn>", "Function already exist: <name>":
  https://github.com/aws/aws-cli/issues/4470, https://github.com/serverless/serverless/issues/4545
- Secrets Manager "Secrets Manager can't find the specified secret.":
  https://github.com/aws/aws-sdk-js/issues/3079
- IAM "The role with name X cannot be found.", "Role with name X already exists.",
  "Cannot delete entity, must detach all policies first.": https://github.com/hashicorp/terraform-provider-aws/issues/1043
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.sandbox.test_sagemaker_emulator import (
    ACCOUNT,
    FAULTS,
    REGION,
    N,
    ensure_role,
    ic_endpoint,
    model,
    model_config,
    spec,
    wait_status,
)
from tests.support.server import MotoServer

SM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"


@pytest.fixture
def c(server: MotoServer) -> Callable[[str], Any]:
    def make(service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=server.url, aws_access_key_id="testing",
                            aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))
    return make


def refused(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as e:
        call()
    resp = e.value.response
    return resp["ResponseMetadata"]["HTTPStatusCode"], resp["Error"]["Code"], resp["Error"]["Message"]


def invalid(message: str) -> tuple[int, str, str]:
    return 400, "ValidationException", message


# -- SageMaker --------------------------------------------------------------------------------------


def test_sagemaker_not_found(c: Any) -> None:
    sm, x = c("sagemaker"), N("missing")
    cases = [
        (lambda: sm.describe_model(ModelName=x), f'Could not find model "{SM}:model/{x}".'),
        (lambda: sm.delete_model(ModelName=x), f'Could not find model "{SM}:model/{x}".'),
        (lambda: sm.describe_endpoint_config(EndpointConfigName=x), f'Could not find endpoint configuration "{SM}:endpoint-config/{x}".'),
        (lambda: sm.delete_endpoint_config(EndpointConfigName=x), f'Could not find endpoint configuration "{SM}:endpoint-config/{x}".'),
        (lambda: sm.create_endpoint(EndpointName=N("e"), EndpointConfigName=x), f'Could not find endpoint configuration "{SM}:endpoint-config/{x}".'),
        (lambda: sm.create_endpoint_config(EndpointConfigName=N("c"), ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": x, "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}]),
         f'Could not find model "{SM}:model/{x}".'),
        (lambda: sm.describe_endpoint(EndpointName=x), f'Could not find endpoint "{SM}:endpoint/{x}".'),
        (lambda: sm.update_endpoint(EndpointName=x, EndpointConfigName=x), f'Could not find endpoint "{SM}:endpoint/{x}".'),
        (lambda: sm.delete_endpoint(EndpointName=x), f'Could not find endpoint "{SM}:endpoint/{x}".'),
        (lambda: sm.update_endpoint_weights_and_capacities(EndpointName=x, DesiredWeightsAndCapacities=[
            {"VariantName": "AllTraffic", "DesiredInstanceCount": 2}]), f'Could not find endpoint "{SM}:endpoint/{x}".'),
        (lambda: sm.describe_inference_component(InferenceComponentName=x), f'Could not find inference component "{SM}:inference-component/{x}".'),
        (lambda: sm.update_inference_component(InferenceComponentName=x, RuntimeConfig={"CopyCount": 1}),
         f'Could not find inference component "{SM}:inference-component/{x}".'),
        (lambda: sm.update_inference_component_runtime_config(InferenceComponentName=x, DesiredRuntimeConfig={"CopyCount": 1}),
         f'Could not find inference component "{SM}:inference-component/{x}".'),
        (lambda: sm.delete_inference_component(InferenceComponentName=x), f'Could not find inference component "{SM}:inference-component/{x}".'),
        (lambda: sm.create_inference_component(InferenceComponentName=N("ic"), EndpointName=x, VariantName="AllTraffic",
                                               Specification=spec(), RuntimeConfig={"CopyCount": 1}),
         f'Could not find endpoint "{SM}:endpoint/{x}".'),
        (lambda: sm.list_tags(ResourceArn=f"{SM}:endpoint/{x}"), f'Could not find endpoint "{SM}:endpoint/{x}".'),
    ]
    for call, message in cases:
        assert refused(call) == invalid(message)


def test_sagemaker_already_exists(c: Any) -> None:
    sm = c("sagemaker")
    ic_endpoint(sm)
    sm.create_inference_component(InferenceComponentName=N("ic"), EndpointName=N("icep"), VariantName="AllTraffic",
                                  Specification=spec(), RuntimeConfig={"CopyCount": 1})
    assert refused(lambda: model(sm)) == invalid(f'Cannot create already existing model "{SM}:model/{N("llm-model")}".')
    assert refused(lambda: model_config(sm, N("ic-config"))) == invalid(
        f'Cannot create already existing endpoint configuration "{SM}:endpoint-config/{N("ic-config")}".')
    assert refused(lambda: sm.create_endpoint(EndpointName=N("icep"), EndpointConfigName=N("ic-config"))) == invalid(
        f'Cannot create already existing endpoint "{SM}:endpoint/{N("icep")}".')
    assert refused(lambda: sm.create_inference_component(
        InferenceComponentName=N("ic"), EndpointName=N("icep"), VariantName="AllTraffic", Specification=spec(),
        RuntimeConfig={"CopyCount": 1})) == invalid(
        f'Cannot create already existing inference component "{SM}:inference-component/{N("ic")}".')


def test_sagemaker_invalid_state(server: MotoServer, c: Any) -> None:
    sm = c("sagemaker")
    server.post("/reconcile-sandbox/sagemaker/config", {"create_seconds": 30})
    model(sm)
    model_config(sm, N("c1"))
    sm.create_endpoint(EndpointName=N("slow"), EndpointConfigName=N("c1"))
    arn = f"{SM}:endpoint/{N('slow')}"
    assert refused(lambda: sm.update_endpoint(EndpointName=N("slow"), EndpointConfigName=N("c1"))) == invalid(
        f'Cannot update in-progress endpoint "{arn}".')
    assert refused(lambda: sm.delete_endpoint(EndpointName=N("slow"))) == invalid(
        f'Cannot delete in-progress endpoint "{arn}".')
    server.post("/reconcile-sandbox/sagemaker/config", {"create_seconds": 0.2})
    server.post(FAULTS, {"endpoint": N("bad"), "on": "create"})
    sm.create_endpoint(EndpointName=N("bad"), EndpointConfigName=N("c1"))
    wait_status(sm, N("bad"), "Failed")
    assert refused(lambda: sm.update_endpoint(EndpointName=N("bad"), EndpointConfigName=N("c1"))) == invalid(
        f'Cannot update failed endpoint "{SM}:endpoint/{N("bad")}".')


# -- IAM --------------------------------------------------------------------------------------------


def test_iam_not_found_already_exists_and_in_use(server: MotoServer, c: Any) -> None:
    iam, role, user = c("iam"), N("r"), N("u")
    assert refused(lambda: iam.get_role(RoleName=role)) == (404, "NoSuchEntity", f"The role with name {role} cannot be found.")
    assert refused(lambda: iam.get_user(UserName=user)) == (404, "NoSuchEntity", f"The user with name {user} cannot be found.")
    ensure_role(server, role, "lambda.amazonaws.com")
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert refused(lambda: iam.create_role(RoleName=role, AssumeRolePolicyDocument=str(trust).replace("'", '"'))) == (
        409, "EntityAlreadyExists", f"Role with name {role} already exists.")
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    arn = iam.create_policy(PolicyName=N("p"), PolicyDocument=doc)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert refused(lambda: iam.delete_role(RoleName=role)) == (
        409, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
    assert refused(lambda: iam.get_policy(PolicyArn=arn + "x")) == (404, "NoSuchEntity", f"Policy {arn}x was not found.")


def test_iam_deletes_of_what_is_in_use_conflict(c: Any) -> None:
    """AWS-FACTS.md: a user needs its access keys, MFA devices, login profile removed first; a policy must be
    detached everywhere and its non-default versions deleted first (moto lets both through)."""
    iam, user = c("iam"), N("u")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    conflict = (409, "DeleteConflict", "Cannot delete entity, must delete access keys first.")
    assert refused(lambda: iam.delete_user(UserName=user)) == conflict
    iam.delete_access_key(UserName=user, AccessKeyId=key)
    iam.create_login_profile(UserName=user, Password="A-long-enough-passw0rd!")
    assert refused(lambda: iam.delete_user(UserName=user)) == (
        409, "DeleteConflict", "Cannot delete entity, must delete login profile first.")
    iam.delete_login_profile(UserName=user)
    iam.delete_user(UserName=user)

    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    arn = iam.create_policy(PolicyName=N("p"), PolicyDocument=doc)["Policy"]["Arn"]
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    assert refused(lambda: iam.delete_policy(PolicyArn=arn)) == (
        409, "DeleteConflict", "Cannot delete a policy attached to entities.")
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc.replace("GetObject", "PutObject"), SetAsDefault=True)
    status, code, message = refused(lambda: iam.delete_policy(PolicyArn=arn))
    assert (status, code) == (409, "DeleteConflict") and message.startswith("This policy has more than one version.")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy(PolicyArn=arn)


# -- Lambda, Secrets Manager, API Gateway v2 ---------------------------------------------------------


def test_lambda_not_found_and_already_exists(server: MotoServer, c: Any) -> None:
    lam, name = c("lambda"), N("fn")
    fn_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    assert refused(lambda: lam.get_function(FunctionName=name)) == (
        404, "ResourceNotFoundException", f"Function not found: {fn_arn}")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return 1\n")
    role = ensure_role(server, N("fn-exec"), "lambda.amazonaws.com")

    def create() -> Any:
        return lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                                   Code={"ZipFile": buf.getvalue()})

    create()
    assert refused(create) == (409, "ResourceConflictException", f"Function already exist: {name}")


def test_secrets_manager_not_found_and_already_exists(c: Any) -> None:
    sec, name = c("secretsmanager"), N("s")
    assert refused(lambda: sec.describe_secret(SecretId=name)) == (
        400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    sec.create_secret(Name=name, SecretString="x")
    assert refused(lambda: sec.create_secret(Name=name, SecretString="x")) == (
        400, "ResourceExistsException", f"The operation failed because the secret {name} already exists.")


def test_api_gateway_v2_not_found(c: Any) -> None:
    gw = c("apigatewayv2")
    status, code, message = refused(lambda: gw.get_stage(ApiId="abc1234", StageName="$default"))
    assert (status, code) == (404, "NotFoundException")
    assert re.fullmatch(r"Invalid API identifier specified (\d{12}:)?abc1234", message), message
