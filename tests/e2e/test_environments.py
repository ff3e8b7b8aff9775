"""Environments through the CLI on one moto account: each its own stack, never touching the other's."""

from __future__ import annotations

from tests.support.manifests import write

SHARED = {
    "stack.yaml": """
        apiVersion: reconciler/v1
        kind: Stack
        metadata: {name: llm}
        spec: {region: us-east-1}
        """,
    "iam.yaml": """
        apiVersion: reconciler/v1
        kind: Role
        metadata: {name: app-role}
        spec:
          assumedBy: [sagemaker.amazonaws.com]
          maxSessionDuration: 3600
          managedPolicies: [app-read]
        ---
        apiVersion: reconciler/v1
        kind: Policy
        metadata: {name: app-read}
        spec:
          document:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::models/*"}]
        """,
    # same account and region: each environment patches the names (and the reference to the policy)
    "environments/dev.yaml": """
        apiVersion: reconciler/v1
        kind: Environment
        metadata: {name: dev}
        spec:
          stack: llm-dev
          patches:
            - target: Role/app-role
              patch: {metadata: {name: dev-app-role}, spec: {managedPolicies: [dev-app-read]}}
            - target: Policy/app-read
              patch: {metadata: {name: dev-app-read}}
        """,
    "environments/prod.yaml": """
        apiVersion: reconciler/v1
        kind: Environment
        metadata: {name: prod}
        spec:
          stack: llm-prod
          patches:
            - target: Role/app-role
              patch: {metadata: {name: prod-app-role}, spec: {managedPolicies: [prod-app-read], maxSessionDuration: 7200}}
            - target: Policy/app-read
              patch: {metadata: {name: prod-app-read}}
        """,
}


def _tags(iam, role: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]}


def test_two_environments_in_one_account_apply_and_prune_apart(cli, boto, tmp_path):
    m = write(tmp_path / "m", SHARED)
    iam = boto("iam")

    r = cli("plan", str(m))
    assert r.code == 1 and "declare environments (dev, prod): plan needs --env NAME" in r.err, r.text
    r = cli("validate", str(m))
    assert r.code == 0, r.text
    assert "stack 'llm-dev' (environment 'dev') are valid" in r.out and "(environment 'prod')" in r.out

    for env in ("dev", "prod"):
        r = cli("apply", str(m), "--env", env, "--auto-approve")
        assert r.code == 0, r.text
        assert f"stack llm-{env}" in r.out
    assert _tags(iam, "dev-app-role")["reconciler:stack"] == "llm-dev"
    assert _tags(iam, "prod-app-role")["reconciler:stack"] == "llm-prod"
    assert iam.get_role(RoleName="prod-app-role")["Role"]["MaxSessionDuration"] == 7200
    assert iam.get_role(RoleName="dev-app-role")["Role"]["MaxSessionDuration"] == 3600

    # each environment's plan is empty: neither sees the other's resources as its own
    for env in ("dev", "prod"):
        r = cli("plan", str(m), "--env", env, "--prune", "--detailed-exitcode")
        assert r.code == 0, r.text

    # dev drops everything (its Role and Policy exist only in prod now): prune in dev leaves prod intact
    only_prod = {k: v.replace("kind: Role\n        metadata: {name: app-role}",
                              'kind: Role\n        metadata: {name: app-role, annotations: {reconciler/environments: "prod"}}')
                 .replace("kind: Policy\n        metadata: {name: app-read}",
                          'kind: Policy\n        metadata: {name: app-read, annotations: {reconciler/environments: "prod"}}')
                 for k, v in SHARED.items()}
    only_prod["environments/dev.yaml"] = """
        apiVersion: reconciler/v1
        kind: Environment
        metadata: {name: dev}
        spec: {stack: llm-dev}
        """
    only_prod["dev-marker.yaml"] = """
        apiVersion: reconciler/v1
        kind: Policy
        metadata: {name: dev-marker, annotations: {reconciler/environments: "dev"}}
        spec:
          document:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: "s3:ListBucket", Resource: "arn:aws:s3:::models"}]
        """
    m2 = write(tmp_path / "m2", only_prod)
    r = cli("prune", str(m2), "--env", "dev", "--auto-approve")
    assert r.code == 0, r.text
    assert "- Role/dev-app-role" in r.out and "prod-app" not in r.out, r.out
    names = {x["RoleName"] for x in iam.list_roles()["Roles"]}
    assert "dev-app-role" not in names and "prod-app-role" in names
    r = cli("plan", str(m2), "--env", "prod", "--prune", "--detailed-exitcode")
    assert r.code == 0, r.text  # prod is exactly as it was

    # destroy in prod deletes only prod's
    r = cli("destroy", str(m2), "--env", "prod", "--auto-approve")
    assert r.code == 0, r.text
    assert "prod-app-role" not in {x["RoleName"] for x in iam.list_roles()["Roles"]}


def test_same_names_in_one_account_are_a_conflict_not_a_takeover(cli, boto, tmp_path):
    """Environments sharing an account without distinct names: the second is refused, the first untouched."""
    files = dict(SHARED)
    files["environments/dev.yaml"] = "apiVersion: reconciler/v1\nkind: Environment\nmetadata: {name: dev}\n"
    files["environments/prod.yaml"] = "apiVersion: reconciler/v1\nkind: Environment\nmetadata: {name: prod}\n"
    m = write(tmp_path / "m", files)
    assert cli("apply", str(m), "--env", "dev", "--auto-approve").code == 0
    r = cli("apply", str(m), "--env", "prod", "--auto-approve")
    assert r.code == 1 and "refusing to apply" in r.text, r.text
    assert _tags(boto("iam"), "app-role")["reconciler:stack"] == "llm-dev"


def test_saved_plan_records_its_environment_and_refuses_another(cli, tmp_path):
    m = write(tmp_path / "m", SHARED)
    plan = tmp_path / "dev.json"
    r = cli("plan", str(m), "--env", "dev", "--out", str(plan))
    assert r.code == 0, r.text
    assert '"environment": "dev"' in plan.read_text()
    r = cli("apply", str(plan), "--env", "prod", "--auto-approve")
    assert r.code == 1 and "the plan was made for environment 'dev', this run names --env prod" in r.err, r.text
    r = cli("apply", str(plan), "--auto-approve")
    assert r.code == 1 and "gives no --env" in r.err, r.text
    r = cli("apply", str(plan), "--env", "dev", "--auto-approve")
    assert r.code == 0, r.text
    assert "Apply complete: 2 created." in r.out


def test_validate_names_the_environment_and_the_patch(cli, tmp_path):
    files = dict(SHARED)
    files["environments/prod.yaml"] = files["environments/prod.yaml"].replace("7200", "99999")
    m = write(tmp_path / "m", files)
    r = cli("validate", str(m))
    assert r.code == 1, r.text
    line = next(x for x in r.err.splitlines() if "maxSessionDuration" in x)
    assert "iam.yaml:6: spec.maxSessionDuration" in line, line  # the base document's line
    assert "environment 'prod'" in line and "environments/prod.yaml:8" in line, line  # and the patch's
    assert "environment 'dev'" not in r.err
    r = cli("render", str(m), "--env", "dev")
    assert r.code == 0 and "name: dev-app-role" in r.out, r.text


def test_every_command_that_touches_aws_refuses_without_env_and_lists_them(cli, tmp_path):
    m = write(tmp_path / "m", SHARED)
    for args in (["plan", str(m)], ["plan", str(m), "--detailed-exitcode"], ["apply", str(m), "--auto-approve"],
                 ["prune", str(m), "--auto-approve"], ["destroy", str(m), "--auto-approve"],
                 ["invoke", "x", "--prompt", "hi", "-f", str(m)], ["rollback", "x", "-f", str(m)],
                 ["call-api", "x", "GET /", "-f", str(m)], ["force-unlock", str(m), "some-id"]):
        r = cli(*args)
        assert r.code == 1 and f"declare environments (dev, prod): {args[0]} needs --env NAME" in r.err, (args, r.text)
    r = cli("plan", str(m), "--env", "qa")
    assert r.code == 1 and "--env qa: no such environment; the manifests declare: dev, prod" in r.err, r.text
    plain = write(tmp_path / "plain", {"iam.yaml": SHARED["iam.yaml"]})
    r = cli("plan", str(plain), "--env", "dev")
    assert r.code == 1 and "declare no environments" in r.err, r.text


def test_a_patch_may_not_move_the_account_or_region_nor_rescope_or_rekind_a_document(cli, tmp_path):
    """Issue 23, item 3: every dev command refuses any other account, so no patch may override the Environment's
    own accountId or region; nor may it decide which environments see a document, or turn it into another kind
    (that was `unexpected KeyError: 'Environment'`). Each is an error at the patch's file:line, all at once."""
    files = dict(SHARED)
    dev = files["environments/dev.yaml"].replace("stack: llm-dev\n", 'stack: llm-dev\n          accountId: "111122223333"\n')
    files["environments/dev.yaml"] = dev.rstrip(" ") + """\
            - target: Stack
              patch: {spec: {accountId: "999999999999", region: eu-west-1}}
            - target: Policy/app-read
              patch: {kind: Environment}
            - target: Role/app-role
              patch: {metadata: {annotations: {reconciler/environments: prod}}}
    """
    m = write(tmp_path / "m", files)
    for args in (("validate", str(m)), ("plan", str(m), "--env", "dev")):
        r = cli(*args)
        assert r.code == 1 and "unexpected" not in r.err, r.text
        assert "4 errors in manifests" in r.err, r.err
        env = f"{m}/environments/dev.yaml"
        assert (f"{env}:13: spec.patches.2.patch.spec.accountId: a patch may not move environment 'dev' to another "
                f"account: its account is the Environment's own spec.accountId ({env}:6)") in r.err, r.err
        assert (f"{env}:13: spec.patches.2.patch.spec.region: a patch may not move environment 'dev' to another "
                f"region: its region is the Environment's own spec.region (not set; add it to the Environment at "
                f"{env}:1)") in r.err, r.err
        assert f"{env}:15: spec.patches.3.patch.kind: a patch may not change a document's kind" in r.err, r.err
        assert (f"{env}:17: spec.patches.4.patch.metadata.annotations.reconciler/environments: a patch may not set "
                "reconciler/environments") in r.err, r.err


def test_a_broken_environment_file_is_reported_as_itself_not_as_another_environment(cli, tmp_path):
    """Issue 23, item 6: dev's file does not parse; validate names the YAML problem without blaming prod, and
    `plan --env dev` says what is broken instead of "no such environment"."""
    files = dict(SHARED)
    files["environments/dev.yaml"] = files["environments/dev.yaml"].replace("stack: llm-dev", "stack: [llm-dev")
    m = write(tmp_path / "m", files)
    for args in (("validate", str(m)), ("plan", str(m), "--env", "dev")):
        r = cli(*args)
        assert r.code == 1, r.text
        assert f"{m}/environments/dev.yaml:6: invalid YAML" in r.err, r.err
        assert "environment 'prod'" not in r.err and "no such environment" not in r.err, r.err
        assert "1 error in manifests" in r.err, r.err  # said once, not once per environment


def test_an_empty_environments_annotation_is_an_error_not_a_silent_drop(cli, tmp_path):
    """Issue 23, item 6: `reconciler/environments: ""` left the document out of every environment, silently."""
    files = dict(SHARED)
    files["iam.yaml"] = files["iam.yaml"].replace("metadata: {name: app-read}",
                                                  'metadata: {name: app-read, annotations: {reconciler/environments: ""}}')
    m = write(tmp_path / "m", files)
    for args in (("validate", str(m)), ("plan", str(m), "--env", "dev")):
        r = cli(*args)
        assert r.code == 1, r.text
        assert (f"{m}/iam.yaml:11: metadata.annotations.reconciler/environments: names no environment, so no "
                "environment would see this document") in r.err, r.err
