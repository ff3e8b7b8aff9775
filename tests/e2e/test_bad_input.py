"""Bad input never crashes, never reaches AWS, and always says file:line, field and what is allowed.

Every folder under tests/bad_manifests/ is one broken manifest set with an ``expect.json``:
``{"file": "role.yaml", "line": 7, "field": "spec.maxSessionDuration", "message": "at most 43200"}``
(file relative to the case folder, "" for the folder itself; line null when there is none; field and
message are substrings; ``{dir}`` in a message stands for the folder as given on the command line), or
``{"errors": [...]}`` when the case has several errors that must all be reported in one run.
``{"generate": {"file": ..., "bytes": N}}`` asks the test to write a file too big to commit;
``{"links": {"path": "target"}}`` asks it to make symbolic links (not committed: tools walking the
repository must not follow a link to /etc or a loop).

Both ``reconcile validate DIR`` and ``reconcile plan DIR`` run as subprocesses with AWS_ENDPOINT_URL
pointing at a local HTTP server that records every request: the test proves no AWS call was made,
rather than inferring it from a connection error.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.cli import Cli, clean_env

CORPUS = Path(__file__).resolve().parents[1] / "bad_manifests"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())


class Recorder:
    """An HTTP server that answers every request with 500 and remembers it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append(f"{self.command} {self.path} {body[:200]!r}")
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _record

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    yield rec
    rec.stop()


@pytest.fixture
def cli(recorder: Recorder, tmp_path: Path) -> Cli:
    env = clean_env({
        "AWS_ENDPOINT_URL": recorder.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
        "RECONCILE_HOME": str(tmp_path / "reconcile-home"),
    })
    return Cli(env, tmp_path)


def expected_errors(case: Path) -> tuple[dict, list[dict]]:
    spec = json.loads((case / "expect.json").read_text())
    return spec, spec.get("errors") or [spec]


def prepare(case: Path, tmp_path: Path) -> str:
    """Copy the case (without expect.json) to tmp_path/<case name>; returns the folder as given to the CLI."""
    spec, _ = expected_errors(case)
    target = tmp_path / case.name
    shutil.copytree(case, target, ignore=shutil.ignore_patterns("expect.json"))
    for link, points_to in spec.get("links", {}).items():  # symbolic links are made here, not committed
        (target / link).parent.mkdir(parents=True, exist_ok=True)
        (target / link).symlink_to(points_to)
    gen = spec.get("generate")
    if gen:
        line = b"# " + b"x" * 1021 + b"\n"
        with open(target / gen["file"], "wb") as fh:
            for _ in range(gen["bytes"] // len(line)):
                fh.write(line)
            fh.write(b"#" * (gen["bytes"] % len(line)))
        assert (target / gen["file"]).stat().st_size == gen["bytes"]
    return case.name


def error_lines(stderr: str) -> list[str]:
    """The issue lines under 'Error: N errors in manifests:'; asserts the header is there and counts match."""
    lines = stderr.splitlines()
    headers = [i for i, line in enumerate(lines) if line.startswith("Error: ") and " in manifests:" in line]
    assert len(headers) == 1, f"expected one 'Error: N error(s) in manifests:' header:\n{stderr}"
    head = lines[headers[0]]
    n = int(head.split()[1])
    issues = [line[2:] for line in lines[headers[0] + 1:] if line.startswith("  ")]
    assert len(issues) == n, f"header says {n} errors, {len(issues)} listed:\n{stderr}"
    return issues


def matches(issue: str, where: str, exp: dict, folder: str) -> bool:
    field, message = exp["field"], exp["message"].replace("{dir}", folder)
    if not issue.startswith(where):
        return False
    rest = issue[len(where):]
    if field:
        # "file:line: field: message" -- the field is named right after the location
        if not rest.startswith(" ") or field not in rest.split(": ", 1)[0]:
            return False
    return message in rest


@pytest.mark.parametrize("command", ["validate", "plan"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Path, command: str, cli: Cli, recorder: Recorder, tmp_path: Path) -> None:
    _, errors = expected_errors(case)
    folder = prepare(case, tmp_path)
    before = len(recorder.requests)

    r = cli(command, folder, timeout=60)

    assert r.code == 1, f"exit {r.code}, want 1\n{r.text}"
    assert "Traceback" not in r.text, r.text
    assert "unexpected" not in r.err, f"an internal error, not a manifest error:\n{r.err}"
    issues = error_lines(r.err)
    assert len(issues) == len(errors), f"want {len(errors)} error(s), got {len(issues)}:\n{r.err}"
    for exp in errors:
        loc = f"{folder}/{exp['file']}" if exp["file"] else folder
        where = f"{loc}:{exp['line']}:" if exp["line"] is not None else f"{loc}:"
        assert any(matches(i, where, exp, folder) for i in issues), (
            f"no error at {where} naming {exp['field']!r} with {exp['message']!r}; got:\n{r.err}")
    assert recorder.requests[before:] == [], f"{command} made AWS calls on bad input: {recorder.requests[before:]}"


def test_the_corpus_is_big_enough_and_well_formed() -> None:
    assert len(CASES) >= 45
    for case in CASES:
        spec, errors = expected_errors(case)
        for exp in errors:
            assert set(exp) >= {"file", "line", "field", "message"}, case.name
            assert exp["message"], case.name
            made = exp["file"] in spec.get("links", {}) or spec.get("generate")
            assert exp["file"] == "" or (case / exp["file"]).exists() or made, case.name


def test_the_recorder_sees_a_real_aws_call(cli: Cli, recorder: Recorder, tmp_path: Path) -> None:
    """Guard for the guard: a valid folder makes plan call AWS, and the recorder notices."""
    good = tmp_path / "good"
    good.mkdir()
    (good / "role.yaml").write_text("apiVersion: reconciler/v1\nkind: Role\nmetadata:\n  name: app-exec\n"
                                    "spec:\n  assumedBy: [sagemaker.amazonaws.com]\n")
    before = len(recorder.requests)
    assert cli("validate", "good").code == 0
    assert len(recorder.requests) == before
    r = cli("plan", "good", timeout=120)
    assert r.code == 1 and "Traceback" not in r.text
    assert len(recorder.requests) > before, r.text
