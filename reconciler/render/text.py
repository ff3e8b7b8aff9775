"""Plan as coloured terminal text: + create, ~ update, -/+ replace, - delete."""

from __future__ import annotations

import click

from reconciler.plan import Action, Plan
from reconciler.render import costs
from reconciler.render.common import COLOR, ORPHANS_TITLE, SYMBOL, headline, orphan_note, step_lines, summary

LINE_COLOR = {"+": "green", "-": "red", "~": "yellow", ">": "cyan", "!": "red"}


def render(plan: Plan, color: bool = False) -> str:
    def style(text: str, fg: str | None = None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    out = [style(f"reconcile {plan.command} · {headline(plan)}", bold=True), ""]
    for step in plan.changes:
        sym = SYMBOL[step.action]
        said = "interrupts serving" in step.reason
        warn = style("  interrupts serving", "red", bold=True) if step.interrupts_serving and not said else ""
        out.append(style(f"  {sym} {step.id}", COLOR.get(step.action), bold=True) + f"  ({step.reason})" + warn)
        for s, text in step_lines(step):
            out.append("      " + style(f"{s} {text}", LINE_COLOR.get(s)))
    noop = [s for s in plan.steps if s.action == Action.noop]
    if noop:
        out.append(style(f"  {len(noop)} resource{'s' if len(noop) != 1 else ''} up to date", "bright_black"))
    if plan.pending_orphans:
        out.append("")
        out.append(style(f"  {ORPHANS_TITLE}", "red", bold=True))
        for o in plan.pending_orphans:
            note = orphan_note(o)
            out.append(style(f"    ? {o.kind}/{o.name}", "red") + (f"  ({note})" if note else ""))
    block = costs.text_lines(plan)
    if block:
        out += ["", style(f"  {costs.TITLE}", bold=True), *block, style(f"  {costs.note(plan)}", "bright_black")]
    for p in plan.problems:
        out.append(style(f"  ! {p.kind}/{p.name} [{p.code}]: {p.message}", "red", bold=True))
    for w in plan.warnings:
        out.append(style(f"  warning: {w}", "yellow"))
    out.append("")
    out.append(style(summary(plan), bold=True))
    if costs.total(plan):
        out.append(style(str(costs.total(plan)), bold=True))
    if plan.problems:
        out.append(style(f"{len(plan.problems)} problem(s) block apply.", "red", bold=True))
    return "\n".join(out)
