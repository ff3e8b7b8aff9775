"""What scale to zero and scheduled scaling need from the sandbox (issue 13, point 3), each pinned: CloudWatch
alarms and Application Auto Scaling step policies and scheduled actions are accepted as AWS accepts them
and refused as AWS refuses them (botocore's model constraints, the API reference's errors)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.test_sagemaker_emulator import (
    N,
    client,
    error,
    ic_endpoint,
    serving_endpoint,
    spec,
    wait_ic,
)
from tests.support.server import MotoServer

DIMS = {"inference-component": "sagemaker:inference-component:DesiredCopyCount",
        "endpoint": "sagemaker:variant:DesiredInstanceCount"}
STEP = {"AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Maximum", "Cooldown": 60,
        "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}


def alarm(name: str, **extra: Any) -> dict[str, Any]:
    return {"AlarmName": name, "Namespace": "AWS/SageMaker", "MetricName": "NoCapacityInvocationFailures",
            "Statistic": "Maximum", "Period": 30, "EvaluationPeriods": 1, "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", **extra}


def target(server: MotoServer, kind: str) -> tuple[str, str]:
    """A registered target of a resource that exists (AWS refuses to register one that does not)."""
    sm, aas = client(server, "sagemaker"), client(server, "application-autoscaling")
    if kind == "inference-component":
        ic_endpoint(sm)
        sm.create_inference_component(InferenceComponentName=N("ic"), EndpointName=N("icep"), VariantName="AllTraffic",
                                      Specification=spec(), RuntimeConfig={"CopyCount": 1})
        wait_ic(sm, N("ic"), "InService")
        rid = f"inference-component/{N('ic')}"
    else:
        serving_endpoint(sm)
        rid = f"endpoint/{N('llm')}/variant/AllTraffic"
    dim = DIMS[kind]
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim, MinCapacity=0
                                 if kind == "inference-component" else 1, MaxCapacity=4)
    return rid, dim


def test_a_step_policy_on_the_inference_component_dimension_and_an_alarm_that_names_it(server: MotoServer) -> None:
    aas, cw = client(server, "application-autoscaling"), client(server, "cloudwatch")
    rid, dim = target(server, "inference-component")
    arn = aas.put_scaling_policy(PolicyName="step", ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                                 PolicyType="StepScaling", StepScalingPolicyConfiguration=STEP)["PolicyARN"]
    again = aas.put_scaling_policy(PolicyName="step", ServiceNamespace="sagemaker", ResourceId=rid,
                                   ScalableDimension=dim, PolicyType="StepScaling",
                                   StepScalingPolicyConfiguration={**STEP, "Cooldown": 30})["PolicyARN"]
    assert again == arn  # an update keeps the policy's ARN (an alarm naming it keeps working)
    name = N("alarm")
    cw.put_metric_alarm(**alarm(name, Dimensions=[{"Name": "InferenceComponentName", "Value": N("ic")}],
                                AlarmActions=[arn], TreatMissingData="missing", DatapointsToAlarm=1,
                                Tags=[{"Key": "reconciler:stack", "Value": "s"}]))
    [a] = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert a["AlarmActions"] == [arn] and a["Dimensions"] == [{"Name": "InferenceComponentName", "Value": N("ic")}]
    tags = lambda: cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"]  # noqa: E731
    cw.put_metric_alarm(**alarm(name, AlarmActions=[arn], Tags=[{"Key": "reconciler:stack", "Value": "other"}]))
    assert tags() == [{"Key": "reconciler:stack", "Value": "s"}]  # an update ignores Tags
    cw.delete_alarms(AlarmNames=[name])
    cw.put_metric_alarm(**alarm(name))  # someone else's alarm under the same name inherits no tags
    assert tags() == []


def test_refusals_of_policies_and_alarms(server: MotoServer) -> None:
    aas, cw = client(server, "application-autoscaling"), client(server, "cloudwatch")
    rid, dim = f"inference-component/{N('none')}", DIMS["inference-component"]
    with pytest.raises(ClientError) as e:  # no target registered
        aas.put_scaling_policy(PolicyName="step", ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                               PolicyType="StepScaling", StepScalingPolicyConfiguration=STEP)
    assert error(e)[0] == "ObjectNotFoundException"
    rid, dim = target(server, "inference-component")
    with pytest.raises(ClientError) as e:  # StepScaling without its configuration
        aas.put_scaling_policy(PolicyName="step", ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                               PolicyType="StepScaling")
    assert error(e)[0] == "ValidationException" and "StepScalingPolicyConfiguration" in error(e)[1]
    with pytest.raises(ClientError) as e:  # an adjustment type botocore's enum does not have
        aas.put_scaling_policy(PolicyName="step", ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                               PolicyType="StepScaling", StepScalingPolicyConfiguration={**STEP, "AdjustmentType": "Add"})
    assert error(e)[0] == "ValidationException" and "adjustmentType" in error(e)[1]
    with pytest.raises(ClientError) as e:
        aas.delete_scaling_policy(PolicyName="nope", ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim)
    assert error(e)[0] == "ObjectNotFoundException"
    with pytest.raises(ClientError) as e:  # a comparison operator outside botocore's enum
        cw.put_metric_alarm(**{**alarm(N("a")), "ComparisonOperator": "GreaterThan"})
    assert error(e)[0] == "ValidationError" and "comparisonOperator" in error(e)[1]
    with pytest.raises(ClientError) as e:  # an alarm action that is not an ARN
        cw.put_metric_alarm(**alarm(N("a"), AlarmActions=["scale-out"]))
    assert error(e)[0] == "InvalidParameterValue"
    cw.put_metric_alarm(**{**alarm(N("b")), "Namespace": "Custom/Anything"})  # any namespace is fine
    assert cw.describe_alarms(AlarmNames=[N("a")])["MetricAlarms"] == []


@pytest.mark.parametrize("kind", ["inference-component", "endpoint"])
def test_scheduled_actions_on_both_dimensions_go_with_their_target(server: MotoServer, kind: str) -> None:
    aas = client(server, "application-autoscaling")
    rid, dim = target(server, kind)
    aas.put_scaling_policy(PolicyName="step", ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                           PolicyType="StepScaling", StepScalingPolicyConfiguration=STEP)
    aas.put_scheduled_action(ServiceNamespace="sagemaker", ScheduledActionName="office-hours", ResourceId=rid,
                             ScalableDimension=dim, Schedule="cron(0 8 ? * MON-FRI *)", Timezone="Europe/Berlin",
                             ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 4})
    [a] = aas.describe_scheduled_actions(ServiceNamespace="sagemaker", ResourceId=rid)["ScheduledActions"]
    assert (a["Schedule"], a["Timezone"], a["ScalableTargetAction"]) == ("cron(0 8 ? * MON-FRI *)", "Europe/Berlin",
                                                                          {"MinCapacity": 1, "MaxCapacity": 4})
    for bad in ("every day", "cron(0 8 * *)", "rate(five minutes)"):
        with pytest.raises(ClientError) as e:
            aas.put_scheduled_action(ServiceNamespace="sagemaker", ScheduledActionName="x", ResourceId=rid,
                                     ScalableDimension=dim, Schedule=bad, ScalableTargetAction={"MinCapacity": 1})
        assert error(e)[0] == "ValidationException", bad
    with pytest.raises(ClientError) as e:  # botocore's pattern: no '/' in a scheduled action's name
        aas.put_scheduled_action(ServiceNamespace="sagemaker", ScheduledActionName="a/b", ResourceId=rid,
                                 ScalableDimension=dim, Schedule="rate(1 day)", ScalableTargetAction={"MinCapacity": 1})
    assert error(e)[0] == "ValidationException" and "scheduledActionName" in error(e)[1]
    with pytest.raises(ClientError) as e:
        aas.delete_scheduled_action(ServiceNamespace="sagemaker", ScheduledActionName="nope", ResourceId=rid,
                                    ScalableDimension=dim)
    assert error(e)[0] == "ObjectNotFoundException"
    aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim)
    assert aas.describe_scheduled_actions(ServiceNamespace="sagemaker", ResourceId=rid)["ScheduledActions"] == []
    assert aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=rid)["ScalingPolicies"] == []
    with pytest.raises(ClientError) as e:  # no target: no scheduled action
        aas.put_scheduled_action(ServiceNamespace="sagemaker", ScheduledActionName="office-hours", ResourceId=rid,
                                 ScalableDimension=dim, Schedule="rate(1 day)", ScalableTargetAction={"MinCapacity": 1})
    assert error(e)[0] == "ObjectNotFoundException"
