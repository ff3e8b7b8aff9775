"""`make test` ends with both workers busy (issue 27 item 12): the slowest folders are dealt out first, and
--dist worksteal lets an idle worker take half of the other's queue."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_slowest_folders_are_collected_first():
    args = ["tests/unit/test_cli_help.py", "tests/kinds/test_oidc_provider.py", "tests/e2e/test_output_colour.py",
            "tests/sandbox/test_audit.py"]
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                         cwd=ROOT, capture_output=True, text=True, timeout=120).stdout
    folders = [line.split("/")[1] for line in out.splitlines() if line.startswith("tests/")]
    seen = list(dict.fromkeys(folders))
    assert seen == ["e2e", "sandbox", "kinds", "unit"], out


def test_make_test_steals_work():
    assert "pytest -n 2 -q --dist worksteal" in (ROOT / "Makefile").read_text()
