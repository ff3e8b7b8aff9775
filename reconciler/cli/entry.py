"""The console script `reconcile` (pyproject.toml [project.scripts]): run the command group, map errors to
exit codes and one message each (tracebacks only with --debug)."""

from __future__ import annotations

import gc
import sys

import click

from reconciler.cli.group import cli, color_off
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
        click.echo(click.style("Error: ", fg="red", bold=True) + e.render(), err=True,
                   color=False if color_off() else None)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as e:  # a bug: say so plainly, traceback only with --debug
        if debug:
            raise
        click.echo(f"Error: unexpected {type(e).__name__}: {e} (run with --debug for the traceback)", err=True)
        sys.exit(1)


#: the collector's youngest-generation threshold while a command runs (CPython's default: 700 allocations)
GC_THRESHOLD = 50_000


def console() -> None:
    """The process entry (the console script, ``python -m reconciler``): ``main()`` with the garbage collector
    tuned for a short-lived process. (In-process callers, such as the tests' crash loops, use ``main()``.)

    A command allocates millions of short-lived objects (parsed answers, models) and few reference cycles: at
    CPython's default threshold the collector ran ~270 times in a 250-resource plan, ~0.08 s of its ~0.9 s of
    CPU; at 50,000 it runs ~20 times. At exit CPython collects every generation again while it tears the modules
    down, ~0.15 s spent on objects the process is about to drop: frozen, they are not examined.
    """
    gc.set_threshold(GC_THRESHOLD)
    try:
        main()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()
