"""Colours only where a user wants them (issue 27, item 9): on a terminal by default; never with --no-color,
nor with NO_COLOR set to any non-empty value (https://no-color.org), in stdout, stderr and the final line."""

from __future__ import annotations

import pytest

from tests.support.manifests import sagemaker_role, write

ESC = "\x1b["
@pytest.mark.parametrize("how", ["--no-color", "NO_COLOR"])
def test_no_colour_anywhere_when_asked(cli, tmp_path, how):
    m = write(tmp_path / "colour", {"a.yaml": sagemaker_role("colour-a"), "b.yaml": sagemaker_role("colour-b")})
    flag = ("--no-color",) if how == "--no-color" else ()
    env = {"NO_COLOR": "" if flag else "1"}  # (tests run with NO_COLOR=1 by default)

    r = cli("apply", str(m), "--auto-approve", *flag, env=env, terminal=True)
    assert r.code == 0, r.out
    assert ESC not in r.out, repr(r.out)
    assert r.out.rstrip("\n").endswith("Apply complete: 2 created."), repr(r.out)
    (m / "b.yaml").unlink()
    r = cli("prune", str(m), "--auto-approve", *flag, env=env, terminal=True)
    assert r.code == 0 and ESC not in r.out and r.out.rstrip("\n").endswith("Prune complete: 1 deleted."), repr(r.out)
    r = cli("plan", str(tmp_path / "missing"), *flag, env=env, terminal=True)  # an error, printed after the command
    assert r.code == 1 and "Error: " in r.out and ESC not in r.out, repr(r.out)
    r = cli("destroy", str(m), "--auto-approve", *flag, env=env, terminal=True)
    assert r.code == 0 and ESC not in r.out and r.out.rstrip("\n").endswith("Destroy complete: 1 deleted."), repr(r.out)


def test_colours_on_a_terminal_by_default(cli, tmp_path):
    m = write(tmp_path / "colour", {"a.yaml": sagemaker_role("colour-a")})
    r = cli("apply", str(m), "--auto-approve", env={"NO_COLOR": ""}, terminal=True)  # empty: not set (no-color.org)
    assert r.code == 0, r.out
    assert "\x1b[32m\x1b[1mApply complete: 1 created.\x1b[0m" in r.out, repr(r.out)
