"""Policy lint results cached by content (reconciler/lint_cache.py): same results, fewer parliament runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconciler import lint, lint_cache
from reconciler import manifests as mf
from reconciler.errors import ManifestError
from reconciler.kinds import REGISTRY
from tests.support.manifests import STACK, write

ROOT = Path(__file__).resolve().parents[2]

# errors (unknown action with a suggestion, unknown prefix), warnings (PassRole on *, service wildcard,
# full access, a parliament finding), a document as JSON text, a single Statement object, the same
# document in two resources at different lines, and clean documents
CORPUS = {
    "stack.yaml": STACK.format(name="lintcache"),
    "iam.yaml": """
        apiVersion: reconciler/v1
        kind: Policy
        metadata: {name: broad}
        spec:
          document: '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["lambda:*", "iam:PassRole"], "Resource": "*"}}'
        ---
        apiVersion: reconciler/v1
        kind: Policy
        metadata: {name: escalate}
        spec:
          document:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: ["iam:CreateAccessKey", "iam:AttachUserPolicy"], Resource: "*"}
              - {Effect: Deny, NotAction: "s3:*", Resource: "*"}
        ---
        apiVersion: reconciler/v1
        kind: Role
        metadata: {name: runner}
        spec:
          assumedBy: [lambda.amazonaws.com]
          managedPolicies: [arn:aws:iam::aws:policy/AmazonS3FullAccess]
          inlinePolicies:
            pass: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "iam:PassRole", Resource: "*"}]}
            logs: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "logs:PutLogEvents", Resource: "*"}]}
        ---
        apiVersion: reconciler/v1
        kind: User
        metadata: {name: deployer}
        spec:
          inlinePolicies:

            pass: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "iam:PassRole", Resource: "*"}]}
    """,
}


def _lint_all(folders: list[Path]) -> list[tuple]:
    """Every lint finding of every resource; a folder with lint errors: the errors loading reports."""
    out: list[tuple] = []
    for folder in folders:
        try:
            env = "dev" if folder.name == "examples" else None  # the examples declare environments
            resources = mf.load(folder, env).resources  # (loading lints too: errors fail it, all at once)
        except ManifestError as e:
            out.append((str(folder), str(e)))
            continue
        for res in resources:
            out += [(res.id, i.file, i.line, i.field, i.message, i.severity, i.code) for i in REGISTRY[res.kind].lint(res)]
    return out


ERRORS = {
    "stack.yaml": STACK.format(name="linterrors"),
    "typo.yaml": """
        apiVersion: reconciler/v1
        kind: Policy
        metadata: {name: typo}
        spec:
          document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["s3:GetObjekt", "s4:GetObject"], Resource: "*"}]}
    """,
}


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    monkeypatch.setenv("RECONCILE_HOME", str(tmp_path / "home"))
    corpus = write(tmp_path / "corpus", CORPUS)
    errors = write(tmp_path / "errors", ERRORS)
    examples = tmp_path / "examples"
    shutil.copytree(ROOT / "manifests", examples)
    return [corpus, errors, examples]


def _entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "home" / "lint-cache").glob("*.json"))


def test_cached_results_equal_uncached(folders, tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILE_LINT_CACHE", "0")
    uncached = _lint_all(folders)
    assert _entries(tmp_path) == []  # off: nothing written
    monkeypatch.setenv("RECONCILE_LINT_CACHE", "1")
    cold = _lint_all(folders)
    assert _entries(tmp_path), "the cache was not written"
    calls = []
    real = lint.document
    monkeypatch.setattr(lint, "document", lambda *a: calls.append(a) or real(*a))
    warm = _lint_all(folders)
    assert calls == []  # every document answered from the cache: parliament not run again
    assert cold == uncached
    assert warm == uncached
    codes = {c[-1] for c in uncached if len(c) > 2}
    assert {"PASSROLE_STAR", "SERVICE_WILDCARD", "FULL_ACCESS"} <= codes
    errors = "\n".join(c[1] for c in uncached if len(c) == 2)
    assert "UNKNOWN_ACTION" in errors and "did you mean s3:GetObject" in errors and "UNKNOWN_PREFIX" in errors
    # the same document in two resources: one entry, each resource keeps its own file:line
    passes = [c for c in warm if c[-1] == "PASSROLE_STAR" and c[0] in ("Role/runner", "User/deployer")]
    assert len({c[2] for c in passes}) == 2


def test_a_corrupted_entry_is_ignored_and_rewritten(folders, tmp_path, monkeypatch):
    monkeypatch.setenv("RECONCILE_LINT_CACHE", "0")
    uncached = _lint_all(folders)
    monkeypatch.setenv("RECONCILE_LINT_CACHE", "1")
    _lint_all(folders)
    entries = _entries(tmp_path)
    bad = {entries[0]: "{not json", entries[1]: "", entries[2]: json.dumps({"key": "other", "findings": []})}
    if len(entries) > 3:  # well-formed JSON with a wrong shape
        bad[entries[3]] = json.dumps({"key": entries[3].stem, "findings": [["x", 1, "fatal", None]]})
    for path, text in bad.items():
        path.write_text(text)
    assert _lint_all(folders) == uncached
    for path in bad:  # linted again and written whole
        assert json.loads(path.read_text())["key"] == path.stem


def test_the_key_follows_the_document_and_the_rules(monkeypatch):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    assert lint_cache.key(doc) == lint_cache.key(json.dumps(doc))  # YAML or JSON text: the same document
    other = {**doc, "Statement": [{**doc["Statement"][0], "Action": "s3:PutObject"}]}
    assert lint_cache.key(doc) != lint_cache.key(other)
    before = lint_cache.key(doc)
    monkeypatch.setattr(lint_cache, "_identity", "1\0parliament-9.9\0other-rules")
    assert lint_cache.key(doc) != before  # another parliament version or lint.py: another entry


def test_no_temporary_files_are_left(folders, tmp_path):
    _lint_all(folders)
    _lint_all(folders)
    assert [p.name for p in (tmp_path / "home" / "lint-cache").iterdir() if not p.name.endswith(".json")] == []


def test_the_parliament_version_is_the_installed_one():
    from importlib.metadata import version

    assert lint_cache._parliament_version() == version("parliament")
