"""Upgrading reconcile changes nothing in AWS: manifests applied by an older release plan as "No changes"
with today's code (issue 19: the Endpoint's inline ``inferenceComponent`` stays a shorthand, and existing
manifests plan as no change after the upgrade).

The older release is the code of a commit from this repository's own history, extracted with
``git archive`` and run as a subprocess (``python -m reconciler`` with PYTHONPATH on the extracted tree, the
same virtualenv) against the same sandbox server as the other end-to-end tests. Its manifests are the
example manifests of that commit (seed 000's two TwinLlama endpoints: model-based, and
inference-component-based with the inline shorthand), plus a shorthand endpoint with a named component,
a secret reference and tags of its own. The old code applies them, then rolls one update out (so the old
rollback records exist too); today's ``plan --detailed-exitcode`` must exit 0.

A clone without that commit (a shallow CI checkout) fails this test with a message saying so: it is never
skipped (CI counts a skip as a failure, and a skipped upgrade check proves nothing).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.manifests import write

# The last release users run (the last commit that landed before the InferenceComponent kind, 2026-11-22):
# an inference-component endpoint could only use the inline `inferenceComponent` shorthand, and its default
# component name was `<endpoint[:60]>-ic`.
OLD_COMMIT = "1d8072ad2d6f5ed62ba9345319ff861dfd57a4a3"
REPO = Path(__file__).resolve().parents[2]

EXTRA = """
    apiVersion: reconciler/v1
    kind: Endpoint
    metadata:
      name: upgrade-ic
      tags: {team: search, cost-center: "42"}
    spec:
      type: inference-component-based
      executionRole: llm-sagemaker-execution
      model:
        image: {huggingfaceLlm: {version: "2.2.0"}}
        environment:
          HF_MODEL_ID: org/model-v1
          SM_NUM_GPUS: "1"
          HUGGING_FACE_HUB_TOKEN: {secretsManager: upgrade/hf-token}
      instance: {type: ml.g5.2xlarge, count: 1}
      startup: {healthCheckTimeoutSeconds: 600}
      inferenceComponent: {name: upgrade-chat, copies: 1, acceleratorDevices: 1, memoryMb: 4096}
      smokeTest: {inputs: hi, parameters: {max_new_tokens: 4}}
    """


def _archive(commit: str, paths: list[str], into: Path) -> None:
    """``git archive COMMIT PATHS | tar -x -C INTO``; fails the test (never skips) when git or the commit is missing."""
    try:
        found = subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", f"{commit}^{{commit}}"],
                               capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        pytest.fail("the upgrade test needs git, to read the older release from the repository's history")
    if found.returncode != 0:
        pytest.fail(f"the upgrade test needs commit {commit} (the last release before the InferenceComponent kind) in "
                    f"the repository at {REPO}, but it is not there ({found.stderr.strip() or 'not a git repository'}). "
                    "A shallow clone lacks it: fetch the full history (git fetch --unshallow, or "
                    "actions/checkout with fetch-depth: 0)")
    into.mkdir(parents=True, exist_ok=True)
    tar = subprocess.run(f"set -o pipefail; git -C {shlex.quote(str(REPO))} archive --format=tar {commit} {' '.join(paths)} "
                         f"| tar -x -C {shlex.quote(str(into))}", shell=True, capture_output=True, text=True,
                         timeout=120, executable="/bin/bash")
    assert tar.returncode == 0, tar.stderr


def _old_cli(old: Path, env: dict[str, str], cwd: Path):  # type: ignore[no-untyped-def]
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=600, env={**env, "PYTHONPATH": str(old)})

    return run


def test_manifests_applied_by_the_release_before_inference_components_plan_as_no_change(
        cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    old = tmp_path / "old"
    _archive(OLD_COMMIT, ["reconciler", "manifests/llm-engineering"], old)
    # it is the older code that runs: no InferenceComponent kind in it, and Python imports it from there
    assert (old / "reconciler" / "cli.py").is_file()
    assert not (old / "reconciler" / "kinds" / "inference_component").exists()
    env = {k: v for k, v in cli.env.items() if k != "PYTHONPATH"}
    where = subprocess.run([sys.executable, "-c", "import reconciler; print(reconciler.__file__)"],
                           capture_output=True, text=True, env={**env, "PYTHONPATH": str(old)}, cwd=tmp_path)
    assert Path(where.stdout.strip()).resolve() == (old / "reconciler" / "__init__.py").resolve(), where
    old_cli = _old_cli(old, env, tmp_path)

    m = tmp_path / "m"
    (old / "manifests" / "llm-engineering").rename(m)
    write(m, {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: upgraded}\n",
              "extra.yaml": EXTRA})
    boto("secretsmanager").create_secret(Name="upgrade/hf-token", SecretString="hf_" + "x" * 30)

    r = old_cli("apply", str(m), "--auto-approve")
    assert r.returncode == 0, r.stdout + r.stderr
    sm = boto("sagemaker")
    assert {e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]} == {
        "twinllama-3-1-8b-dpo", "twinllama-3-1-8b-dpo-ic", "upgrade-ic"}
    assert old_cli("plan", str(m), "--detailed-exitcode").returncode == 0

    # today's code reads what the old one made as exactly what the manifests say
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text
    assert "No changes" in r.out, r.out

    # a model update rolled out by the old code (its rollback records on the endpoints): still no change
    for f in (m / "endpoint.yaml", m / "extra.yaml"):
        f.write_text(f.read_text().replace("mlabonne/TwinLlama-3.1-8B-DPO", "mlabonne/TwinLlama-3.1-8B")
                     .replace("org/model-v1", "org/model-v2"))
    r = old_cli("apply", str(m), "--auto-approve")
    assert r.returncode == 0, r.stdout + r.stderr
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text
    assert "No changes" in r.out, r.out
    # and what the old code kept for rollback is still a rollback point for today's code; the inline
    # component's point is its endpoint's (rollback per component is for InferenceComponent documents)
    r = cli("rollback", "upgrade-ic", "--inference-component", "upgrade-chat", "--auto-approve", "-f", str(m))
    assert r.code == 1 and "Run `reconcile rollback upgrade-ic`" in r.err, r.text
    r = cli("rollback", "upgrade-ic", "--auto-approve", "-f", str(m))
    assert r.code == 0, r.text
    chat = sm.describe_inference_component(InferenceComponentName="upgrade-chat")
    assert chat["Specification"]["ModelName"] in r.out and "org/model-v1" in r.out, r.out
