"""`reconcile permissions`: the least-privilege IAM policy documents a CI role needs for these manifests."""

from __future__ import annotations

import json
import os

import click

from reconciler.cli.group import CONTEXT, _print_warnings, _settings, cli, env_option, global_options
from reconciler.errors import UsageError


def _commands(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    from reconciler.permissions.compose import COMMANDS  # (here, not at start-up: ~15 ms every command paid)

    found = [v.strip() for value in values for v in value.split(",") if v.strip()]
    wrong = [v for v in found if v not in COMMANDS]
    if wrong or not found:
        raise click.BadParameter(f"{', '.join(wrong) or 'nothing'}: give one or more of {', '.join(COMMANDS)} "
                                 "(repeat --for, or separate with commas)")
    return list(dict.fromkeys(found))


@cli.command(context_settings=CONTEXT)
@click.argument("directory", type=click.Path())
@click.option("--for", "commands", multiple=True, required=True, callback=_commands, metavar="COMMAND",
              help="plan, drift, apply, prune or destroy; several (--for apply,prune): one policy for all of them.")
@env_option
@global_options
def permissions(directory: str, commands: list[str], env: str | None) -> None:
    """Print the IAM policy documents (JSON: a list, each within a managed policy's 6,144 characters) that a role
    needs to run COMMAND on exactly the manifests in DIRECTORY. Makes no AWS call.

    \b
    Actions are listed one by one; resources are the manifests' names and ARNs where IAM takes them; changes and
    deletes of what the stack owns carry aws:ResourceTag/reconciler:stack wherever IAM supports it; iam:PassRole
    only on the execution roles the manifests use, only to their service. The account is the manifests'
    accountId, else *; the region the stack's. Attach every document to the role (docs/permissions.md)."""
    from reconciler.permissions.compose import policies
    from reconciler.pipeline import load

    m, _graph = load(directory, env=env, command="permissions")
    _print_warnings(m.warnings)
    region = m.stack.spec.region or _settings().region or os.environ.get("AWS_REGION") or ""
    if not region:
        raise UsageError("the manifests name no region (Stack or Environment spec.region): give --region, so that "
                         "the policies name the stack's ARNs")
    docs, notes = policies(m, commands, region)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    click.echo(json.dumps(docs, indent=2))
