"""Issue 17 item 9: Function code is read only from inside the manifests' repository, regular files only,
capped at Lambda's limits; hostile code paths are file:line errors in well under a second, not internal
errors, a walk of the whole filesystem, or unbounded memory."""

from __future__ import annotations

import os
import time

import pytest

from tests.support.manifests import write

FN = """
apiVersion: reconciler/v1
kind: Function
metadata: {{name: fn}}
spec:
  code: {code}
  runtime: python3.12
  handler: app.handler
  role: arn:aws:iam::123456789012:role/fn-exec
"""


@pytest.mark.parametrize("case", ["dangling", "root", "dev-zero-file", "dev-zero-in-folder", "outside-folder",
                                  "outside-via-link", "loop"])
def test_hostile_code_paths_are_clear_errors(cli, tmp_path, case):
    m = tmp_path / "m"
    code, want = {
        "dangling": ("gone", "dangling symbolic link"),
        "root": ("/", "outside the repository"),
        "dev-zero-file": ("zero.zip", "outside the repository"),
        "dev-zero-in-folder": ("code", "outside the repository"),
        "outside-folder": ("../elsewhere", "outside the repository"),
        "outside-via-link": ("code", "outside the repository"),
        "loop": ("code", "symbolic link loop"),
    }[case]
    write(m, {"fn.yaml": FN.format(code=code)})
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "app.py").write_text("def handler(e, c): pass\n")
    if case == "dangling":
        (m / "gone").symlink_to("missing")
    elif case == "dev-zero-file":
        (m / "zero.zip").symlink_to("/dev/zero")
    elif case in ("dev-zero-in-folder", "outside-via-link", "loop"):
        write(m, {"code/app.py": "def handler(e, c): pass\n"})
        target = {"dev-zero-in-folder": "/dev/zero", "outside-via-link": "../../elsewhere", "loop": "."}[case]
        (m / "code" / "data").symlink_to(target)
    started = time.monotonic()
    r = cli("validate", str(m), timeout=60)
    took = time.monotonic() - started
    assert r.code == 1, r.text
    assert "Traceback" not in r.text and "unexpected" not in r.err, r.err
    assert f"{m / 'fn.yaml'}:5: spec.code:" in r.err and want in r.err, r.err
    assert took < 10, f"validate took {took:.1f}s"


def test_code_over_lambdas_unzipped_limit_is_refused_before_it_is_read(cli, tmp_path):
    m = write(tmp_path / "m", {"fn.yaml": FN.format(code="code"), "code/app.py": "def handler(e, c): pass\n"})
    with open(m / "code" / "big.bin", "wb") as fh:  # sparse: 251 MB on paper, nothing on disk
        fh.truncate(251 * 1024 * 1024)
    r = cli("validate", str(m), timeout=60)
    assert r.code == 1 and "larger than the 250 MB (unzipped) Lambda allows" in r.err, r.text


def test_code_inside_the_git_repository_but_outside_the_folder_is_read(cli, tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    write(repo, {"deploy/fn.yaml": FN.format(code="../src"), "src/app.py": "def handler(e, c): pass\n"})
    os.symlink("../src/app.py", repo / "deploy" / "linked.py")
    r = cli("validate", str(repo / "deploy"))
    assert r.code == 0, r.text


def test_only_files_nothing_reads_are_noted_as_skipped(cli, tmp_path):
    """Issue 27 item 7: a Function's code and the schemas `reconcile schema` writes beside the manifests are
    not "skipped" (something reads them); a stray file still is, on every command."""
    m = write(tmp_path / "m", {"fn.yaml": FN.format(code="functions/fn"),
                               "functions/fn/app.py": "def handler(e, c): pass\n",
                               "functions/fn/prompts/hello.txt": "Hello\n"})
    in_m = type(cli)(cli.env, m)
    assert in_m("schema").code == 0 and (m / "schemas" / "reconciler.json").is_file()  # ./schemas, the default
    r = in_m("validate", ".")
    assert r.code == 0 and "skipped" not in r.err, r.text
    (m / "notes.txt").write_text("a stray file\n")
    r = in_m("validate", ".")
    assert r.code == 0 and "note: skipped 1 file(s) that are not manifests (not *.yaml or *.yml): notes.txt" in r.err, r.err
