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
            Path(out).write_text(p.model_dump_json(indent=2) + "\n")
        except OSError as e:
            raise UsageError(f"cannot write the plan to {out}: {e.strerror}") from None
    click.echo(render(p, fmt, color=_settings().use_color and fmt == "text"))
    if out:
        click.echo(f"Saved the plan to {out}; apply exactly it with: reconcile apply {out}", err=True)


def _write_executed_plan(p: Any) -> None:
    """Debugging aid: with RECONCILE_AUDIT_PLAN_OUT=PATH, apply, prune and destroy write the plan they are
    about to execute to PATH (JSON, as `plan --out`), so a write audit can check each AWS call against it."""
    import os

    out = os.environ.get("RECONCILE_AUDIT_PLAN_OUT")
    if out:
        Path(out).write_text(p.model_dump_json(indent=2) + "\n")


def _is_saved_plan(path: str) -> bool:
    """A file that is not a manifest (*.yaml, *.yml) is what `apply` takes as a saved plan (and says so when it
    is not one); a folder or a YAML file is manifests."""
    from reconciler.manifests import is_manifest_name

    p = Path(path)
    return p.is_file() and not is_manifest_name(p.name)


def _read_saved_plan(path: str) -> Any:
    """Parse a saved plan, refusing a format_version this reconcile does not know (docs/plan-format.md)."""
    import json

    from reconciler.plan import PLAN_FORMAT_VERSION, Plan

    what = ("a saved plan is the JSON object `reconcile plan --out PLAN` writes; manifests are a folder or "
            "*.yaml files")
    try:
        raw = json.loads(Path(path).read_bytes())
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    except ValueError as e:
        raise UsageError(f"{path} is not a saved plan: it is not JSON ({str(e).splitlines()[0]}); {what}") from None
    if not isinstance(raw, dict) or "format_version" not in raw:
        kinds = {dict: "object without format_version", list: "list", str: "string", bool: "boolean"}
        held = f"a JSON {kinds.get(type(raw), 'number' if isinstance(raw, (int, float)) else 'null')}"
        raise UsageError(f"{path} is not a saved plan: it holds {held}; {what}")
    version = raw.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        raise UsageError(f"{path}: unsupported plan format_version {version!r}; this reconcile applies only "
                         f"format_version {PLAN_FORMAT_VERSION} (see docs/plan-format.md). Nothing was changed; "
                         "make a new plan with this version of reconcile.")
    try:
        return Plan.model_validate(raw)
    except Exception as e:
        raise UsageError(f"{path} is not a reconcile plan file: {str(e).splitlines()[0]}") from None
