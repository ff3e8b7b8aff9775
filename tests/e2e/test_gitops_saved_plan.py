"""Saved plans: `plan --out` then `apply PLAN` applies exactly that, and refuses (changing nothing) when stale."""

from __future__ import annotations

import json

from reconciler import manifests, pipeline
from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: demo}\nspec: {region: us-east-1}\n"
ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: app-exec}
spec:
  assumedBy: [sagemaker.amazonaws.com]
  maxSessionDuration: 3600
"""

# (edit to the saved plan, what apply must say); each is refused before any change
WRONG_TARGET = [
    ({"account": "999999999999"}, "made for account 999999999999, the credentials are for account 123456789012"),
    ({"stack": "other"}, "the plan is for stack 'other', the manifests in m declare stack 'demo'"),
    ({"sandbox": True}, "the plan was made against the sandbox, this run uses AWS"),
    ({"region": "eu-west-1"}, "region"),
    ({"manifests_path": "elsewhere", "manifests_dir": "/nowhere/elsewhere", "manifests_in_repo": None},
     "the manifests the plan was made from (elsewhere) are not there"),
    ({"format_version": 99}, "unsupported plan format_version 99"),
]


def test_digest_does_not_depend_on_how_the_folder_is_spelled(tmp_path, monkeypatch):
    write(tmp_path / "m", {"stack.yaml": STACK, "sub/iam.yaml": ROLE})
    monkeypatch.chdir(tmp_path)
    digests = {pipeline.manifests_digest(manifests.load(p)) for p in ("m", "./m/", str(tmp_path / "m"), "m/../m")}
    assert len(digests) == 1
    (tmp_path / "m" / "sub" / "iam.yaml").rename(tmp_path / "m" / "iam.yaml")  # same bytes, other file
    assert pipeline.manifests_digest(manifests.load("m")) not in digests


def test_saved_plan_applies_exactly_and_refuses_when_stale(cli, boto, tmp_path):
    iam = boto("iam")
    m = write(tmp_path / "m", {"stack.yaml": STACK, "iam.yaml": ROLE})
    assert cli("apply", "m", "--auto-approve").code == 0
    (m / "iam.yaml").write_text(ROLE.replace("3600", "7200"))
    r = cli("plan", "m", "--out", "plan.json")
    assert r.code == 0 and "apply exactly it with: reconcile apply plan.json" in r.err, r.text
    saved = (tmp_path / "plan.json").read_text()

    for fields, message in WRONG_TARGET:
        (tmp_path / "other.json").write_text(json.dumps({**json.loads(saved), **fields}))
        r = cli("apply", "other.json", "--auto-approve")
        assert r.code == 1 and message in r.err, (fields, r.text)
    assert cli("apply", "plan.json", "--prune", "--auto-approve").code == 1

    (m / "iam.yaml").write_text(ROLE.replace("3600", "10800"))
    r = cli("apply", "plan.json", "--auto-approve")
    assert r.code == 1 and "the manifests in m changed since the plan was made" in r.err, r.text
    assert "nothing was changed" in r.err
    assert iam.get_role(RoleName="app-exec")["Role"]["MaxSessionDuration"] == 3600

    (m / "iam.yaml").write_text(ROLE.replace("3600", "7200"))  # back to what was planned: fresh again
    r = cli("apply", "plan.json", "--auto-approve")
    assert r.code == 0 and "Apply complete: 1 updated." in r.out, r.text
    assert iam.get_role(RoleName="app-exec")["Role"]["MaxSessionDuration"] == 7200
    r = cli("apply", "plan.json", "--auto-approve")  # what it was planned against is gone
    assert r.code == 1 and "Role/app-exec changed in AWS since the plan was made (maxSessionDuration)" in r.err

    (m / "iam.yaml").write_text(ROLE.replace("3600", "10800"))
    assert cli("plan", "m", "--out", "plan.json").code == 0
    iam.delete_role(RoleName="app-exec")
    r = cli("apply", "plan.json", "--auto-approve")
    assert r.code == 1 and "Role/app-exec was deleted from AWS since the plan was made" in r.err, r.text
    assert iam.list_roles()["Roles"] == []
