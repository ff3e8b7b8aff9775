"""diff and digest as pure functions: the exact field changes (path, op, before, after, order)."""

from __future__ import annotations

import datetime
import hashlib

from reconciler.diff import diff, digest
from reconciler.plan import FieldChange


def fc(path, op, before=None, after=None, forces=False):
    return FieldChange(path=path, op=op, before=before, after=after, forces_replacement=forces)


def test_equal_states_have_no_changes_in_any_list_order():
    assert diff({}, {}) == []
    assert diff({"a": [1, 2], "d": {"x": ["p", "q"]}}, {"d": {"x": ["q", "p"]}, "a": [2, 1]}) == []


def test_top_level_change_add_remove():
    assert diff({"a": 1, "gone": "x"}, {"a": 2, "new": [1]}) == [
        fc("a", "change", 1, 2), fc("gone", "remove", before="x"), fc("new", "add", after=[1])]


def test_a_type_change_is_a_change():
    assert diff({"a": 1}, {"a": "1"}) == [fc("a", "change", 1, "1")]
    assert diff({"a": None}, {"a": {"k": 1}}) == [fc("a", "change", None, {"k": 1})]


def test_nested_paths_use_dots_and_list_indexes():
    assert diff({"a": {"b": {"c": 1}}}, {"a": {"b": {"c": 2}}}) == [fc("a.b.c", "change", 1, 2)]
    assert diff({"items": [{"x": 1, "y": 1}]}, {"items": [{"x": 2, "y": 1}]}) == [fc("items[0].x", "change", 1, 2)]
    assert diff({"l": ["x", "y"]}, {"l": ["z", "y"]}) == [fc("l[0]", "change", "x", "z")]


def test_nested_dicts_are_diffed_key_by_key_even_with_no_key_in_common():
    assert diff({"d": {"a": 1}}, {"d": {"b": 1}}) == [fc("d.a", "remove", before=1), fc("d.b", "add", after=1)]
    assert diff({"d": {}}, {"d": {"k": {"x": 1}}}) == [fc("d.k", "add", after={"x": 1})]


def test_list_members_added_or_removed_are_reported_against_the_list():
    assert diff({"l": [1, 2]}, {"l": [2, 1, 3]}) == [fc("l", "add", after=3)]
    assert diff({"l": ["x", "y"]}, {"l": ["y"]}) == [fc("l", "remove", before="x")]
    assert diff({"d": {"l": ["a"]}}, {"d": {"l": ["a", "b"]}}) == [fc("d.l", "add", after="b")]


def test_changes_are_sorted_by_path_then_op_then_value():
    got = diff({"l": ["x", "w"], "b": 1, "a": {"k": 1}}, {"l": ["z", "v", "u", "w"], "b": 2, "a": {"k": 2}})
    assert [(c.path, c.op) for c in got] == sorted((c.path, c.op) for c in got)
    assert got[0].path == "a.k" and got[-1].path.startswith("l")
    # same path, same op: by the value's JSON with sorted keys
    assert diff({"l": [{"b": 1, "a": 0}, {"a": 1, "b": 0}]}, {"l": []}) == [
        fc("l", "remove", before={"b": 1, "a": 0}), fc("l", "remove", before={"a": 1, "b": 0})]
    assert diff({"l": [{"a": 1, "b": 0}, {"b": 1, "a": 0}]}, {"l": []}) == [
        fc("l", "remove", before={"b": 1, "a": 0}), fc("l", "remove", before={"a": 1, "b": 0})]
    assert [c.op for c in diff({"l": ["x"]}, {"l": ["y", "z"]})] == ["add", "change"]


def test_several_removed_members_of_one_list_sort_by_value():
    got = diff({"l": ["b", "a", "c"]}, {"l": ["c"]})
    assert got == [fc("l", "remove", before="a"), fc("l", "remove", before="b")]


def test_replace_fields_mark_changes_under_that_top_level_field():
    got = diff({"path": "/a/", "spec": {"k": 1}, "size": 1, "l": [1]}, {"path": "/b/", "spec": {"k": 2}, "size": 2, "l": [1, 2]},
               frozenset({"path", "spec", "l"}))
    assert got == [fc("l", "add", after=2, forces=True), fc("path", "change", "/a/", "/b/", True),
                   fc("size", "change", 1, 2), fc("spec.k", "change", 1, 2, True)]
    assert not any(c.forces_replacement for c in diff({"path": 1}, {"path": 2}))


def test_top_level_underscore_keys_are_apply_inputs_and_never_differ():
    assert diff({"_code": "a", "x": 1}, {"_code": "b", "x": 1}) == []
    assert diff({"_code": "a"}, {}) == [] and diff({}, {"_code": "a"}) == []
    assert diff({"_code": "a", "x": 1}, {"x": 2}) == [fc("x", "change", 1, 2)]
    assert diff({"d": {"_x": 1}}, {"d": {"_x": 2}}) == [fc("d._x", "change", 1, 2)]


def test_values_that_are_not_json_become_their_text():
    when = datetime.datetime(2020, 1, 1)
    assert diff({"t": when}, {}) == [fc("t", "remove", before="2020-01-01 00:00:00")]


def test_create_and_delete_list_every_field():
    state = {"b": {"k": [1]}, "a": 1}
    assert diff({}, state) == [fc("a", "add", after=1), fc("b", "add", after={"k": [1]})]
    assert diff(state, {}) == [fc("a", "remove", before=1), fc("b", "remove", before={"k": [1]})]


def test_digest_is_a_stable_16_hex_fingerprint_independent_of_key_order():
    assert digest({"a": 1}) == hashlib.sha256(b'{"a": 1}').hexdigest()[:16] == "f9d86028c6e0d64e"
    assert digest({"b": 2, "a": 1}) == digest({"a": 1, "b": 2}) == hashlib.sha256(b'{"a": 1, "b": 2}').hexdigest()[:16]
    assert digest({"a": 1}) != digest({"a": 2})
    when = datetime.datetime(2020, 1, 1)
    assert digest({"t": when}) == digest({"t": "2020-01-01 00:00:00"})


def test_deepdiff_is_imported_with_numpy_and_pandas_hidden_and_nothing_left_hidden_after(monkeypatch):
    """In-process (the subprocess start-up test cannot see a mutated copy): a first import of deepdiff
    imports neither numpy nor pandas (both are installed here), and no module stays hidden after."""
    import sys

    from reconciler import diff as d

    for name in [m for m in sys.modules if m.split(".")[0] in ("deepdiff", "numpy", "pandas", "polars")]:
        monkeypatch.delitem(sys.modules, name)
    deep, not_present = d._deepdiff()
    assert deep.__name__ == "DeepDiff" and not_present.__name__ == "NotPresent"
    assert "deepdiff" in sys.modules
    assert [m for m in ("numpy", "pandas", "polars") if m in sys.modules] == []  # neither imported nor left hidden
    assert deep({"a": 1}, {"a": 2})  # and it works


def test_deepdiff_already_imported_is_used_as_is(monkeypatch):
    import sys

    from reconciler import diff as d

    d._deepdiff()
    before = sys.modules["deepdiff"]
    monkeypatch.setitem(sys.modules, "numpy", sys.modules.get("numpy") or __import__("numpy"))
    deep, _ = d._deepdiff()
    assert sys.modules["deepdiff"] is before and sys.modules["numpy"] is not None


def test_a_create_is_every_field_added_as_deepdiff_says_without_importing_it():
    """diff({}, desired) (every create in a plan) answers what DeepDiff does, field by field in order, and a plan
    of creates no longer imports deepdiff (~0.1 s) for it."""
    import subprocess
    import sys

    desired = {"tags": {"k": "v"}, "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]},
               "path": "/", "none": None, "empty": [], "n": 0, "_code": "/src", "a": {}}
    assert diff({}, desired, frozenset({"path"})) == [
        fc("a", "add", after={}), fc("document", "add", after=desired["document"]), fc("empty", "add", after=[]),
        fc("n", "add", after=0), fc("none", "add"), fc("path", "add", after="/", forces=True),
        fc("tags", "add", after={"k": "v"})]
    code = ("import sys; from reconciler.diff import diff; diff({}, {'a': 1, 'b': [1]}); "
            "print('deepdiff' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
