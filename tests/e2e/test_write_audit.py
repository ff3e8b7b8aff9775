"""The write audit itself, on real runs (tests/support/audit.py): a run's writes are compared with its plan's
operations; the comparison would catch an apply that wrote what its plan did not list; a boto3 write is never
blamed on a run; a reconcile run whose writes were never compared fails the test."""

from __future__ import annotations

import json

import pytest

from tests.support.audit import WriteViolation, compare
from tests.support.cli import clean_env
from tests.support.manifests import reader_role_user, write

FILES = {
    "stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: audited}\n",
    "iam.yaml": reader_role_user("audited", user="ci", bucket="b"),
}


def _executed(write_audit) -> dict:  # type: ignore[no-untyped-def]
    """The plan the latest run executed."""
    return write_audit.last()[0].plans[-1]


def _writes(write_audit) -> list[dict]:  # type: ignore[no-untyped-def]
    """What the emulator recorded under the latest run's id (writes only)."""
    return write_audit.last()[1]


def test_an_apply_is_checked_call_by_call_against_its_plan(cli, write_audit, tmp_path):
    m = write(tmp_path / "m", FILES)
    r = cli("apply", str(m), "--auto-approve")  # the fixture's audit passes: every write is planned
    assert r.code == 0, r.text
    plan, writes = _executed(write_audit), _writes(write_audit)
    ops = [w["operation"] for w in writes]
    assert {"CreatePolicy", "CreateRole", "PutRolePolicy", "AttachRolePolicy", "CreateUser", "CreateAccessKey",
            "CreateSecret"} <= set(ops), ops
    assert len(writes) == sum(1 for s in plan["steps"] for o in s["operations"] if o["service"] != "local")
    assert compare([plan], writes, succeeded=True) == []

    # the same writes against a plan without the Role: each of the Role's writes is an unplanned write
    without_role = {**plan, "steps": [s for s in plan["steps"] if s["kind"] != "Role"]}
    found = compare([without_role], writes, succeeded=True)
    assert found and {v.code for v in found} == {"unplanned"}
    assert all(v.record and v.record["ids"].get("RoleName") == "audited-exec" for v in found)
    # ... and against a plan where the User was a no-op: its key and the secret that stores it are flagged
    user_noop = {**plan, "steps": [{**s, "action": "noop"} if s["kind"] == "User" else s for s in plan["steps"]]}
    flagged = {v.record["operation"] for v in compare([user_noop], writes, succeeded=True) if v.record}
    assert {"CreateUser", "CreateAccessKey", "CreateSecret"} <= flagged
    # ... and against a plan whose Role step lists one call fewer: that call is unplanned
    fewer = {**plan, "steps": [{**s, "operations": s["operations"][:-1]} if s["kind"] == "Role" else s
                               for s in plan["steps"]]}
    found = compare([fewer], writes, succeeded=True)
    assert [(v.code, v.record["operation"]) for v in found if v.record] == [("unplanned", "PutRolePolicy")]

    # a second apply changes nothing and writes nothing
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0 and "No changes" in r.out, r.text


def test_out_of_band_writes_between_commands_are_not_blamed_on_the_cli(cli, boto, tmp_path):
    m = write(tmp_path / "m", FILES)
    assert cli("apply", str(m), "--auto-approve").code == 0
    boto("iam").create_role(RoleName="made-by-hand", AssumeRolePolicyDocument="{}")
    boto("iam").tag_role(RoleName="audited-exec", Tags=[{"Key": "hand", "Value": "made"}])
    assert cli("plan", str(m)).code == 0  # would raise WriteViolation if the boto3 writes were counted


def test_a_reconcile_run_whose_writes_were_never_compared_fails_the_test(cli, write_audit, moto_server, tmp_path):
    """A process started without RECONCILE_AUDIT_DIR leaves no run file: its writes (known by the run id in
    their User-Agent) are found at the end of the test and fail it."""
    import subprocess

    from tests.support.cli import reconcile_exe

    m = write(tmp_path / "m", FILES)
    env = {k: v for k, v in cli.env.items() if k != "RECONCILE_AUDIT_DIR"}
    env = clean_env({**env, "AWS_ENDPOINT_URL": moto_server.url})
    proc = subprocess.run([reconcile_exe(), "apply", str(m), "--auto-approve"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(WriteViolation, match=r"never compared with a plan[\s\S]*iam:CreateRole\(RoleName=audited-exec"):
        write_audit.finish()
    # (the test's own teardown would fail the same way: those writes are taken as seen)
    from tests.support.audit import fetch

    write_audit.compared |= {r["run"] for r in fetch(moto_server.url)[0] if r.get("run")}


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


def test_adopting_a_role_that_already_matches_only_tags_it(cli, boto, write_audit, tmp_path):
    boto("iam").create_role(RoleName="hand-made", AssumeRolePolicyDocument=TRUST)
    m = write(tmp_path / "m", {"stack.yaml": FILES["stack.yaml"], "r.yaml": ADOPTED_ROLE})
    r = cli("apply", str(m), "--auto-approve")  # the audit: a tags-only step that only tags
    assert r.code == 0, r.text
    steps = _executed(write_audit)["steps"]
    assert [s["action"] for s in steps] == ["update"]
    assert all(c["path"].startswith("tags.") for c in steps[0]["changes"]), steps[0]["changes"]
    assert [w["operation"] for w in _writes(write_audit)] == ["TagRole"]


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


def test_adopting_an_endpoint_that_already_matches_only_tags_it(cli, boto, moto_server, write_audit, tmp_path):
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
    assert {w["operation"] for w in _writes(write_audit)} == {"AddTags"}, _writes(write_audit)


def test_in_process_runs_and_concurrent_boto3_writes(cli, boto, write_audit, tmp_path):
    """run_inprocess (the crash and fault tests' runner) is audited like the fixture; the run id in the
    User-Agent tells the run's writes from the test's boto3 writes made meanwhile."""
    import threading

    from tests.support.faults import run_inprocess

    m = write(tmp_path / "m", FILES)
    stop = threading.Event()

    def meanwhile() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            boto("iam").create_role(RoleName=f"during-{n}", AssumeRolePolicyDocument="{}")

    side = threading.Thread(target=meanwhile)
    side.start()
    try:
        r = run_inprocess(cli.env, "apply", str(m), "--auto-approve")
    finally:
        stop.set()
        side.join()
    assert r.code == 0, r.text
    run, writes = write_audit.last()
    assert run.id in write_audit.compared
    assert {w["run"] for w in writes} == {run.id}
    assert {"CreateRole", "CreateUser"} <= {w["operation"] for w in writes}
    assert not [w for w in writes if str(w["ids"].get("RoleName", "")).startswith("during-")]


def _actions(write_audit) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f"{s['kind']}/{s['name']}": s["action"] for s in _executed(write_audit)["steps"] if s["action"] != "noop"}


def test_function_and_http_api_lifecycle_is_audited(cli, moto_server, write_audit, tmp_path):
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
    ops = {w["operation"] for w in _writes(write_audit)}
    assert {"CreateFunction", "CreateApi", "CreateRoute", "CreateIntegration", "CreateStage", "AddPermission"} <= ops

    (m / "functions" / "generate" / "handler.py").write_text(
        (m / "functions" / "generate" / "handler.py").read_text() + "\n# changed\n")
    api = (m / "api.yaml").read_text()
    (m / "api.yaml").write_text(api.replace('"POST /generate": {function: workshop-generate}',
                                            '"POST /generate": {function: workshop-generate}\n'
                                            '    "POST /v2/generate": {function: workshop-generate}')
                                .replace("maxAge: 300", "maxAge: 600"))
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _actions(write_audit) == {"Function/workshop-generate": "update", "HttpApi/workshop-llm-api": "update"}
    assert {"UpdateFunctionCode", "CreateRoute", "AddPermission"} <= {w["operation"] for w in _writes(write_audit)}

    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert set(_actions(write_audit).values()) == {"delete"}
    assert {"DeleteApi", "DeleteFunction", "DeleteRole"} <= {w["operation"] for w in _writes(write_audit)}


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


def test_replacing_a_policy_and_a_role_is_audited(cli, write_audit, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": FILES["stack.yaml"],
                               "r.yaml": REPLACED.replace("DESCRIPTION", "first").replace("PATH", "/a/")})
    assert cli("apply", str(m), "--auto-approve").code == 0
    write(m, {"r.yaml": REPLACED.replace("DESCRIPTION", "second").replace("PATH", "/b/")})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _actions(write_audit) == {"Policy/replaced-read": "replace", "Role/replaced-exec": "replace"}
    ops = [w["operation"] for w in _writes(write_audit)]
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


def test_endpoint_type_replace_a_failed_create_and_its_retry_are_audited(cli, moto_server, write_audit, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    m = write(tmp_path / "m", {"stack.yaml": FILES["stack.yaml"], "e.yaml": ENDPOINT.replace("TYPE", "model-based")})
    assert cli("apply", str(m), "--auto-approve").code == 0
    write(m, {"e.yaml": ENDPOINT.replace("TYPE", "inference-component-based") + COMPONENT})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _actions(write_audit) == {"Endpoint/audited-llm": "replace"}
    ops = [w["operation"] for w in _writes(write_audit)]
    assert {"DeleteEndpoint", "CreateEndpoint", "CreateInferenceComponent"} <= set(ops), ops

    # a create that fails on AWS's side, then the retry: each run writes only its planned Endpoint
    (m / "e.yaml").write_text((m / "e.yaml").read_text().replace("audited-llm", "audited-llm-2"))
    moto_server.post("/reconcile-sandbox/sagemaker/faults",
                     {"endpoint": "audited-llm-2", "on": "create", "mode": "fail", "reason": "capacity"})
    r = cli("apply", str(m), "--auto-approve", "--prune")
    assert r.code == 1 and "capacity" in r.text, r.text
    r = cli("apply", str(m), "--auto-approve", "--prune")
    assert r.code == 0, r.text
    assert _actions(write_audit)["Endpoint/audited-llm-2"] in ("create", "replace", "update")
