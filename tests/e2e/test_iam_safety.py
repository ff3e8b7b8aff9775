"""Ownership, conflicts, protection, destroy, account pinning and secrets — through the CLI over HTTP."""

from __future__ import annotations

import json
import os
import stat

from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: safety}\n"
ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata:
  name: {name}
  annotations: {annotations}
spec:
  assumedBy: [sagemaker.amazonaws.com]
"""
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def role(name: str, annotations: str = "{}") -> str:
    return ROLE.format(name=name, annotations=annotations)


def test_unowned_same_name_is_a_conflict_and_never_modified(cli, boto, tmp_path):
    iam = boto("iam")
    iam.create_role(RoleName="theirs", AssumeRolePolicyDocument=TRUST, Description="hand made")
    m = write(tmp_path / "m", {"stack.yaml": STACK, "r.yaml": role("theirs")})
    r = cli("plan", str(m))
    assert r.code == 1
    assert "Role/theirs [conflict]" in r.out and "reconciler/adopt" in r.out
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 1 and "refusing to apply" in r.err
    live = iam.get_role(RoleName="theirs")["Role"]
    assert live["Description"] == "hand made" and not live.get("Tags")
    # destroy and prune never touch it either
    assert cli("destroy", str(m), "--auto-approve").code == 0
    assert iam.get_role(RoleName="theirs")
    # explicit adoption takes it over
    write(m, {"r.yaml": role("theirs", '{"reconciler/adopt": "true"}')})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "adopt existing resource (owned by no reconcile stack)" in r.out
    tags = {t["Key"]: t["Value"] for t in iam.get_role(RoleName="theirs")["Role"]["Tags"]}
    assert tags["reconciler:stack"] == "safety"


def test_another_stacks_resource_is_a_conflict(cli, boto, tmp_path):
    a = write(tmp_path / "a", {"stack.yaml": STACK.replace("safety", "stack-a"), "r.yaml": role("shared")})
    b = write(tmp_path / "b", {"stack.yaml": STACK.replace("safety", "stack-b"), "r.yaml": role("shared")})
    assert cli("apply", str(a), "--auto-approve").code == 0
    r = cli("plan", str(b))
    assert r.code == 1 and "owned by stack 'stack-a'" in r.out
    # b prunes and destroys nothing of a's
    write(b, {"r.yaml": role("only-b")})
    assert cli("apply", str(b), "--auto-approve", "--prune").code == 0
    r = cli("destroy", str(b), "--auto-approve")
    assert r.code == 0 and "Role/shared" not in r.out
    assert boto("iam").get_role(RoleName="shared")


def test_prevent_destroy_blocks_prune_and_destroy_until_lifted(cli, boto, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK,
                               "r.yaml": role("precious", '{"reconciler/prevent-destroy": "true"}')})
    assert cli("apply", str(m), "--auto-approve").code == 0
    tags = {t["Key"]: t["Value"] for t in boto("iam").get_role(RoleName="precious")["Role"]["Tags"]}
    assert tags["reconciler:prevent-destroy"] == "true"
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 1 and "[protected]" in r.out
    # the manifest is deleted: the tag still protects it from prune
    (m / "r.yaml").write_text(role("other"))
    r = cli("prune", str(m), "--auto-approve")
    assert r.code == 1 and "Role/precious [protected]" in r.out and "- Role/precious" not in r.out
    assert boto("iam").get_role(RoleName="precious")
    # lifting: apply with the annotation "false", then destroy works
    (m / "r.yaml").write_text(role("precious", '{"reconciler/prevent-destroy": "false"}'))
    assert cli("apply", str(m), "--auto-approve").code == 0
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "- Role/precious" in r.out
    assert boto("iam").list_roles()["Roles"] == []


def test_account_pin_refuses_other_accounts_before_any_change(cli, boto, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK + "spec: {accountId: '999999999999'}\n", "r.yaml": role("x")})
    for cmd in (["plan"], ["apply", "--auto-approve"], ["prune", "--auto-approve"], ["destroy", "--auto-approve"]):
        r = cli(*cmd[:1], str(m), *cmd[1:])
        assert r.code == 1 and "pinned to account 999999999999" in r.err, r.text
    assert boto("iam").list_roles()["Roles"] == []


def test_apply_without_terminal_refuses_without_auto_approve(cli, boto, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "r.yaml": role("x")})
    r = cli("apply", str(m))
    assert r.code == 1 and "--auto-approve" in r.err
    assert boto("iam").list_roles()["Roles"] == []


def test_no_secret_in_any_output_and_file_is_0600(cli, boto, tmp_path):
    keyfile = tmp_path / "out" / "key.json"
    user = f"""
apiVersion: reconciler/v1
kind: User
metadata: {{name: deployer}}
spec:
  accessKey: {{store: {{file: {keyfile}}}}}
---
apiVersion: reconciler/v1
kind: User
metadata: {{name: ci}}
spec:
  accessKey: {{store: {{secretsManager: ci-key}}}}
"""
    m = write(tmp_path / "m", {"stack.yaml": STACK, "u.yaml": user})
    plan_file = tmp_path / "plan.json"
    for args in (["plan", str(m), "--out", str(plan_file)], ["apply", str(m), "--auto-approve", "--debug"]):
        assert cli(*args).code == 0
    secrets = [json.loads(keyfile.read_text())]
    assert stat.S_IMODE(os.stat(keyfile).st_mode) == 0o600
    sm = boto("secretsmanager")
    secrets.append(json.loads(sm.get_secret_value(SecretId="ci-key")["SecretString"]))
    for args in (["plan", str(m), "--format", "json"], ["plan", str(m), "--format", "markdown"],
                 ["destroy", str(m), "--auto-approve"]):
        assert cli(*args).code == 0
    everything = "".join(r.text for r in cli.history) + plan_file.read_text()
    everything += (tmp_path / "reconcile-home").joinpath("sandbox.log").read_text() if (tmp_path / "reconcile-home" / "sandbox.log").exists() else ""
    for s in secrets:
        assert s["SecretAccessKey"] not in everything
        assert s["AccessKeyId"] not in everything
    # destroy removed the users and scheduled the owned secret for deletion
    assert boto("iam").list_users()["Users"] == []
    assert "DeletedDate" in sm.describe_secret(SecretId="ci-key")


def test_output_formats_and_detailed_exitcode(cli, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "r.yaml": role("fmt")})
    r = cli("plan", str(m), "--format", "json", "--detailed-exitcode")
    assert r.code == 2
    data = json.loads(r.out)
    assert data["format_version"] == 2 and data["steps"][0]["action"] == "create"
    r = cli("plan", str(m), "--format", "markdown")
    assert r.code == 0 and "<!-- reconcile-plan -->" in r.out and "| `+` | `Role/fmt` |" in r.out
    r = cli("plan", str(m))
    assert "  + Role/fmt" in r.out and "Plan: 1 to create, 0 to update, 0 to replace, 0 to delete." in r.out
    r = cli("plan", str(m), "--out", str(tmp_path / "no-such-dir" / "plan.json"))
    assert r.code == 1 and "Error: cannot write the plan to" in r.err and "Traceback" not in r.err


def test_validate_reports_every_error_at_once_without_aws(cli, tmp_path):
    m = write(tmp_path / "m", {
        "a.yaml": role("ok") + "  maxSessionDuration: 10\n",
        "b.yaml": "apiVersion: reconciler/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  document: {Statement: []}\n  colour: red\n",
        "c.yaml": "apiVersion: reconciler/v1\nkind: User\nmetadata: {name: u}\nspec:\n  managedPolicies: [missing]\n",
    })
    r = cli("validate", str(m), env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert r.code == 1
    assert "Traceback" not in r.err
    assert f"{m / 'a.yaml'}:8: spec.maxSessionDuration:" in r.err
    assert f"{m / 'b.yaml'}:6: spec.colour: unknown field; allowed: description, path, document" in r.err
    assert f"{m / 'c.yaml'}:5: spec.managedPolicies.0: refers to Policy 'missing'" in r.err
