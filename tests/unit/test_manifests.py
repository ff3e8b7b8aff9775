"""The manifest loader: line mapping, error rendering, defensive YAML, and the reference graph's cycle check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from reconciler import manifests as mf
from reconciler.errors import Issue, ManifestError
from reconciler.graph import build
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Kind, Reference, Resource
from reconciler.manifests import yaml_reader
from tests.support.manifests import write

ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata:
  name: app-exec
  tags:
    team: ml
spec:
  assumedBy:
    - sagemaker.amazonaws.com
  inlinePolicies:
    read:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: s3:GetObject
          Resource: "*"
"""


def errors_of(root: Path) -> list[Issue]:
    with pytest.raises(ManifestError) as e:
        mf.load(root)
    return e.value.issues


def only_error(root: Path) -> Issue:
    issues = errors_of(root)
    assert len(issues) == 1, [str(i) for i in issues]
    return issues[0]


# ---- line mapping ---------------------------------------------------------------------------------


def test_every_key_and_list_item_maps_to_its_line(tmp_path: Path) -> None:
    m = mf.load(write(tmp_path / "m", {"role.yaml": ROLE}))
    (res,) = m.resources
    assert res.line == 1
    assert res.lines[("metadata", "name")] == 4
    assert res.lines[("metadata", "tags", "team")] == 6
    assert res.lines[("spec", "assumedBy", 0)] == 9
    assert res.lines[("spec", "inlinePolicies", "read", "Statement", 0)] == 14
    assert res.lines[("spec", "inlinePolicies", "read", "Statement", 0, "Action")] == 15


def test_line_of_falls_back_to_the_deepest_known_prefix(tmp_path: Path) -> None:
    (res,) = mf.load(write(tmp_path / "m", {"role.yaml": ROLE})).resources
    assert res.line_of("spec", "inlinePolicies", "read", "Statement", 0, "Nope", 3) == 14
    assert res.line_of("nothing", "here") == res.line
    issue = res.issue(("spec", "assumedBy", 0), "boom")
    assert (issue.line, issue.field) == (9, "spec.assumedBy.0")


def test_lines_count_from_each_document_in_a_multi_document_file(tmp_path: Path) -> None:
    second = ROLE.replace("app-exec", "other").replace("    - sagemaker.amazonaws.com", "    - nope")
    root = write(tmp_path / "m", {"roles.yaml": ROLE.lstrip() + "---\n" + second.lstrip()})
    issue = only_error(root)
    # the second document starts at line 18; its assumedBy item is 8 lines further down
    assert (issue.line, issue.field) == (26, "spec.assumedBy.0")


def test_pydantic_errors_are_located_at_the_offending_key(tmp_path: Path) -> None:
    root = write(tmp_path / "m", {"role.yaml": ROLE.replace("  assumedBy:", "  maxSessionDuration: 99\n  assumedBy:")})
    issue = only_error(root)
    assert (issue.line, issue.field) == (8, "spec.maxSessionDuration")
    assert "must be at least 3600, got the number 99" in issue.message
    assert "3600-43200" in issue.message  # the field's description says what is allowed


# ---- rendering --------------------------------------------------------------------------------------


def test_issue_and_error_rendering() -> None:
    a = Issue("m/role.yaml", 7, "spec.path", "bad")
    b = Issue("m", None, "", "the folder is empty")
    assert str(a) == "m/role.yaml:7: spec.path: bad"
    assert str(b) == "m: the folder is empty"
    err = ManifestError([a, b, Issue("x", 1, "", "just a warning", "warning")])
    assert err.render() == "2 errors in manifests:\n  m/role.yaml:7: spec.path: bad\n  m: the folder is empty"
    assert ManifestError([a]).render().startswith("1 error in manifests:")


def test_errors_are_sorted_by_file_then_line_and_all_reported(tmp_path: Path) -> None:
    root = write(tmp_path / "m", {
        "b.yaml": ROLE.replace("app-exec", "b").replace("team: ml", "aws:x: y"),
        "a.yaml": ROLE.replace("app-exec", "a" * 70) + "---\nkind: Nope\n",
    })
    issues = errors_of(root)
    assert [(Path(i.file).name, i.line, i.field) for i in issues] == [
        ("a.yaml", 4, "metadata.name"), ("a.yaml", 18, "apiVersion"), ("a.yaml", 18, "kind"),
        ("b.yaml", 6, "metadata.tags.aws:x")]


def test_union_alternatives_become_one_error_without_type_tags(tmp_path: Path) -> None:
    root = write(tmp_path / "m", {"p.yaml": "apiVersion: reconciler/v1\nkind: Policy\nmetadata: {name: p}\n"
                                            "spec:\n  document: [1, 2]\n"})
    issue = only_error(root)
    assert issue.field == "spec.document"
    assert issue.message.startswith("must be a mapping or a string, got a list")


@pytest.mark.parametrize("value, expected", [
    ("'7200'", None),  # a quoted number is accepted (YAML users quote numbers all the time)
    ("7200.5", "must be a whole number, got the number 7200.5"),
    ("true", "must be a whole number of seconds (3600-43200), got the boolean true"),
    ("[3600]", "must be a whole number, got a list"),
    ("", "must be a whole number, got null"),
])
def test_type_errors_say_what_is_allowed_and_what_was_given(tmp_path: Path, value: str, expected: str | None) -> None:
    root = write(tmp_path / "m", {"role.yaml": ROLE.replace("  assumedBy:", f"  maxSessionDuration: {value}\n  assumedBy:")})
    if expected is None:
        assert mf.load(root).resources[0].spec.maxSessionDuration == 7200
    else:
        assert expected in only_error(root).message


def test_unknown_fields_list_the_allowed_ones_at_that_level(tmp_path: Path) -> None:
    root = write(tmp_path / "m", {"u.yaml": "apiVersion: reconciler/v1\nkind: User\nmetadata: {name: u}\nspec:\n"
                                            "  accessKey:\n    stor: {file: x}\n"})
    missing, unknown = errors_of(root)
    assert (unknown.line, unknown.field) == (6, "spec.accessKey.stor")
    assert unknown.message == "unknown field; allowed: store"
    assert (missing.line, missing.field, missing.message) == (5, "spec.accessKey.store", "required field is missing "
                                                              "(Where the secret goes: {secretsManager: NAME} or {file: PATH})")


# ---- defensive YAML --------------------------------------------------------------------------------


@pytest.mark.parametrize("text, field, message", [
    ("a: !Ref other\n", "a", "YAML tag '!Ref' is not allowed"),
    ("a: !!python/name:os.system x\n", "a", "is not allowed"),
    ("a: !!set {x, y}\n", "a", "YAML tag '!!set' is not allowed"),
    ("a: !!python/object:os.Foo {b: 1}\n", "a", "is not allowed"),
    ("a: 1\nb: 2\na: 3\n", "a", "duplicate key 'a' (first given at line 1)"),
    ("? [x, y]\n: 1\n", "", "mapping keys must be plain strings"),
])
def test_unsafe_or_ambiguous_yaml_is_refused(tmp_path: Path, text: str, field: str, message: str) -> None:
    issue = only_error(write(tmp_path / "m", {"x.yaml": text}))
    assert issue.field == field and message in issue.message, str(issue)


def test_merge_keys_and_dates_still_load_as_plain_data(tmp_path: Path) -> None:
    text = ("apiVersion: reconciler/v1\nkind: Role\nmetadata:\n  name: r\n  tags: &t {since: 2024-01-01}\n"
            "  annotations:\n    <<: *t\nspec:\n  assumedBy: [sagemaker.amazonaws.com]\n")
    (res,) = mf.load(write(tmp_path / "m", {"r.yaml": text})).resources
    assert res.tags == {"since": "2024-01-01"} and res.annotations == {"since": "2024-01-01"}


def test_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        levels.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [" + ", ".join([f"*{prev}"] * 10) + "]")
    issue = only_error(write(tmp_path / "m", {"bomb.yaml": "\n".join(levels) + "\n"}))
    assert "alias bomb" in issue.message and issue.line is not None


def test_file_level_problems_name_the_file_and_what_is_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_reader, "MAX_FILE_BYTES", 300)
    root = write(tmp_path / "m", {"big.yaml": "#" * 400 + "\n", "ok.yaml": ROLE})
    issue = only_error(root)
    assert (Path(issue.file).name, issue.line) == ("big.yaml", 1)
    assert "the file is 401 bytes; a manifest may be at most 300 bytes" in issue.message


def test_empty_and_manifestless_folders(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert "the folder is empty" in only_error(tmp_path / "empty").message
    root = write(tmp_path / "other", {"notes.txt": "x", ".hidden/x.yaml": ROLE})
    msg = only_error(root).message
    assert "1 file(s) (notes.txt) but none ending in .yaml or .yml" in msg
    assert "1 manifest(s) in hidden files or folders are skipped" in msg


# ---- the reference graph ------------------------------------------------------------------------------
# No IAM kind can form a cycle (Role and User refer to Policy; Policy refers to nothing), so the
# cycle check is tested here with a stand-in kind whose references are whatever the test says.


class _Linked(Kind):
    kind = "Linked"
    spec_model = None  # type: ignore[assignment]
    name_pattern = re.compile(".*")
    name_rule = "anything"

    def references(self, res: Resource, names: dict[str, set[str]]) -> list[Reference]:
        return [Reference(("spec", "next", i), "Linked", n) for i, n in enumerate(res.spec["next"])]

    def arn(self, name: str, spec: Any, ctx: Any) -> str:
        return name

    def desired(self, res: Resource, ctx: Any) -> dict[str, Any]:
        return {}

    def read(self, aws: Any, name: str, ctx: Any) -> None:
        return None

    def list_owned(self, *a: Any, **k: Any) -> list:  # type: ignore[override]
        return []

    def create(self, *a: Any) -> None: ...

    def update(self, *a: Any) -> None: ...

    def delete(self, *a: Any) -> None: ...


def _graph(monkeypatch: pytest.MonkeyPatch, links: dict[str, list[str]]) -> Any:
    monkeypatch.setitem(REGISTRY, "Linked", _Linked())
    resources = [Resource("Linked", name, {"next": nxt}, {}, {}, f"{name}.yaml", 1,
                          {("spec", "next", i): 10 + i for i in range(len(nxt))})
                 for name, nxt in links.items()]
    m = mf.Manifests(root=Path("."), stack=mf.Stack("s", mf.StackSpec()), resources=resources)
    return build(m)


def test_graph_orders_dependencies_in_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    g = _graph(monkeypatch, {"a": ["b"], "b": ["c"], "c": []})
    assert g.layers == [[("Linked", "c")], [("Linked", "b")], [("Linked", "a")]]


def test_graph_reports_a_cycle_with_its_path(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ManifestError) as e:
        _graph(monkeypatch, {"a": ["b"], "b": ["c"], "c": ["a"]})
    (issue,) = e.value.issues
    assert issue.message.startswith("reference cycle: ")
    assert issue.message.count("Linked/") == 4  # the cycle is shown closed: x -> y -> z -> x


def test_graph_reports_self_and_dangling_references_with_a_suggestion(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ManifestError) as e:
        _graph(monkeypatch, {"alpha": ["alpha", "alhpa2"], "alpha2": []})
    msgs = {(i.field, i.line): i.message for i in e.value.issues}
    assert msgs[("spec.next.0", 10)] == "a resource cannot refer to itself"
    assert "did you mean 'alpha2'?" in msgs[("spec.next.1", 11)]
