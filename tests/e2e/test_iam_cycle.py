"""The newcomer's cycle against a moto server over HTTP: plan -> apply -> plan empty -> edit -> plan -> prune."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.support.manifests import write

REPO = Path(__file__).resolve().parents[2]

ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata:
  name: app-exec
spec:
  assumedBy: [sagemaker.amazonaws.com]
  maxSessionDuration: 3600
  managedPolicies: [app-read]
---
apiVersion: reconciler/v1
kind: Policy
metadata:
  name: app-read
spec:
  document:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Action: s3:GetObject
        Resource: "arn:aws:s3:::models/*"
"""


def test_example_manifests_cycle(cli, boto, tmp_path):
    """The seed examples in dev (manifests/environments/dev.yaml): plan shows the creates, apply, plan is
    empty, apply again changes nothing; dev's endpoint runs on dev's patched instance type."""
    m = tmp_path / "manifests"
    shutil.copytree(REPO / "manifests", m)
    r = cli("plan", str(m), "--env", "dev", "--detailed-exitcode")
    assert r.code == 2, r.text
    assert "Plan: 12 to create, 0 to update, 0 to replace, 0 to delete." in r.out
    r = cli("apply", str(m), "--env", "dev", "--auto-approve")
    assert r.code == 0, r.text
    assert "Apply complete: 12 created." in r.out
    r = cli("plan", str(m), "--env", "dev", "--detailed-exitcode")
    assert r.code == 0, r.text
    assert "No changes." in r.out
    r = cli("apply", str(m), "--env", "dev", "--auto-approve")
    assert r.code == 0 and "Apply complete" not in r.out and "No changes." in r.out
    assert "stack llm-serving-dev" in r.out
    iam = boto("iam")
    role = iam.get_role(RoleName="llm-sagemaker-execution")["Role"]
    tags = {t["Key"]: t["Value"] for t in role["Tags"]}
    assert tags["reconciler:managed-by"] == "reconciler" and tags["reconciler:stack"] == "llm-serving-dev"
    attached = iam.list_attached_user_policies(UserName="llm-deployer")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["llm-deployer"]
    sm = boto("sagemaker")
    config = sm.describe_endpoint(EndpointName="twinllama-3-1-8b-dpo")["EndpointConfigName"]
    variant = sm.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"][0]
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.g5.xlarge", 1)


def test_edit_shows_exactly_the_edit_then_prune(cli, boto, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: demo}\n",
                               "iam.yaml": ROLE})
    assert cli("apply", str(m), "--auto-approve").code == 0
    (m / "iam.yaml").write_text(ROLE.replace("maxSessionDuration: 3600", "maxSessionDuration: 7200"))
    r = cli("plan", str(m), "--format", "json")
    assert r.code == 0, r.text
    plan = json.loads(r.out)
    changed = [s for s in plan["steps"] if s["action"] != "noop"]
    assert [(s["kind"], s["name"], s["action"]) for s in changed] == [("Role", "app-exec", "update")]
    assert [(c["path"], c["before"], c["after"]) for c in changed[0]["changes"]] == [("maxSessionDuration", 3600, 7200)]
    assert cli("apply", str(m), "--auto-approve").code == 0
    assert boto("iam").get_role(RoleName="app-exec")["Role"]["MaxSessionDuration"] == 7200

    # drop the policy and the reference to it: plan leaves it alone, prune deletes it
    (m / "iam.yaml").write_text(ROLE.split("---")[0].replace("  managedPolicies: [app-read]\n", ""))
    r = cli("plan", str(m))
    assert "1 to update" in r.out and "0 to delete" in r.out
    assert cli("apply", str(m), "--auto-approve").code == 0
    r = cli("prune", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "- Policy/app-read" in r.out
    names = [p["PolicyName"] for p in boto("iam").list_policies(Scope="Local")["Policies"]]
    assert "app-read" not in names
    assert boto("iam").get_role(RoleName="app-exec")
