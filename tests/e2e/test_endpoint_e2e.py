"""The endpoint lifecycle through the CLI, as a user runs it: apply, invoke, update, a failed update,
prune; a secret's value never appears in any output or saved plan."""

from __future__ import annotations

import json

from tests.support.manifests import LLM_EXEC_ROLE, write

SECRET = "hf_E2E_TOP_SECRET_TOKEN_VALUE"

FILES = {
    "stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: e2e}\n",
    "iam.yaml": LLM_EXEC_ROLE,
    "endpoint.yaml": """
        apiVersion: reconciler/v1
        kind: Endpoint
        metadata: {name: twin}
        spec:
          executionRole: llm-exec
          model:
            image: {huggingfaceLlm: {version: "2.2.0"}}
            environment:
              HF_MODEL_ID: mlabonne/TwinLlama-3.1-8B-DPO
              HUGGING_FACE_HUB_TOKEN: {secretsManager: hf-token}
          instance: {type: ml.g5.2xlarge}
          smokeTest: {inputs: hi, parameters: {max_new_tokens: 4}}
        """,
}


def test_endpoint_lifecycle_with_a_secret(cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.3, "update_seconds": 0.3, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    boto("secretsmanager").create_secret(Name="hf-token", SecretString=SECRET)
    m = write(tmp_path / "m", FILES)

    r = cli("plan", str(m), "--out", str(tmp_path / "plan.json"))
    assert r.code == 0, r.text
    assert '"HUGGING_FACE_HUB_TOKEN": "(secret)"' in r.out
    r = cli("apply", str(tmp_path / "plan.json"), "--auto-approve")
    assert r.code == 0, r.text
    assert "Apply complete: 2 created." in r.out and "smoke test passed" in r.err

    r = cli("invoke", "twin", "--prompt", "Write about RAG", "--max-new-tokens", "6", "--temperature", "0.7",
            "--top-p", "0.9", "--repetition-penalty", "1.1", "--no-return-full-text")
    assert r.code == 0, r.text
    assert r.out.startswith("Here is a short") and len(r.out.split()) == 6

    # change an environment variable: an update of the endpoint, then a failed update that rolls back
    (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text().replace("DPO", "SFT"))
    r = cli("plan", str(m), "--format", "json")
    step = next(s for s in json.loads(r.out)["steps"] if s["kind"] == "Endpoint")
    assert step["action"] == "update" and "UpdateEndpoint" in step["reason"]
    moto_server.post("/reconcile-sandbox/sagemaker/faults",
                     {"endpoint": "twin", "on": "update", "mode": "rollback", "reason": "Variant health check failed"})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 1 and "Variant health check failed" in r.err and "rolled back" in r.err
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0 and "Apply complete: 1 updated." in r.out, r.text

    # prune: the endpoint and everything behind it, then the role
    (m / "endpoint.yaml").unlink()
    (m / "iam.yaml").unlink()
    write(m, {"other.yaml": "apiVersion: reconciler/v1\nkind: Role\nmetadata: {name: keep}\n"
                            "spec: {assumedBy: [sagemaker.amazonaws.com]}\n"})
    r = cli("prune", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert r.err.index("Endpoint/twin: deleted") < r.err.index(": DeleteModel ") < r.err.index("deleting Role/llm-exec")
    sm = boto("sagemaker")
    assert sm.list_models()["Models"] == [] and sm.list_endpoint_configs()["EndpointConfigs"] == []

    outputs = "".join(x.out + x.err for x in cli.history) + (tmp_path / "plan.json").read_text()
    assert SECRET not in outputs
