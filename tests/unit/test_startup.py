"""Start-up: a command imports only what it uses (nothing heavy for --help; for validate botocore's models but
no boto3, moto or deepdiff; no parliament when the lint is cached)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("boto3", "botocore", "moto", "parliament", "pkg_resources", "deepdiff", "pydantic", "yaml")

# runs the CLI in-process (as the console script does), then reports which heavy modules got imported
PROBE = """
import json, sys
heavy = json.loads(sys.argv[2])
sys.argv = ["reconcile", *json.loads(sys.argv[1])]
from reconciler.cli import main
try:
    main()
except SystemExit:
    pass
sys.stderr.write("\\nIMPORTED " + json.dumps(sorted(m for m in heavy if m in sys.modules)) + "\\n")
"""


def imported(home: Path, *argv: str) -> list[str]:
    env = {**os.environ, "RECONCILE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("RECONCILE_LINT_CACHE", None)
    p = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(HEAVY)], capture_output=True,
                       text=True, env=env, cwd=ROOT, timeout=120)
    line = [x for x in p.stderr.splitlines() if x.startswith("IMPORTED ")]
    assert line, p.stderr
    return json.loads(line[-1].removeprefix("IMPORTED "))


def test_help_imports_nothing_heavy(tmp_path):
    """Not even the spec models (pydantic) or the YAML parser: --help needs neither."""
    assert imported(tmp_path, "--help") == []
    assert imported(tmp_path, "plan", "--help") == []


def test_validate_imports_no_aws_sdk_and_parliament_only_when_not_cached(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "stack.yaml").write_text("""apiVersion: reconciler/v1
kind: Stack
metadata: {name: small}
---
apiVersion: reconciler/v1
kind: Role
metadata: {name: r}
spec:
  assumedBy: [lambda.amazonaws.com]
  inlinePolicies:
    logs: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "logs:PutLogEvents", Resource: "*"}]}
""")
    home = tmp_path / "home"
    # validate checks fields against botocore's service models (botocore's loader, never boto3's clients);
    # linted once (parliament, without pkg_resources) …
    assert imported(home, "validate", str(folder)) == ["botocore", "parliament", "pydantic", "yaml"]
    assert imported(home, "validate", str(folder)) == ["botocore", "pydantic", "yaml"]  # … then from the cache


def test_diffing_does_not_import_numpy_or_pandas():
    code = ("import sys; from reconciler.diff import diff; "
            "assert [c.path for c in diff({'a': [1], 'b': 1}, {'a': [2], 'b': 1})] == ['a[0]']; "
            "print(sorted(m for m in ('deepdiff', 'numpy', 'pandas', 'polars') if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    assert p.stdout.strip() == "['deepdiff']", p.stderr


def test_the_console_script_tunes_the_collector_for_a_short_process_and_skips_its_final_collections():
    """The console script and ``python -m reconciler`` run ``console()``: a young-generation threshold of 50,000
    (~270 collections in a 250-resource plan at CPython's 700) and, at exit, everything frozen, so the interpreter's
    final collections do not walk it (~0.15 s). ``main()``, which tests call in-process, leaves the collector alone."""
    import tomllib

    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["reconcile"] == \
        "reconciler.cli:console"
    assert (ROOT / "reconciler" / "__main__.py").read_text().count("console()") == 1
    probe = """
import atexit, gc, json, sys
atexit.register(lambda: sys.stderr.write("\\nGC " + json.dumps([gc.get_threshold()[0], gc.get_freeze_count() > 0])))
sys.argv = ["reconcile", "--version"]
from reconciler.cli import {entry}
{entry}()
"""
    for entry, expected in (("console", [50_000, True]), ("main", [700, False])):
        p = subprocess.run([sys.executable, "-c", probe.format(entry=entry)], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, timeout=120)
        line = [x for x in p.stderr.splitlines() if x.startswith("GC ")]
        assert line and json.loads(line[-1][3:]) == expected, (entry, p.stdout, p.stderr)
