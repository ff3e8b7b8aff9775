"""Commands around the stack rather than on it: init (a starter stack), schema (JSON Schemas), sandbox (the
embedded local AWS), force-unlock (a lock left behind by a run that is gone) and prices (the hosting price
table the plan's cost comes from)."""

from __future__ import annotations

import sys

import click

from reconciler.cli.group import CONTEXT, _settings, cli, env_option, global_options
from reconciler.errors import ReconcileError, UsageError


@cli.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path())
@click.option("--name", default=None, help="Stack name (default: from the folder's name).")
@click.option("--stack-region", "stack_region", default=None, hidden=True)  # (before --region did it)
@global_options
def init(directory: str, name: str | None, stack_region: str | None) -> None:
    """Write a starter stack into DIR (a new or empty folder): your copy to plan, apply, edit and prune.

    The Stack's region is --region (default us-east-1)."""
    from reconciler import starter

    region = _settings().region
    if stack_region and region and stack_region != region:
        raise UsageError(f"--region {region} and --stack-region {stack_region} disagree; give --region only")
    files = starter.write(directory, name, region or stack_region or "us-east-1")
    click.echo(f"Wrote a starter stack to {directory}: {', '.join(f.name for f in files)}.\n"
               f"Next: reconcile plan {directory}")


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
    start:  start it (a command that needs it starts it too); it keeps running between commands
    stop:   stop it and forget everything in it; the next command starts an empty one on a new port
    status: say whether it runs and where (exit 3 when it does not)
    reset:  forget every resource, injected fault and delay setting; same server, same address
    env:    print the shell lines that point the aws CLI, boto3 or Terraform at the sandbox
            (starting it if needed):  eval "$(reconcile sandbox env)"

    State (pid, port, log) lives in $RECONCILE_HOME (default ~/.cache/reconcile); see docs/sandbox.md.
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
        url = sb.status().url
        if sb.stop():
            click.echo(f"sandbox stopped: forgot {sb.FORGETS}; the next --sandbox command starts an empty one "
                       f"on a new port. A shell that ran `eval \"$(reconcile sandbox env)\"` still points "
                       f"AWS_ENDPOINT_URL at {url}, where nothing answers now: run it again once a sandbox runs, "
                       "or `unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY` for your AWS credentials")
        else:
            click.echo("sandbox was not running")
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


@cli.group(context_settings=CONTEXT)
def prices() -> None:
    """The SageMaker hosting price table the plan's cost comes from."""


@prices.command("update", context_settings=CONTEXT)
@click.argument("regions", nargs=-1, metavar="[REGION]...")
@global_options
def prices_update(regions: tuple[str, ...]) -> None:
    """Refresh the SageMaker real-time hosting prices (on-demand, USD per instance-hour) of REGION(s) (default:
    the configured region) from the AWS Price List API (pricing:GetProducts).

    \b
    They are written to $RECONCILE_HOME/sagemaker-hosting-prices.json (~/.cache/reconcile/ by default), which
    plan reads in preference to the table shipped with reconcile wherever it is newer.
    """
    import re

    from reconciler import pipeline
    from reconciler import prices as table

    bad = [r for r in regions if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", r)]
    if bad:
        raise UsageError(f"{', '.join(bad)}: not a region code (like us-east-1)")
    t = pipeline.connect(_settings().options())
    if t.sandbox:
        click.echo(f"SANDBOX (local emulated AWS) · account {t.account}", err=True)
    refreshed = {}
    for region in regions or (t.region,):
        found, unclear = table.fetch(t.aws, region)
        note = f" ({len(unclear)} left out: their products disagree: {', '.join(unclear)})" if unclear else ""
        if not found:
            click.echo(f"warning: the Price List API has no SageMaker hosting prices for {region}{note}", err=True)
            continue
        refreshed[region] = found
        click.echo(f"{region}: {len(found)} hosting instance prices{note}")
    if not refreshed:
        raise ReconcileError("no prices to write; the table in use is unchanged")
    path = table.save(refreshed)
    click.echo(f"Wrote {path}: plan reads it in preference to the shipped table where it is newer.")
