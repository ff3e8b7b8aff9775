"""Autoscaling through the CLI (issue 13): the plan shows the scaling calls, an autoscaler's move in the
sandbox survives an unrelated update, and prune deregisters the scaling before deleting the endpoint."""

from __future__ import annotations

import json

from tests.support import audit
from tests.support.manifests import LLM_EXEC_ROLE, write

FILES = {
    "stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: e2e}\n",
    "iam.yaml": LLM_EXEC_ROLE,
    "endpoint.yaml": """
        apiVersion: reconciler/v1
        kind: Endpoint
        metadata: {name: twin}
        spec:
          type: inference-component-based
          executionRole: llm-exec
          model:
            image: {huggingfaceLlm: {version: "2.2.0"}}
            environment: {HF_MODEL_ID: mlabonne/TwinLlama-3.1-8B-DPO}
          instance: {type: ml.g5.12xlarge, count: 1, managedScaling: {minCount: 1, maxCount: 2}}
          inferenceComponent: {copies: 1, acceleratorDevices: 1, memoryMb: 8192}
          autoscaling:
            minCount: 0
            maxCount: 4
            target: {metric: invocationsPerCopy, value: 4}
            scaleInCooldownSeconds: 600
        """,
}
RID = "inference-component/twin-ic"


def test_autoscaler_move_survives_an_unrelated_update_and_prune_deregisters_first(cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.3, "update_seconds": 0.3, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    aas, sm = boto("application-autoscaling"), boto("sagemaker")
    m = write(tmp_path / "m", FILES)

    r = cli("plan", str(m), "--format", "json")
    step = next(s for s in json.loads(r.out)["steps"] if s["kind"] == "Endpoint")
    assert [o["action"] for o in step["operations"]][-4:] == ["RegisterScalableTarget", "PutScalingPolicy",
                                                              "PutScalingPolicy", "PutMetricAlarm"]  # (minCount 0)
    assert step["desired"]["autoscaling"]["minCount"] == 0
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    [t] = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) == (RID, 0, 4)
    assert cli("plan", str(m), "--detailed-exitcode").code == 0

    # the autoscaler scales the component out; plan shows no drift; an unrelated change keeps the copies
    moto_server.post("/reconcile-sandbox/sagemaker/autoscaler", {"component": "twin-ic", "copies": 3})
    assert cli("plan", str(m), "--detailed-exitcode").code == 0
    (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text().replace("memoryMb: 8192", "memoryMb: 12288"))
    r = cli("plan", str(m), "--out", str(tmp_path / "plan.json"))
    assert r.code == 0 and "UpdateInferenceComponent" in r.out, r.text
    r = cli("apply", str(tmp_path / "plan.json"), "--auto-approve")
    assert r.code == 0, r.text
    ic = sm.describe_inference_component(InferenceComponentName="twin-ic")
    assert ic["RuntimeConfig"]["DesiredCopyCount"] == 3
    assert ic["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 12288

    # prune: the scalable target goes first (its policies with it), then the component and the endpoint
    (m / "endpoint.yaml").unlink()
    _, since = audit.fetch(moto_server.url)
    r = cli("prune", str(m), "--auto-approve")
    assert r.code == 0, r.text
    records, _ = audit.fetch(moto_server.url, since)  # the sandbox's record of the writes, in order
    ops = [rec["operation"] for rec in records if rec.get("class") == "write"]
    assert ops.index("DeregisterScalableTarget") < ops.index("DeleteInferenceComponent") < ops.index("DeleteEndpoint"), ops
    assert aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
