"""Thin command layer: parse arguments, call the pipeline, render, map errors to exit codes.

Exit codes: 0 success (with --detailed-exitcode: no changes), 1 error, 2 changes pending
(only with --detailed-exitcode).
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path
from typing import Any

import click

from reconciler import __version__
from reconciler.errors import ReconcileError, UsageError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Settings:
    """Global options, given before or after the command name."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {"profile": None, "region": None, "sandbox": None, "color": None,
                                       "concurrency": 8, "debug": False, "quiet": False}
        self.started = time.monotonic()

    def merge(self, **kwargs: Any) -> None:
        for k, v in kwargs.items():
            if v is not None and v is not False:
                self.values[k] = v
            elif k not in self.values:
                self.values[k] = v

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def use_color(self) -> bool:
        if self.values["color"] is False:
            return False
        return sys.stdout.isatty()

    def progress(self, msg: str) -> None:
        if self.quiet:
            return
        elapsed = time.monotonic() - self.started
        click.echo(click.style(f"[{elapsed:6.1f}s] ", fg="bright_black") + msg, err=True,
                   color=sys.stderr.isatty() and self.values["color"] is not False)

    def options(self, strict: bool = False):  # type: ignore[no-untyped-def]
        from reconciler.pipeline import Options

        return Options(profile=self.profile, region=self.region, sandbox=self.sandbox,
                       concurrency=self.concurrency, strict=strict, progress=self.progress,
                       notice=lambda msg: None if self.quiet else click.echo(msg, err=True))


def global_options(f):  # type: ignore[no-untyped-def]
    """The global options, accepted on the group and on every command."""

    @click.option("--profile", default=None, help="AWS profile (else AWS_PROFILE / default chain).")
    @click.option("--region", default=None, help="AWS region (else the Stack's spec.region, AWS_REGION).")
    @click.option("--sandbox/--no-sandbox", "sandbox", default=None,
                  help="Use the embedded local AWS (default: when no AWS credentials are configured; RECONCILE_SANDBOX=1).")
    @click.option("--no-color", "no_color", is_flag=True, default=False, help="Plain output without colours.")
    @click.option("--concurrency", type=click.IntRange(1, 64), default=None, help="Parallel AWS operations (default 8).")
    @click.option("--debug", is_flag=True, default=False, help="Show tracebacks.")
    @click.option("--quiet", "-q", is_flag=True, default=False, help="Only results and errors.")
    @functools.wraps(f)
    def wrapper(*args: Any, profile: Any, region: Any, sandbox: Any, no_color: bool, concurrency: Any,
                debug: bool, quiet: bool, **kwargs: Any) -> Any:
        settings: Settings = click.get_current_context().ensure_object(Settings)
        settings.merge(profile=profile, region=region, concurrency=concurrency, debug=debug, quiet=quiet)
        if sandbox is not None:
            settings.values["sandbox"] = sandbox
        if no_color:
            settings.values["color"] = False
        return f(*args, **kwargs)

    return wrapper


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="reconcile")
@global_options
def cli() -> None:
    """reconcile: declarative IAM + SageMaker LLM endpoints from YAML manifests in git.

    \b
    reconcile validate manifests/      check manifests (no AWS calls)
    reconcile plan manifests/          show what would change
    reconcile apply manifests/         make it so
    reconcile prune manifests/         delete what the manifests no longer declare
    """


def env_option(f):  # type: ignore[no-untyped-def]
    return click.option("--env", "env", default=None, metavar="NAME", envvar="RECONCILE_ENV",
                        help="The environment (kind: Environment) to work on; needed when the manifests "
                             "declare environments (also RECONCILE_ENV).")(f)


def _settings() -> Settings:
    return click.get_current_context().ensure_object(Settings)


def _print_warnings(warnings: list[Any]) -> None:
    for w in warnings:
        click.echo(click.style("warning: ", fg="yellow") + str(w), err=True)


def _note_skipped(m: Any) -> None:
    """Files under DIR that are not manifests are listed (never silently ignored)."""
    skipped = getattr(m, "skipped", None)
    if skipped:
        shown = ", ".join(str(p) for p in skipped[:10]) + (f" and {len(skipped) - 10} more" if len(skipped) > 10 else "")
        click.echo(f"note: skipped {len(skipped)} file(s) that are not manifests (not *.yaml or *.yml): {shown}",
                   err=True)


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
    p, _t, _m = pipeline.plan(directory, _with_env(s.options(strict), env), command="plan", deletes=prune)
    _note_skipped(_m)
    _emit_plan(p, fmt, out)
    if p.problems:
        sys.exit(1)
    if detailed_exitcode and p.pending:  # changes, or orphans left for `reconcile prune`
        sys.exit(2)


def _confirm(auto_approve: bool, what: str) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"refusing to {what} without confirmation: no terminal to ask on; pass --auto-approve")
    answer = click.prompt(f"Do you want to {what}? Only 'yes' will be accepted", default="", show_default=False)
    if answer.strip() != "yes":
        raise UsageError(f"{what} cancelled; nothing was changed")


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
    _write_executed_plan(p)
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


def _write_executed_plan(p: Any) -> None:
    """Debugging aid: with RECONCILE_AUDIT_PLAN_OUT=PATH, apply, prune and destroy write the plan they are
    about to execute to PATH (JSON, as `plan --out`), so a write audit can check each AWS call against it."""
    import os

    out = os.environ.get("RECONCILE_AUDIT_PLAN_OUT")
    if out:
        Path(out).write_text(p.model_dump_json(indent=2) + "\n")


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
    if version != PLAN_FORMAT_VERSION:
        raise UsageError(f"{path}: unsupported plan format_version {version!r}; this reconcile applies only "
                         f"format_version {PLAN_FORMAT_VERSION} (see docs/plan-format.md). Nothing was changed; "
                         "make a new plan with this version of reconcile.")
    try:
        return Plan.model_validate(raw)
    except Exception as e:
        raise UsageError(f"{path} is not a reconcile plan file: {str(e).splitlines()[0]}") from None


def lock_timeout_option(f):  # type: ignore[no-untyped-def]
    return click.option("--lock-timeout", "lock_timeout", default="0s", show_default=True, metavar="DURATION",
                        help="How long to wait for the stack's lock held by another run (e.g. 30s, 10m).")(f)


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
        pipeline.check_fresh(p, t, s.options())
        click.echo(render(p, "text", color=s.use_color))
        if not p.has_changes:
            return
        _confirm(auto_approve, "apply this saved plan")
        _run_apply(p, t, p.stack, opts)
        return
    opts = _locked(_with_env(s.options(strict), env), lock_timeout)
    p, t, m = pipeline.plan(target, opts, command="apply", deletes=prune)
    _note_skipped(m)
    click.echo(render(p, "text", color=s.use_color))
    if p.problems:
        raise ReconcileError("refusing to apply: fix the problems above first; nothing was changed")
    if not p.has_changes:
        return
    _confirm(auto_approve, "apply these changes")
    _run_apply(p, t, m.stack.name, opts)


def _delete_command(directory: str, auto_approve: bool, destroy: bool, lock_timeout: str = "0s",
                    env: str | None = None) -> None:
    from reconciler import pipeline
    from reconciler.render import render

    s = _settings()
    command = "destroy" if destroy else "prune"
    opts = _locked(_with_env(s.options(), env), lock_timeout)
    p, t, m = pipeline.plan(directory, opts, command=command, deletes=True, declared_only=False, destroy=destroy)
    _note_skipped(m)
    click.echo(render(p, "text", color=s.use_color))
    if p.problems:
        raise ReconcileError(f"refusing to {command}: fix the problems above first; nothing was deleted")
    if not p.has_changes:
        return
    _confirm(auto_approve, f"{command} {len(p.changes)} resource(s)")
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


@cli.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path())
@click.option("--name", default=None, help="Stack name (default: from the folder's name).")
@click.option("--stack-region", "stack_region", default="us-east-1", show_default=True,
              help="The Stack's spec.region.")
@global_options
def init(directory: str, name: str | None, stack_region: str) -> None:
    """Write a starter stack into DIR (a new or empty folder): your copy to plan, apply, edit and prune."""
    from reconciler import starter

    files = starter.write(directory, name, stack_region)
    click.echo(f"Wrote a starter stack to {directory}: {', '.join(f.name for f in files)}.\n"
               f"Next: reconcile plan {directory}")


@cli.command("import", context_settings=CONTEXT)
@click.argument("directory", type=click.Path(file_okay=False))
@click.argument("selectors", nargs=-1)
@click.option("--stack", "stack_name", default=None,
              help="Stack that adopts them (default: DIR's stack.yaml, else DIR's folder name).")
@click.option("--all-endpoints", is_flag=True, help="Every SageMaker endpoint in the region.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist in DIR.")
@env_option
@global_options
def import_(directory: str, selectors: tuple[str, ...], stack_name: str | None, all_endpoints: bool, force: bool,
            env: str | None) -> None:
    """Read live resources (Endpoint/NAME, Role/NAME, User/NAME, Policy/NAME, Function/NAME, HttpApi/NAME) into
    manifests in DIR that adopt them (reconciler/adopt: "true"); secrets become Secrets Manager references."""
    from reconciler import importer, pipeline
    from reconciler.kinds.base import PlanContext

    wanted = importer.parse_selectors(selectors)
    if not wanted and not all_endpoints:
        raise UsageError("name what to import: KIND/NAME selectors (e.g. Endpoint/my-llm) or --all-endpoints")
    into = importer.into(directory, env, stack_name)  # DIR's environment (DIR/ENV, its stack); None without
    have = into.stack.name if into else importer.existing_stack(Path(directory))
    if have and stack_name and have != stack_name:
        raise UsageError(f"--stack {stack_name} conflicts with {directory}/stack.yaml (stack {have})")
    t = pipeline.connect(_settings().options(), into.stack if into else None)
    if t.sandbox:
        click.echo(f"SANDBOX (local emulated AWS) · account {t.account} · {t.region}", err=True)
    stack = have or stack_name or Path(directory).resolve().name
    ctx = PlanContext(stack=stack, account=t.account, region=t.region, partition=t.aws.partition)
    if all_endpoints:
        wanted += [w for w in importer.all_endpoints(t.aws) if w not in wanted]
    result = importer.run(t.aws, ctx, directory, wanted, force, write_stack=have is None, env=into)
    out, err = importer.report(result, directory)
    for line in err:
        click.echo(line, err=True)
    click.echo("\n".join(out))
    if result.refused:
        raise SystemExit(1)


@cli.command(context_settings=CONTEXT)
@click.option("--out", "out_dir", type=click.Path(), default="schemas", show_default=True)
@global_options
def schema(out_dir: str) -> None:
    """Write the JSON Schema of every kind."""
    from reconciler.schema import write

    for path in write(out_dir):
        click.echo(f"wrote {path}")


@cli.command(context_settings=CONTEXT)
@click.argument("action", type=click.Choice(["start", "stop", "status", "reset", "env"]))
@global_options
def sandbox(action: str) -> None:
    """Manage the embedded local AWS (moto, extended) used by --sandbox.

    \b
    env: print the shell lines that point the aws CLI, boto3 or Terraform at the sandbox
         (starting it if needed):  eval "$(reconcile sandbox env)"
    """
    from reconciler import sandbox as sb

    if action == "env":
        was_running = sb.status().running
        st = sb.start()
        if not was_running:
            click.echo(f"sandbox started at {st.url} (pid {st.pid})", err=True)
        click.echo("\n".join(sb.shell_lines(st, _settings().values.get("region"))))
    elif action == "start":
        st = sb.start()
        click.echo(f"sandbox running at {st.url} (pid {st.pid}); state: {sb.home()}")
    elif action == "stop":
        click.echo(f"sandbox stopped: forgot {sb.FORGETS}; the next --sandbox command starts an empty one "
                   f"on a new port (re-run `reconcile sandbox env`)" if sb.stop() else "sandbox was not running")
    elif action == "status":
        st = sb.status()
        if st.running:
            click.echo(f"sandbox running at {st.url} (pid {st.pid})")
        else:
            click.echo("sandbox not running; a command that talks to AWS starts it when given --sandbox, "
                       "when RECONCILE_SANDBOX=1 is set, or when no AWS credentials are found "
                       "(no profile, AWS_PROFILE, AWS_ENDPOINT_URL, access keys or instance role)")
            sys.exit(3)
    else:
        st = sb.reset()
        click.echo(f"sandbox at {st.url} reset: forgot {sb.FORGETS}; it keeps running at the same address")


@cli.command("force-unlock", context_settings=CONTEXT)
@click.argument("stack_or_dir", metavar="STACK_OR_DIR")
@click.argument("lock_id", metavar="LOCK_ID")
@env_option
@global_options
def force_unlock(stack_or_dir: str, lock_id: str, env: str | None) -> None:
    """Release a stack's lock left behind by a run that is gone.

    \b
    LOCK_ID is in the "stack ... is locked by ..." message. STACK_OR_DIR: the manifests folder
    (its Stack's spec.lock, else the local lock), or a stack name (its local lock).
    Only for a run that is no longer running: two runs changing one stack at once can leave it half made.
    """
    from reconciler import lock, pipeline

    s = _settings()
    stack = lock.stack_named(stack_or_dir, env)
    t = pipeline.connect(s.options(), stack)
    was = lock.for_stack(stack, t).force_release(lock_id)
    click.echo(f"Released the lock of stack {stack.name!r} that was held by {was.describe()}.")


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted; nothing more was changed.", err=True)
        sys.exit(130)
    except click.exceptions.ClickException as e:
        e.show()
        sys.exit(1 if e.exit_code == 2 else e.exit_code)
    except ReconcileError as e:
        if debug:
            raise
        click.echo(click.style("Error: ", fg="red", bold=True) + e.render(), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as e:  # a bug: say so plainly, traceback only with --debug
        if debug:
            raise
        click.echo(f"Error: unexpected {type(e).__name__}: {e} (run with --debug for the traceback)", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()


# ---- endpoints: invoke and rollback -------------------------------------------------------------


def manifests_option(f):  # type: ignore[no-untyped-def]
    f = env_option(f)
    return click.option(
        "-f", "--manifests", "manifests_dir", type=click.Path(), default=None, metavar="DIR",
        help="The stack's manifests: region, account guard and stack name come from them "
             "(default: the current folder when it holds manifests).")(f)


def _holds_manifests(folder: Path) -> bool:
    """True when ``folder`` itself has a reconcile manifest (apiVersion reconciler/…) among its YAML files."""
    for f in sorted(folder.glob("*.y*ml"))[:50]:
        try:
            with f.open("rb") as fh:
                if b"apiVersion: reconciler/" in fh.read(65536):
                    return True
        except OSError:
            continue
    return False


def _stack_target(manifests_dir: str | None, env: str | None = None) -> tuple[Any, str]:
    """(the Target, the stack name) for a command on one live resource: from -f DIR, or the current folder."""
    from reconciler import manifests as mf
    from reconciler import pipeline

    s = _settings()
    if manifests_dir is None and _holds_manifests(Path.cwd()):
        manifests_dir = "."
    if manifests_dir is None:
        t = pipeline.connect(s.options())
        stack = ""
    else:
        m = mf.load(manifests_dir, env, click.get_current_context().info_name or "this command")  # (not linted)
        t = pipeline.connect(s.options(), m.stack)
        stack = m.stack.name
    if t.sandbox:
        click.echo(f"SANDBOX (local emulated AWS) · account {t.account} · {t.region}", err=True)
    return t, stack


@cli.command(context_settings=CONTEXT)
@click.argument("endpoint")
@click.option("--prompt", required=True, help="The prompt (sent as TGI 'inputs').")
@click.option("--max-new-tokens", type=click.IntRange(1), default=None, help="Most tokens to generate.")
@click.option("--temperature", type=float, default=None, help="Sampling temperature.")
@click.option("--top-p", type=float, default=None, help="Nucleus sampling probability.")
@click.option("--repetition-penalty", type=float, default=None, help="Penalty for repeated tokens.")
@click.option("--return-full-text/--no-return-full-text", default=None, help="Prefix the answer with the prompt.")
@click.option("--stop", multiple=True, help="Stop sequence (repeatable).")
@click.option("--inference-component", default=None,
              help="Inference component to call (default: the endpoint's only one, if it uses components).")
@manifests_option
@global_options
def invoke(endpoint: str, prompt: str, max_new_tokens: Any, temperature: Any, top_p: Any, repetition_penalty: Any,
           return_full_text: Any, stop: tuple[str, ...], inference_component: Any, manifests_dir: Any,
           env: Any = None) -> None:
    """Send one prompt to a deployed LLM endpoint and print the generated text."""
    from reconciler import invoke as inv

    t, _stack = _stack_target(manifests_dir, env)
    params = {"max_new_tokens": max_new_tokens, "temperature": temperature, "top_p": top_p,
              "repetition_penalty": repetition_penalty, "return_full_text": return_full_text,
              "stop": list(stop) or None}
    click.echo(inv.generate(t.aws, endpoint, prompt, params, component=inference_component))


@cli.command(context_settings=CONTEXT)
@click.argument("endpoint")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (CI).")
@click.option("--timeout", type=click.IntRange(60), default=3600, show_default=True, help="Seconds to wait for InService.")
@click.option("--inference-component", default=None, metavar="NAME",
              help="Roll back only this InferenceComponent on ENDPOINT to the model it ran before (kept on it).")
@manifests_option
@global_options
def rollback(endpoint: str, auto_approve: bool, timeout: int, inference_component: Any, manifests_dir: Any,
             env: Any = None) -> None:
    """Switch ENDPOINT (or one --inference-component on it) back to the config/model it ran before its last
    update (kept for this).

    The manifests still describe the newer version: revert them in git, or the next apply rolls forward again.
    """
    from reconciler.kinds import REGISTRY
    from reconciler.kinds.base import ApplyContext

    s = _settings()
    t, stack = _stack_target(manifests_dir, env)
    if inference_component:
        from reconciler.kinds.inference_component import rollback as ic_rollback

        return ic_rollback.command(t, stack, endpoint, inference_component, timeout, s.progress, lambda: _confirm(
            auto_approve, f"roll back inference component {inference_component}"), click.echo)
    kind = REGISTRY["Endpoint"]
    click.echo("\n".join(kind.rollback_preview(endpoint, t.aws)))  # type: ignore[attr-defined]
    _confirm(auto_approve, f"roll back endpoint {endpoint}")
    ctx = ApplyContext(aws=t.aws, stack=stack, account=t.account, region=t.region, partition=t.aws.partition,
                       progress=s.progress)
    done = kind.rollback(endpoint, ctx, timeout=timeout)  # type: ignore[attr-defined]
    click.echo(f"Rolled back Endpoint/{endpoint}: {done}. Revert the manifest change too, "
               "or the next apply rolls forward again.")


# ---- HTTP APIs: call a route -----------------------------------------------------------------------


@cli.command("call-api", context_settings=CONTEXT)
@click.argument("api")
@click.argument("route", metavar="'METHOD /PATH'")
@click.option("--json", "body_json", default=None, help="JSON request body (sent as application/json).")
@click.option("--data", default=None, help="Raw request body.")
@click.option("--header", "-H", "headers", multiple=True, help="Extra header 'Name: value' (repeatable).")
@manifests_option
@global_options
def call_api(api: str, route: str, body_json: str | None, data: str | None, headers: tuple[str, ...],
             manifests_dir: Any, env: Any = None) -> None:
    """Send one HTTP request to a route of HttpApi API and print the answer (the sandbox serves it locally).

    \b
    reconcile call-api workshop-llm-api 'POST /generate' --json '{"prompt": "Hello"}'
    """
    import json
    import urllib.error
    import urllib.request

    from reconciler.kinds import REGISTRY

    method, _, path = route.strip().partition(" ")
    if not path.startswith("/"):
        raise UsageError(f"ROUTE {route!r}: give 'METHOD /path', e.g. 'POST /generate'")
    body = None
    sent = {"user-agent": f"reconcile/{__version__}"}
    if body_json is not None:
        try:
            body = json.dumps(json.loads(body_json)).encode()
        except ValueError as e:
            raise UsageError(f"--json is not JSON: {e}") from None
        sent["content-type"] = "application/json"
    elif data is not None:
        body = data.encode()
    for h in headers:
        name, sep, value = h.partition(":")
        if not sep:
            raise UsageError(f"--header {h!r}: give 'Name: value'")
        sent[name.strip().lower()] = value.strip()
    t, _stack = _stack_target(manifests_dir, env)
    base = REGISTRY["HttpApi"].url(t.aws, api)  # type: ignore[attr-defined]
    req = urllib.request.Request(base + path, data=body, method=method.upper(), headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, answer = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, answer = e.code, e.read()
    except urllib.error.URLError as e:
        raise ReconcileError(f"Failed to call {method.upper()} {base + path}: {e.reason}") from None
    click.echo(answer.decode(errors="replace"))
    if status >= 400:
        click.echo(f"HTTP {status} from {method.upper()} {base + path}", err=True)
        sys.exit(1)
