"""The four-step contract for Policy, Role and User on moto, plus each kind's update paths."""

from __future__ import annotations

import json
import os
import stat

import boto3
import pytest

from reconciler import pipeline
from reconciler.errors import ReconcileError
from reconciler.plan import Action, PlanMode
from tests.kinds.conftest import four_steps

POLICY = """
apiVersion: reconciler/v1
kind: Policy
metadata: {name: reader, tags: {team: ml}}
spec:
  description: read models
  document:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Action: [s3:GetObject]
        Resource: "arn:aws:s3:::models/*"
"""

ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: exec}
spec:
  description: runs endpoints
  assumedBy: [sagemaker.amazonaws.com]
  managedPolicies: [reader, arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
  inlinePolicies:
    logs:
      Version: "2012-10-17"
      Statement: {Effect: Allow, Action: logs:PutLogEvents, Resource: "*"}
"""

USER = """
apiVersion: reconciler/v1
kind: User
metadata: {name: deployer}
spec:
  managedPolicies: [reader]
  accessKey:
    store: {file: KEYFILE}
"""


def iam():  # type: ignore[no-untyped-def]
    return boto3.client("iam", region_name="us-east-1")


def test_policy_four_steps_and_versions(stack):
    four_steps(stack, {"p.yaml": POLICY}, 1)
    arn = "arn:aws:iam::123456789012:policy/reader"
    # seven document edits: AWS keeps at most 5 versions, the oldest non-default one goes first
    for n in range(7):
        stack.write({"p.yaml": POLICY.replace("models/*", f"models-{n}/*")})
        p = stack.plan()
        assert [(s.action, s.reason) for s in p.changes] == [(Action.update, "document changed")]
        stack.apply()
        assert not stack.plan().has_changes
    versions = iam().list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 5
    default = iam().get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    doc = iam().get_policy_version(PolicyArn=arn, VersionId=default)["PolicyVersion"]["Document"]
    assert doc["Statement"][0]["Resource"] in ("arn:aws:s3:::models-6/*", ["arn:aws:s3:::models-6/*"])


def test_policy_description_change_replaces(stack):
    stack.write({"p.yaml": POLICY})
    stack.apply()
    stack.write({"p.yaml": POLICY.replace("read models", "read all models")})
    p = stack.plan()
    assert [(s.action, s.reason) for s in p.changes] == [(Action.replace, "description cannot be changed in place")]
    stack.apply()
    assert iam().get_policy(PolicyArn="arn:aws:iam::123456789012:policy/reader")["Policy"]["Description"] == "read all models"


def test_replacing_a_policy_reattaches_it_to_the_roles_using_it(stack):
    stack.write({"p.yaml": POLICY, "r.yaml": ROLE})
    stack.apply()
    stack.write({"p.yaml": POLICY.replace("read models", "read all models"), "r.yaml": ROLE})
    p = stack.plan()
    assert [(s.id, s.action) for s in p.changes] == [("Policy/reader", Action.replace), ("Role/exec", Action.update)]
    assert p.changes[1].reason == "re-link to Policy/reader, which is replaced"
    stack.apply()
    attached = {a["PolicyName"] for a in iam().list_attached_role_policies(RoleName="exec")["AttachedPolicies"]}
    assert "reader" in attached
    assert not stack.plan().has_changes


def test_prune_refuses_a_policy_attached_to_a_role_the_stack_does_not_own(stack):
    stack.write({"p.yaml": POLICY})
    stack.apply()
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam().create_role(RoleName="hand-made", AssumeRolePolicyDocument=trust)
    arn = "arn:aws:iam::123456789012:policy/reader"
    iam().attach_role_policy(RoleName="hand-made", PolicyArn=arn)
    stack.write({"other.yaml": POLICY.replace("name: reader", "name: other")})
    p, t, m = pipeline.plan(stack.root, stack.opts, mode=PlanMode.prune)
    [problem] = p.problems  # refused at plan, before any write (it was a failure half-way through apply)
    assert "attached to Role/hand-made, which this stack does not own" in problem.message
    assert not [s for s in p.changes if s.id == "Policy/reader"]
    with pytest.raises(ReconcileError, match="the plan has problems"):
        pipeline.apply(p, t, stack.opts, m.stack.name)
    attached = iam().list_attached_role_policies(RoleName="hand-made")["AttachedPolicies"]
    assert [a["PolicyArn"] for a in attached] == [arn]
    assert iam().get_policy(PolicyArn=arn)


def test_a_create_racing_an_unowned_resource_fails_and_changes_nothing(stack):
    """Planned as a create, but someone makes the role by hand before apply: it is not ours."""
    stack.write({"r.yaml": ROLE.replace("managedPolicies: [reader, arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]",
                                        "managedPolicies: []")})
    p, t, m = pipeline.plan(stack.root, stack.opts)
    assert [s.action for s in p.changes] == [Action.create]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam().create_role(RoleName="exec", AssumeRolePolicyDocument=trust, Description="hand made")
    result = pipeline.apply(p, t, stack.opts, m.stack.name)
    [(_, err)] = result.outcome.failed
    assert "EntityAlreadyExists" in str(err)
    live = iam().get_role(RoleName="exec")["Role"]
    assert live["Description"] == "hand made" and not live.get("Tags")
    assert iam().list_role_policies(RoleName="exec")["PolicyNames"] == []


def test_role_four_steps_and_updates(stack):
    four_steps(stack, {"p.yaml": POLICY, "r.yaml": ROLE}, 2)
    edited = (ROLE.replace("runs endpoints", "runs LLM endpoints")
              .replace(", arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "")
              .replace("logs:PutLogEvents", "logs:CreateLogStream")
              .replace("metadata: {name: exec}", "metadata: {name: exec, tags: {team: ml}}"))
    stack.write({"p.yaml": POLICY, "r.yaml": edited})
    p = stack.plan()
    assert [s.id for s in p.changes] == ["Role/exec"]
    paths = {c.path for c in p.changes[0].changes}
    assert {"description", "managedPolicies", "tags.team"} <= paths
    assert any(x.startswith("inlinePolicies.logs") for x in paths)
    stack.apply()
    assert not stack.plan().has_changes
    attached = iam().list_attached_role_policies(RoleName="exec")["AttachedPolicies"]
    assert [a["PolicyName"] for a in attached] == ["reader"]


def test_role_trust_policy_written_differently_is_not_a_diff(stack):
    full = ROLE.replace("  assumedBy: [sagemaker.amazonaws.com]\n", """  trustPolicy: |
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole"],
      "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
""")
    stack.write({"p.yaml": POLICY, "r.yaml": ROLE})
    stack.apply()
    stack.write({"p.yaml": POLICY, "r.yaml": full})
    assert not stack.plan().has_changes


def test_user_four_steps_key_created_once_into_a_0600_file(stack, tmp_path):
    keyfile = tmp_path / "secrets" / "deployer.json"
    four_steps(stack, {"p.yaml": POLICY, "u.yaml": USER.replace("KEYFILE", str(keyfile))}, 2)
    mode = stat.S_IMODE(os.stat(keyfile).st_mode)
    assert mode == 0o600
    saved = json.loads(keyfile.read_text())
    keys = iam().list_access_keys(UserName="deployer")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [saved["AccessKeyId"]]
    # the file vanishing (a CI runner) does not rotate the key
    keyfile.unlink()
    assert not stack.plan().has_changes
    # moving the key to Secrets Manager rotates once: new key stored there, old key deleted
    stack.write({"p.yaml": POLICY, "u.yaml": USER.replace("{file: KEYFILE}", "{secretsManager: deployer-key}")})
    p = stack.plan()
    assert [(c.path, c.before, c.after) for c in p.changes[0].changes] == [
        ("accessKey", f"file:{keyfile}", "secretsManager:deployer-key")]
    stack.apply()
    secret = json.loads(boto3.client("secretsmanager", region_name="us-east-1")
                        .get_secret_value(SecretId="deployer-key")["SecretString"])
    keys = iam().list_access_keys(UserName="deployer")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [secret["AccessKeyId"]] != [saved["AccessKeyId"]]
    assert not stack.plan().has_changes


def test_user_interrupted_key_creation_is_repaired(stack, tmp_path):
    """A run killed after CreateAccessKey but before storing the secret leaves a pending marker."""
    keyfile = tmp_path / "k.json"
    stack.write({"p.yaml": POLICY, "u.yaml": USER.replace("KEYFILE", str(keyfile))})
    stack.apply()
    iam().tag_user(UserName="deployer", Tags=[{"Key": "reconciler:access-key", "Value": f"pending:file:{keyfile}"}])
    lost = iam().create_access_key(UserName="deployer")["AccessKey"]["AccessKeyId"]
    p = stack.plan()
    assert p.changes[0].changes[0].before == "(unstored key from an interrupted apply)"
    stack.apply()
    keys = [k["AccessKeyId"] for k in iam().list_access_keys(UserName="deployer")["AccessKeyMetadata"]]
    assert lost not in keys and keys == [json.loads(keyfile.read_text())["AccessKeyId"]]


def test_prune_empties_users_and_roles_first(stack, tmp_path):
    stack.write({"p.yaml": POLICY, "r.yaml": ROLE, "u.yaml": USER.replace("KEYFILE", str(tmp_path / "k.json"))})
    stack.apply()
    stack.write({"other.yaml": POLICY.replace("name: reader", "name: other")})
    p = stack.plan(mode=PlanMode.prune)
    assert [(s.id, s.action) for s in p.changes] == [
        ("User/deployer", Action.delete), ("Role/exec", Action.delete), ("Policy/reader", Action.delete)]
    stack.apply(mode=PlanMode.prune)
    assert iam().list_users()["Users"] == []
    assert [r["RoleName"] for r in iam().list_roles()["Roles"]] == []
    assert [p["PolicyName"] for p in iam().list_policies(Scope="Local")["Policies"]] == []


def test_user_interrupted_key_creation_never_deletes_a_key_reconcile_did_not_create(stack, tmp_path):
    """A first key creation killed on a user that also has a foreign key: the unstored key goes, the foreign stays."""
    keyfile = tmp_path / "k.json"
    iam().create_user(UserName="deployer", Tags=[{"Key": "reconciler:managed-by", "Value": "reconciler"},
                                                  {"Key": "reconciler:stack", "Value": "test"}])
    foreign = iam().create_access_key(UserName="deployer")["AccessKey"]["AccessKeyId"]
    stack.write({"p.yaml": POLICY, "u.yaml": USER.replace("KEYFILE", str(keyfile))})
    assert [w for w in stack.plan().warnings if foreign in w]
    # an apply killed between CreateAccessKey and storing its secret, as _new_key leaves it
    iam().tag_user(UserName="deployer", Tags=[{"Key": "reconciler:access-key", "Value": f"pending:file:{keyfile}"},
                                              {"Key": "reconciler:access-key-id", "Value": f"keep {foreign}"}])
    lost = iam().create_access_key(UserName="deployer")["AccessKey"]["AccessKeyId"]
    p = stack.plan()
    step = next(s for s in p.changes if s.kind == "User")
    assert ("accessKey", "(unstored key from an interrupted apply)") in [(c.path, c.before) for c in step.changes]
    stack.apply()
    keys = sorted(k["AccessKeyId"] for k in iam().list_access_keys(UserName="deployer")["AccessKeyMetadata"])
    new = json.loads(keyfile.read_text())["AccessKeyId"]
    assert keys == sorted([foreign, new]) and lost not in keys
    assert not stack.plan().has_changes


def test_prune_refuses_a_resource_protected_after_its_plan(stack):
    """apply re-checks right before a delete: a resource protected (reconciler:prevent-destroy) since the plan
    listed its delete is refused and kept, whatever the plan says."""
    stack.write({"p.yaml": POLICY})
    stack.apply()
    stack.write({"other.yaml": POLICY.replace("name: reader", "name: other")})
    p, t, m = pipeline.plan(stack.root, stack.opts, mode=PlanMode.prune)
    assert [(s.action, s.id) for s in p.changes if s.action == Action.delete] == [(Action.delete, "Policy/reader")]
    arn = "arn:aws:iam::123456789012:policy/reader"
    iam().tag_policy(PolicyArn=arn, Tags=[{"Key": "reconciler:prevent-destroy", "Value": "true"}])
    result = pipeline.apply(p, t, stack.opts, m.stack.name)
    [(_, err)] = result.outcome.failed
    assert "refusing to delete Policy/reader: it was protected (reconciler:prevent-destroy) since the plan" in str(err)
    assert iam().get_policy(PolicyArn=arn)
