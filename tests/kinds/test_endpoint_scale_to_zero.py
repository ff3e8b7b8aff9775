"""Scale to zero and scheduled scaling as pure decisions (issue 13): the order of the calls around a replace,
the lint that says when instances would stay, and a saved plan refused when the alarm changed under it."""

from __future__ import annotations

from reconciler import pipeline
from reconciler.kinds.endpoint import autoscaling as scaling
from reconciler.kinds.endpoint import operations as endpoint_ops
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
    meta = {"scalingTargets": [[RID, scaling.IC_DIMENSION]],
            "scaleToZero": {"alarms": [ALARM], "stepPolicyArn": "arn:aws:autoscaling:…:policyName/x",
                            "stepPolicyLive": True, "alarmOk": True}}
    base = [endpoint_ops.op("DeleteEndpoint", "llm"), endpoint_ops.op("CreateEndpoint", "llm")]
    ops = scaling.with_operations("llm", want, {"autoscaling": want["autoscaling"]}, meta, base)
    assert [(o.service, o.action) for o in ops] == [
        ("cloudwatch", "DeleteAlarms"), ("application-autoscaling", "DeregisterScalableTarget"),
        ("sagemaker", "DeleteEndpoint"), ("sagemaker", "CreateEndpoint"),
        ("application-autoscaling", "RegisterScalableTarget"), ("application-autoscaling", "PutScalingPolicy"),
        ("application-autoscaling", "PutScalingPolicy"), ("cloudwatch", "PutMetricAlarm"),
        ("application-autoscaling", "PutScheduledAction")]
    # unchanged and in place: nothing at all
    kept = scaling.with_operations("llm", want, {"autoscaling": want["autoscaling"]}, meta, [])
    assert kept == []
    # the alarm differs (edited by hand, or its policy's ARN changed): only the alarm is put again
    changed = {**meta, "scaleToZero": {**meta["scaleToZero"], "alarmOk": False}}
    again = scaling.with_operations("llm", want, {"autoscaling": want["autoscaling"]}, changed, [])
    assert [(o.action, o.target) for o in again] == [("PutMetricAlarm", ALARM)]


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
    result = pipeline.apply(p, t, env.opts, m.stack.name)
    [(_, err)] = result.outcome.failed
    assert "scaling changed since the plan" in str(err) and "PutMetricAlarm" in str(err)
    assert env.aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"][0]["MaxCapacity"] == 4
