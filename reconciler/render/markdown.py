"""Plan as GitHub-flavoured markdown, for pull-request comments and job summaries."""

from __future__ import annotations

from reconciler.plan import Plan
from reconciler.render import costs
from reconciler.render.common import ORPHANS_TITLE, SYMBOL, headline, orphan_note, step_lines, summary

MARKER = "<!-- reconcile-plan -->"


def render(plan: Plan) -> str:
    out = [MARKER, f"### reconcile {plan.command}", "", f"`{headline(plan)}`", "", f"**{summary(plan)}**", ""]
    if costs.total(plan):
        out += [f"**{costs.total(plan)}**", ""]
    if plan.changes:
        out += ["| | resource | why |", "|---|---|---|"]
        for s in plan.changes:
            warn = " **interrupts serving**" if s.interrupts_serving else ""
            out.append(f"| `{SYMBOL[s.action]}` | `{s.id}` | {s.reason}{warn} |")
        out += ["", "<details><summary>Details</summary>", "", "```diff"]
        for s in plan.changes:
            out.append(f"{_diff_sym(SYMBOL[s.action])} {s.id}  ({s.reason})")
            for sym, text in step_lines(s):
                out.append(f"{_diff_sym(sym)}     {text}")
        out += ["```", "", "</details>"]
    if plan.pending_orphans:
        out += ["", f"**{ORPHANS_TITLE}**", ""]
        for o in plan.pending_orphans:
            note = orphan_note(o)
            out.append(f"- :wastebasket: `{o.kind}/{o.name}`" + (f" ({note})" if note else ""))
    out += costs.markdown_lines(plan)
    if plan.problems:
        out += ["", "**Problems that block apply:**", ""]
        out += [f"- :x: `{p.kind}/{p.name}` ({p.code}): {p.message}" for p in plan.problems]
    if plan.warnings:
        out += ["", "**Warnings:**", ""] + [f"- :warning: {w}" for w in plan.warnings]
    return "\n".join(out) + "\n"


def _diff_sym(sym: str) -> str:
    # diff highlighting keys on the first character: + green, - red, ! orange
    # ("!" from an operation line: it interrupts serving, shown red)
    return {"+": "+", "-": "-", "~": "!", "-/+": "!", "!": "-"}.get(sym, " ")
