"""Scale to zero and scheduled scaling as pure decisions (issue 13): the order of the calls around a replace,
the lint that says when instances would stay, and a saved plan refused when the alarm changed under it."""

from __future__ import annotations

import pytest

from reconciler import ops, pipeline
from reconciler.errors import StalePlanError
from reconciler.kinds.endpoint import autoscaling as scaling
from reconciler.kinds.endpoint import scale_to_zero as stz
from tests.kinds.test_endpoint import IC_ENDPOINT, ROLE
from tests.kinds.test_endpoint_autoscaling import IC_SCALING, env  # noqa: F401  (the fixture)
from tests.support.manifests import write

RID = "inference-component/llm-ic"
ALARM = "reconciler-scale-from-zero-llm-ic"


def desired(schedule: list | None = None) -> dict:
    auto = {"minCount": 0, "maxCount": 4, "metric": "invocationsPerCopy", "value": 4.0,
            "scaleInCooldownSeconds": None, "scaleOutCooldownSeconds": None, "disableScaleIn": False,
            "schedule": schedule or [], "scaleFromZero": {"stepPolicy": stz.STEP_POLICY, "alarm": ALARM}}
    return {"type": "inference-component-based", "inferenceComponent": {"name": "llm-ic"}, "autoscaling": auto}


def test_a_replace_deletes_the_alarm_and_target_first_and_puts_everything_back_after():
    want = desired([{"name": "reconciler-office-hours", "expression": "cron(0 8 ? * MON-FRI *)", "timezone": None,
                     "minCount": 1, "maxCount": None}])
    alarm = {"arn": f"arn:aws:cloudwatch:us-east-1:1:alarm:{ALARM}", "tags": {"reconciler:stack": "s"}}
    meta = {"scalingTargets": [[RID, scaling.IC_DIMENSION]],
            "scaleToZero": {"alarms": {ALARM: alarm}, "stepPolicyArn": "arn:aws:autoscaling:…:policyName/x",
                            "stepPolicyLive": True, "alarmOk": True}}
    base = [ops.call("sagemaker", "DeleteEndpoint", "llm"), ops.call("sagemaker", "CreateEndpoint", "llm", id="endpoint")]
    scope = scaling.Scope(live=ops.part_of("arn:aws:sagemaker:us-east-1:1:endpoint/llm", {}, None),
                          after=ops.created("endpoint"), tags={})
    out = scaling.with_operations("llm", want, {"autoscaling": want["autoscaling"]}, meta, base, scope)
    assert [(o.service, o.action) for o in out] == [
        ("cloudwatch", "DeleteAlarms"), ("application-autoscaling", "DeregisterScalableTarget"),
        ("sagemaker", "DeleteEndpoint"), ("sagemaker", "CreateEndpoint"),
        ("application-autoscaling", "RegisterScalableTarget"), ("application-autoscaling", "PutScalingPolicy"),
        ("application-autoscaling", "PutScalingPolicy"), ("cloudwatch", "PutMetricAlarm"),
        ("application-autoscaling", "PutScheduledAction")]
    # the alarm names the step policy put in the same step: a reference to that call's answer
    assert out[7].request["AlarmActions"] == [{"$output": "step-policy", "path": "PolicyARN"}] and out[6].id == "step-policy"
    # unchanged and in place: nothing at all
    kept = scaling.with_operations("llm", want, {"autoscaling": want["autoscaling"]}, meta, [], scope)
    assert kept == []
    # the alarm differs (edited by hand, or its policy's ARN changed): only the alarm is put again, naming the live policy
    changed = {**meta, "scaleToZero": {**meta["scaleToZero"], "alarmOk": False}}
    again = scaling.with_operations("llm", want, {"autoscaling": want["autoscaling"]}, changed, [], scope)
    assert [(o.action, o.target) for o in again] == [("PutMetricAlarm", ALARM)]
    assert again[0].request["AlarmActions"] == ["arn:aws:autoscaling:…:policyName/x"]
    assert again[0].ownership.basis == "tags" and again[0].resource == alarm["arn"]  # (the alarm's own tags)


def test_lint_warns_when_scale_to_zero_keeps_its_instances(tmp_path):
    fixed = IC_ENDPOINT  # managedScaling minCount 1
    write(tmp_path / "a", {"r.yaml": ROLE, "e.yaml": fixed + IC_SCALING})
    manifests, _ = pipeline.load(tmp_path / "a")
    warned = [w for w in manifests.warnings if w.field == "spec.instance.managedScaling"]
    assert warned and "instances stay" in warned[0].message
    write(tmp_path / "b", {"r.yaml": ROLE, "e.yaml": fixed.replace("minCount: 1, maxCount: 2", "minCount: 0, maxCount: 2")
                           + IC_SCALING})
    manifests, _ = pipeline.load(tmp_path / "b")
    assert not [w for w in manifests.warnings if "scale to zero" in w.message]


def test_a_saved_plan_refuses_to_apply_when_the_alarm_was_deleted_under_it(env):  # noqa: F811
    import boto3

    doc = IC_ENDPOINT.replace("minCount: 1, maxCount: 2", "minCount: 0, maxCount: 2")
    env.write(**{"r.yaml": ROLE, "e.yaml": doc + IC_SCALING})
    env.apply()
    env.write(**{"r.yaml": ROLE, "e.yaml": doc + IC_SCALING.replace("maxCount: 4", "maxCount: 5")})
    p, t, m = pipeline.plan(env.root, env.opts)
    [step] = p.changes
    assert [o.action for o in step.operations] == ["RegisterScalableTarget"]
    cw = boto3.client("cloudwatch", region_name="us-east-1", endpoint_url=env.server.url)
    cw.delete_alarms(AlarmNames=[ALARM])  # by hand, after the plan
    with pytest.raises(StalePlanError, match=r"Endpoint/llm-ic changed in AWS since the plan was made \(autoscaling"):
        pipeline.rederive(p, m, t, env.opts)  # (what apply does before it runs a plan that waited)
    assert env.aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"][0]["MaxCapacity"] == 4
