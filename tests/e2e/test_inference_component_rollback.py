"""`reconcile rollback ENDPOINT --inference-component NAME`: one InferenceComponent back to the model it ran
before its last model update (the rollback point tagged on the component itself), and forward again.

Every command runs under the write audit: rollback may write only to that component (tests/support/audit.py).
"""

from __future__ import annotations

import json
import time

from tests.support.manifests import write

PREV = "reconciler:previous-model"

ENDPOINT = """
    apiVersion: reconciler/v1
    kind: Endpoint
    metadata: {name: shared}
    spec:
      type: inference-component-based
      executionRole: llm-exec
      instance: {type: ml.g5.12xlarge, count: 1}
    """


def component(model_id: str) -> str:
    return f"""
    apiVersion: reconciler/v1
    kind: InferenceComponent
    metadata: {{name: chat}}
    spec:
      endpoint: shared
      model:
        image: {{huggingfaceLlm: {{version: "2.2.0"}}}}
        environment: {{HF_MODEL_ID: {model_id}}}
      acceleratorDevices: 1
      memoryMb: 8192
      copies: 1
      smokeTest: {{inputs: hi, parameters: {{max_new_tokens: 4}}, expect: {model_id}}}
    """


FILES = {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: icrb}\n",
         "iam.yaml": "apiVersion: reconciler/v1\nkind: Role\nmetadata: {name: llm-exec}\n"
                     "spec: {assumedBy: [sagemaker.amazonaws.com]}\n",
         "endpoint.yaml": ENDPOINT, "chat.yaml": component("org/chat-v1")}


def _writes(cli) -> list[dict]:  # type: ignore[no-untyped-def]
    """The AWS writes of the last command (the lock's aside)."""
    from tests.support import audit

    return [r for r in audit.current().latest_writes() if r.get("service") != "dynamodb"]


def _ic(sm) -> dict:  # type: ignore[no-untyped-def]
    return sm.describe_inference_component(InferenceComponentName="chat")


def _tags(sm, arn: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}


def _settle(sm, name: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(200):
        if sm.describe_inference_component(InferenceComponentName=name)["InferenceComponentStatus"] == "InService":
            return
        time.sleep(0.05)


def _models(sm) -> set[str]:  # type: ignore[no-untyped-def]
    return {m["ModelName"] for m in sm.list_models()["Models"]}


def test_component_rolls_back_to_its_previous_model_and_forward_again(cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    m = write(tmp_path / "m", FILES)
    sm = boto("sagemaker")
    assert cli("apply", str(m), "--auto-approve").code == 0
    v1 = _ic(sm)["Specification"]["ModelName"]

    r = cli("rollback", "shared", "--inference-component", "chat", "--auto-approve", "-f", str(m))
    assert r.code == 1 and "no previous model is recorded" in r.err, r.text
    assert _writes(cli) == []
    r = cli("rollback", "shared", "--auto-approve", "-f", str(m))  # (the endpoint itself: says how)
    assert r.code == 1 and "give --inference-component NAME (chat)" in r.err, r.text

    # a model update keeps the model it left as the component's rollback point (tagged on the component)
    (m / "chat.yaml").write_text(component("org/chat-v2").replace("\n    ", "\n"))
    r = cli("plan", str(m), "--format", "json")
    step = next(s for s in json.loads(r.out)["steps"] if s["kind"] == "InferenceComponent")
    ops = [(o["action"], o["target"]) for o in step["operations"]]
    assert ("AddTags", "chat") in ops and not any(a == "DeleteModel" for a, _ in ops), ops
    assert cli("apply", str(m), "--auto-approve").code == 0
    ic = _ic(sm)
    v2 = ic["Specification"]["ModelName"]
    assert v2 != v1 and _models(sm) == {v1, v2}
    assert _tags(sm, ic["InferenceComponentArn"])[PREV] == v1
    assert cli("plan", str(m), "--detailed-exitcode").code == 0  # (the record is no drift)

    # an autoscaler (here: by hand) moved the copies: the rollback keeps its count
    sm.update_inference_component_runtime_config(InferenceComponentName="chat", DesiredRuntimeConfig={"CopyCount": 2})
    _settle(sm, "chat")

    # no terminal: the from/to is shown, then it refuses to go on without --auto-approve
    r = cli("rollback", "shared", "--inference-component", "chat", "-f", str(m))
    assert r.code == 1 and "pass --auto-approve" in r.err, r.text
    assert f"from (serving now): model {v2}" in r.out and f"to (ran before):    model {v1}" in r.out, r.out
    assert "HF_MODEL_ID org/chat-v2" in r.out and "HF_MODEL_ID org/chat-v1" in r.out
    assert _writes(cli) == [] and _ic(sm)["Specification"]["ModelName"] == v2

    r = cli("rollback", "shared", "--inference-component", "chat", "--auto-approve", "-f", str(m))
    assert r.code == 0, r.text
    assert f"Rolled back InferenceComponent/chat: model {v2} -> {v1}" in r.out
    ic = _ic(sm)
    assert ic["InferenceComponentStatus"] == "InService" and ic["Specification"]["ModelName"] == v1
    assert ic["RuntimeConfig"]["DesiredCopyCount"] == 2
    assert ic["Specification"]["ComputeResourceRequirements"]["NumberOfAcceleratorDevicesRequired"] == 1
    assert _tags(sm, ic["InferenceComponentArn"])[PREV] == v2  # swapped: the next rollback goes forward
    r = cli("invoke", "shared", "--inference-component", "chat", "--prompt", "hi", "-f", str(m))
    assert r.code == 0 and "org/chat-v1" in r.out, r.text

    # the manifest still says v2: plan shows the update back honestly (v2 exists: no CreateModel, nothing deleted)
    r = cli("plan", str(m), "--format", "json")
    step = next(s for s in json.loads(r.out)["steps"] if s["kind"] == "InferenceComponent")
    ops = [(o["action"], o["target"]) for o in step["operations"]]
    assert step["action"] == "update" and ("UpdateInferenceComponent", "chat") in ops, step
    assert not any(a in ("CreateModel", "DeleteModel") for a, _ in ops), ops

    # a second rollback goes forward again, a third back
    r = cli("rollback", "shared", "--inference-component", "chat", "--auto-approve", "-f", str(m))
    assert r.code == 0 and f"model {v1} -> {v2}" in r.out, r.text
    assert _ic(sm)["Specification"]["ModelName"] == v2
    r = cli("rollback", "shared", "--inference-component", "chat", "--auto-approve", "-f", str(m))
    assert r.code == 0 and f"model {v2} -> {v1}" in r.out, r.text

    # apply rolls forward to what the manifest says, reusing v2; then nothing is left to do
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    ic = _ic(sm)
    assert ic["Specification"]["ModelName"] == v2 and _tags(sm, ic["InferenceComponentArn"])[PREV] == v1
    assert _models(sm) == {v1, v2}
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text

    # a third model: the one before last is no longer kept (planned), the last one is
    (m / "chat.yaml").write_text(component("org/chat-v3").replace("\n    ", "\n"))
    r = cli("plan", str(m), "--format", "json")
    step = next(s for s in json.loads(r.out)["steps"] if s["kind"] == "InferenceComponent")
    assert ("DeleteModel", v1) in [(o["action"], o["target"]) for o in step["operations"]], step
    assert cli("apply", str(m), "--auto-approve").code == 0
    v3 = _ic(sm)["Specification"]["ModelName"]
    assert _models(sm) == {v2, v3} and _tags(sm, _ic(sm)["InferenceComponentArn"])[PREV] == v2

    # prune deletes the component with its model and the one kept for rollback
    (m / "chat.yaml").unlink()
    r = cli("apply", str(m), "--prune", "--auto-approve")
    assert r.code == 0, r.text
    assert sm.list_inference_components()["InferenceComponents"] == [] and _models(sm) == set()


def test_rollback_refuses_without_writing_what_it_cannot_roll_back(cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    m = write(tmp_path / "m", FILES)
    sm = boto("sagemaker")
    assert cli("apply", str(m), "--auto-approve").code == 0
    (m / "chat.yaml").write_text(component("org/chat-v2").replace("\n    ", "\n"))
    assert cli("apply", str(m), "--auto-approve").code == 0
    v2 = _ic(sm)["Specification"]["ModelName"]
    v1 = _tags(sm, _ic(sm)["InferenceComponentArn"])[PREV]

    # a model update that AWS rolls back: the component still runs v2, so its rollback point stays v1
    moto_server.post("/reconcile-sandbox/sagemaker/faults", {"inferenceComponent": "chat", "on": "update",
                                                             "mode": "rollback", "reason": "Health check failed"})
    (m / "chat.yaml").write_text(component("org/chat-v3").replace("\n    ", "\n"))
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 1 and "Health check failed" in r.text, r.text
    ic = _ic(sm)
    assert ic["Specification"]["ModelName"] == v2 and _tags(sm, ic["InferenceComponentArn"])[PREV] == v1
    assert {v1, v2} <= _models(sm)
    (m / "chat.yaml").write_text(component("org/chat-v2").replace("\n    ", "\n"))

    # not on that endpoint
    r = cli("rollback", "elsewhere", "--inference-component", "chat", "--auto-approve", "-f", str(m))
    assert r.code == 1 and "runs on Endpoint/shared, not on Endpoint/elsewhere" in r.err, r.text
    assert _writes(cli) == []
    # not there at all
    r = cli("rollback", "shared", "--inference-component", "nope", "--auto-approve", "-f", str(m))
    assert r.code == 1 and "does not exist" in r.err, r.text

    # a hand-made component on the same endpoint, even one carrying a rollback record, is not the stack's
    role = boto("iam").get_role(RoleName="llm-exec")["Role"]["Arn"]
    sm.create_model(ModelName="hand-old", ExecutionRoleArn=role, PrimaryContainer={"Image": "img:1"})
    sm.create_model(ModelName="hand-new", ExecutionRoleArn=role, PrimaryContainer={"Image": "img:2"})
    sm.create_inference_component(
        InferenceComponentName="hand", EndpointName="shared", VariantName="AllTraffic",
        Specification={"ModelName": "hand-new", "ComputeResourceRequirements": {
            "MinMemoryRequiredInMb": 1024, "NumberOfAcceleratorDevicesRequired": 1}},
        RuntimeConfig={"CopyCount": 1}, Tags=[{"Key": PREV, "Value": "hand-old"}])
    _settle(sm, "hand")
    r = cli("rollback", "shared", "--inference-component", "hand", "--auto-approve", "-f", str(m))
    assert r.code == 1 and "not an InferenceComponent of stack 'icrb'" in r.err, r.text
    assert _writes(cli) == []
    assert sm.describe_inference_component(InferenceComponentName="hand")["Specification"]["ModelName"] == "hand-new"
    # another stack's view of ours: refused as well
    other = write(tmp_path / "other", {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: other}\n",
                                       "iam.yaml": FILES["iam.yaml"].replace("llm-exec", "other-exec")})
    r = cli("rollback", "shared", "--inference-component", "chat", "--auto-approve", "-f", str(other))
    assert r.code == 1 and "belongs to stack 'icrb'" in r.err, r.text
    assert _writes(cli) == [] and _ic(sm)["Specification"]["ModelName"] == v2

    # destroy leaves the hand-made component's models alone; ours (kept one included) go
    sm.delete_inference_component(InferenceComponentName="hand")
    for _ in range(100):
        if not sm.list_inference_components(EndpointNameEquals="shared")["InferenceComponents"][1:]:
            break
        time.sleep(0.05)
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _models(sm) == {"hand-old", "hand-new"}  # (v1 kept for rollback, and v3 left by the failed update, gone)


def test_a_kill_during_a_model_update_keeps_the_components_rollback_point(cli, boto, moto_server, tmp_path):
    """Killed right after AWS accepted UpdateInferenceComponent: the record was tagged before the call, so the
    rerun finishes, the model it left is still kept, and rollback returns to it."""
    import os
    import signal

    from tests.support.faults import Rule, fork_run, proxied, run_inprocess

    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.3, "update_seconds": 0.3, "delete_seconds": 0.2})
    c, proxy = proxied(cli, moto_server)
    c.env["RECONCILE_POLL_SECONDS"] = "0.05"
    sm = boto("sagemaker")
    try:
        m = write(tmp_path / "m", FILES)
        assert run_inprocess(c.env, "apply", str(m), "--auto-approve").code == 0
        v1 = _ic(sm)["Specification"]["ModelName"]
        (m / "chat.yaml").write_text(component("org/chat-v2").replace("\n    ", "\n"))
        proxy.clear()
        proxy.add(Rule("hold", match="sagemaker:UpdateInferenceComponent", times=1))
        pid = fork_run(c.env, "apply", str(m), "--auto-approve")
        try:
            assert proxy.held.wait(90), "apply never called UpdateInferenceComponent"
            os.kill(pid, signal.SIGKILL)
        finally:
            _, status = os.waitpid(pid, 0)
            proxy.release.set()
        assert os.WIFSIGNALED(status), status
        proxy.clear()
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
        ic = _ic(sm)
        assert ic["Specification"]["ModelName"] != v1 and _tags(sm, ic["InferenceComponentArn"])[PREV] == v1
        assert v1 in _models(sm)
        r = run_inprocess(c.env, "rollback", "shared", "--inference-component", "chat", "--auto-approve", "-f", str(m))
        assert r.code == 0, r.text
        assert _ic(sm)["Specification"]["ModelName"] == v1
    finally:
        proxy.stop()
