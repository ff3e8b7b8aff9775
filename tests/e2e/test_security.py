"""Security: secrets never leave their stores; ownership is by tags, read fresh every time; the account pin
refuses before any request but the identity check; policy lint in plan, --strict makes warnings errors."""

from __future__ import annotations

import json
import os
import stat
import uuid
from pathlib import Path

import boto3

from tests.support.cli import clean_env
from tests.support.faults import proxied, record_figures, run_inprocess
from tests.support.manifests import write

TRUST_ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata: {{name: {name}}}
spec: {{assumedBy: [sagemaker.amazonaws.com]}}
"""
BLOCK_ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata: {{name: {name}}}
spec:
  assumedBy: [sagemaker.amazonaws.com]
"""


def _manifests(keyfile: Path) -> dict[str, str]:
    return {
        "stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: sec}\n",
        "iam.yaml": TRUST_ROLE.format(name="sec-exec") + f"""---
apiVersion: reconciler/v1
kind: User
metadata: {{name: sec-file-user}}
spec: {{accessKey: {{store: {{file: {keyfile}}}}}}}
---
apiVersion: reconciler/v1
kind: User
metadata: {{name: sec-sm-user}}
spec: {{accessKey: {{store: {{secretsManager: sec/ci-key}}}}}}
""",
        "endpoint.yaml": """
apiVersion: reconciler/v1
kind: Endpoint
metadata: {name: sec-llm}
spec:
  executionRole: sec-exec
  model:
    image: {huggingfaceLlm: {version: "2.2.0"}}
    environment:
      HF_MODEL_ID: org/gated-model
      HUGGING_FACE_HUB_TOKEN: {secretsManager: sec/hf-token}
  instance: {type: ml.g5.2xlarge}
  smokeTest: {inputs: hi, parameters: {max_new_tokens: 4}}
""",
    }


def test_no_secret_in_any_output_of_a_full_sandbox_run(tmp_path):
    """plan (saved), apply, plans in every format, a failing apply with --debug (traceback), destroy --debug,
    all against the sandbox: stdout, stderr, the plan file, the sandbox log and every file reconcile keeps
    in RECONCILE_HOME are scanned for the access keys (ids and secrets) and two Hugging Face tokens."""
    home = tmp_path / "rh"
    env = clean_env({"HOME": str(tmp_path / "home"), "RECONCILE_HOME": str(home), "RECONCILE_SANDBOX": "1",
                     "RECONCILE_SANDBOX_SAGEMAKER_CREATE_SECONDS": "0.3",
                     "RECONCILE_SANDBOX_SAGEMAKER_UPDATE_SECONDS": "0.3",
                     "RECONCILE_SANDBOX_SAGEMAKER_DELETE_SECONDS": "0.1", "RECONCILE_POLL_SECONDS": "0.05"})
    history: list = []

    def cli(*args: str):  # type: ignore[no-untyped-def]
        history.append(run_inprocess(env, *args))  # the CLI's main(), in this process (tracebacks included)
        return history[-1]

    keyfile = tmp_path / "out" / "deployer-key.json"
    m = write(tmp_path / "m", _manifests(keyfile))
    plan_file = tmp_path / "plan.json"
    hf = [f"hf_{uuid.uuid4().hex}", f"hf_{uuid.uuid4().hex}"]
    try:
        r = cli("sandbox", "start")
        assert r.code == 0, r.text
        url = r.out.split(" at ", 1)[1].split()[0]
        kw = {"region_name": "us-east-1", "endpoint_url": url, "aws_access_key_id": "sandbox",
              "aws_secret_access_key": "sandbox-secret-not-a-real-key"}
        sm = boto3.client("secretsmanager", **kw)
        sm.create_secret(Name="sec/hf-token", SecretString=hf[0])
        assert cli("plan", str(m), "--out", str(plan_file)).code == 0
        r = cli("apply", str(plan_file), "--auto-approve", "--debug")
        assert r.code == 0, r.text
        stored = [json.loads(keyfile.read_text()), json.loads(sm.get_secret_value(SecretId="sec/ci-key")["SecretString"])]
        assert stat.S_IMODE(os.stat(keyfile).st_mode) == 0o600
        assert not list(keyfile.parent.glob(".*tmp*")), "no temporary copy of the secret left behind"
        for fmt in ("text", "json", "markdown"):
            assert cli("plan", str(m), "--format", fmt, "--debug").code == 0
        # a new token rolls out a new model; the update fails in SageMaker: an exception, with --debug
        sm.put_secret_value(SecretId="sec/hf-token", SecretString=hf[1])
        boto3_post(url, "/reconcile-sandbox/sagemaker/faults", {"endpoint": "sec-llm", "on": "update", "mode": "fail",
                                                                  "reason": "container exited"})
        r = cli("apply", str(m), "--auto-approve", "--debug")
        assert r.code != 0 and "container exited" in r.text, r.text
        # an exception that reaches the top with --debug: a saved plan gone stale (its traceback is printed)
        plan2 = tmp_path / "plan2.json"
        assert cli("plan", str(m), "--out", str(plan2)).code == 0
        (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text() + "# edited\n")
        r = cli("apply", str(plan2), "--auto-approve", "--debug")
        assert r.code == 1 and "Traceback (most recent call last)" in r.err and "StalePlanError" in r.err, r.text
        r = cli("destroy", str(m), "--auto-approve", "--debug")
        assert r.code == 0, r.text
        # the sandbox's own log, and every file reconcile keeps
        outputs = "".join(x.out + x.err for x in history) + plan_file.read_text() + plan2.read_text()
        outputs += "".join(p.read_text(errors="replace") for p in home.rglob("*") if p.is_file())
        assert (home / "sandbox.log").exists()
    finally:
        cli("sandbox", "stop")
    secrets = hf + [s[k] for s in stored for k in ("AccessKeyId", "SecretAccessKey")]
    for s in secrets:
        assert s not in outputs
    record_figures("security:scan", secrets_scanned=len(secrets), outputs_scanned=len(history) + 2, leaked=0)


def boto3_post(url: str, path: str, payload: dict) -> None:
    import urllib.request

    req = urllib.request.Request(url + path, data=json.dumps(payload).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30):
        pass


def test_prune_and_destroy_never_touch_what_is_no_longer_ours(cli, boto, tmp_path):
    """Tags are read fresh: a role re-tagged by hand to another stack, or stripped of managed-by, is not ours;
    a hand-made role whose name this stack used to own is not ours either."""
    stack = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: owner}\n"
    names = ["own-retagged", "own-untagged", "own-plain", "own-recreated"]
    m = write(tmp_path / "m", {"stack.yaml": stack, "roles.yaml": "---".join(TRUST_ROLE.format(name=n) for n in names)})
    assert run_inprocess(cli.env, "apply", str(m), "--auto-approve").code == 0
    iam = boto("iam")
    iam.tag_role(RoleName="own-retagged", Tags=[{"Key": "reconciler:stack", "Value": "other"}])
    iam.untag_role(RoleName="own-untagged", TagKeys=["reconciler:managed-by"])
    iam.delete_role(RoleName="own-recreated")  # someone replaced it with their own, untagged
    iam.create_role(RoleName="own-recreated", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]}), Description="theirs")
    write(m, {"roles.yaml": TRUST_ROLE.format(name="own-kept")})  # the four are no longer declared
    r = cli("prune", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "- Role/own-plain" in r.out
    for n in ("own-retagged", "own-untagged", "own-recreated"):
        assert f"Role/{n}" not in r.out
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    left = {x["RoleName"]: x for x in iam.list_roles()["Roles"]}
    assert sorted(left) == ["own-recreated", "own-retagged", "own-untagged"]
    assert left["own-recreated"]["Description"] == "theirs"
    assert {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="own-retagged")["Tags"]}["reconciler:stack"] == "other"
    # and declaring it again is a conflict, not a silent take-over
    write(m, {"roles.yaml": TRUST_ROLE.format(name="own-retagged")})
    r = run_inprocess(cli.env, "plan", str(m))
    assert r.code == 1 and "owned by stack 'other'" in r.out


def test_account_pin_refuses_before_any_request_but_the_identity_check(cli, moto_server, tmp_path):
    c, proxy = proxied(cli, moto_server)
    m = write(tmp_path / "m", {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: pinned}\n"
                                             "spec: {accountId: '999999999999'}\n",
                               "r.yaml": TRUST_ROLE.format(name="pinned-role")})
    try:
        for args in (["apply", str(m), "--auto-approve"], ["prune", str(m), "--auto-approve"],
                     ["destroy", str(m), "--auto-approve"], ["plan", str(m)]):
            r = run_inprocess(c.env, *args)
            assert r.code == 1 and "pinned to account 999999999999" in r.err, r.text
        assert set(proxy.counts) == {"sts:GetCallerIdentity"}, proxy.counts
        assert proxy.ops(mutating=True) == []
    finally:
        proxy.stop()


def test_policy_lint_runs_in_plan_and_strict_makes_warnings_errors(cli, moto_server, tmp_path):
    c, proxy = proxied(cli, moto_server)
    role = BLOCK_ROLE.format(name="lint-role") + """  inlinePolicies:
    pass:
      Version: "2012-10-17"
      Statement: [{Effect: Allow, Action: "iam:PassRole", Resource: "*"}]
"""
    m = write(tmp_path / "m", {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: lint}\n",
                               "r.yaml": role})
    typo = write(tmp_path / "t", {"r.yaml": BLOCK_ROLE.format(name="typo-role") + """  inlinePolicies:
    read:
      Version: "2012-10-17"
      Statement: [{Effect: Allow, Action: "s3:GetObjekt", Resource: "*"}]
"""})
    try:
        r = run_inprocess(c.env, "plan", str(m))
        assert r.code == 0, r.text
        assert "warning: " in r.out and 'iam:PassRole on Resource "*"' in r.out  # shown with the plan
        assert proxy.counts, "plan read the account"
        proxy.reset_counts()
        for args in (["plan", str(m), "--strict"], ["apply", str(m), "--auto-approve", "--strict"],
                     ["validate", str(m), "--strict"]):
            r = run_inprocess(c.env, *args)
            assert r.code == 1, r.text
            assert f"{m / 'r.yaml'}:" in r.err and "spec.inlinePolicies.pass" in r.err and "iam:PassRole" in r.err
            assert "Traceback" not in r.err
        r = run_inprocess(c.env, "plan", str(typo))  # an unknown action is an error even without --strict
        assert r.code == 1 and "UNKNOWN_ACTION" in r.err and "s3:GetObjekt" in r.err, r.text
        assert proxy.counts == {}, "refused before any AWS request"
    finally:
        proxy.stop()
