"""`reconcile permissions` as a user runs it (issue 26 item 3): the console script, no AWS (its endpoint is a closed
port: a call would fail), and the bootstrap's CI policies that bootstrap/generate_policies.py writes from it.

That the printed policies are enough, and each action needed, is proved against the sandbox with IAM
authorization on: tests/e2e/test_permissions.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from reconciler.awsmodel import iam_reference as sar
from tests.support.cli import Cli, clean_env
from tests.support.manifests import write

REPO = Path(__file__).resolve().parents[2]


def offline(tmp_path: Path) -> Cli:
    return Cli(clean_env({"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "testing",
                          "AWS_SECRET_ACCESS_KEY": "testing", "RECONCILE_HOME": str(tmp_path / "home")}), tmp_path)


def test_prints_each_commands_policies_without_calling_aws(tmp_path):
    cli = offline(tmp_path)
    plan = cli("permissions", str(REPO / "manifests"), "--env", "prod", "--for", "plan")
    assert plan.code == 0 and plan.err == "", plan.text
    docs = json.loads(plan.out)
    actions = {a for d in docs for st in d["Statement"] for a in st["Action"]}
    assert "tag:GetResources" in actions and "sagemaker:DescribeEndpoint" in actions
    assert {sar.action(a).access_level for a in actions} <= {"Read", "List"}  # type: ignore[union-attr]
    apply = cli("permissions", str(REPO / "manifests"), "--env", "prod", "--for", "apply", "--for", "prune")
    assert apply.code == 0, apply.text
    together = {a for d in json.loads(apply.out) for st in d["Statement"] for a in st["Action"]}
    assert actions < together and "sagemaker:CreateEndpoint" in together and "sagemaker:DeleteEndpoint" in together
    assert all(len(json.dumps(d, separators=(",", ":"))) <= 6144 for d in json.loads(apply.out))


def test_refuses_an_unknown_command_and_a_stack_without_region(tmp_path):
    cli = offline(tmp_path)
    r = cli("permissions", str(REPO / "manifests"), "--env", "prod", "--for", "deploy")
    assert r.code != 0 and "deploy: give one or more of plan, drift, apply, prune, destroy" in r.err, r.text
    folder = write(tmp_path / "m", {"iam.yaml": """
        apiVersion: reconciler/v1
        kind: Role
        metadata: {name: app}
        spec: {assumedBy: [lambda.amazonaws.com]}
        """})
    r = cli("permissions", str(folder), "--for", "apply")
    assert r.code == 1 and "give --region" in r.err and "Traceback" not in r.text, r.text
    r = cli("permissions", str(folder), "--for", "apply", "--region", "eu-west-1")
    assert r.code == 0, r.text
    arns = {arn for d in json.loads(r.out) for st in d["Statement"]
            for arn in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])}
    assert "arn:aws:iam::*:role/app" in arns


def test_the_bootstraps_ci_policies_are_what_reconcile_permissions_prints():
    """bootstrap/github-actions/policies.yaml and the roles' lists are current (bootstrap/generate_policies.py)."""
    r = subprocess.run([sys.executable, "bootstrap/generate_policies.py", "--check"], cwd=REPO, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
