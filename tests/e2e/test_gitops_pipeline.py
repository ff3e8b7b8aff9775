"""The GitOps pipeline's steps, in the order .github/workflows/reconcile.yml runs them, against a moto server.

bootstrap (one local apply) -> PR: validate + plan (markdown comment, saved plan) -> merge: apply the saved
plan -> a stale plan is refused after an out-of-band change -> scheduled drift check (exit 2, the drifted
field named) -> re-apply heals it -> drift check exit 0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import urllib.parse
from pathlib import Path

import yaml

from tests.support.cli import reconcile_exe
from tests.support.manifests import write

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / ".github" / "scripts" / "reconcile_ci.py"
MARKER = "<!-- reconcile-plan -->"

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: llm-serving}\nspec: {region: us-east-1}\n"
IAM = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: app-exec}
spec:
  description: runs the endpoints
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
    Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::models/*"}]
"""


def script(*args: str, cwd: Path, summary: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def one(v):  # type: ignore[no-untyped-def]
    return v[0] if isinstance(v, list) and len(v) == 1 else v


def test_bootstrap_is_one_local_apply_per_environment(cli, boto, tmp_path):
    b = tmp_path / "bootstrap"
    shutil.copytree(REPO / "bootstrap" / "github-actions", b)
    dev = b / "environments" / "dev.yaml"  # the placeholder: dev's account is this (moto's) one
    dev.write_text(dev.read_text().replace("111122223333", "123456789012"))
    r = cli("plan", "bootstrap")
    assert r.code == 1 and "declare environments (dev, prod)" in r.err, r.text
    r = cli("plan", "bootstrap", "--env", "prod")  # prod's account guard refuses this account
    assert r.code == 1 and "pinned to account 444455556666" in r.err, r.text
    r = cli("plan", "bootstrap", "--env", "dev", "--format", "json")
    assert r.code == 0, r.text
    layer = {s["kind"] + "/" + s["name"]: s["layer"] for s in json.loads(r.out)["steps"]}
    # AWS refuses a trust policy naming an OIDC provider that does not exist yet: provider first
    assert layer["OidcProvider/token.actions.githubusercontent.com"] < layer["Role/reconcile-github-actions"]
    assert layer["OidcProvider/token.actions.githubusercontent.com"] < layer["Role/reconcile-github-actions-plan"]
    r = cli("apply", "bootstrap", "--env", "dev", "--auto-approve")
    policies = [d for d in yaml.safe_load_all((b / "policies.yaml").read_text())  # (generate_policies.py)
                if d["metadata"]["annotations"]["reconciler/environments"] == "dev"]
    assert r.code == 0 and f"Apply complete: {3 + len(policies)} created." in r.out, r.text  # a provider, 2 roles
    assert "stack github-actions-bootstrap-dev" in r.out
    assert cli("plan", "bootstrap", "--env", "dev", "--detailed-exitcode").code == 0
    iam = boto("iam")
    (provider,) = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert provider["Arn"].endswith(":oidc-provider/token.actions.githubusercontent.com")
    role = iam.get_role(RoleName="reconcile-github-actions")["Role"]
    (st,) = role["AssumeRolePolicyDocument"]["Statement"]
    cond = {k: one(v) for k, v in st["Condition"]["StringEquals"].items()}  # AWS keeps lists or strings
    assert one(st["Principal"]["Federated"]) == provider["Arn"] and one(st["Action"]) == "sts:AssumeRoleWithWebIdentity"
    # the apply role trusts only jobs in the GitHub Environment dev
    assert cond == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    "token.actions.githubusercontent.com:sub": "repo:my-org/my-repo:environment:dev"}
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="reconcile-github-actions")["Tags"]}
    assert tags["reconciler:stack"] == "github-actions-bootstrap-dev"
    # the policies `reconcile permissions manifests --env dev` prints (bootstrap/generate_policies.py): the apply
    # role may change only what carries stack llm-serving-dev's tag
    attached = iam.list_attached_role_policies(RoleName="reconcile-github-actions-plan")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["reconcile-github-actions-plan-1"]
    attached = iam.list_attached_role_policies(RoleName="reconcile-github-actions")["AttachedPolicies"]
    conditions = []
    for p in attached:
        version = iam.get_policy(PolicyArn=p["PolicyArn"])["Policy"]["DefaultVersionId"]
        doc = iam.get_policy_version(PolicyArn=p["PolicyArn"], VersionId=version)["PolicyVersion"]["Document"]
        doc = json.loads(urllib.parse.unquote(doc)) if isinstance(doc, str) else doc
        conditions += [st.get("Condition", {}) for st in doc["Statement"]]
    assert {"StringEquals": {"aws:ResourceTag/reconciler:stack": ["llm-serving-dev"]}} in conditions  # (as stored: a list)
    plan_trust = iam.get_role(RoleName="reconcile-github-actions-plan")["Role"]["AssumeRolePolicyDocument"]
    subs = plan_trust["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    assert sorted(subs) == ["repo:my-org/my-repo:pull_request", "repo:my-org/my-repo:ref:refs/heads/main"]


def test_pipeline_steps_in_order(cli, boto, tmp_path):
    iam = boto("iam")
    m = write(tmp_path / "manifests", {"stack.yaml": STACK, "iam.yaml": IAM})
    summary = tmp_path / "summary.md"

    # pull request: validate, plan (markdown for the comment, JSON saved), publish to the job summary
    assert cli("validate", "manifests").code == 0
    r = cli("plan", "manifests", "--out", "plan.json", "--format", "markdown")
    assert r.code == 0, r.text
    (tmp_path / "plan.md").write_text(r.out)
    assert r.out.startswith(MARKER) and "`Role/app-exec`" in r.out and "`Policy/app-read`" in r.out
    assert script("publish", "--markdown", "plan.md", cwd=tmp_path, summary=summary).returncode == 0
    assert summary.read_text().startswith(MARKER) and "2 to create" in summary.read_text()

    # merge: apply exactly the reviewed plan
    r = cli("apply", "plan.json", "--auto-approve")
    assert r.code == 0 and "Apply complete: 2 created." in r.out, r.text
    assert iam.get_role(RoleName="app-exec")["Role"]["Description"] == "runs the endpoints"

    # another pull request is planned; then someone changes the role by hand: its plan is now stale
    (m / "iam.yaml").write_text(IAM.replace("maxSessionDuration: 3600", "maxSessionDuration: 7200"))
    assert cli("plan", "manifests", "--out", "pr2.json").code == 0
    iam.update_role(RoleName="app-exec", Description="edited in the console")
    r = cli("apply", "pr2.json", "--auto-approve")
    assert r.code == 1, r.text
    assert "refusing to apply a stale plan (nothing was changed)" in r.err
    assert "Role/app-exec changed in AWS since the plan was made (description)" in r.err
    assert iam.get_role(RoleName="app-exec")["Role"]["MaxSessionDuration"] == 3600
    (m / "iam.yaml").write_text(IAM)  # that pull request is closed unmerged

    # schedule: drift detection fails visibly and names what drifted
    r = cli("plan", "manifests", "--detailed-exitcode", "--out", "drift.json", "--format", "markdown")
    assert r.code == 2, r.text
    (tmp_path / "drift.md").write_text(r.out)
    d = script("drift", "--plan", "drift.json", "--markdown", "drift.md", "--exit-code", "2", cwd=tmp_path,
               summary=summary)
    assert d.returncode == 2, d.stderr
    assert "::error title=Drift: Role/app-exec::Role/app-exec update: description" in d.stdout
    assert "Drift detected: 1 resource(s)" in summary.read_text()

    # re-apply (what the push job does: plan, then apply that plan) heals it
    assert cli("plan", "manifests", "--out", "heal.json").code == 0
    r = cli("apply", "heal.json", "--auto-approve")
    assert r.code == 0 and "Apply complete: 1 updated." in r.out, r.text
    assert iam.get_role(RoleName="app-exec")["Role"]["Description"] == "runs the endpoints"

    # the next drift check is clean
    r = cli("plan", "manifests", "--detailed-exitcode", "--out", "drift.json", "--format", "markdown")
    assert r.code == 0, r.text
    d = script("drift", "--plan", "drift.json", "--exit-code", "0", cwd=tmp_path, summary=summary)
    assert d.returncode == 0 and "::error" not in d.stdout


def test_dispatch_confirmation_reads_the_stack_name(tmp_path):
    write(tmp_path / "manifests", {"stack.yaml": STACK, "iam.yaml": IAM})
    summary = tmp_path / "s.md"
    ok = script("confirm", "--operation", "prune", "--confirm", "prune llm-serving", "--manifests", "manifests",
                cwd=tmp_path, summary=summary)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = script("confirm", "--operation", "destroy", "--confirm", "destroy llm-serving", "--manifests", "manifests",
                 cwd=tmp_path, summary=summary)
    assert bad.returncode == 1 and "allow-destroy" in bad.stdout


# ---- the pipeline per environment, each job's step being the composite action's own script -------------
ENVS = {
    "stack.yaml": STACK,
    "iam.yaml": IAM,
    "environments/dev.yaml": """
        apiVersion: reconciler/v1
        kind: Environment
        metadata: {name: dev}
        spec:
          stack: llm-serving-dev
          patches:
            - target: Role/app-exec
              patch: {metadata: {name: dev-app-exec}, spec: {managedPolicies: [dev-app-read]}}
            - target: Policy/app-read
              patch: {metadata: {name: dev-app-read}}
        """,
    "environments/prod.yaml": """
        apiVersion: reconciler/v1
        kind: Environment
        metadata: {name: prod}
        spec: {stack: llm-serving}
        """,
}


def action(operation: str, env: str, cwd: Path, aws_env: dict, out: str = "reconcile-out") -> dict[str, str]:
    """Run the composite action's reconcile step (its real bash script) as a job would; its outputs."""
    import yaml

    steps = yaml.safe_load((REPO / ".github" / "actions" / "reconcile" / "action.yml").read_text())["runs"]["steps"]
    script = next(s["run"] for s in steps if s.get("id") == "run")
    outputs = cwd / f"github-output-{env}-{operation}"
    outputs.write_text("")
    run_env = {**aws_env, "MANIFESTS": "manifests", "RECONCILE_ENV": env, "OPERATION": operation, "OUT": out,
               "GITHUB_OUTPUT": str(outputs), "PATH": f"{Path(reconcile_exe()).parent}:{os.environ['PATH']}"}
    r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=run_env,
                       capture_output=True, text=True, timeout=300)
    got = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    got["rc"], got["log"] = str(r.returncode), r.stdout + r.stderr
    return got


def test_pipeline_per_environment(aws_env, boto, tmp_path):
    iam = boto("iam")
    m = write(tmp_path / "manifests", ENVS)
    summary = tmp_path / "summary.md"

    # pull request: one plan job per environment (a matrix), each uploading reconcile-plan-<env>
    for env in ("dev", "prod"):
        out = f"plans/reconcile-plan-{env}"
        got = action("plan", env, tmp_path, aws_env, out)
        assert got["rc"] == "0" and got["exit-code"] == "0", got["log"]
        (tmp_path / out / "exit-code").write_text(got["exit-code"])
        assert got["stack"] == {"dev": "llm-serving-dev", "prod": "llm-serving"}[env]
    # the comment job: one comment, a section per environment
    r = script("sections", "--dir", "plans", "--environments", "dev,prod", cwd=tmp_path, summary=summary)
    assert r.returncode == 0, r.stderr
    text = summary.read_text()
    assert text.startswith(MARKER) and text.count(MARKER) == 1
    assert "| `dev` | stack `llm-serving-dev`: 2 to create; 0 orphan(s) |" in text
    assert "| `prod` | stack `llm-serving`: 2 to create; 0 orphan(s) |" in text
    assert text.index("`Role/dev-app-exec`") < text.index("### Environment `prod`") < text.index("`Role/app-exec`")

    # push to main: apply dev, then prod (each plans, then applies exactly that plan)
    for env in ("dev", "prod"):
        got = action("apply", env, tmp_path, aws_env)
        assert got["rc"] == "0" and "Apply complete: 2 created." in got["log"], got["log"]
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="dev-app-exec")["Tags"]}
    assert tags["reconciler:stack"] == "llm-serving-dev"

    # drift per environment: dev drifted out of band, prod did not
    iam.update_role(RoleName="dev-app-exec", Description="edited in the console")
    dev, prod = action("drift", "dev", tmp_path, aws_env, "d-dev"), action("drift", "prod", tmp_path, aws_env, "d-prod")
    assert (dev["exit-code"], prod["exit-code"]) == ("2", "0"), dev["log"] + prod["log"]
    d = script("drift", "--plan", "d-dev/plan.json", "--markdown", "d-dev/plan.md", "--exit-code", "2",
               "--environment", "dev", cwd=tmp_path, summary=summary)
    assert d.returncode == 2 and "::error title=Drift (dev): Role/dev-app-exec::" in d.stdout

    # an orphan in dev (declared no more) shows in dev's section only; prune in dev leaves prod intact
    (m / "iam.yaml").write_text(IAM.split("---")[0].replace("  managedPolicies: [app-read]\n", ""))
    (m / "environments" / "dev.yaml").write_text(textwrap.dedent("""
        apiVersion: reconciler/v1
        kind: Environment
        metadata: {name: dev}
        spec:
          stack: llm-serving-dev
          patches:
            - target: Role/app-exec
              patch: {metadata: {name: dev-app-exec}}
        """))
    for env in ("dev", "prod"):
        out = f"plans2/reconcile-plan-{env}"
        got = action("plan", env, tmp_path, aws_env, out)
        (tmp_path / out / "exit-code").write_text(got["exit-code"])
    script("sections", "--dir", "plans2", "--environments", "dev,prod", cwd=tmp_path, summary=summary)
    text = summary.read_text().split(MARKER)[-1]
    assert "`reconcile prune --env dev` deletes them: `Policy/dev-app-read`" in text
    assert "`reconcile prune --env prod` deletes them: `Policy/app-read`" in text
    got = action("prune", "dev", tmp_path, aws_env)
    assert got["rc"] == "0", got["log"]
    policies = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert "dev-app-read" not in policies and "app-read" in policies
