"""The README's first session, step by step, on a starter stack from `reconcile init` (a copy the user
owns: the walkthrough never edits the project's manifests/, which the tests read)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.cli import Cli

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_first_session_works_on_an_init_copy(cli, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    session = README.read_text().split("## A first session", 1)[1].split("\n## ", 1)[0]
    assert "reconcile init ~/my-stack" in session and "manifests/" not in session.split("```sh", 1)[1].split("```")[0]

    r = cli("init", "my-stack")
    assert r.code == 0, r.text
    d = tmp_path / "my-stack"
    here = Cli(cli.env, d)
    assert here("validate", ".").code == 0
    r = here("plan", ".", "--detailed-exitcode")
    assert r.code == 2 and "Plan: 4 to create, 0 to update, 0 to replace, 0 to delete." in r.out, r.text
    assert "warning" not in r.out + r.err
    r = here("apply", ".", "--auto-approve")
    assert r.code == 0 and "Apply complete: 4 created." in r.out, r.text
    assert "No changes." in here("plan", ".").out
    r = here("invoke", "my-stack-llm", "--prompt", "Hello", "--max-new-tokens", "5")
    assert r.code == 0 and r.out.strip(), r.text

    iam = d / "iam.yaml"
    iam.write_text(iam.read_text().replace("  assumedBy: [sagemaker.amazonaws.com]\n",
                                           "  assumedBy: [sagemaker.amazonaws.com]\n  maxSessionDuration: 7200\n"))
    r = here("plan", ".")
    assert "Plan: 0 to create, 1 to update" in r.out and "maxSessionDuration: 3600 → 7200" in r.out, r.out
    assert here("apply", ".", "--auto-approve").code == 0

    (d / "deployer.yaml").unlink()
    r = here("prune", ".", "--auto-approve")
    assert r.code == 0 and "Prune complete: 1 deleted." in r.out, r.text
    r = here("destroy", ".", "--auto-approve")
    assert r.code == 0 and re.search(r"Destroy complete: \d+ deleted\.", r.out), r.text


def test_init_refuses_a_folder_with_manifests(cli, tmp_path):
    assert cli("init", "a").code == 0
    r = cli("init", "a")
    assert r.code == 1 and "already holds YAML files" in r.err
