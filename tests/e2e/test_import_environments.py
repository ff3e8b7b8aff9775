"""`reconcile import DIR --env NAME` (issue 14): importing into a folder whose manifests declare environments.

Resources made by script (boto3, as seed 000's scripts and the SageMaker SDK make them) are imported for
dev into a folder with dev and prod (two stacks, one sandbox account and region): dev adopts them with
tag writes only, prod never sees them (no create, no orphan, its prune leaves them). Without --env the
import is refused with the environments listed; a pinned account is refused before any AWS call."""

from __future__ import annotations

import json

from tests.e2e.test_import import (
    ROLE,
    TAGGING,
    applied_writes,
    docs,
    execution_role_script,
    fast,
    sdk_deploy,
    tags,
)
from tests.support import audit
from tests.support.faults import proxied
from tests.support.manifests import write

FOLDER = {
    "stack.yaml": """
        apiVersion: reconciler/v1
        kind: Stack
        metadata: {name: llm}
        spec: {region: us-east-1}
        """,
    "environments/dev.yaml": """
        apiVersion: reconciler/v1
        kind: Environment
        metadata: {name: dev}
        spec: {stack: llm-dev, region: us-east-1}
        """,
    "environments/prod.yaml": """
        apiVersion: reconciler/v1
        kind: Environment
        metadata: {name: prod}
        spec: {stack: llm-prod, region: us-east-1}
        """,
    # prod has a resource of its own (so it has something to plan and prune); dev has none before the import
    "prod-only.yaml": """
        apiVersion: reconciler/v1
        kind: Policy
        metadata: {name: prod-marker, annotations: {reconciler/environments: "prod"}}
        spec:
          document:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: "s3:ListBucket", Resource: "arn:aws:s3:::models"}]
        """,
}


def files(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def plan_json(cli, m, env, *extra):
    r = cli("plan", str(m), "--env", env, "--format", "json", *extra)
    assert r.code == 0, r.text
    return json.loads(r.out)


def test_import_for_dev_adopts_with_tags_only_and_prod_never_sees_it(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    sm, iam = boto("sagemaker"), boto("iam")
    sdk_deploy(boto, execution_role_script(boto), "twinllama")
    before = sm.describe_endpoint(EndpointName="twinllama")
    m = write(tmp_path / "m", FOLDER)
    assert cli("apply", str(m), "--env", "prod", "--auto-approve").code == 0
    stack_yaml = (m / "stack.yaml").read_bytes()

    r = cli("import", str(m), "Endpoint/twinllama", "--env", "dev")
    assert r.code == 0, r.text
    assert f"wrote {m / 'dev' / 'endpoint-twinllama.yaml'}" in r.out, r.out
    assert f"reconcile plan {m} --env dev" in r.out
    assert (m / "stack.yaml").read_bytes() == stack_yaml  # the environment names the stack: no stack.yaml written
    ep, role = docs(m / "dev" / "endpoint-twinllama.yaml")
    for doc in (ep, role):
        assert doc["metadata"]["annotations"] == {"reconciler/adopt": "true", "reconciler/environments": "dev"}
    assert role["metadata"]["name"] == ROLE

    # dev: adoption is tags only, under dev's stack
    got = plan_json(cli, m, "dev")
    assert got["stack"] == "llm-dev" and got["environment"] == "dev"
    assert sorted((s["kind"], s["name"]) for s in got["steps"]) == [("Endpoint", "twinllama"), ("Role", ROLE)]
    for s in got["steps"]:
        assert s["action"] == "update" and s["reason"].startswith("adopt"), s
        assert {c["path"].split(".")[0] for c in s["changes"]} == {"tags"}, s
    _, since = audit.fetch(moto_server.url)
    r = cli("apply", str(m), "--env", "dev", "--auto-approve")
    assert r.code == 0, r.text
    writes = applied_writes(moto_server, since)
    assert writes and {w["operation"] for w in writes} <= TAGGING, [audit.describe(w) for w in writes]
    after = sm.describe_endpoint(EndpointName="twinllama")
    assert after["LastModifiedTime"] == before["LastModifiedTime"]  # no UpdateEndpoint
    assert tags(sm, after["EndpointArn"])["reconciler:stack"] == "llm-dev"
    role_tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=ROLE)["Tags"]}
    assert role_tags["reconciler:stack"] == "llm-dev"
    r = cli("plan", str(m), "--env", "dev", "--prune", "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text

    # prod: the imported documents are not prod's, and dev's resources are not prod's orphans
    got = plan_json(cli, m, "prod", "--prune")
    assert got["stack"] == "llm-prod"
    assert [(s["kind"], s["name"], s["action"]) for s in got["steps"]] == [("Policy", "prod-marker", "noop")]
    assert got["orphans"] == [] and got["problems"] == []
    r = cli("plan", str(m), "--env", "prod", "--prune", "--detailed-exitcode")
    assert r.code == 0 and "twinllama" not in r.out and ROLE not in r.out, r.text
    r = cli("prune", str(m), "--env", "prod", "--auto-approve")
    assert r.code == 0, r.text
    assert sm.describe_endpoint(EndpointName="twinllama")["EndpointStatus"] == "InService"
    assert tags(sm, after["EndpointArn"])["reconciler:stack"] == "llm-dev"
    assert iam.get_role(RoleName=ROLE)["Role"]["RoleName"] == ROLE

    # importing it for prod would take it from dev: refused by name, nothing written
    r = cli("import", str(m), "Endpoint/twinllama", "--env", "prod")
    assert r.code == 1, r.text
    assert "not imported: Endpoint/twinllama: it is owned by reconcile stack 'llm-dev'" in r.err, r.err
    assert not (m / "prod").exists()


def test_import_without_env_is_refused_and_lists_the_environments(cli, boto, tmp_path):
    execution_role_script(boto)
    m = write(tmp_path / "m", FOLDER)
    before = files(m)
    r = cli("import", str(m), f"Role/{ROLE}")
    assert r.code == 1 and "declare environments (dev, prod): import needs --env NAME" in r.err, r.text
    r = cli("import", str(m), f"Role/{ROLE}", "--env", "qa")
    assert r.code == 1 and "--env qa: no such environment; the manifests declare: dev, prod" in r.err, r.text
    r = cli("import", str(m), f"Role/{ROLE}", "--env", "dev", "--stack", "other")
    assert r.code == 1 and "--stack other conflicts with --env dev" in r.err and "'llm-dev'" in r.err, r.text
    assert files(m) == before  # nothing written
    # a folder without environments: --env is refused, and without it nothing changed
    r = cli("import", str(tmp_path / "plain"), f"Role/{ROLE}", "--env", "dev")
    assert r.code == 1 and "declare no environments" in r.err, r.text
    assert not (tmp_path / "plain").exists()
    r = cli("import", str(tmp_path / "plain"), f"Role/{ROLE}")
    assert r.code == 0, r.text
    assert sorted(f for f in files(tmp_path / "plain") if not f.startswith("schemas/")) == [f"role-{ROLE}.yaml",
                                                                                           "stack.yaml"]
    assert "reconciler/environments" not in (tmp_path / "plain" / f"role-{ROLE}.yaml").read_text()


def test_pinned_account_is_refused_before_any_aws_call_but_the_identity_check(cli, boto, moto_server, tmp_path):
    execution_role_script(boto)
    pinned = {**FOLDER, "environments/dev.yaml": FOLDER["environments/dev.yaml"].replace(
        "region: us-east-1}", "region: us-east-1, accountId: '999999999999'}")}
    m = write(tmp_path / "m", pinned)
    before = files(m)
    c, proxy = proxied(cli, moto_server)
    try:
        r = c("import", str(m), f"Role/{ROLE}", "--env", "dev")
        assert r.code == 1 and "stack 'llm-dev' is pinned to account 999999999999" in r.err, r.text
        assert set(proxy.counts) == {"sts:GetCallerIdentity"}, proxy.counts
        # the environment's region is the one used: another is a conflict, refused before any call
        proxy.reset_counts()
        r = c("import", str(m), f"Role/{ROLE}", "--env", "prod", "--region", "eu-west-1")
        assert r.code == 1 and "conflicts with the stack's region us-east-1" in r.err, r.text
        assert not proxy.counts, proxy.counts
    finally:
        proxy.stop()
    assert files(m) == before


def test_what_the_environment_already_declares_is_not_imported_again(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    sdk_deploy(boto, execution_role_script(boto), "twinllama")
    shared_role = f"""
        apiVersion: reconciler/v1
        kind: Role
        metadata: {{name: {ROLE}}}
        spec: {{assumedBy: [sagemaker.amazonaws.com]}}
        """
    m = write(tmp_path / "m", {**FOLDER, "iam.yaml": shared_role})
    before = files(m)
    # named by a selector: refused (an import adds documents, it does not replace one)
    r = cli("import", str(m), f"Role/{ROLE}", "--env", "dev")
    assert r.code == 1, r.text
    assert f"refusing to import into environment 'dev': it already declares Role/{ROLE} (declared at {m / 'iam.yaml'}:" \
        in r.err, r.text
    assert files(m) == before
    # brought along by an endpoint: left out, and said where it is declared
    r = cli("import", str(m), "Endpoint/twinllama", "--env", "dev")
    assert r.code == 0, r.text
    assert f"Role/{ROLE}: environment 'dev' already declares it at {m / 'iam.yaml'}:" in r.out, r.out
    assert [d["kind"] for d in docs(m / "dev" / "endpoint-twinllama.yaml")] == ["Endpoint"]
    # importing it again: the file exists (refused without --force); --force rewrites the import's own file
    r = cli("import", str(m), "Endpoint/twinllama", "--env", "dev")
    assert r.code == 1 and "refusing to overwrite" in r.err, r.text
    r = cli("import", str(m), "Endpoint/twinllama", "--env", "dev", "--force")
    assert r.code == 0, r.text
    # prod is another environment: the endpoint limited to dev does not stop an import for prod
    r = cli("import", str(m), "Endpoint/twinllama", "--env", "prod")
    assert r.code == 0, r.text
    assert docs(m / "prod" / "endpoint-twinllama.yaml")[0]["metadata"]["annotations"]["reconciler/environments"] == "prod"
