"""Thin command layer: parse arguments, call the pipeline, render, map errors to exit codes.

Exit codes: 0 success (with --detailed-exitcode: no changes), 1 error, 2 changes pending
(only with --detailed-exitcode).

One module per responsibility:
  group.py           the `reconcile` group, global options, option decorators and helpers commands share
  plan_apply.py      validate, render, plan, apply, prune, destroy
  saved_plan.py      plans saved as JSON: written by `plan --out`, read back by `apply PLAN`
  live_resources.py  import, invoke, rollback, call-api: commands on one live resource
  admin.py           init, schema, sandbox, force-unlock
  permissions.py     permissions: the IAM policies a CI role needs for the manifests
  entry.py           main(): errors -> one message and an exit code; console(): the console script
"""

from reconciler.cli import admin, live_resources, permissions, plan_apply  # noqa: F401  (importing registers the commands)
from reconciler.cli.entry import console, main
from reconciler.cli.group import cli

__all__ = ["cli", "console", "main"]
