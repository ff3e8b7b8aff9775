"""Autoscaling of a ``kind: InferenceComponent``'s copies through the CLI (issues 13 and 19): two components
on one endpoint, one scaled 1..3; the plan shows the scaling calls, an autoscaler's move survives an
unrelated update and is no drift, removing the block deregisters, destroy deregisters before the delete."""

from __future__ import annotations

import json

from tests.e2e.test_inference_components_e2e import _fast, component, files
from tests.support import audit
from tests.support.manifests import write

SCALING = """
      autoscaling:
        minCount: 1
        maxCount: 3
        target: {metric: invocationsPerCopy, value: 4}
        scaleInCooldownSeconds: 600
    """
RID = "inference-component/twinllama"


def scaled(text: str) -> str:
    return text.rstrip() + SCALING


def test_component_autoscaling_keeps_the_autoscalers_copies_and_deregisters_first(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    aas, sm = boto("application-autoscaling"), boto("sagemaker")
    twin = scaled(component("twinllama", "mlabonne/TwinLlama-3.1-8B-DPO", gpus=1))
    m = write(tmp_path / "m", files(twin=twin, small=component("small-instruct", "Qwen/Qwen2.5-1.5B-Instruct", gpus=1)))
    assert cli("validate", str(m)).code == 0

    r = cli("plan", str(m), "--format", "json")
    steps = {s["name"]: s for s in json.loads(r.out)["steps"] if s["kind"] == "InferenceComponent"}
    actions = [o["action"] for o in steps["twinllama"]["operations"]]
    assert actions.index("CreateInferenceComponent") < actions.index("RegisterScalableTarget") \
        < actions.index("PutScalingPolicy"), actions
    assert steps["twinllama"]["desired"]["autoscaling"]["maxCount"] == 3
    assert not any(o["service"] == "application-autoscaling" for o in steps["small-instruct"]["operations"])
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    [t] = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (t["ResourceId"], t["ScalableDimension"], t["MinCapacity"], t["MaxCapacity"]) == (
        RID, "sagemaker:inference-component:DesiredCopyCount", 1, 3)
    [p] = aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=RID)["ScalingPolicies"]
    assert p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]["PredefinedMetricType"] \
        == "SageMakerInferenceComponentInvocationsPerCopy"
    assert cli("plan", str(m), "--detailed-exitcode").code == 0

    # the autoscaler takes the component to 3 copies: no drift; an unrelated update keeps the 3 copies
    moto_server.post("/reconcile-sandbox/sagemaker/autoscaler", {"component": "twinllama", "copies": 3})
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text
    (m / "twin.yaml").write_text((m / "twin.yaml").read_text().replace(
        "HF_MODEL_ID: mlabonne/TwinLlama-3.1-8B-DPO", "HF_MODEL_ID: mlabonne/TwinLlama-3.1-8B-DPO, MAX_TOTAL_TOKENS: '4096'"))
    r = cli("plan", str(m), "--out", str(tmp_path / "plan.json"))
    assert r.code == 0 and "UpdateInferenceComponent " in r.out and "RuntimeConfig" not in r.out, r.text
    r = cli("apply", str(tmp_path / "plan.json"), "--auto-approve")
    assert r.code == 0, r.text
    ic = sm.describe_inference_component(InferenceComponentName="twinllama")
    assert ic["RuntimeConfig"]["DesiredCopyCount"] == 3
    model = sm.describe_model(ModelName=ic["Specification"]["ModelName"])
    assert model["PrimaryContainer"]["Environment"]["MAX_TOTAL_TOKENS"] == "4096"
    assert cli("plan", str(m), "--detailed-exitcode").code == 0

    # the autoscaling block removed: the target is deregistered (its policy goes with it); copies as declared
    (m / "twin.yaml").write_text((m / "twin.yaml").read_text().split("autoscaling:")[0])
    r = cli("plan", str(m), "--format", "json")
    step = next(s for s in json.loads(r.out)["steps"] if s["name"] == "twinllama")
    assert [o["action"] for o in step["operations"]][0] == "DeregisterScalableTarget", step["operations"]
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert sm.describe_inference_component(InferenceComponentName="twinllama")["RuntimeConfig"]["DesiredCopyCount"] == 1
    assert cli("plan", str(m), "--detailed-exitcode").code == 0

    # scaling again, then destroy: deregistered before DeleteInferenceComponent (the sandbox's record)
    (m / "twin.yaml").write_text(twin.replace("\n    ", "\n"))
    assert cli("apply", str(m), "--auto-approve").code == 0
    assert len(aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]) == 1
    _, since = audit.fetch(moto_server.url)
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    records, _ = audit.fetch(moto_server.url, since)
    writes = [(rec["operation"], json.dumps(rec.get("ids", {}))) for rec in records if rec.get("class") == "write"]
    ops = [o for o, _ in writes]
    dereg = ops.index("DeregisterScalableTarget")
    deletes = [i for i, (o, ids) in enumerate(writes) if o == "DeleteInferenceComponent" and "twinllama" in ids]
    assert deletes and dereg < deletes[0] < ops.index("DeleteEndpoint"), writes
    assert aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []


def test_component_autoscaling_is_checked_at_validate(cli, tmp_path):
    bad = scaled(component("twinllama", "org/a", gpus=1, copies=5)).replace("invocationsPerCopy", "invocationsPerInstance")
    m = write(tmp_path / "m", files(twin=bad))
    r = cli("validate", str(m))
    assert r.code == 1, r.text
    assert "invocationsPerInstance is a metric of model-based endpoints" in r.text, r.text
    assert "the initial count 5 must lie within autoscaling minCount..maxCount (1..3)" in r.text, r.text
    m2 = write(tmp_path / "m2", files(twin=scaled(component("twinllama", "org/a", gpus=1)).replace(
        "minCount: 1", "minCount: 4")))
    r = cli("validate", str(m2))
    assert r.code == 1 and "minCount must be at most maxCount" in r.text, r.text


def test_component_scale_to_zero_puts_and_removes_its_alarm_and_refuses_a_foreign_one(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    aas, cw = boto("application-autoscaling"), boto("cloudwatch")
    alarm = "reconciler-scale-from-zero-twinllama"
    m = write(tmp_path / "m", files(twin=component("twinllama", "org/a", gpus=1)))
    assert cli("apply", str(m), "--auto-approve").code == 0
    # someone else's alarm under the derived name: the update that would put it is refused before any write
    cw.put_metric_alarm(AlarmName=alarm, Namespace="AWS/SageMaker", MetricName="NoCapacityInvocationFailures",
                        Statistic="Maximum", Period=30, EvaluationPeriods=1, Threshold=1.0,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    zero = scaled(component("twinllama", "org/a", gpus=1)).replace("minCount: 1", "minCount: 0")
    (m / "twin.yaml").write_text(zero.replace("\n    ", "\n").lstrip())
    r = cli("plan", str(m))
    assert r.code == 1 and f"the CloudWatch alarm {alarm} that scale to zero needs exists but is not owned" in r.text, r.text
    assert aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []

    cw.delete_alarms(AlarmNames=[alarm])
    r = cli("plan", str(m), "--format", "json")
    step = next(s for s in json.loads(r.out)["steps"] if s["name"] == "twinllama")
    assert [o["action"] for o in step["operations"]] == ["RegisterScalableTarget", "PutScalingPolicy",
                                                         "PutScalingPolicy", "PutMetricAlarm"], step["operations"]
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    [a] = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    policies = aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=RID)["ScalingPolicies"]
    assert a["AlarmActions"] == [p["PolicyARN"] for p in policies if p["PolicyType"] == "StepScaling"]
    tags = {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"]}
    assert tags["reconciler:stack"] == "e2e" and tags["reconciler:inference-component"] == "twinllama"
    assert cli("plan", str(m), "--detailed-exitcode").code == 0

    _, since = audit.fetch(moto_server.url)
    assert cli("destroy", str(m), "--auto-approve").code == 0
    records, _ = audit.fetch(moto_server.url, since)
    ops = [rec["operation"] for rec in records if rec.get("class") == "write"]
    assert ops.index("DeleteAlarms") < ops.index("DeregisterScalableTarget") < ops.index("DeleteInferenceComponent"), ops
    assert cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"] == []
