"""Scalable targets of SageMaker resources as Terraform's aws_appautoscaling_target / _policy see them (issue 24,
items 1-6 and 11): tags, paging, activities, refusals, target-tracking alarms, deregistration with the resource.
Each answer is AWS's (AWS-FACTS.md: Application Auto Scaling; botocore's model for shapes and errors)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.test_aws_gaps import no_retry
from tests.sandbox.test_sagemaker_emulator import (
    N,
    client,
    error,
    ic_endpoint,
    serving_endpoint,
    spec,
    wait_for,
    wait_ic,
)
from tests.support.server import MotoServer

VARIANT = "sagemaker:variant:DesiredInstanceCount"
COPIES = "sagemaker:inference-component:DesiredCopyCount"
TRACKING = {"TargetValue": 70.0, "PredefinedMetricSpecification": {
    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}


def variant(name: str = "llm") -> str:
    return f"endpoint/{N(name)}/variant/AllTraffic"


def register(aas: Any, rid: str, dim: str = VARIANT, **extra: Any) -> str:
    return str(aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                                            MinCapacity=1, MaxCapacity=4, **extra)["ScalableTargetARN"])


def component(sm: Any, name: str = "ic") -> str:
    sm.create_inference_component(InferenceComponentName=N(name), EndpointName=N("icep"), VariantName="AllTraffic",
                                  Specification=spec(), RuntimeConfig={"CopyCount": 1})
    wait_ic(sm, N(name), "InService")
    return f"inference-component/{N(name)}"


def test_targets_are_tagged_by_their_arn(server: MotoServer, sm: Any) -> None:
    serving_endpoint(sm)
    aas = no_retry(server, "application-autoscaling")
    arn = register(aas, variant(), Tags={"team": "a"})
    [target] = aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[variant()])["ScalableTargets"]
    assert target["ScalableTargetARN"] == arn
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"team": "a"}
    register(aas, variant(), Tags={"team": "ignored"})  # an update: Tags only when the target is created
    aas.tag_resource(ResourceARN=arn, Tags={"env": "dev", "team": "b"})
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"env": "dev", "team": "b"}
    aas.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert aas.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"env": "dev"}
    aas.untag_resource(ResourceARN=arn, TagKeys=["env"])
    response = aas.list_tags_for_resource(ResourceARN=arn)
    assert (response["ResponseMetadata"]["HTTPStatusCode"], response["Tags"]) == (200, {})
    aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=variant(), ScalableDimension=VARIANT)
    with pytest.raises(ClientError) as e:  # gone with its target
        aas.list_tags_for_resource(ResourceARN=arn)
    assert error(e)[0] == "ResourceNotFoundException"


def test_describe_scalable_targets_pages_every_target_once(server: MotoServer, sm: Any) -> None:
    ic_endpoint(sm)
    aas = client(server, "application-autoscaling")
    rids = [component(sm, f"ic{i}") for i in range(3)]
    for rid in rids:
        register(aas, rid, COPIES)
    pages = list(aas.get_paginator("describe_scalable_targets").paginate(
        ServiceNamespace="sagemaker", ResourceIds=rids, PaginationConfig={"PageSize": 1}))
    assert [len(p["ScalableTargets"]) for p in pages] == [1, 1, 1]
    assert sorted(t["ResourceId"] for p in pages for t in p["ScalableTargets"]) == sorted(rids)


def test_describe_scaling_activities_answers(server: MotoServer) -> None:
    aas = no_retry(server, "application-autoscaling")
    answer = aas.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId=variant("none"),
                                             ScalableDimension=VARIANT)
    assert answer["ScalingActivities"] == []


def test_register_refuses_a_variant_or_component_that_does_not_exist(server: MotoServer, sm: Any) -> None:
    serving_endpoint(sm)
    aas = no_retry(server, "application-autoscaling")
    for rid, dim in ((variant("nope"), VARIANT), (f"endpoint/{N('llm')}/variant/Other", VARIANT),
                     (f"inference-component/{N('nope')}", COPIES)):
        with pytest.raises(ClientError) as e:
            register(aas, rid, dim)
        assert error(e)[0] == "ValidationException", rid
    register(aas, variant())  # the endpoint's own variant is fine


def test_deregistering_a_missing_target_is_object_not_found(server: MotoServer) -> None:
    aas = no_retry(server, "application-autoscaling")
    with pytest.raises(ClientError) as e:
        aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=variant("nope"), ScalableDimension=VARIANT)
    assert error(e)[0] == "ObjectNotFoundException"


def alarms(cw: Any, prefix: str) -> list[dict[str, Any]]:
    return cw.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]  # type: ignore[no-any-return]


def test_a_target_tracking_policy_owns_its_two_alarms(server: MotoServer, sm: Any) -> None:
    serving_endpoint(sm)
    aas, cw = client(server, "application-autoscaling"), client(server, "cloudwatch")
    register(aas, variant())
    put = aas.put_scaling_policy(PolicyName="track", ServiceNamespace="sagemaker", ResourceId=variant(),
                                 ScalableDimension=VARIANT, PolicyType="TargetTrackingScaling",
                                 TargetTrackingScalingPolicyConfiguration=TRACKING)
    prefix = f"TargetTracking-{variant()}-"
    names = sorted(a["AlarmName"] for a in put["Alarms"])
    assert [n[len(prefix):].split("-", 1)[0] for n in names] == ["AlarmHigh", "AlarmLow"]
    described = {a["AlarmName"]: a for a in alarms(cw, prefix)}
    assert sorted(described) == names
    high = next(a for n, a in described.items() if "AlarmHigh" in n)
    assert (high["Namespace"], high["MetricName"], high["Threshold"], high["ComparisonOperator"]) == (
        "AWS/SageMaker", "InvocationsPerInstance", 70.0, "GreaterThanThreshold")
    assert {d["Name"]: d["Value"] for d in high["Dimensions"]} == {"EndpointName": N("llm"), "VariantName": "AllTraffic"}
    assert high["AlarmActions"][0].startswith(put["PolicyARN"])
    [policy] = aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=variant())["ScalingPolicies"]
    assert sorted(a["AlarmName"] for a in policy["Alarms"]) == names
    again = aas.put_scaling_policy(PolicyName="track", ServiceNamespace="sagemaker", ResourceId=variant(),
                                   ScalableDimension=VARIANT, PolicyType="TargetTrackingScaling",
                                   TargetTrackingScalingPolicyConfiguration={**TRACKING, "TargetValue": 50.0})
    assert sorted(a["AlarmName"] for a in again["Alarms"]) == names  # an update keeps them
    assert {a["Threshold"] for a in alarms(cw, prefix) if "AlarmHigh" in a["AlarmName"]} == {50.0}
    aas.delete_scaling_policy(PolicyName="track", ServiceNamespace="sagemaker", ResourceId=variant(),
                              ScalableDimension=VARIANT)
    assert alarms(cw, prefix) == []
    aas.put_scaling_policy(PolicyName="track", ServiceNamespace="sagemaker", ResourceId=variant(),
                           ScalableDimension=VARIANT, PolicyType="TargetTrackingScaling",
                           TargetTrackingScalingPolicyConfiguration={**TRACKING, "DisableScaleIn": True})
    assert ["AlarmHigh"] == [a["AlarmName"][len(prefix):].split("-", 1)[0] for a in alarms(cw, prefix)]
    aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=variant(), ScalableDimension=VARIANT)
    assert alarms(cw, prefix) == []  # deregistering deletes the policies, and their alarms


def test_deleting_the_endpoint_or_component_deregisters_its_targets(server: MotoServer, sm: Any) -> None:
    ic_endpoint(sm)
    aas, cw = client(server, "application-autoscaling"), client(server, "cloudwatch")
    rid = component(sm)
    register(aas, rid, COPIES)
    aas.put_scaling_policy(PolicyName="track", ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=COPIES,
                           PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
                               "TargetValue": 4.0, "PredefinedMetricSpecification": {
                                   "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}})
    assert len(alarms(cw, f"TargetTracking-{rid}-")) == 2
    sm.delete_inference_component(InferenceComponentName=N("ic"))
    assert aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[rid])["ScalableTargets"] == []
    assert alarms(cw, f"TargetTracking-{rid}-") == []
    wait_for(lambda: sm.list_inference_components(EndpointNameEquals=N("icep"))["InferenceComponents"], lambda x: x == [])
    ep = f"endpoint/{N('icep')}/variant/AllTraffic"
    register(aas, ep)
    sm.delete_endpoint(EndpointName=N("icep"))
    assert aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[ep])["ScalableTargets"] == []
