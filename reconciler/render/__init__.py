"""Renderers get a Plan and nothing else: text (terminal), markdown (pull requests), json (machines)."""

from __future__ import annotations

from reconciler.plan import Plan


def render(plan: Plan, fmt: str = "text", color: bool = False) -> str:
    if fmt == "json":
        from reconciler.render.json import render as r_json

        return r_json(plan)
    if fmt == "markdown":
        from reconciler.render.markdown import render as r_md

        return r_md(plan)
    from reconciler.render.text import render as r_text

    return r_text(plan, color=color)
