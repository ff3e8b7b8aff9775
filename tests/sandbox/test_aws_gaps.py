"""The gaps foreign clients found in the sandbox (issue 11), each pinned: the sandbox answers as AWS does.

Every test here failed against the sandbox before the fix it pins (AWS-FACTS.md, "SageMaker hosting")."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.sandbox.test_sagemaker_emulator import (
    ACCOUNT,
    CONFIG,
    REGION,
    ROLE,
    N,
    client,
    ensure_role,
    error,
    ic_endpoint,
    model,
    model_config,
    spec,
    wait_ic,
    wait_status,
)
from tests.support.server import MotoServer

ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"


def no_retry(server: MotoServer, service: str) -> Any:
    """A client that does not retry, so an HTTP 500 shows as one (botocore retries 5xx)."""
    return boto3.client(service, region_name=REGION, endpoint_url=server.url, aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def answer(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    resp = excinfo.value.response
    return resp["ResponseMetadata"]["HTTPStatusCode"], resp["Error"]["Code"], resp["Error"]["Message"]


# -- DescribeModel --------------------------------------------------------------------------------


def test_describe_model_omits_vpc_config_and_containers_when_not_given(sm: Any) -> None:
    model(sm)
    described = sm.describe_model(ModelName=N("llm-model"))
    assert "VpcConfig" not in described and "Containers" not in described
    assert described["PrimaryContainer"]["Image"] and described["ExecutionRoleArn"] == ROLE
    vpc = {"SecurityGroupIds": ["sg-12345678"], "Subnets": ["subnet-12345678"]}
    sm.create_model(ModelName=N("vpc-model"), ExecutionRoleArn=ROLE, VpcConfig=vpc,
                    Containers=[{"Image": "img:1"}])
    described = sm.describe_model(ModelName=N("vpc-model"))
    assert described["VpcConfig"] == vpc and described["Containers"] == [{"Image": "img:1"}]


# -- CreateEndpoint DeploymentConfig ---------------------------------------------------------------


def test_create_endpoint_keeps_deployment_config_as_last_deployment_config(sm: Any) -> None:
    model(sm)
    model_config(sm, N("c1"))
    deployment = {"BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0},
        "TerminationWaitInSeconds": 0}}
    sm.create_endpoint(EndpointName=N("llm"), EndpointConfigName=N("c1"), DeploymentConfig=deployment)
    assert wait_status(sm, N("llm"), "InService")["LastDeploymentConfig"] == deployment
    sm.create_endpoint(EndpointName=N("plain"), EndpointConfigName=N("c1"))
    assert "LastDeploymentConfig" not in wait_status(sm, N("plain"), "InService")


# -- ListTags on a missing resource -----------------------------------------------------------------


@pytest.mark.parametrize(("kind", "words"), [("model", "model"), ("endpoint-config", "endpoint configuration"),
                                             ("endpoint", "endpoint"),
                                             ("inference-component", "inference component")])
def test_tags_of_a_missing_resource_answer_400_validation_exception(server: MotoServer, kind: str, words: str) -> None:
    sm = no_retry(server, "sagemaker")
    arn = f"{ARN}:{kind}/{N('missing')}"
    for call in (lambda: sm.list_tags(ResourceArn=arn), lambda: sm.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}]),
                 lambda: sm.delete_tags(ResourceArn=arn, TagKeys=["k"])):
        with pytest.raises(ClientError) as e:
            call()
        assert answer(e) == (400, "ValidationException", f'Could not find {words} "{arn}".')


# -- execution roles ------------------------------------------------------------------------------


def untrusting_role(server: MotoServer) -> str:
    return ensure_role(server, N("ec2-only"), "ec2.amazonaws.com")


def test_create_model_refuses_a_role_that_does_not_exist_or_does_not_trust_sagemaker(server: MotoServer, sm: Any) -> None:
    for role in (f"arn:aws:iam::{ACCOUNT}:role/{N('nobody')}", untrusting_role(server)):
        with pytest.raises(ClientError) as e:
            sm.create_model(ModelName=N("m"), ExecutionRoleArn=role, PrimaryContainer={"Image": "img:1"})
        assert answer(e) == (400, "ValidationException", f"Could not assume role {role}. Please ensure that the role "
                             "exists and allows principal 'sagemaker.amazonaws.com' to assume the role.")
    assert N("m") not in [m["ModelName"] for m in sm.list_models(NameContains=N("m"))["Models"]]


def test_create_endpoint_config_with_execution_role_checks_it(server: MotoServer, sm: Any) -> None:
    variant = {"VariantName": "AllTraffic", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}
    for role in (f"arn:aws:iam::{ACCOUNT}:role/{N('nobody')}", untrusting_role(server)):
        with pytest.raises(ClientError) as e:
            sm.create_endpoint_config(EndpointConfigName=N("ic"), ExecutionRoleArn=role, ProductionVariants=[variant])
        assert error(e) == ("ValidationException", f"Could not assume role {role}. Please ensure that the role "
                            "exists and allows principal 'sagemaker.amazonaws.com' to assume the role.")
    sm.create_endpoint_config(EndpointConfigName=N("ic"), ExecutionRoleArn=ROLE, ProductionVariants=[variant])


def zipped_handler() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def create_function(lam: Any, name: str, role: str) -> Any:
    return lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                               Code={"ZipFile": zipped_handler()})


def test_lambda_create_function_refuses_a_role_lambda_cannot_assume(server: MotoServer) -> None:
    lam = client(server, "lambda")
    for role in (f"arn:aws:iam::{ACCOUNT}:role/{N('nobody')}", untrusting_role(server),
                 ensure_role(server, "sm-exec", "sagemaker.amazonaws.com")):
        with pytest.raises(ClientError) as e:
            create_function(lam, N("fn"), role)
        assert answer(e) == (400, "InvalidParameterValueException",
                             "The role defined for the function cannot be assumed by Lambda.")
    create_function(lam, N("fn"), ensure_role(server, N("lambda-exec"), "lambda.amazonaws.com"))


def test_a_new_role_is_not_assumable_for_the_configured_seconds(server: MotoServer, sm: Any) -> None:
    server.post(CONFIG, {"role_propagation_seconds": 1.5})
    try:
        role = ensure_role(server, N("fresh"), "sagemaker.amazonaws.com")
        fn_role = ensure_role(server, N("fresh-fn"), "lambda.amazonaws.com")
        with pytest.raises(ClientError) as e:
            sm.create_model(ModelName=N("m"), ExecutionRoleArn=role, PrimaryContainer={"Image": "img:1"})
        assert error(e)[1].startswith(f"Could not assume role {role}.")
        with pytest.raises(ClientError) as e:
            create_function(client(server, "lambda"), N("fn"), fn_role)
        assert error(e)[0] == "InvalidParameterValueException"
        time.sleep(1.6)
        sm.create_model(ModelName=N("m"), ExecutionRoleArn=role, PrimaryContainer={"Image": "img:1"})
        create_function(client(server, "lambda"), N("fn"), fn_role)
    finally:
        server.post(CONFIG, {"role_propagation_seconds": 0})


# -- instance types -------------------------------------------------------------------------------


def test_instance_type_outside_botocores_enum_is_refused(sm: Any) -> None:
    model(sm)
    with pytest.raises(ClientError) as e:
        model_config(sm, N("c1"), instance_type="ml.g5.nonsense")
    code, message = error(e)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected: Value 'ml.g5.nonsense' at ")
    assert "Member must satisfy enum value set: [" in message and "ml.g5.2xlarge" in message


# -- not-found messages ---------------------------------------------------------------------------


def test_not_found_messages_are_the_same_for_every_operation(server: MotoServer) -> None:
    sm = no_retry(server, "sagemaker")
    name = N("missing")
    calls = {
        "model": [lambda: sm.describe_model(ModelName=name), lambda: sm.delete_model(ModelName=name)],
        "endpoint-config": [lambda: sm.describe_endpoint_config(EndpointConfigName=name),
                            lambda: sm.delete_endpoint_config(EndpointConfigName=name),
                            lambda: sm.create_endpoint(EndpointName=N("x"), EndpointConfigName=name)],
        "endpoint": [lambda: sm.describe_endpoint(EndpointName=name), lambda: sm.delete_endpoint(EndpointName=name),
                     lambda: sm.update_endpoint(EndpointName=name, EndpointConfigName=name)],
        "inference-component": [lambda: sm.describe_inference_component(InferenceComponentName=name),
                                lambda: sm.delete_inference_component(InferenceComponentName=name)],
    }
    words = {"model": "model", "endpoint-config": "endpoint configuration", "endpoint": "endpoint",
             "inference-component": "inference component"}
    for kind, fns in calls.items():
        for fn in fns:
            with pytest.raises(ClientError) as e:
                fn()
            assert answer(e) == (400, "ValidationException", f'Could not find {words[kind]} "{ARN}:{kind}/{name}".')


# -- Application Auto Scaling of inference-component copies -----------------------------------------


def test_autoscaling_accepts_inference_component_copy_count(server: MotoServer, sm: Any) -> None:
    ic_endpoint(sm)
    sm.create_inference_component(InferenceComponentName=N("ic"), EndpointName=N("icep"), VariantName="AllTraffic",
                                  Specification=spec(), RuntimeConfig={"CopyCount": 1})
    wait_ic(sm, N("ic"), "InService")
    aas = client(server, "application-autoscaling")
    rid, dim = f"inference-component/{N('ic')}", "sagemaker:inference-component:DesiredCopyCount"
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                                 MinCapacity=0, MaxCapacity=4)
    targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[rid],
                                            ScalableDimension=dim)["ScalableTargets"]
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(rid, 0, 4)]
    aas.put_scaling_policy(
        PolicyName=N("copies"), ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
        PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 5.0, "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}})
    policies = aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=rid,
                                             ScalableDimension=dim)["ScalingPolicies"]
    assert [p["PolicyName"] for p in policies] == [N("copies")]
    aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim)
    assert aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[rid])["ScalableTargets"] == []
    with pytest.raises(ClientError) as e:  # the dimension belongs to inference components only
        aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=f"endpoint/{N('icep')}/variant/AllTraffic",
                                     ScalableDimension=dim, MinCapacity=0, MaxCapacity=4)
    assert error(e)[0] == "ValidationException"
