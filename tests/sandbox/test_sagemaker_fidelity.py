"""SageMaker answers checked against AWS's documentation (issue 24, items 10 and 11): AWS's words for an inference
component on a model-based endpoint, UpdateInferenceComponent with part of a Specification (what the SageMaker
SDK's ``update_predictor(resources=…)`` sends), and a NextToken that SageMaker did not issue."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.test_sagemaker_emulator import (
    ROLE,
    N,
    error,
    ic_endpoint,
    model,
    serving_endpoint,
    spec,
    wait_ic,
)


def test_an_inference_component_on_a_model_based_endpoint_is_refused_in_aws_words(sm: Any) -> None:
    serving_endpoint(sm)
    with pytest.raises(ClientError) as e:
        sm.create_inference_component(InferenceComponentName=N("ic"), EndpointName=N("llm"), VariantName="AllTraffic",
                                      Specification=spec(), RuntimeConfig={"CopyCount": 1})
    assert error(e) == ("ValidationException", "Invalid request provided: Inference Components are not supported in "
                        "this Endpoint. Please make sure this endpoint can deploy inference components.")


def test_update_with_only_compute_resource_requirements_keeps_the_rest(sm: Any) -> None:
    ic_endpoint(sm)
    sm.create_inference_component(InferenceComponentName=N("ic"), EndpointName=N("icep"), VariantName="AllTraffic",
                                  Specification=spec(), RuntimeConfig={"CopyCount": 1})
    wait_ic(sm, N("ic"), "InService")
    resources = {"MinMemoryRequiredInMb": 8192, "NumberOfAcceleratorDevicesRequired": 1}
    sm.update_inference_component(InferenceComponentName=N("ic"), Specification={"ComputeResourceRequirements": resources})
    updated = wait_ic(sm, N("ic"), "InService")["Specification"]
    assert updated["ComputeResourceRequirements"] == resources
    assert updated["ModelName"] == N("llm-model")
    assert updated["StartupParameters"] == spec()["StartupParameters"]


def test_list_models_refuses_a_token_it_did_not_issue(sm: Any) -> None:
    model(sm)
    with pytest.raises(ClientError) as e:
        sm.list_models(NextToken="garbage")
    assert error(e)[0] == "ValidationException"


def _with_data(sm: Any, **container: Any) -> None:
    sm.create_model(ModelName=N("weights"), ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": "123.dkr.ecr.us-east-1.amazonaws.com/tgi:2.0", **container})


@pytest.mark.parametrize(("source", "words"), [
    ({"S3Uri": "s3://b/w", "S3DataType": "S3Prefix", "CompressionType": "None"}, "must end with '/'"),
    ({"S3Uri": "s3://b/w/", "S3DataType": "S3Prefix", "CompressionType": "Gzip"}, "Gzip requires S3DataType S3Object"),
    ({"S3Uri": "s3://b/w/", "S3DataType": "S3Folder", "CompressionType": "None"}, "'S3Folder' at"),  # botocore enum
    ({"S3Uri": "ftp://b/w/", "S3DataType": "S3Prefix", "CompressionType": "None"}, "failed to satisfy constraint"),
])
def test_create_model_checks_s3_model_data_as_aws_does(sm: Any, source: dict[str, str], words: str) -> None:
    """ModelDataSource.S3DataSource: botocore's shapes (enums, the S3ModelUri pattern), then SageMaker's rules
    for a prefix (API reference, S3ModelDataSource)."""
    with pytest.raises(ClientError) as e:
        _with_data(sm, ModelDataSource={"S3DataSource": source})
    code, message = error(e)
    assert code == "ValidationException" and words in message, message
    with pytest.raises(ClientError) as e:
        _with_data(sm, ModelDataUrl="s3://b/m.tar.gz", ModelDataSource={"S3DataSource": {
            "S3Uri": "s3://b/w/", "S3DataType": "S3Prefix", "CompressionType": "None"}})
    assert "Only one of ModelDataUrl and ModelDataSource" in error(e)[1]


def test_create_model_finds_its_model_data_in_s3_and_describe_model_answers_it(sm: Any, server: Any) -> None:
    from tests.sandbox import test_sagemaker_emulator as emulator

    s3 = emulator.client(server, "s3")
    bucket = N("weights").lower()
    s3.create_bucket(Bucket=bucket)
    source = {"S3DataSource": {"S3Uri": f"s3://{bucket}/w/", "S3DataType": "S3Prefix", "CompressionType": "None"}}
    with pytest.raises(ClientError) as e:
        _with_data(sm, ModelDataSource=source)
    assert error(e) == ("ValidationException", f"Could not find model data at s3://{bucket}/w/.")
    with pytest.raises(ClientError) as e:
        _with_data(sm, ModelDataUrl=f"s3://{bucket}/w/model.tar.gz")
    assert error(e) == ("ValidationException", f"Could not find model data at s3://{bucket}/w/model.tar.gz.")
    # the same object by its HTTPS URLs (ModelDataUrl's pattern takes https://): checked as well
    for url in (f"https://{bucket}.s3.us-east-1.amazonaws.com/w/model.tar.gz",
                f"https://{bucket}.s3.amazonaws.com/w/model.tar.gz",
                f"https://s3.us-east-1.amazonaws.com/{bucket}/w/model.tar.gz"):
        with pytest.raises(ClientError) as e:
            _with_data(sm, ModelDataUrl=url)
        assert error(e) == ("ValidationException", f"Could not find model data at {url}."), url
    s3.put_object(Bucket=bucket, Key="w/model.tar.gz", Body=b"x")
    _with_data(sm, ModelDataUrl=f"https://s3.us-east-1.amazonaws.com/{bucket}/w/model.tar.gz")
    sm.delete_model(ModelName=N("weights"))
    s3.put_object(Bucket=bucket, Key="w/model.safetensors", Body=b"x")
    _with_data(sm, ModelDataSource=source)
    assert sm.describe_model(ModelName=N("weights"))["PrimaryContainer"]["ModelDataSource"] == source
