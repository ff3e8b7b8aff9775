"""Policy documents that crashed or diverged between plan and apply (issue 10, point 8)."""

from __future__ import annotations

from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: pol}\n"
POLICY = """
    apiVersion: reconciler/v1
    kind: Policy
    metadata: {name: mfa-read}
    spec:
      document:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource: "arn:aws:s3:::bucket/*"
            Condition:
              NumericLessThanEquals: {"aws:MultiFactorAuthAge": AGE}
    """


def test_policy_without_version_is_a_validate_error(cli, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "p.yaml": POLICY.replace('        Version: "2012-10-17"\n', "")
                               .replace("AGE", '"15"')})
    for cmd in ("validate", "plan"):
        r = cli(cmd, str(m))
        assert r.code == 1, r.text
        assert "p.yaml:5: spec.document.Version" in r.err and 'add Version: "2012-10-17"' in r.err, r.err
        assert "unexpected" not in r.err


def test_unquoted_number_in_a_condition_never_crashes_and_equals_its_string(cli, boto, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "p.yaml": POLICY.replace("AGE", '"15"')})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    (m / "p.yaml").write_text((m / "p.yaml").read_text().replace('"15"', "15"))
    r = cli("validate", str(m))
    assert r.code == 0, r.text
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0 and "unexpected" not in r.text, r.text
    # a float and a bool, from scratch: validate, plan and apply
    doc = POLICY.replace("AGE", "3600.5").replace("mfa-read", "typed").replace(
        "Condition:\n", 'Condition:\n              Bool: {"aws:SecureTransport": [true]}\n')
    write(m, {"q.yaml": doc})
    for args in (("validate", str(m)), ("plan", str(m)), ("apply", str(m), "--auto-approve")):
        r = cli(*args)
        assert r.code == 0 and "unexpected" not in r.text, r.text
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text


def test_a_duplicated_statement_plan_and_apply_agree(cli, boto, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "p.yaml": POLICY.replace("AGE", '"15"')})
    assert cli("apply", str(m), "--auto-approve").code == 0
    iam = boto("iam")
    arn = next(p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] == "mfa-read")
    # the same statement twice, and a tag: the plan shows the tag only, so apply must write only the tag
    text = (m / "p.yaml").read_text()
    statement = text[text.index("      - Effect"):]
    text = text.replace("metadata: {name: mfa-read}", "metadata: {name: mfa-read, tags: {team: ml}}") + statement
    (m / "p.yaml").write_text(text)
    r = cli("plan", str(m))
    assert r.code == 0 and "document" not in r.out and "team" in r.out, r.out
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert len(versions) == 1, versions  # no policy version the plan never showed
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text


CROSS_ACCOUNT = """
    apiVersion: reconciler/v1
    kind: Role
    metadata: {name: cross-account}
    spec:
      trustPolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole",
                    Principal: {AWS: ["111122223333", "arn:aws:iam::444455556666:root"]}}]}
    """


def test_an_account_principal_is_stored_as_iam_stores_it_and_plans_no_change(cli, boto, tmp_path):
    """IAM stores an account id given as a principal as the account's root ARN (the sandbox too, now): the
    plan after apply is empty however the manifest spells the account (issue 23, item 9)."""
    m = write(tmp_path / "m", {"stack.yaml": STACK, "role.yaml": CROSS_ACCOUNT})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    stored = boto("iam").get_role(RoleName="cross-account")["Role"]["AssumeRolePolicyDocument"]
    assert sorted(stored["Statement"][0]["Principal"]["AWS"]) == [
        "arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"], stored
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
    (m / "role.yaml").write_text((m / "role.yaml").read_text().replace(
        '"111122223333", "arn:aws:iam::444455556666:root"', '"arn:aws:iam::111122223333:root", "444455556666"'))
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
