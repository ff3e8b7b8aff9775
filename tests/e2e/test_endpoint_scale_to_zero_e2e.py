"""Scale to zero and scheduled scaling through the CLI (issue 13): the step-scaling policy and the
NoCapacityInvocationFailures alarm AWS needs to scale out from zero copies, managed instance scaling down to
0 instances, scheduled actions, and their removal (apply, prune, destroy) before the component and endpoint
go, checked with the sandbox's record of writes. Every CLI write is audited against its plan (``cli``)."""

from __future__ import annotations

import json

from tests.support import audit
from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: e2e}\n"
ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: llm-exec}
spec: {assumedBy: [sagemaker.amazonaws.com]}
"""
ENDPOINT = """
apiVersion: reconciler/v1
kind: Endpoint
metadata: {name: twin}
spec:
  type: inference-component-based
  executionRole: llm-exec
  model:
    image: {huggingfaceLlm: {version: "2.2.0"}}
    environment: {HF_MODEL_ID: mlabonne/TwinLlama-3.1-8B-DPO}
  instance: {type: ml.g5.12xlarge, count: 1, managedScaling: {minCount: 0, maxCount: 2}}
  inferenceComponent: {copies: 1, acceleratorDevices: 1, memoryMb: 8192}
"""
SCALING = """  autoscaling:
    minCount: 0
    maxCount: 4
    target: {metric: invocationsPerCopy, value: 4}
"""
SCHEDULE = """    schedule:
      - {name: office-hours, expression: "cron(0 8 ? * MON-FRI *)", timezone: Europe/Berlin, minCount: 1}
      - {name: evenings, expression: "cron(0 19 ? * MON-FRI *)", timezone: Europe/Berlin, minCount: 0}
"""
RID, DIM = "inference-component/twin-ic", "sagemaker:inference-component:DesiredCopyCount"
ALARM = "reconciler-scale-from-zero-twin-ic"
STEP = "reconciler-scale-from-zero"
FOREIGN = "reconciler-scale-from-zero-twin-ic-by-hand"  # a similar name, not this stack's


def files(endpoint: str) -> dict[str, str]:
    return {"stack.yaml": STACK, "iam.yaml": ROLE, "endpoint.yaml": endpoint}


def fast(cli, moto_server) -> None:  # type: ignore[no-untyped-def]
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"


def step_of(cli, m, kind: str = "Endpoint") -> dict:  # type: ignore[no-untyped-def]
    r = cli("plan", str(m), "--format", "json")
    assert r.code == 0, r.text
    return next(s for s in json.loads(r.out)["steps"] if s["kind"] == kind)


def alarms(boto) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """The alarms apart from the ones a target-tracking policy owns (AWS makes and deletes those with it)."""
    return {a["AlarmName"]: a for a in boto("cloudwatch").describe_alarms()["MetricAlarms"]
            if not a["AlarmName"].startswith("TargetTracking-")}


def policies(boto) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {p["PolicyName"]: p for p in boto("application-autoscaling").describe_scaling_policies(
        ServiceNamespace="sagemaker")["ScalingPolicies"]}


def scheduled(boto) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {a["ScheduledActionName"]: a for a in boto("application-autoscaling").describe_scheduled_actions(
        ServiceNamespace="sagemaker")["ScheduledActions"]}


def foreign_alarm(boto) -> None:  # type: ignore[no-untyped-def]
    boto("cloudwatch").put_metric_alarm(
        AlarmName=FOREIGN, Namespace="AWS/SageMaker", MetricName="NoCapacityInvocationFailures", Statistic="Maximum",
        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
        Dimensions=[{"Name": "InferenceComponentName", "Value": "twin-ic"}], Tags=[{"Key": "team", "Value": "ops"}])


def writes_since(moto_server, since: int) -> list[str]:  # type: ignore[no-untyped-def]
    records, _ = audit.fetch(moto_server.url, since)
    return [r["operation"] for r in records if r.get("class") == "write" and r.get("status", 500) < 300
            and r.get("service") != "dynamodb"]


def test_scale_to_zero_plans_applies_and_is_removed_by_apply_and_by_prune(cli, boto, moto_server, tmp_path):
    fast(cli, moto_server)
    m = write(tmp_path / "m", files(ENDPOINT + SCALING))
    step = step_of(cli, m)
    ops = [(o["service"], o["action"], o["target"]) for o in step["operations"]]
    assert ops[-4:] == [("application-autoscaling", "RegisterScalableTarget", RID),
                        ("application-autoscaling", "PutScalingPolicy", f"{RID}/reconciler-target-tracking"),
                        ("application-autoscaling", "PutScalingPolicy", f"{RID}/{STEP}"),
                        ("cloudwatch", "PutMetricAlarm", ALARM)], ops
    assert step["desired"]["autoscaling"]["scaleFromZero"] == {"stepPolicy": STEP, "alarm": ALARM}
    r = cli("plan", str(m))
    assert "PutMetricAlarm" in r.out and ALARM in r.out, r.out
    assert cli("apply", str(m), "--auto-approve").code == 0

    # what AWS needs to scale out from zero copies, and instances allowed to reach 0
    step_policy = policies(boto)[STEP]
    assert step_policy["PolicyType"] == "StepScaling" and step_policy["ResourceId"] == RID
    assert step_policy["StepScalingPolicyConfiguration"]["AdjustmentType"] == "ChangeInCapacity"
    assert [s["ScalingAdjustment"] for s in step_policy["StepScalingPolicyConfiguration"]["StepAdjustments"]] == [1]
    alarm = alarms(boto)[ALARM]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SageMaker", "NoCapacityInvocationFailures")
    assert alarm["Dimensions"] == [{"Name": "InferenceComponentName", "Value": "twin-ic"}]
    assert alarm["AlarmActions"] == [step_policy["PolicyARN"]]
    tags = {t["Key"]: t["Value"] for t in boto("cloudwatch").list_tags_for_resource(
        ResourceARN=alarm["AlarmArn"])["Tags"]}
    assert tags["reconciler:stack"] == "e2e" and tags["reconciler:managed-by"] == "reconciler", tags
    sm = boto("sagemaker")
    cfg = sm.describe_endpoint_config(EndpointConfigName=sm.describe_endpoint(EndpointName="twin")["EndpointConfigName"])
    assert cfg["ProductionVariants"][0]["ManagedInstanceScaling"]["MinInstanceCount"] == 0
    [t] = boto("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (t["MinCapacity"], t["MaxCapacity"]) == (0, 4)
    assert cli("plan", str(m), "--detailed-exitcode").code == 0  # no changes
    assert cli("apply", str(m), "--auto-approve").code == 0 and alarms(boto)[ALARM]["AlarmActions"] == alarm["AlarmActions"]

    # someone's own alarm with a similar name is never touched, whatever reconcile removes
    foreign_alarm(boto)
    assert cli("plan", str(m), "--detailed-exitcode").code == 0

    # the autoscaling block removed: plain apply deletes the alarm, then deregisters (policies go with it)
    write(m, files(ENDPOINT))
    step = step_of(cli, m)
    assert [(o["action"], o["target"]) for o in step["operations"]] == [("DeleteAlarms", ALARM),
                                                                         ("DeregisterScalableTarget", RID)]
    _, since = audit.fetch(moto_server.url)
    assert cli("apply", str(m), "--auto-approve").code == 0
    assert writes_since(moto_server, since) == ["DeleteAlarms", "DeregisterScalableTarget"]
    assert set(alarms(boto)) == {FOREIGN} and policies(boto) == {}
    assert cli("plan", str(m), "--detailed-exitcode").code == 0

    # back again, then the endpoint removed: prune deletes alarm, target, component, endpoint, in that order
    write(m, files(ENDPOINT + SCALING))
    assert cli("apply", str(m), "--auto-approve").code == 0 and ALARM in alarms(boto)
    (m / "endpoint.yaml").unlink()
    _, since = audit.fetch(moto_server.url)
    assert cli("prune", str(m), "--auto-approve").code == 0
    ops = writes_since(moto_server, since)
    assert ops.index("DeleteAlarms") < ops.index("DeregisterScalableTarget") < ops.index("DeleteInferenceComponent") \
        < ops.index("DeleteEndpoint"), ops
    assert set(alarms(boto)) == {FOREIGN} and policies(boto) == {}
    assert boto("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []


def test_scale_to_zero_dropped_keeps_the_target_and_destroy_deletes_the_alarm_first(cli, boto, moto_server, tmp_path):
    fast(cli, moto_server)
    m = write(tmp_path / "m", files(ENDPOINT + SCALING))
    assert cli("apply", str(m), "--auto-approve").code == 0
    foreign_alarm(boto)

    # minCount 0 -> 1: the target's range changes, the step policy and its alarm go; the endpoint is untouched
    write(m, files(ENDPOINT + SCALING.replace("minCount: 0", "minCount: 1")))
    step = step_of(cli, m)
    assert [(o["action"], o["target"]) for o in step["operations"]] == [
        ("DeleteAlarms", ALARM), ("RegisterScalableTarget", RID), ("DeleteScalingPolicy", f"{RID}/{STEP}")]
    assert cli("apply", str(m), "--auto-approve").code == 0
    assert set(policies(boto)) == {"reconciler-target-tracking"} and set(alarms(boto)) == {FOREIGN}
    assert cli("plan", str(m), "--detailed-exitcode").code == 0

    # and back to zero, with a schedule; destroy: alarm, target (its policies and scheduled actions with it),
    # component, endpoint, in that order; the foreign alarm stays
    write(m, files(ENDPOINT + SCALING + SCHEDULE))
    assert cli("apply", str(m), "--auto-approve").code == 0 and ALARM in alarms(boto) and len(scheduled(boto)) == 2
    _, since = audit.fetch(moto_server.url)
    assert cli("destroy", str(m), "--auto-approve").code == 0
    ops = writes_since(moto_server, since)
    assert ops.index("DeleteAlarms") < ops.index("DeregisterScalableTarget") < ops.index("DeleteInferenceComponent") \
        < ops.index("DeleteEndpoint"), ops
    assert set(alarms(boto)) == {FOREIGN} and scheduled(boto) == {} and policies(boto) == {}


def test_an_alarm_of_the_derived_name_that_is_not_ours_is_a_conflict(cli, boto, moto_server, tmp_path):
    fast(cli, moto_server)
    m = write(tmp_path / "m", files(ENDPOINT + SCALING.replace("minCount: 0", "minCount: 1")))
    assert cli("apply", str(m), "--auto-approve").code == 0
    boto("cloudwatch").put_metric_alarm(
        AlarmName=ALARM, Namespace="AWS/SageMaker", MetricName="NoCapacityInvocationFailures", Statistic="Maximum",
        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    write(m, files(ENDPOINT + SCALING))
    r = cli("plan", str(m))
    assert ALARM in r.text and "not owned by this stack" in r.text, r.text
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 1 and "not owned by this stack" in r.text, r.text
    assert alarms(boto)[ALARM]["Period"] == 60 and STEP not in policies(boto)  # untouched, nothing put


def test_scheduled_actions_are_added_changed_and_removed(cli, boto, moto_server, tmp_path):
    fast(cli, moto_server)
    m = write(tmp_path / "m", files(ENDPOINT + SCALING + SCHEDULE))
    step = step_of(cli, m)
    puts = [o["target"] for o in step["operations"] if o["action"] == "PutScheduledAction"]
    assert puts == [f"{RID}/reconciler-evenings", f"{RID}/reconciler-office-hours"], step["operations"]
    assert cli("apply", str(m), "--auto-approve").code == 0
    have = scheduled(boto)
    assert set(have) == {"reconciler-office-hours", "reconciler-evenings"}
    office = have["reconciler-office-hours"]
    assert (office["Schedule"], office["Timezone"], office["ResourceId"], office["ScalableDimension"]) == (
        "cron(0 8 ? * MON-FRI *)", "Europe/Berlin", RID, DIM)
    assert office["ScalableTargetAction"] == {"MinCapacity": 1}
    assert cli("plan", str(m), "--detailed-exitcode").code == 0

    # someone else's scheduled action on the same target is not reconcile's: never changed or deleted
    boto("application-autoscaling").put_scheduled_action(
        ServiceNamespace="sagemaker", ScheduledActionName="by-hand", ResourceId=RID, ScalableDimension=DIM,
        Schedule="rate(1 day)", ScalableTargetAction={"MaxCapacity": 3})
    assert cli("plan", str(m), "--detailed-exitcode").code == 0

    # office hours start at 9 and keep 2 copies; evenings removed
    changed = SCHEDULE.replace("cron(0 8 ?", "cron(0 9 ?").replace("minCount: 1}", "minCount: 2, maxCount: 4}")
    changed = "\n".join(line for line in changed.splitlines() if "evenings" not in line) + "\n"
    write(m, files(ENDPOINT + SCALING + changed))
    step = step_of(cli, m)
    assert [(o["action"], o["target"]) for o in step["operations"]] == [
        ("DeleteScheduledAction", f"{RID}/reconciler-evenings"),
        ("PutScheduledAction", f"{RID}/reconciler-office-hours")], step["operations"]
    assert any(c["path"].startswith("autoscaling.schedule") for c in step["changes"]), step["changes"]
    assert cli("apply", str(m), "--auto-approve").code == 0
    have = scheduled(boto)
    assert set(have) == {"reconciler-office-hours", "by-hand"}
    assert have["reconciler-office-hours"]["Schedule"] == "cron(0 9 ? * MON-FRI *)"
    assert have["reconciler-office-hours"]["ScalableTargetAction"] == {"MinCapacity": 2, "MaxCapacity": 4}
    assert cli("plan", str(m), "--detailed-exitcode").code == 0

    # the schedule removed: its actions go, the target and policies stay
    write(m, files(ENDPOINT + SCALING))
    step = step_of(cli, m)
    assert [(o["action"], o["target"]) for o in step["operations"]] == [
        ("DeleteScheduledAction", f"{RID}/reconciler-office-hours")]
    assert cli("apply", str(m), "--auto-approve").code == 0
    assert set(scheduled(boto)) == {"by-hand"} and ALARM in alarms(boto)
    assert cli("plan", str(m), "--detailed-exitcode").code == 0


def test_validate_refuses_scale_to_zero_on_a_model_based_endpoint_and_a_bad_schedule(cli, tmp_path):
    model_based = ENDPOINT.replace("type: inference-component-based", "type: model-based").replace(
        ", managedScaling: {minCount: 0, maxCount: 2}", "").replace(
        "  inferenceComponent: {copies: 1, acceleratorDevices: 1, memoryMb: 8192}\n", "")
    m = write(tmp_path / "a", files(model_based + SCALING.replace("invocationsPerCopy", "invocationsPerInstance")))
    r = cli("validate", str(m))
    assert r.code == 1 and "endpoint.yaml:" in r.err and "spec.autoscaling.minCount" in r.err, r.text
    assert "scale to zero (minCount 0) exists only for inference-component-based endpoints" in r.err
    bad = SCHEDULE.replace("cron(0 8 ? * MON-FRI *)", "cron(0 8 * * MON-FRI *)")
    m = write(tmp_path / "b", files(ENDPOINT + SCALING + bad))
    r = cli("validate", str(m))
    assert r.code == 1 and "spec.autoscaling.schedule.0.expression" in r.err, r.text
    assert "'?' in exactly one of day-of-month and day-of-week" in r.err
