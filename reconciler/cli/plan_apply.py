"""The commands of the main flow: validate, render, plan, apply (a folder or a saved plan), prune, destroy."""

from __future__ import annotations

import sys
from typing import Any

import click

from reconciler.cli.group import (
    CONTEXT,
    _confirm,
    _note_skipped,
    _print_warnings,
    _settings,
    cli,
    env_option,
    global_options,
    lock_timeout_option,
)
from reconciler.cli.saved_plan import _emit_plan, _is_saved_plan, _read_saved_plan
from reconciler.errors import ReconcileError, UsageError


@cli.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path())
@click.option("--strict", is_flag=True, help="Treat lint warnings as errors.")
@env_option
@global_options
def validate(directory: str, strict: bool, env: str | None) -> None:
    """Check schema, references, AWS limits and policy lint. Makes no AWS call.

    With environments declared and no --env, every environment's rendered manifests are checked."""
    from reconciler.environments import EnvironmentsRequired, validate_all
    from reconciler.pipeline import load

    try:
        done = [(env, load(directory, strict=strict, env=env)[0])]
    except EnvironmentsRequired as e:
        done = validate_all(directory, strict, e.names)
    _note_skipped(done[0][1])
    for name, m in done:
        _print_warnings(m.warnings)
        n = len(m.resources)
        click.echo(f"{directory}: {n} resource{'s' if n != 1 else ''} in stack {m.stack.name!r}"
                   + (f" (environment {name!r})" if name else "") + " are valid"
                   + (f" ({len(m.warnings)} warning(s))" if m.warnings else "") + ".")


@cli.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path())
@click.option("--env", "env", required=True, metavar="NAME", help="The environment to render.")
@global_options
def render(directory: str, env: str) -> None:
    """Print the manifests as environment NAME sees them (YAML, like `kustomize build`), validated."""
    from reconciler.environments import rendered

    click.echo(rendered(directory, env), nl=False)


@cli.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path())
@click.option("--out", "out", type=click.Path(), default=None, help="Save the plan (JSON) for `reconcile apply PLAN`.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when changes are pending or orphans (owned, no longer declared) exist; 0 when none.")
@click.option("--prune", is_flag=True, help="Also plan deleting owned resources no longer declared.")
@click.option("--strict", is_flag=True, help="Treat lint warnings as errors.")
@env_option
@global_options
def plan(directory: str, out: str | None, fmt: str, detailed_exitcode: bool, prune: bool, strict: bool,
         env: str | None) -> None:
    """Show what apply would change in the live account."""
    from reconciler import pipeline

    s = _settings()
    p, _t, _m = pipeline.plan(directory, _with_env(s.options(strict), env), command="plan", prune=prune)
    _note_skipped(_m)
    _emit_plan(p, fmt, out)
    if p.problems:
        sys.exit(1)
    if detailed_exitcode and p.pending:  # changes, or orphans left for `reconcile prune`
        sys.exit(2)


@cli.command(context_settings=CONTEXT)
@click.argument("plan_file", metavar="PLAN", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@global_options
def show(plan_file: str, fmt: str) -> None:
    """Print a saved PLAN as `plan` printed it (no AWS call): review it before `reconcile apply PLAN`."""
    from reconciler.render import render

    if not _is_saved_plan(plan_file):
        raise UsageError(f"{plan_file} is not a saved plan (make one with `reconcile plan DIR --out PLAN`)")
    p = _read_saved_plan(plan_file)
    click.echo(render(p, fmt, color=_settings().use_color and fmt == "text"))


def _lock_note(opts: Any) -> None:
    """The lock held (file or table, and its id): for --debug, and after a failure."""
    note = getattr(getattr(opts, "lock", None), "held_note", "")
    if note:
        click.echo(note, err=True)


def _run_apply(p: Any, t: Any, stack: str, opts: Any = None, verb: str = "Apply") -> None:
    """Apply ``p``; ``opts`` are those the plan was made with (they hold the stack's lock)."""
    from reconciler import pipeline
    from reconciler.apply import describe_failure

    s = _settings()
    if s.debug:
        _lock_note(opts)
    result = pipeline.apply(p, t, opts or s.options(), stack)
    o = result.outcome
    counts: dict[str, int] = {}
    for step in o.done:
        counts[step.action.value] = counts.get(step.action.value, 0) + 1
    done = ", ".join(f"{n} {a}d" for a, n in sorted(counts.items())) or "nothing"
    if o.failed:
        for step, err in o.failed:
            if s.debug:
                import traceback

                click.echo("".join(traceback.format_exception(err)), err=True)
            click.echo(click.style("Error: ", fg="red", bold=True) + describe_failure(step, err), err=True)
        click.echo(f"{verb} failed after {done}; {len(o.skipped)} step(s) not started. "
                   f"Fix the cause and run {verb.lower()} again: it continues from the live state.", err=True)
        _lock_note(opts)
        sys.exit(1)
    if o.interrupted:
        click.echo(f"{verb} interrupted after {done}; {len(o.skipped)} step(s) not started. "
                   f"Run {verb.lower()} again to finish.", err=True)
        _lock_note(opts)
        sys.exit(130)
    if result.drift:
        click.echo(click.style("Error: ", fg="red", bold=True) +
                   "apply finished but AWS still differs from the manifests:\n" +
                   "\n".join(f"  {d}" for d in result.drift), err=True)
        _lock_note(opts)
        sys.exit(1)
    click.echo(click.style(f"{verb} complete: {done}.", fg="green" if s.use_color else None, bold=s.use_color))


def _with_env(opts: Any, env: str | None) -> Any:
    opts.env = env
    return opts


def _locked(opts: Any, lock_timeout: str) -> Any:
    """Options under which pipeline.plan takes the stack's lock, held until this command ends (reconciler/lock.py)."""
    from contextlib import ExitStack

    from reconciler.lock import parse_duration

    opts.lock_timeout = parse_duration(lock_timeout)
    opts.locks = click.get_current_context().with_resource(ExitStack())
    return opts


@cli.command(context_settings=CONTEXT)
@click.argument("target", metavar="DIR|PLAN", type=click.Path())
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (CI).")
@click.option("--prune", is_flag=True, help="Also delete owned resources no longer declared.")
@click.option("--strict", is_flag=True, help="Treat lint warnings as errors.")
@lock_timeout_option
@env_option
@global_options
def apply(target: str, auto_approve: bool, prune: bool, strict: bool, lock_timeout: str, env: str | None) -> None:
    """Make the live account match DIR, or apply exactly a saved PLAN."""
    from reconciler import pipeline
    from reconciler.render import render

    s = _settings()
    if _is_saved_plan(target):
        if prune:
            raise UsageError("--prune has no effect on a saved plan: it applies exactly the planned steps; "
                             "make the plan with `reconcile plan --prune --out PLAN`")
        p = _read_saved_plan(target)
        if env != p.environment:
            made = f"environment {p.environment!r}" if p.environment else "no environment"
            raise UsageError(f"refusing to apply {target}: the plan was made for {made}, this run "
                             + (f"names --env {env}" if env else "gives no --env")
                             + "; nothing was changed" + (f" (apply it with --env {p.environment})" if p.environment else ""))
        t = pipeline.connect(s.options(), region=p.region)
        from reconciler.lock import held, parse_duration, stack_of_plan

        opts = s.options()
        opts.lock = click.get_current_context().with_resource(
            held(stack_of_plan(p), t, parse_duration(lock_timeout), s.progress))
        from reconciler import freshness

        freshness.check(p, t, opts, target)  # (opts.manifests: the folder it found them in, for apply)
        click.echo(render(p, "text", color=s.use_color))
        if not p.has_changes:
            return
        # (reviewed when it was saved, and it still follows from the manifests and AWS: no second question)
        _run_apply(p, t, p.stack, opts)
        return
    opts = _locked(_with_env(s.options(strict), env), lock_timeout)
    p, t, m = pipeline.plan(target, opts, command="apply", prune=prune)
    _note_skipped(m)
    click.echo(render(p, "text", color=s.use_color))
    if p.problems:
        raise ReconcileError("refusing to apply: fix the problems above first; nothing was changed")
    if not p.has_changes:
        return
    _confirm(auto_approve, "apply these changes")
    if not auto_approve:  # time passed at the prompt: what runs must still be what was shown
        pipeline.rederive(p, m, t, opts)
    _run_apply(p, t, m.stack.name, opts)


def _delete_command(directory: str, auto_approve: bool, destroy: bool, lock_timeout: str = "0s",
                    env: str | None = None) -> None:
    from reconciler import pipeline
    from reconciler.plan import PlanMode
    from reconciler.render import render

    s = _settings()
    command = "destroy" if destroy else "prune"
    opts = _locked(_with_env(s.options(), env), lock_timeout)
    mode = PlanMode.destroy if destroy else PlanMode.prune
    p, t, m = pipeline.plan(directory, opts, command=command, mode=mode)
    _note_skipped(m)
    click.echo(render(p, "text", color=s.use_color))
    if p.problems:
        raise ReconcileError(f"refusing to {command}: fix the problems above first; nothing was deleted")
    if not p.has_changes:
        return
    _confirm(auto_approve, f"{command} {len(p.changes)} resource(s)")
    if not auto_approve:
        pipeline.rederive(p, m, t, opts)
    _run_apply(p, t, m.stack.name, opts, verb=command.capitalize())


@cli.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path())
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (CI).")
@lock_timeout_option
@env_option
@global_options
def prune(directory: str, auto_approve: bool, lock_timeout: str, env: str | None) -> None:
    """Delete resources this stack owns that DIR no longer declares."""
    _delete_command(directory, auto_approve, destroy=False, lock_timeout=lock_timeout, env=env)


@cli.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path())
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (CI).")
@lock_timeout_option
@env_option
@global_options
def destroy(directory: str, auto_approve: bool, lock_timeout: str, env: str | None) -> None:
    """Delete everything this stack owns, in reverse dependency order."""
    _delete_command(directory, auto_approve, destroy=True, lock_timeout=lock_timeout, env=env)
