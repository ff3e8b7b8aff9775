"""The plan is the program (issue 22): a saved plan is applied only while planning again gives exactly it,
from any folder, without a second question; it is printed by `show`; a plan of the old format is refused
saying so; destroy never deletes what the plan called kept. Through the CLI, against the sandbox."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: prog}\nspec: {region: us-east-1}\n"
ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: prog-exec}
spec:
  assumedBy: [sagemaker.amazonaws.com]
  maxSessionDuration: SECONDS
  inlinePolicies:
    s3: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::m/*"}]}
"""


def _role(seconds: int) -> str:
    return ROLE.replace("SECONDS", str(seconds))


def test_text_shows_each_iam_call_and_show_prints_a_saved_plan_as_plan_did(cli, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "iam.yaml": _role(3600)})
    r = cli("plan", str(m), "--out", "plan.json")
    assert r.code == 0, r.text
    assert "      > CreateRole prog-exec\n      > PutRolePolicy prog-exec/s3\n" in r.out, r.out
    shown = cli("show", "plan.json")
    assert shown.code == 0, shown.text
    assert shown.out == r.out
    data = json.loads((tmp_path / "plan.json").read_text())
    assert data["format_version"] == 2
    [step] = data["steps"]
    assert [(o["action"], o["request"].get("PolicyName")) for o in step["operations"]] == [
        ("CreateRole", None), ("PutRolePolicy", "s3")]
    assert step["operations"][1]["ownership"] == {"basis": "created", "op": "role", "tags": {}}


def test_a_saved_plan_edited_by_hand_is_refused(cli, boto, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "iam.yaml": _role(3600)})
    assert cli("apply", str(m), "--auto-approve").code == 0
    write(m, {"iam.yaml": _role(7200)})
    assert cli("plan", str(m), "--out", "plan.json").code == 0
    data = json.loads((tmp_path / "plan.json").read_text())
    [op] = data["steps"][0]["operations"]
    op["request"]["MaxSessionDuration"] = 43200  # the manifests never said 43200
    data["steps"][0]["desired"]["maxSessionDuration"] = 43200
    (tmp_path / "edited.json").write_text(json.dumps(data))
    r = cli("apply", "edited.json")
    assert r.code == 1, r.text
    assert ("Role/prog-exec: the saved plan does not follow from the manifests and the live state: operation 1 "
            "(UpdateRole prog-exec): MaxSessionDuration is 43200 in the plan, 7200 when planned again") in r.err, r.err
    assert "nothing was changed" in r.err
    assert boto("iam").get_role(RoleName="prog-exec")["Role"]["MaxSessionDuration"] == 3600
    r = cli("apply", "plan.json")  # the reviewed plan itself: applied without a second question (no terminal)
    assert r.code == 0 and "Apply complete: 1 updated." in r.out, r.text
    assert boto("iam").get_role(RoleName="prog-exec")["Role"]["MaxSessionDuration"] == 7200


def test_a_format_1_plan_is_refused_saying_so(cli, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "iam.yaml": _role(3600)})
    assert cli("plan", str(m), "--out", "plan.json").code == 0
    old = {**json.loads((tmp_path / "plan.json").read_text()), "format_version": 1}
    (tmp_path / "old.json").write_text(json.dumps(old))
    for command in ("apply", "show"):
        r = cli(command, "old.json")
        assert r.code == 1, r.text
        assert "old.json is a format_version 1 plan, made by a reconcile whose plans did not hold every AWS call" in r.err
        assert "make the plan again with `reconcile plan DIR --out PLAN`" in r.err


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_a_saved_plan_finds_its_manifests_from_any_folder_and_in_another_checkout(cli, boto, tmp_path):
    repo = tmp_path / "repo"
    write(repo / "deploy" / "m", {"stack.yaml": STACK, "iam.yaml": _role(3600)})
    _git("init", "-q", cwd=repo)
    _git("add", ".", cwd=repo)
    _git("commit", "-qm", "manifests", cwd=repo)
    r = cli("plan", "deploy/m", "--out", str(tmp_path / "plan.json"), cwd=repo)
    assert r.code == 0, r.text
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    (elsewhere / "m").mkdir()  # a folder of the same name that is not the plan's: not taken for it
    (elsewhere / "m" / "other.yaml").write_text(STACK.replace("prog", "other"))
    r = cli("apply", str(tmp_path / "plan.json"), cwd=elsewhere)
    assert r.code == 0 and "Apply complete: 1 created." in r.out, r.text
    assert f"manifests read from {repo / 'deploy' / 'm'}" in r.err, r.err

    # another CI job: another checkout of the same repository, the original gone
    write(repo / "deploy" / "m", {"iam.yaml": _role(7200)})
    _git("commit", "-qam", "longer sessions", cwd=repo)
    assert cli("plan", "deploy/m", "--out", str(repo / "plan.json"), cwd=repo).code == 0
    job = tmp_path / "job2"
    _git("clone", "-q", str(repo), str(job), cwd=tmp_path)
    (job / "plan.json").write_text((repo / "plan.json").read_text())
    _git("mv", "deploy", "deploy-moved", cwd=repo)  # the first checkout no longer has the folder
    (job / "sub").mkdir()
    r = cli("apply", str(job / "plan.json"), cwd=job / "sub")
    assert r.code == 0 and "Apply complete: 1 updated." in r.out, r.text
    assert f"manifests read from {job / 'deploy' / 'm'}" in r.err, r.err
    assert boto("iam").get_role(RoleName="prog-exec")["Role"]["MaxSessionDuration"] == 7200


IMPORTED = """
apiVersion: reconciler/v1
kind: User
metadata:
  name: legacy
  annotations: {reconciler/adopt: "true"}
spec: {}
"""


def test_destroy_never_deletes_a_key_the_plan_called_kept(cli, boto, tmp_path):
    iam = boto("iam")
    iam.create_user(UserName="legacy")
    hand_made = iam.create_access_key(UserName="legacy")["AccessKey"]["AccessKeyId"]
    m = write(tmp_path / "m", {"stack.yaml": STACK, "u.yaml": IMPORTED})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0 and f"({hand_made}); they are kept" in r.out, r.text
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 1, r.text
    assert (f"cannot delete User/legacy: it has access key(s) reconcile did not create ({hand_made}), which the plan "
            "keeps") in r.out, r.out
    assert "nothing was deleted" in r.err
    assert [k["AccessKeyId"] for k in iam.list_access_keys(UserName="legacy")["AccessKeyMetadata"]] == [hand_made]
    # deleting it is explicit: the manifest says so, apply deletes it as a planned change, then destroy can go
    write(m, {"u.yaml": IMPORTED.replace("spec: {}", "spec: {unmanagedAccessKeys: delete}")})
    assert cli("apply", str(m), "--auto-approve").code == 0
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0 and "Destroy complete: 1 deleted." in r.out, r.text
    assert iam.list_users()["Users"] == []
