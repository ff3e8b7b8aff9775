"""SageMaker answers checked against AWS's documentation (issue 24, items 10 and 11): AWS's words for an inference
component on a model-based endpoint, UpdateInferenceComponent with part of a Specification (what the SageMaker
SDK's ``update_predictor(resources=…)`` sends), and a NextToken that SageMaker did not issue."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.test_sagemaker_emulator import (
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
