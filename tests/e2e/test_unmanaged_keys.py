"""A user with an access key reconcile did not create (issue 10, point 6): a warning, not a change;
apply converges and verifies; spec.unmanagedAccessKeys: delete removes such keys as a planned change."""

from __future__ import annotations

import json

from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: keys}\n"
USER = """
    apiVersion: reconciler/v1
    kind: User
    metadata:
      name: legacy
      annotations: {reconciler/adopt: "true"}
    spec: {}
    """


def _keys(boto) -> list[str]:
    return sorted(k["AccessKeyId"] for k in boto("iam").list_access_keys(UserName="legacy")["AccessKeyMetadata"])


def test_adopted_user_with_a_foreign_key_converges(cli, boto, tmp_path):
    iam = boto("iam")
    iam.create_user(UserName="legacy")
    foreign = iam.create_access_key(UserName="legacy")["AccessKey"]["AccessKeyId"]
    m = write(tmp_path / "m", {"stack.yaml": STACK, "u.yaml": USER})

    r = cli("plan", str(m))
    assert r.code == 0, r.text
    assert f"User/legacy has access key(s) reconcile did not create ({foreign}); they are kept" in r.out
    assert "accessKey" not in r.out.replace("access key(s)", "")  # a warning, not a change
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text  # verify passes: no "AWS still differs"
    assert "still differs" not in r.text
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out and foreign in r.out, r.text
    assert _keys(boto) == [foreign]
    # keep written out: the manifest knows of the key and keeps it, so no plan warns about it any more
    (m / "u.yaml").write_text((m / "u.yaml").read_text().replace("spec: {}", "spec: {unmanagedAccessKeys: keep}"))
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out and foreign not in r.text and "warning" not in r.text, r.text
    (m / "u.yaml").write_text((m / "u.yaml").read_text().replace("spec: {unmanagedAccessKeys: keep}", "spec: {}"))

    # reconcile's own key beside it: created and stored, the foreign one kept
    keyfile = tmp_path / "secrets" / "legacy.json"
    (m / "u.yaml").write_text((m / "u.yaml").read_text().replace(
        "spec: {}", f"spec: {{accessKey: {{store: {{file: {keyfile}}}}}}}"))
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    ours = json.loads(keyfile.read_text())["AccessKeyId"]
    assert _keys(boto) == sorted([foreign, ours])
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text

    # deleting foreign keys is explicit, and planned as a visible change
    (m / "u.yaml").write_text((m / "u.yaml").read_text().replace("spec: {", "spec: {unmanagedAccessKeys: delete, "))
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert f"~ User/legacy  (delete access key(s) reconcile did not create ({foreign}))" in r.out, r.out
    assert f'- unmanagedAccessKeys: "{foreign}"' in r.out, r.out
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _keys(boto) == [ours]
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text
