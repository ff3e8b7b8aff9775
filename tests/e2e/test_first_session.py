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
    cost_line = re.search(r"#\s+(Cost: .*)", session).group(1)  # what the README says the plan shows
    assert cost_line in r.out.splitlines(), r.out
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


def test_init_takes_the_global_region(cli, tmp_path):
    """Issue 27 item 5: `init DIR --region R` (after or before the command) writes a stack in R, which plan uses."""
    r = cli("init", "far", "--region", "eu-west-1")
    assert r.code == 0, r.text
    assert "region: eu-west-1" in (tmp_path / "far" / "stack.yaml").read_text()
    r = cli("plan", "far")
    assert r.code == 0 and "reconcile plan · stack far · account 123456789012 · eu-west-1" in r.out, r.text
    assert "763104351884.dkr.ecr.eu-west-1.amazonaws.com/" in r.out  # the starter's image, for that region
    assert cli("--region", "ap-south-1", "init", "farther").code == 0
    assert "region: ap-south-1" in (tmp_path / "farther" / "stack.yaml").read_text()
    assert cli("init", "near").code == 0
    assert "region: us-east-1" in (tmp_path / "near" / "stack.yaml").read_text()  # the default


def test_init_refuses_a_folder_with_manifests(cli, tmp_path):
    assert cli("init", "a").code == 0
    r = cli("init", "a")
    assert r.code == 1 and "already holds YAML files" in r.err


def test_readme_environments_block_runs_on_a_copy_of_the_examples(cli, moto_server, boto, tmp_path):
    """The README's commands on the examples, which declare environments: each names --env dev."""
    import json
    import shlex
    import shutil

    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    session = README.read_text().split("## A first session", 1)[1].split("\n## ", 1)[0]
    block = session.split("```sh", 2)[2].split("```")[0]
    lines = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert lines[0] == "cp -r manifests ~/llm-serving"
    shutil.copytree(README.parent / "manifests", tmp_path / "llm-serving")
    outputs = []
    for line in lines[1:]:
        args = shlex.split(line.replace("~/llm-serving", "llm-serving"))
        assert args[0] == "reconcile" and ("--env" in args or args[1] == "validate"), line
        r = cli(*args[1:])
        assert r.code == 0, f"{line}\n{r.text}"
        outputs.append(r.out)
        if args[1] == "apply":  # issue 27 item 8: the call-api hint apply prints works as printed
            (hint,) = [x.removeprefix("try: ") for x in r.err.splitlines() if x.startswith("try: reconcile call-api")]
            assert "--json" in hint and "-f llm-serving --env dev" in hint, hint
            called = cli(*shlex.split(hint)[1:])
            assert called.code == 0 and json.loads(called.out)["generated_text"], f"{hint}\n{called.text}"
    validate, render, plan, apply, invoke, destroy = outputs
    assert "(environment 'dev') are valid" in validate and "(environment 'prod') are valid" in validate
    assert "type: ml.g5.xlarge" in render and "managedScaling" not in render
    assert "stack llm-serving-dev" in plan and "ml.g5.xlarge" in plan
    assert "Apply complete" in apply and invoke.strip()
    assert "Destroy complete" in destroy
    assert all(r["RoleName"] != "llm-sagemaker-execution" for r in boto("iam").list_roles()["Roles"])
