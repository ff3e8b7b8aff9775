#!/usr/bin/env python3
"""Glue between `reconcile` and GitHub Actions, kept out of the workflow so it can be tested.

    publish  --markdown plan.md [--title T] [--pr N] [--artifact-url U]
             job summary ($GITHUB_STEP_SUMMARY) and, with --pr, the one pull-request comment that
             carries the plan (found by its marker, edited in place on every push)
    drift    --plan drift.json --markdown drift.md --exit-code N
             turn `reconcile plan --detailed-exitcode` into a visible result: ::error annotations
             naming each drifted resource and field, a summary, and the job's exit code
    confirm  --operation prune|destroy --confirm TEXT --manifests DIR [--environment ENV]
             [--allow-destroy true|false]
             refuse unless TEXT is exactly "<operation> <stack name>" (and destroy is explicitly allowed)
    sections --dir DIR --environments dev,prod [--pr N]
             one pull-request comment with a section per environment (its changes and its orphans),
             from the per-environment plan artifacts in DIR/reconcile-plan-<env>/; edited in place

Standard library only; talks to the GitHub REST API with $GITHUB_TOKEN.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

MARKER = "<!-- reconcile-plan -->"  # reconciler/render/markdown.py puts it first in every markdown plan
COMMENT_LIMIT = 65_536  # GitHub refuses longer comment bodies
SUMMARY_LIMIT = 1_000_000  # a step summary may hold 1 MiB
BOT_LOGIN = "github-actions[bot]"


# ---- truncation ----------------------------------------------------------------------------------
def truncate(text: str, limit: int, pointer: str) -> str:
    """``text`` if it fits in ``limit`` characters, else its head cut at a line end, with open code
    fences / <details> closed, followed by a note and ``pointer`` (where the full plan is)."""
    if len(text) <= limit:
        return text
    note = f"\n\n> [!WARNING]\n> The plan is too long to show here ({len(text):,} characters); it was cut. {pointer}\n"
    budget = limit - len(note) - len("\n```\n</details>\n") - 1
    head = text[:budget]
    if "\n" in head:
        head = head[: head.rfind("\n")]
    fences = sum(1 for line in head.splitlines() if line.startswith("```"))
    closing = "\n```" if fences % 2 else ""
    if head.count("<details>") > head.count("</details>"):
        closing += "\n\n</details>"
    return head + closing + note


def pointer_to(artifact_url: str | None) -> str:
    if artifact_url:
        return f"The full plan is in the [plan artifact]({artifact_url}) (plan.md, and plan.json for `reconcile apply`)."
    return "The full plan is in this run's artifacts (plan.md, and plan.json for `reconcile apply`)."


# ---- GitHub REST -----------------------------------------------------------------------------------
Api = Callable[[str, str, Any], Any]


def github_api(token: str, base: str = "https://api.github.com") -> Api:
    def call(method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(base.rstrip("/") + path, data=data, method=method, headers={
            "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json",
            "User-Agent": "reconcile-ci"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            raise SystemExit(f"GitHub API {method} {path} failed: {e.code} {e.read()[:300]!r}") from None
        return json.loads(raw) if raw else None

    return call


def find_comment(api: Api, repo: str, pr: int, author: str = BOT_LOGIN) -> dict[str, Any] | None:
    """The plan comment on pull request ``pr``: the first one by ``author`` that starts with the marker."""
    page = 1
    while True:
        batch = api("GET", f"/repos/{repo}/issues/{pr}/comments?per_page=100&page={page}", None) or []
        for c in batch:
            if (c.get("user") or {}).get("login") == author and (c.get("body") or "").lstrip().startswith(MARKER):
                return c
        if len(batch) < 100:
            return None
        page += 1


def upsert_comment(api: Api, repo: str, pr: int, body: str, author: str = BOT_LOGIN) -> tuple[str, int]:
    """Edit the plan comment in place, or create it: ('updated'|'created', comment id)."""
    if not body.lstrip().startswith(MARKER):
        body = f"{MARKER}\n{body}"
    existing = find_comment(api, repo, pr, author)
    if existing is not None:
        api("PATCH", f"/repos/{repo}/issues/comments/{existing['id']}", {"body": body})
        return "updated", int(existing["id"])
    created = api("POST", f"/repos/{repo}/issues/{pr}/comments", {"body": body})
    return "created", int(created["id"])


def failure_section(log: Path | None, lines: int = 40) -> str:
    """Markdown telling the reader the plan failed, with the end of its log."""
    tail = ""
    if log is not None and log.exists():
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    fence = "`" * 3
    body = f"\n\n{fence}\n{tail.replace(fence, '~~~')}\n{fence}\n" if tail else "\n"
    return "\n**:x: reconcile plan failed**: nothing can be applied until this is fixed." + body


def append_summary(text: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    else:
        print(text)


# ---- drift ---------------------------------------------------------------------------------------
def _escape(text: str) -> str:
    """Workflow-command data escaping (% CR LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def drifted(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(resource, what drifted) for every step that is not a no-op."""
    out = []
    for s in plan.get("steps", []):
        if s.get("action") == "noop":
            continue
        fields = sorted({c["path"].split("[")[0] for c in s.get("changes", []) if c.get("path")})
        what = {"create": "missing in AWS (deleted out of band?)", "delete": "owned but no longer declared"}.get(
            s["action"], f"{s['action']}: " + (", ".join(fields) if fields else s.get("reason", "")))
        out.append((f"{s['kind']}/{s['name']}", what))
    for o in plan.get("orphans", []):  # owned, no longer declared, left for `reconcile prune`
        if not o.get("deleted"):
            out.append((f"{o['kind']}/{o['name']}", "owned but no longer declared (`reconcile prune` deletes it)"))
    return out


def drift_report(plan_path: Path | None, markdown: str, exit_code: int) -> tuple[int, list[str], str]:
    """(job exit code, workflow-command lines, summary markdown) for a drift check."""
    if exit_code == 0:
        return 0, [], "### Drift check: none\n\nAWS matches the manifests.\n\n" + markdown
    if exit_code != 2 or plan_path is None or not plan_path.exists():
        msg = f"reconcile plan failed (exit {exit_code}); see the log of the drift step"
        return 1, [f"::error title=Drift check failed::{_escape(msg)}"], f"### Drift check failed\n\n{msg}\n\n{markdown}"
    items = drifted(json.loads(plan_path.read_text()))
    lines = [f"::error title=Drift: {_escape(r)}::{_escape(r + ' ' + w)}" for r, w in items]
    table = "\n".join(f"| `{r}` | {w} |" for r, w in items)
    summary = (f"### Drift detected: {len(items)} resource(s) differ from the manifests\n\n"
               f"| resource | drift |\n|---|---|\n{table}\n\n"
               "Re-apply (push to main, or run the workflow) to heal it, or change the manifests to "
               "accept it.\n\n" + markdown)
    return 2, lines, summary


# ---- confirmation --------------------------------------------------------------------------------
def check_confirmation(operation: str, confirm: str, stack: str, allow_destroy: bool) -> str | None:
    """None when the dispatch may go ahead, else why not."""
    if operation not in ("prune", "destroy"):
        return f"unknown operation {operation!r}"
    if operation == "destroy" and not allow_destroy:
        return "destroy deletes everything the stack owns: also set the input allow-destroy to true"
    want = f"{operation} {stack}"
    if confirm.strip() != want:
        return f"confirmation {confirm.strip()!r} does not match: type exactly {want!r}"
    return None


def stack_name(manifests: str, environment: str | None = None) -> str:
    from reconciler.manifests import load

    return load(manifests, environment or None).stack.name


# ---- one comment, a section per environment --------------------------------------------------------
def orphans(plan: dict[str, Any]) -> list[str]:
    """The plan's orphans left in place: owned by the stack, no longer declared (`reconcile prune` deletes)."""
    return [f"{o['kind']}/{o['name']}" for o in plan.get("orphans", []) if not o.get("deleted")]


def environment_section(name: str, folder: Path) -> tuple[str, str]:
    """(one table row, the section) for one environment's plan artifacts in ``folder``."""
    md = folder / "plan.md"
    code_file = folder / "exit-code"
    code = int(code_file.read_text().strip() or 1) if code_file.exists() else None
    if code is None or not md.exists():
        return (f"| `{name}` | :x: no plan (the job failed before planning; see its log) |",
                f"### Environment `{name}`\n\nNo plan was produced; see the job log.\n")
    text = md.read_text(encoding="utf-8").replace(MARKER, "").strip()
    if code != 0:
        text += failure_section(folder / "plan.log")
        return f"| `{name}` | :x: plan failed |", f"### Environment `{name}`\n\n{text}\n"
    plan_json = folder / "plan.json"
    plan = json.loads(plan_json.read_text()) if plan_json.exists() else {}
    counts: dict[str, int] = {}
    for st in plan.get("steps", []):
        counts[st["action"]] = counts.get(st["action"], 0) + 1
    changes = ", ".join(f"{n} to {a}" for a, n in sorted(counts.items()) if a != "noop") or "no changes"
    left = orphans(plan)
    stack = plan.get("stack", "?")
    if left:
        listed = ", ".join(f"`{o}`" for o in left)
        orphan_text = (f"**Orphans** ({len(left)}): owned by stack `{stack}` but no longer declared; "
                       f"`reconcile prune --env {name}` deletes them: {listed}")
    else:
        orphan_text = "**Orphans**: none."
    row = f"| `{name}` | stack `{stack}`: {changes}; {len(left)} orphan(s) |"
    return row, f"### Environment `{name}`\n\n{text}\n\n{orphan_text}\n"


def sections(folder: Path, environments: list[str]) -> str:
    """The one pull-request comment: a table of every environment, then a section per environment."""
    rows, parts = [], []
    for name in environments:
        row, part = environment_section(name, folder / f"reconcile-plan-{name}")
        rows.append(row)
        parts.append(part)
    return (f"{MARKER}\n## reconcile plan, per environment\n\n| environment | plan |\n|---|---|\n"
            + "\n".join(rows) + "\n\n" + "\n".join(parts))


# ---- command line --------------------------------------------------------------------------------
def main(argv: list[str] | None = None, api: Api | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("publish")
    p.add_argument("--markdown", required=True, type=Path)
    p.add_argument("--title", default="")
    p.add_argument("--pr", type=int)
    p.add_argument("--repo", default=os.environ.get("GITHUB_REPOSITORY", ""))
    p.add_argument("--artifact-url", default="")
    p.add_argument("--author", default=BOT_LOGIN)
    p.add_argument("--exit-code", type=int, default=0, help="reconcile plan's exit code (1: show --log)")
    p.add_argument("--log", type=Path, help="reconcile plan's stderr, shown when it failed")
    d = sub.add_parser("drift")
    d.add_argument("--plan", type=Path)
    d.add_argument("--markdown", type=Path)
    d.add_argument("--exit-code", type=int, required=True)
    c = sub.add_parser("confirm")
    c.add_argument("--operation", required=True)
    c.add_argument("--confirm", default="")
    c.add_argument("--manifests", required=True)
    c.add_argument("--allow-destroy", default="false")
    c.add_argument("--environment", default="")
    d.add_argument("--environment", default="")
    sec = sub.add_parser("sections")
    sec.add_argument("--dir", required=True, type=Path)
    sec.add_argument("--environments", required=True, help="comma-separated, in the order to show")
    sec.add_argument("--pr", type=int)
    sec.add_argument("--repo", default=os.environ.get("GITHUB_REPOSITORY", ""))
    sec.add_argument("--author", default=BOT_LOGIN)
    args = ap.parse_args(argv)

    if args.cmd == "sections":
        text = sections(args.dir, [e.strip() for e in args.environments.split(",") if e.strip()])
        append_summary(truncate(text, SUMMARY_LIMIT, pointer_to(None)))
        if args.pr:
            if not args.repo:
                raise SystemExit("sections --pr needs --repo or $GITHUB_REPOSITORY")
            call = api or github_api(os.environ.get("GITHUB_TOKEN", ""),
                                     os.environ.get("GITHUB_API_URL", "https://api.github.com"))
            how, cid = upsert_comment(call, args.repo, args.pr, truncate(text, COMMENT_LIMIT, pointer_to(None)),
                                      args.author)
            print(f"plan comment {how} (id {cid}) on {args.repo}#{args.pr}")
        return 0

    if args.cmd == "publish":
        text = args.markdown.read_text(encoding="utf-8") if args.markdown.exists() else ""
        if not text.strip():
            text = f"{MARKER}\n(no plan was produced; see the job log)\n"
        if args.exit_code == 1:
            text += failure_section(args.log)
        if args.title:
            text = text.replace(MARKER, f"{MARKER}\n## {args.title}", 1) if MARKER in text else f"## {args.title}\n{text}"
        pointer = pointer_to(args.artifact_url or None)
        append_summary(truncate(text, SUMMARY_LIMIT, pointer))
        if args.pr:
            if not args.repo:
                raise SystemExit("publish --pr needs --repo or $GITHUB_REPOSITORY")
            token = os.environ.get("GITHUB_TOKEN", "")
            call = api or github_api(token, os.environ.get("GITHUB_API_URL", "https://api.github.com"))
            how, cid = upsert_comment(call, args.repo, args.pr, truncate(text, COMMENT_LIMIT, pointer), args.author)
            print(f"plan comment {how} (id {cid}) on {args.repo}#{args.pr}")
        return 0
    if args.cmd == "drift":
        md = args.markdown.read_text(encoding="utf-8") if args.markdown and args.markdown.exists() else ""
        code, lines, summary = drift_report(args.plan, md, args.exit_code)
        if args.environment:  # say which environment drifted
            lines = [x.replace("::error title=Drift", f"::error title=Drift ({args.environment})", 1) for x in lines]
            summary = summary.replace("### Drift", f"### Environment `{args.environment}`: drift", 1)
        for line in lines:
            print(line)
        append_summary(truncate(summary, SUMMARY_LIMIT, pointer_to(None)))
        return code
    stack = stack_name(args.manifests, args.environment)
    why = check_confirmation(args.operation, args.confirm, stack, args.allow_destroy.strip().lower() == "true")
    if why:
        print(f"::error title=Refusing to {args.operation}::{_escape(why)}")
        return 1
    print(f"confirmed: {args.operation} {stack}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
