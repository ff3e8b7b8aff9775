"""The write audit itself, on a real apply: the fixture's check would catch an apply that wrote what its
plan did not list, a no-op step that wrote, a boto3 write is never blamed on the CLI."""

from __future__ import annotations

import json

import pytest

from tests.support.audit import WriteViolation, check
from tests.support.cli import Result
from tests.support.manifests import reader_role_user, write

FILES = {
    "stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: audited}\n",
    "iam.yaml": reader_role_user("audited", user="ci", bucket="b"),
}


def _executed(cli) -> dict:  # type: ignore[no-untyped-def]
    with open(cli.audit.plan_path) as fh:
        return json.load(fh)


def test_an_apply_is_checked_step_by_step_against_its_plan(cli, tmp_path):
    m = write(tmp_path / "m", FILES)
    r = cli("apply", str(m), "--auto-approve")  # the fixture's audit passes: every write is planned
    assert r.code == 0, r.text
    plan, writes = _executed(cli), cli.audit.writes
    ops = {w["operation"] for w in writes}
    assert {"CreatePolicy", "CreateRole", "PutRolePolicy", "AttachRolePolicy", "CreateUser", "CreateAccessKey",
            "CreateSecret"} <= ops, ops
    assert check(plan, writes, succeeded=True) == []

    # the same writes against a plan without the Role: each of the Role's writes is an unplanned write
    without_role = {**plan, "steps": [s for s in plan["steps"] if s["kind"] != "Role"]}
    found = check(without_role, writes, succeeded=True)
    assert found and {v.code for v in found} == {"unplanned"}
    assert all(v.record and v.record["ids"].get("RoleName") == "audited-exec" for v in found)
    # ... and against a plan where the User was a no-op: its key and the secret that stores it are flagged
    user_noop = {**plan, "steps": [{**s, "action": "noop"} if s["kind"] == "User" else s for s in plan["steps"]]}
    found = check(user_noop, writes, succeeded=True)
    flagged = {v.record["operation"] for v in found if v.code == "noop-wrote" and v.record}
    assert {"CreateUser", "CreateAccessKey", "CreateSecret"} <= flagged, found

    # a second apply changes nothing and writes nothing
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0 and "No changes" in r.out, r.text
    assert [w for w in cli.audit.writes if w["class"] == "write"] == []


def test_out_of_band_writes_between_commands_are_not_blamed_on_the_cli(cli, boto, tmp_path):
    m = write(tmp_path / "m", FILES)
    assert cli("apply", str(m), "--auto-approve").code == 0
    boto("iam").create_role(RoleName="made-by-hand", AssumeRolePolicyDocument="{}")
    boto("iam").tag_role(RoleName="audited-exec", Tags=[{"Key": "hand", "Value": "made"}])
    assert cli("plan", str(m)).code == 0  # would raise WriteViolation if the boto3 writes were counted


def test_a_write_during_a_command_that_may_not_write_fails_the_test(cli, boto, tmp_path):
    """The fixture's machinery on the real server: a write inside a `plan` call's window is a violation."""
    audit = cli.audit
    audit.begin({})  # no access key of its own: every write in the window is the command's
    boto("iam").create_role(RoleName="sneaky", AssumeRolePolicyDocument="{}")
    with pytest.raises(WriteViolation, match=r"unplanned: #\d+ iam:CreateRole\(RoleName=sneaky\)"):
        audit.end(("plan", "m"), Result(0, "", ""))


ADOPTED_ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata:
  name: hand-made
  annotations: {"reconciler/adopt": "true"}
spec:
  assumedBy: [sagemaker.amazonaws.com]
"""
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def test_adopting_a_role_that_already_matches_only_tags_it(cli, boto, tmp_path):
    boto("iam").create_role(RoleName="hand-made", AssumeRolePolicyDocument=TRUST)
    m = write(tmp_path / "m", {"stack.yaml": FILES["stack.yaml"], "r.yaml": ADOPTED_ROLE})
    r = cli("apply", str(m), "--auto-approve")  # the audit: a tags-only step that only tags
    assert r.code == 0, r.text
    steps = _executed(cli)["steps"]
    assert [s["action"] for s in steps] == ["update"]
    assert all(c["path"].startswith("tags.") for c in steps[0]["changes"]), steps[0]["changes"]
    assert [w["operation"] for w in cli.audit.writes] == ["TagRole"]


IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.3.0-tgi2.2.0-gpu-py310-cu121-ubuntu22.04-v2.0"
ADOPTED_ENDPOINT = f"""
apiVersion: reconciler/v1
kind: Endpoint
metadata:
  name: adopted-llm
  annotations: {{"reconciler/adopt": "true"}}
spec:
  executionRole: arn:aws:iam::123456789012:role/llm-exec
  model:
    image: {{uri: "{IMAGE}"}}
    environment: {{HF_MODEL_ID: mlabonne/TwinLlama-3.1-8B-DPO}}
  instance: {{type: ml.g5.2xlarge, count: 1}}
"""


def test_adopting_an_endpoint_that_already_matches_only_tags_it(cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config", {"create_seconds": 0.2, "update_seconds": 0.2})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    boto("iam").create_role(RoleName="llm-exec", AssumeRolePolicyDocument=TRUST)
    sm = boto("sagemaker")
    sm.create_model(ModelName="hand-model", ExecutionRoleArn="arn:aws:iam::123456789012:role/llm-exec",
                    PrimaryContainer={"Image": IMAGE, "Environment": {"HF_MODEL_ID": "mlabonne/TwinLlama-3.1-8B-DPO"}})
    sm.create_endpoint_config(EndpointConfigName="hand-config", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "hand-model", "InstanceType": "ml.g5.2xlarge",
         "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="adopted-llm", EndpointConfigName="hand-config")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="adopted-llm", WaiterConfig={"Delay": 1})
    m = write(tmp_path / "m", {"stack.yaml": FILES["stack.yaml"], "e.yaml": ADOPTED_ENDPOINT})
    r = cli("plan", str(m), "--format", "json")
    assert r.code == 0, r.text
    step = json.loads(r.out)["steps"][0]
    assert step["action"] == "update" and all(c["path"].startswith("tags.") for c in step["changes"]), step
    r = cli("apply", str(m), "--auto-approve")  # the audit: a tags-only step that only tags (issue 10 point 4)
    assert r.code == 0, r.text
    assert {w["operation"] for w in cli.audit.writes} == {"AddTags"}, cli.audit.writes


def test_in_process_runs_and_concurrent_boto3_writes(cli, boto, tmp_path):
    """run_inprocess (the crash and fault tests' runner) is audited like the fixture; the command's own access
    key tells its writes from the test's boto3 writes made meanwhile."""
    from tests.support.faults import run_inprocess

    m = write(tmp_path / "m", FILES)
    calls = cli.audit.calls
    r = run_inprocess(cli.env, "apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert cli.audit.calls == calls + 1 and cli.audit.caller
    assert {w["caller"] for w in cli.audit.writes} == {cli.audit.caller}
    assert {"CreateRole", "CreateUser"} <= {w["operation"] for w in cli.audit.writes}
    # a boto3 write inside the command's window is not the command's
    audit = cli.audit
    extra = audit.begin(cli.env)
    boto("iam").create_role(RoleName="during", AssumeRolePolicyDocument="{}")
    audit.end(("plan", str(m)), Result(0, "", ""))
    assert extra["AWS_ACCESS_KEY_ID"] != cli.env["AWS_ACCESS_KEY_ID"] and audit.writes == []


def _actions(cli) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f"{s['kind']}/{s['name']}": s["action"] for s in _executed(cli)["steps"] if s["action"] != "noop"}


def test_function_and_http_api_lifecycle_is_audited(cli, moto_server, tmp_path):
    """Create, update (code, route, CORS) and destroy of the workshop's API, function and role: every write
    (routes, integrations, stage, Lambda permissions, code) belongs to its step."""
    import shutil
    from pathlib import Path

    m = tmp_path / "workshop"
    shutil.copytree(Path(__file__).resolve().parents[2] / "manifests" / "workshop", m)
    (m / "endpoint.yaml").unlink()
    (m / "sam-deployer.yaml").unlink()
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    ops = {w["operation"] for w in cli.audit.writes}
    assert {"CreateFunction", "CreateApi", "CreateRoute", "CreateIntegration", "CreateStage", "AddPermission"} <= ops

    (m / "functions" / "generate" / "handler.py").write_text(
        (m / "functions" / "generate" / "handler.py").read_text() + "\n# changed\n")
    api = (m / "api.yaml").read_text()
    assert api.count("  routes:\n") == 1 and "maxAge: 300" in api  # (what the edit below relies on)
    (m / "api.yaml").write_text(api.replace("  routes:\n", '  routes:\n    "POST /v2/generate": {function: workshop-generate}\n')
                                .replace("maxAge: 300", "maxAge: 600"))
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _actions(cli) == {"Function/workshop-generate": "update", "HttpApi/workshop-llm-api": "update"}
    assert {"UpdateFunctionCode", "CreateRoute", "AddPermission"} <= {w["operation"] for w in cli.audit.writes}

    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert set(_actions(cli).values()) == {"delete"}
    assert {"DeleteApi", "DeleteFunction", "DeleteRole"} <= {w["operation"] for w in cli.audit.writes}


REPLACED = """
apiVersion: reconciler/v1
kind: Policy
metadata: {name: replaced-read}
spec:
  description: DESCRIPTION
  document:
    Version: "2012-10-17"
    Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*"}]
---
apiVersion: reconciler/v1
kind: Role
metadata: {name: replaced-exec}
spec:
  path: PATH
  assumedBy: [sagemaker.amazonaws.com]
  managedPolicies: [replaced-read]
"""


def test_replacing_a_policy_and_a_role_is_audited(cli, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": FILES["stack.yaml"],
                               "r.yaml": REPLACED.replace("DESCRIPTION", "first").replace("PATH", "/a/")})
    assert cli("apply", str(m), "--auto-approve").code == 0
    write(m, {"r.yaml": REPLACED.replace("DESCRIPTION", "second").replace("PATH", "/b/")})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _actions(cli) == {"Policy/replaced-read": "replace", "Role/replaced-exec": "replace"}
    ops = [w["operation"] for w in cli.audit.writes]
    assert {"DeletePolicy", "CreatePolicy", "DeleteRole", "CreateRole"} <= set(ops), ops


ENDPOINT = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: ep-exec}
spec: {assumedBy: [sagemaker.amazonaws.com]}
---
apiVersion: reconciler/v1
kind: Endpoint
metadata: {name: audited-llm}
spec:
  type: TYPE
  executionRole: ep-exec
  model:
    image: {huggingfaceLlm: {version: "2.2.0"}}
    environment: {HF_MODEL_ID: mlabonne/TwinLlama-3.1-8B-DPO}
  instance: {type: ml.g5.2xlarge}
"""
COMPONENT = "  inferenceComponent: {copies: 1, acceleratorDevices: 1, cpuCores: 2, memoryMb: 5120}\n"


def test_endpoint_type_replace_a_failed_create_and_its_retry_are_audited(cli, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    m = write(tmp_path / "m", {"stack.yaml": FILES["stack.yaml"], "e.yaml": ENDPOINT.replace("TYPE", "model-based")})
    assert cli("apply", str(m), "--auto-approve").code == 0
    write(m, {"e.yaml": ENDPOINT.replace("TYPE", "inference-component-based") + COMPONENT})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _actions(cli) == {"Endpoint/audited-llm": "replace"}
    ops = [w["operation"] for w in cli.audit.writes]
    assert {"DeleteEndpoint", "CreateEndpoint", "CreateInferenceComponent"} <= set(ops), ops

    # a create that fails on AWS's side, then the retry: each run writes only its planned Endpoint
    (m / "e.yaml").write_text((m / "e.yaml").read_text().replace("audited-llm", "audited-llm-2"))
    moto_server.post("/reconcile-sandbox/sagemaker/faults",
                     {"endpoint": "audited-llm-2", "on": "create", "mode": "fail", "reason": "capacity"})
    r = cli("apply", str(m), "--auto-approve", "--prune")
    assert r.code == 1 and "capacity" in r.text, r.text
    r = cli("apply", str(m), "--auto-approve", "--prune")
    assert r.code == 0, r.text
    assert _actions(cli)["Endpoint/audited-llm-2"] in ("create", "replace", "update")
