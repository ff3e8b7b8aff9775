"""The console script `reconcile` (pyproject.toml [project.scripts]): run the command group, map errors to
exit codes and one message each (tracebacks only with --debug)."""

from __future__ import annotations

import sys

import click

from reconciler.cli.group import cli
from reconciler.errors import ReconcileError


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted; nothing more was changed.", err=True)
        sys.exit(130)
    except click.exceptions.ClickException as e:  # a usage error (unknown option, missing argument, a value out
        e.show()  # of range) exits 2 before anything runs, as click documents; other click errors 1
        sys.exit(e.exit_code)
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
