"""`reconcile sandbox env` (issue 11, point 6): the shell lines that point other tools at the sandbox.

A shell evals them and boto3 (a client this project did not write) creates a secret in the sandbox,
which reconcile's own sandbox then sees; stop and reset say what they forget."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.cli import Cli, clean_env, reconcile_exe
from tests.support.manifests import write

SCRIPT = """
set -e
eval "$("$RECONCILE" sandbox env)"
"$PYTHON" - <<'PY'
import boto3
sm = boto3.client("secretsmanager")
sm.create_secret(Name="hf-token", SecretString="hf_from_boto3")
print("created", sm.describe_secret(SecretId="hf-token")["Name"])
PY
"""

ENDPOINT = {
    "r.yaml": "apiVersion: reconciler/v1\nkind: Role\nmetadata: {name: exec}\nspec: {assumedBy: [sagemaker.amazonaws.com]}\n",
    "e.yaml": """
        apiVersion: reconciler/v1
        kind: Endpoint
        metadata: {name: env-check}
        spec:
          executionRole: exec
          model:
            image: {huggingfaceLlm: {version: "2.2.0"}}
            environment:
              HF_MODEL_ID: org/model
              HUGGING_FACE_HUB_TOKEN: {secretsManager: hf-token}
          instance: {type: ml.g5.2xlarge}
        """,
}


def test_env_lines_drive_boto3_against_the_sandbox(tmp_path: Path) -> None:
    env = clean_env({"HOME": str(tmp_path / "home"), "RECONCILE_HOME": str(tmp_path / "rh"),
                     "AWS_PROFILE": "production", "AWS_ACCESS_KEY_ID": "AKIAREALLOOKING"})
    cli = Cli(env, tmp_path)
    try:
        r = cli("sandbox", "env")
        assert r.code == 0, r.text
        assert "sandbox started at http://127.0.0.1:" in r.err  # it was not running: env started it
        lines = [line for line in r.out.splitlines() if not line.startswith("#")]
        assert "SageMaker Python SDK" in r.out and "docs/sandbox.md" in r.out  # the SDK needs more than the env
        url = cli("sandbox", "status").out.split()[3]
        assert lines == [f"export AWS_ENDPOINT_URL={url}", "export AWS_ACCESS_KEY_ID=sandbox",
                         "export AWS_SECRET_ACCESS_KEY=sandbox-secret-not-a-real-key", "export AWS_REGION=us-east-1",
                         "export AWS_DEFAULT_REGION=us-east-1", "unset AWS_PROFILE AWS_SESSION_TOKEN"]
        assert cli("sandbox", "env").err == ""  # already running: the same lines, nothing started
        run = subprocess.run(["bash", "-c", SCRIPT], env={**env, "RECONCILE": reconcile_exe(), "PYTHON": sys.executable},
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.strip() == "created hf-token"
        # reconcile's sandbox is the same account: the secret boto3 created resolves in a plan
        m = write(tmp_path / "m", ENDPOINT)
        r = cli("plan", str(m), "--sandbox")
        assert r.code == 0, r.text
        assert "hf_from_boto3" not in r.text
        r = cli("sandbox", "reset")
        assert "forgot every resource in it" in r.out and "same address" in r.out
    finally:
        r = cli("sandbox", "stop")
    assert "forgot every resource in it" in r.out and "starts an empty one" in r.out
