"""`reconcile rollback ENDPOINT`: one step back to the config kept after the last update."""

from __future__ import annotations

import json

from tests.support.manifests import llm_endpoint, sagemaker_role, write

FILES = {
    "stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: rb}\n",
    "iam.yaml": sagemaker_role("rb-exec"),
    "endpoint.yaml": llm_endpoint("rb-llm", "rb-exec", "org/model-v1"),
}


def test_rollback_returns_to_the_previous_config_and_plan_rolls_forward(cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    m = write(tmp_path / "m", FILES)
    sm = boto("sagemaker")

    r = cli("rollback", "rb-llm", "--auto-approve")
    assert r.code == 1 and "does not exist" in r.err
    assert cli("apply", str(m), "--auto-approve").code == 0
    first = sm.describe_endpoint(EndpointName="rb-llm")["EndpointConfigName"]
    r = cli("rollback", "rb-llm", "--auto-approve")
    assert r.code == 1 and "no previous config" in r.err

    (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text().replace("model-v1", "model-v2"))
    assert cli("apply", str(m), "--auto-approve").code == 0
    second = sm.describe_endpoint(EndpointName="rb-llm")["EndpointConfigName"]
    assert second != first
    # the config it ran before is kept for the rollback; older ones would be deleted
    configs = {c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]}
    assert configs == {first, second}

    r = cli("rollback", "rb-llm", "--auto-approve")
    assert r.code == 0, r.text
    assert f"config {second} -> {first}" in r.out
    assert sm.describe_endpoint(EndpointName="rb-llm")["EndpointConfigName"] == first
    assert cli("invoke", "rb-llm", "--prompt", "hello").code == 0

    # the manifests still say v2: plan shows rolling forward again, as an UpdateEndpoint
    r = cli("plan", str(m), "--format", "json")
    step = next(s for s in json.loads(r.out)["steps"] if s["kind"] == "Endpoint")
    assert step["action"] == "update", step
    # reverting the manifest instead makes the rollback permanent: nothing to do
    (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text().replace("model-v2", "model-v1"))
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text


def test_the_rollback_prompt_shows_what_differs_and_the_live_instance_count(cli, boto, moto_server, tmp_path):
    """Issue 27 item 4: not two config names that differ only in their hashes, but the fields that differ
    (the environment's, secrets masked) and the instances running now, which the rollback keeps."""
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    m = write(tmp_path / "m", {**FILES, "endpoint.yaml": llm_endpoint("rb-llm", "rb-exec",
                                                                      'org/model, MAX_TOTAL_TOKENS: "2048"')})
    assert cli("apply", str(m), "--auto-approve").code == 0
    (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text().replace('"2048"', '"4096"'))
    assert cli("apply", str(m), "--auto-approve").code == 0
    moto_server.post("/reconcile-sandbox/sagemaker/autoscaler", {"endpoint": "rb-llm", "instances": 3})
    sm = boto("sagemaker")
    config = sm.describe_endpoint(EndpointName="rb-llm")["EndpointConfigName"]

    r = cli("rollback", "rb-llm", "-f", str(m))  # no terminal: shown, then refused without --auto-approve
    assert r.code == 1 and "pass --auto-approve" in r.err, r.text
    assert 'environment.MAX_TOTAL_TOKENS: "4096" → "2048"' in r.out, r.out
    assert "HF_MODEL_ID" not in r.out  # (what does not differ is not shown)
    assert "3 instance(s) live, kept" in r.out, r.out
    assert sm.describe_endpoint(EndpointName="rb-llm")["EndpointConfigName"] == config  # nothing was changed
    r = cli("rollback", "rb-llm", "--auto-approve", "-f", str(m))
    assert r.code == 0, r.text
    d = sm.describe_endpoint(EndpointName="rb-llm")
    assert d["EndpointConfigName"] != config and d["ProductionVariants"][0]["CurrentInstanceCount"] == 3
