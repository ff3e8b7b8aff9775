"""Several models on one endpoint through the CLI: two InferenceComponent documents planned, applied
(each smoke-tested), invoked separately, one removed and pruned (only it and its model); the sandbox
places copies on the instances, scales out within managedScaling and fails a component that cannot fit."""

from __future__ import annotations

import json

from tests.support.manifests import write

ENDPOINT = """
    apiVersion: reconciler/v1
    kind: Endpoint
    metadata: {name: shared}
    spec:
      type: inference-component-based
      executionRole: llm-exec
      instance: {type: ml.g5.12xlarge, count: 1, managedScaling: {minCount: 1, maxCount: 2}}
    """


def component(name: str, model_id: str, gpus: int = 2, copies: int = 1) -> str:
    return f"""
    apiVersion: reconciler/v1
    kind: InferenceComponent
    metadata: {{name: {name}}}
    spec:
      endpoint: shared
      model:
        image: {{huggingfaceLlm: {{version: "2.2.0"}}}}
        environment: {{HF_MODEL_ID: {model_id}}}
      acceleratorDevices: {gpus}
      memoryMb: 16384
      copies: {copies}
      smokeTest: {{inputs: hi, parameters: {{max_new_tokens: 4}}, expect: {model_id}}}
    """


def files(**components: str) -> dict[str, str]:
    return {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: e2e}\n",
            "iam.yaml": "apiVersion: reconciler/v1\nkind: Role\nmetadata: {name: llm-exec}\n"
                        "spec: {assumedBy: [sagemaker.amazonaws.com]}\n",
            "endpoint.yaml": ENDPOINT, **{f"{k}.yaml": v for k, v in components.items()}}


def _fast(cli, moto_server) -> None:  # type: ignore[no-untyped-def]
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.3, "update_seconds": 0.3, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"


def test_two_components_planned_applied_invoked_and_one_pruned(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    m = write(tmp_path / "m", files(twin=component("twinllama", "mlabonne/TwinLlama-3.1-8B-DPO"),
                                    small=component("small-instruct", "Qwen/Qwen2.5-1.5B-Instruct", gpus=1)))
    r = cli("validate", str(m))
    assert r.code == 0, r.text
    r = cli("plan", str(m), "--format", "json")
    assert r.code == 2 or r.code == 0, r.text
    kinds = [(s["kind"], s["name"], s["action"]) for s in json.loads(r.out)["steps"]]
    assert ("InferenceComponent", "twinllama", "create") in kinds and ("Endpoint", "shared", "create") in kinds
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "InferenceComponent/twinllama: smoke test passed" in r.err
    assert "InferenceComponent/small-instruct: smoke test passed" in r.err
    assert "InferenceComponent/twinllama: CreateInferenceComponent twinllama (1 copy of twinllama-" in r.err and "1 copies" not in r.err, r.err

    for name, model_id in (("twinllama", "mlabonne/TwinLlama-3.1-8B-DPO"), ("small-instruct", "Qwen/Qwen2.5-1.5B-Instruct")):
        r = cli("invoke", "shared", "--inference-component", name, "--prompt", "hi", "--max-new-tokens", "8")
        assert r.code == 0, r.text
        assert model_id in r.out, r.out

    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text

    sm = boto("sagemaker")
    small_model = sm.describe_inference_component(InferenceComponentName="small-instruct")["Specification"]["ModelName"]
    twin_model = sm.describe_inference_component(InferenceComponentName="twinllama")["Specification"]["ModelName"]
    (m / "small.yaml").unlink()
    r = cli("apply", str(m), "--prune", "--auto-approve")
    assert r.code == 0, r.text
    names = {c["InferenceComponentName"] for c in sm.list_inference_components()["InferenceComponents"]}
    models = {x["ModelName"] for x in sm.list_models()["Models"]}
    assert names == {"twinllama"} and small_model not in models and twin_model in models
    assert sm.describe_endpoint(EndpointName="shared")["EndpointStatus"] == "InService"

    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert sm.list_inference_components()["InferenceComponents"] == [] and sm.list_models()["Models"] == []


def test_capacity_overflow_is_refused_at_validate_before_any_call(cli, tmp_path):
    m = write(tmp_path / "m", files(a=component("a", "org/a", gpus=4, copies=2), b=component("b", "org/b", gpus=1)))
    r = cli("validate", str(m))
    assert r.code == 1
    assert "cannot all fit: 1 accelerator(s) too many (9 asked, 4 x 2 instance(s))" in r.text, r.text


def test_sandbox_scales_out_within_managed_scaling_and_fails_beyond(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    sm = boto("sagemaker")
    m = write(tmp_path / "m", files(a=component("a", "org/a", gpus=4)))
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    variant = sm.describe_endpoint(EndpointName="shared")["ProductionVariants"][0]
    assert variant["CurrentInstanceCount"] == 1
    # a second component needs a second instance: managed instance scaling adds it
    (m / "b.yaml").write_text(component("b", "org/b", gpus=2).replace("\n    ", "\n"))
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert sm.describe_endpoint(EndpointName="shared")["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    # a hand-made third one does not fit even on 2 instances: SageMaker fails it with a FailureReason
    model = sm.describe_inference_component(InferenceComponentName="b")["Specification"]["ModelName"]
    sm.create_inference_component(InferenceComponentName="c", EndpointName="shared", VariantName="AllTraffic",
                                  Specification={"ModelName": model, "ComputeResourceRequirements": {
                                      "MinMemoryRequiredInMb": 1024, "NumberOfAcceleratorDevicesRequired": 3}},
                                  RuntimeConfig={"CopyCount": 1})
    import time

    for _ in range(100):
        d = sm.describe_inference_component(InferenceComponentName="c")
        if d["InferenceComponentStatus"] != "Creating":
            break
        time.sleep(0.05)
    assert d["InferenceComponentStatus"] == "Failed" and "Unable to place inference component c" in d["FailureReason"]
