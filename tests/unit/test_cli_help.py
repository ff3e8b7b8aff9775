"""What `--help` says (issue 27 item 11): each command's own options, the global ones once (at the top level,
as kubectl and terraform do) while still accepted after any command; `sandbox --help` explains every action.

Regenerate after an intended change with ``RECONCILE_UPDATE_GOLDEN=1 pytest tests/unit/test_cli_help.py``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from tests.unit.test_render_golden import check_golden

GLOBAL = ("--profile", "--region", "--sandbox", "--no-color", "--concurrency", "--debug", "--quiet")


def help_of(*args: str) -> str:
    r = CliRunner().invoke(cli, [*args, "--help"], prog_name="reconcile", terminal_width=100, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("command", ["init", "schema", "sandbox", "plan", "invoke"])
def test_global_options_are_listed_once_at_the_top(command):
    top, own = help_of(), help_of(command)
    own_options = own.split("\nOptions:\n", 1)[1].split("\n\n", 1)[0]
    for option in GLOBAL:
        assert option in top.split("\nOptions:\n", 1)[1], option
        assert option not in own_options, (command, option)
    assert "Global options (--profile, --region, --sandbox/--no-sandbox, --no-color, --concurrency N, --debug, " \
           "--quiet) are accepted here too" in " ".join(own.split())


def test_help_texts_match_golden():
    check_golden(help_of("init"), "help-init.txt")
    check_golden(help_of("sandbox"), "help-sandbox.txt")
    for action in ("start", "stop", "status", "reset", "env"):
        assert f"\n  {action}:" in help_of("sandbox"), action
