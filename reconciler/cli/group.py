"""The `reconcile` command group: its global options (given before or after the command name), the
option decorators commands share, and the small helpers every command uses to talk to the user."""

from __future__ import annotations

import functools
import os
import sys
import time
from typing import Any

import click

from reconciler import __version__
from reconciler.aws import DEFAULT_CONCURRENCY
from reconciler.errors import UsageError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Settings:
    """Global options, given before or after the command name."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {"profile": None, "region": None, "sandbox": None, "color": None,
                                       "concurrency": DEFAULT_CONCURRENCY, "debug": False, "quiet": False}
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
        """Colours on stdout: only on a terminal, and never with --no-color or NO_COLOR."""
        return self.values["color"] is not False and not no_color_env() and sys.stdout.isatty()

    @property
    def use_color_err(self) -> bool:
        return self.values["color"] is not False and not no_color_env() and sys.stderr.isatty()

    def progress(self, msg: str) -> None:
        if self.quiet:
            return
        elapsed = time.monotonic() - self.started
        click.echo(click.style(f"[{elapsed:6.1f}s] ", fg="bright_black") + msg, err=True, color=self.use_color_err)

    def options(self, strict: bool = False):  # type: ignore[no-untyped-def]
        from reconciler.pipeline import Options

        return Options(profile=self.profile, region=self.region, sandbox=self.sandbox,
                       concurrency=self.concurrency, strict=strict, progress=self.progress,
                       notice=lambda msg: None if self.quiet else click.echo(msg, err=True))


def no_color_env() -> bool:
    """NO_COLOR set to any non-empty value turns colours off (https://no-color.org)."""
    return bool(os.environ.get("NO_COLOR"))


def color_off(argv: list[str] | None = None) -> bool:
    """--no-color on the command line, or NO_COLOR: for output printed outside a command (its errors)."""
    return no_color_env() or "--no-color" in (sys.argv if argv is None else argv)


GLOBAL_NOTE = ("Global options (--profile, --region, --sandbox/--no-sandbox, --no-color, --concurrency N, --debug, "
               "--quiet) are accepted here too, before or after the command: see `reconcile --help`.")


class Command(click.Command):
    """A command whose help lists its own options; the global ones are listed once, by `reconcile --help`."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(GLOBAL_NOTE)


def global_options(f, hidden: bool = True):  # type: ignore[no-untyped-def]
    """The global options, accepted on the group and on every command (listed in the group's help only)."""

    @click.option("--profile", default=None, hidden=hidden, help="AWS profile (else AWS_PROFILE / default chain).")
    @click.option("--region", default=None, hidden=hidden,
                  help="AWS region (else the Stack's spec.region, AWS_REGION; for init: the starter's region).")
    @click.option("--sandbox/--no-sandbox", "sandbox", default=None, hidden=hidden,
                  help="Use the embedded local AWS (default: when no AWS credentials are configured; RECONCILE_SANDBOX=1).")
    @click.option("--no-color", "no_color", is_flag=True, default=False, hidden=hidden,
                  help="Plain output without colours (also NO_COLOR=1).")
    @click.option("--concurrency", type=click.IntRange(1, 64), default=None, hidden=hidden,
                  help=f"Parallel AWS operations (default {DEFAULT_CONCURRENCY}).")
    @click.option("--debug", is_flag=True, default=False, hidden=hidden, help="Show tracebacks.")
    @click.option("--quiet", "-q", is_flag=True, default=False, hidden=hidden, help="Only results and errors.")
    @functools.wraps(f)
    def wrapper(*args: Any, profile: Any, region: Any, sandbox: Any, no_color: bool, concurrency: Any,
                debug: bool, quiet: bool, **kwargs: Any) -> Any:
        settings: Settings = click.get_current_context().ensure_object(Settings)
        settings.merge(profile=profile, region=region, concurrency=concurrency, debug=debug, quiet=quiet)
        if sandbox is not None:
            settings.values["sandbox"] = sandbox
        if no_color:
            settings.values["color"] = False
        if no_color or no_color_env():  # every click.echo of this command (and its subcommand) strips styles
            click.get_current_context().color = False
        return f(*args, **kwargs)

    return wrapper


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="reconcile")
@functools.partial(global_options, hidden=False)
def cli() -> None:
    """reconcile: declarative IAM + SageMaker LLM endpoints from YAML manifests in git.

    \b
    reconcile validate manifests/      check manifests (no AWS calls)
    reconcile plan manifests/          show what would change
    reconcile apply manifests/         make it so
    reconcile prune manifests/         delete what the manifests no longer declare

    The global options below are accepted before or after the command name.
    """


cli.command_class = Command  # every command's help: its own options, and a pointer to the global ones


def env_option(f):  # type: ignore[no-untyped-def]
    return click.option("--env", "env", default=None, metavar="NAME", envvar="RECONCILE_ENV",
                        help="The environment (kind: Environment) to work on; needed when the manifests "
                             "declare environments (also RECONCILE_ENV).")(f)


def lock_timeout_option(f):  # type: ignore[no-untyped-def]
    return click.option("--lock-timeout", "lock_timeout", default="0s", show_default=True, metavar="DURATION",
                        help="How long to wait for the stack's lock held by another run (e.g. 30s, 10m).")(f)


def manifests_option(f):  # type: ignore[no-untyped-def]
    f = env_option(f)
    return click.option(
        "-f", "--manifests", "manifests_dir", type=click.Path(), default=None, metavar="DIR",
        help="The stack's manifests: region, account guard and stack name come from them "
             "(default: the current folder when it holds manifests).")(f)


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


def _confirm(auto_approve: bool, what: str) -> None:
    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"refusing to {what} without confirmation: no terminal to ask on; pass --auto-approve")
    answer = click.prompt(f"Do you want to {what}? Only 'yes' will be accepted", default="", show_default=False)
    if answer.strip() != "yes":
        raise UsageError(f"{what} cancelled; nothing was changed")
