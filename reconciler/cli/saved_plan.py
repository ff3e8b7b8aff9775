"""Plans saved as JSON: writing them (`plan --out`, the audit copy apply writes), recognising and reading them
back (`apply PLAN`), refusing a format_version this reconcile does not know (docs/plan-format.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.cli.group import _settings
from reconciler.errors import UsageError


def _emit_plan(p: Any, fmt: str, out: str | None) -> None:
    from reconciler.render import render

    if out:
        try:
            Path(out).write_text(render(p, "json") + "\n")
        except OSError as e:
            raise UsageError(f"cannot write the plan to {out}: {e.strerror}") from None
    click.echo(render(p, fmt, color=_settings().use_color and fmt == "text"))
    if out:
        click.echo(f"Saved the plan to {out}; apply exactly it with: reconcile apply {out}", err=True)


def _is_saved_plan(path: str) -> bool:
    p = Path(path)
    if not p.is_file() or p.suffix in (".yaml", ".yml"):
        return False
    try:
        with p.open("rb") as fh:
            return fh.read(64).lstrip().startswith(b"{")
    except OSError:
        return False


def _read_saved_plan(path: str) -> Any:
    """Parse a saved plan, refusing a format_version this reconcile does not know (docs/plan-format.md)."""
    import json

    from reconciler.plan import PLAN_FORMAT_VERSION, Plan

    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise UsageError(f"{path} is not a reconcile plan file: {str(e).splitlines()[0]}") from None
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if version == 1:
        raise UsageError(f"{path} is a format_version 1 plan, made by a reconcile whose plans did not hold every "
                         f"AWS call; this reconcile applies only format_version {PLAN_FORMAT_VERSION}, whose operations "
                         "are the program apply runs (see docs/plan-format.md). Nothing was changed; make the plan "
                         "again with `reconcile plan DIR --out PLAN`.")
    if version != PLAN_FORMAT_VERSION:
        raise UsageError(f"{path}: unsupported plan format_version {version!r}; this reconcile applies only "
                         f"format_version {PLAN_FORMAT_VERSION} (see docs/plan-format.md). Nothing was changed; "
                         "make a new plan with this version of reconcile.")
    try:
        return Plan.model_validate(raw)
    except Exception as e:
        raise UsageError(f"{path} is not a reconcile plan file: {str(e).splitlines()[0]}") from None
