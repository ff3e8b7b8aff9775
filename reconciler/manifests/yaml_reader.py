"""One manifest file -> plain Python documents, each with the line of every path in it.

Defensive: files are size-capped, must be UTF-8, YAML aliases are expanded with a node budget
(billion-laughs documents are refused, not expanded), recursive aliases and duplicate keys are errors,
and only plain YAML types are constructed (no Python objects). YAML errors are said in words.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from reconciler.errors import WRITTEN, Issue

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64


class _Loader(yaml.SafeLoader):
    """Pure-Python YAML: slower, with the richest error messages (used whenever a file has a problem)."""


_FastLoader: type | None = getattr(yaml, "CSafeLoader", None)  # libyaml's parser, ~10x faster


#: the tags of plain data: what YAML resolves plain scalars, mappings and lists to (an unquoted date resolves to
#: timestamp and is read back as text; ``<<`` is a merge key); any other tag, explicit (``!!binary``, ``!!set``,
#: ``!!python/…``, ``!Ref``) or not, is refused
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq",
                                                    "timestamp", "merge")}


def _field(path: tuple) -> str:
    text = ".".join(str(x) for x in path)
    return text if len(text) <= 80 else text[:77] + "..."


def _nodes_to_python(node: yaml.Node, loader: _Loader, path: tuple, lines: dict, budget: list[int],
                     active: set[int], depth: int = 0) -> Any:
    budget[0] += 1
    if budget[0] > MAX_NODES:
        raise _YamlProblem(node, path, f"the document expands to more than {MAX_NODES} values through YAML "
                                       "aliases (*name); a YAML alias bomb (billion laughs) is refused")
    if depth > MAX_DEPTH:
        raise _YamlProblem(node, path, f"nested more than {MAX_DEPTH} levels deep; manifests are nowhere near "
                                       "that deep")
    if id(node) in active:
        raise _YamlProblem(node, path, "a YAML alias (*name) refers to the mapping or list that contains it; "
                                       "recursive aliases are not allowed")
    if node.tag not in _PLAIN_TAGS:
        raise _YamlProblem(node, path, _tag_problem(node))
    if isinstance(node, yaml.MappingNode):
        active.add(id(node))
        explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
        loader.flatten_mapping(node)
        merged = len(node.value) - explicit  # flatten_mapping puts the keys of `<<: *base` first
        out: dict[str, Any] = {}
        from_merge: set[str] = set()
        for n, (knode, vnode) in enumerate(node.value):
            if not isinstance(knode, yaml.ScalarNode) or knode.tag not in _PLAIN_TAGS:
                raise _YamlProblem(knode, path, "mapping keys must be plain strings")
            key = loader.construct_object(knode, deep=True)
            if isinstance(key, bool):
                raise _YamlProblem(knode, path + (str(knode.value),), f"the key {knode.value!r} is read by YAML as the "
                                   f"boolean {str(key).lower()}, not as text; quote it: '{knode.value}':")
            if not isinstance(key, (str, int, float)):
                raise _YamlProblem(knode, path, "mapping keys must be plain strings")
            key = str(key)
            if key in from_merge:  # `<<: *base` then the same key: an override, as YAML intends
                from_merge.discard(key)
                del out[key]
            if n < merged:
                from_merge.add(key)
            if key in out:
                first = lines.get(path + (key,))
                raise _YamlProblem(knode, path + (key,), f"duplicate key {key!r}" +
                                   (f" (first given at line {first})" if first else "") + "; give each key once")
            lines[path + (key,)] = knode.start_mark.line + 1
            out[key] = _nodes_to_python(vnode, loader, path + (key,), lines, budget, active, depth + 1)
        active.discard(id(node))
        return out
    if isinstance(node, yaml.SequenceNode):
        active.add(id(node))
        items = []
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            items.append(_nodes_to_python(item, loader, path + (i,), lines, budget, active, depth + 1))
        active.discard(id(node))
        return items
    value = loader.construct_object(node, deep=True)
    if isinstance(value, (int, float)):  # bools included: "1.10" is read as 1.1, "yes" as True
        lines[(WRITTEN, *path)] = node.value
    if isinstance(value, float) and not math.isfinite(value):
        raise _YamlProblem(node, path, f"{node.value} is not a finite number; give a number like 2 or 0.5")
    if type(value).__module__ == "datetime":
        return str(node.value)
    return value


def _tag_problem(node: yaml.Node) -> str:
    return (f"YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')!r} is not allowed; manifests hold plain "
            "data: mappings, lists, strings, numbers, booleans, null")


def _tag_problems(root: yaml.Node) -> list[tuple[int, str, str]]:
    """(line, field, message) of every node in the document whose tag is not plain data (each node once, so
    aliases cost nothing)."""
    out: list[tuple[int, str, str]] = []
    seen: set[int] = set()
    todo: list[tuple[yaml.Node, tuple]] = [(root, ())]
    while todo:
        node, path = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in _PLAIN_TAGS:
            out.append((node.start_mark.line + 1, _field(path), _tag_problem(node)))
            continue
        if isinstance(node, yaml.MappingNode):
            for knode, vnode in node.value:
                key = knode.value if isinstance(knode, yaml.ScalarNode) else "?"
                todo += [(vnode, path + (key,)), (knode, path)]
        elif isinstance(node, yaml.SequenceNode):
            todo += [(item, path + (i,)) for i, item in enumerate(node.value)]
    return sorted(out)


class _YamlProblem(Exception):
    def __init__(self, node: yaml.Node, path: tuple, message: str):
        self.line = node.start_mark.line + 1
        self.field = _field(path)
        super().__init__(message)


def _file_issue(display: str, message: str, line: int | None = 1) -> Issue:
    return Issue(display, line, "", message)


def _read_documents(path: Path, display: str, issues: list[Issue]) -> list[tuple[Any, int, dict]]:
    """Parse one file into (document, first line, path->line map) triples."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            issues.append(_file_issue(display, f"the file is {size:,} bytes; a manifest may be at most "
                                               f"{MAX_FILE_BYTES:,} bytes ({MAX_FILE_BYTES / 2**20:g} MiB): "
                                               "split it, or move what is not a manifest out of the folder"))
            return []
        raw = path.read_bytes()
    except OSError as e:
        issues.append(_file_issue(display, f"cannot read the file: {e.strerror}; give the user running reconcile "
                                           "read access to it, or move it out of the folder"))
        return []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        issues.append(_file_issue(display, f"not UTF-8 text: byte 0x{raw[e.start]:02x} at offset {e.start} is not valid "
                                           "UTF-8; save the file as UTF-8", line))
        return []
    if "\x00" in text:
        issues.append(_file_issue(display, "NUL character (\\0) in the file; manifests are UTF-8 text without "
                                           "control characters", text[: text.index("\x00")].count("\n") + 1))
        return []
    if _FastLoader is not None:
        fast_issues: list[Issue] = []
        docs = _parse(text, display, fast_issues, _FastLoader)
        if not fast_issues:
            return docs
    # a problem (or no libyaml): parse again with the pure-Python loader for its precise messages
    return _parse(text, display, issues, _Loader)


def _parse(text: str, display: str, issues: list[Issue], loader_cls: Any) -> list[tuple[Any, int, dict]]:
    docs = []
    loader = loader_cls(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            lines: dict[tuple, int] = {}
            tags = _tag_problems(node)
            if tags:  # every tag problem of the document at once; the document is not read
                issues += [Issue(display, line, field, message) for line, field, message in tags]
                continue
            try:
                value = _nodes_to_python(node, loader, (), lines, [0], set())
            except _YamlProblem as e:
                issues.append(Issue(display, e.line, e.field, str(e)))
                continue
            except yaml.YAMLError as e:
                issues.append(_yaml_issue(display, e))
                continue
            docs.append((value, node.start_mark.line + 1, lines))
    except yaml.YAMLError as e:
        issues.append(_yaml_issue(display, e))
    except RecursionError:
        issues.append(_file_issue(display, f"YAML nested too deeply (more than {MAX_DEPTH} levels)", None))
    finally:
        loader.dispose()
    return docs


def _yaml_issue(display: str, e: yaml.YAMLError) -> Issue:
    """A YAML syntax error as one issue: where it was found, what is wrong, and where the construct began."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    line = mark.line + 1 if mark else None
    where = f" (column {mark.column + 1})" if mark else ""
    return Issue(display, line, "", f"invalid YAML{where}: {_yaml_msg(e)}")


def _yaml_msg(e: yaml.YAMLError) -> str:
    problem = getattr(e, "problem", None)
    context = getattr(e, "context", None)
    if not problem:
        return str(e).splitlines()[0]
    if "'\\t'" in problem:
        return "a tab character; YAML indents with spaces only, never tabs"
    if problem.startswith("found unexpected end of stream") and context and "quoted scalar" in context:
        problem = "the file ends inside a quoted string; close the quote"
    elif problem == "mapping values are not allowed here":
        problem = "a 'key: value' where none is allowed (check the indentation, or quote a value containing ': ')"
    elif problem.startswith("expected <block end>, but found"):
        return _indentation_msg(e)
    elif problem.startswith("expected ',' or ']'"):
        problem = problem + "; close the [ … ] list"
    elif problem.startswith("expected ',' or '}'"):
        problem = problem + "; close the { … } mapping"
    cmark = getattr(e, "context_mark", None)
    if context:
        started = f" started at line {cmark.line + 1}" if cmark is not None else ""
        return f"{problem} ({context}{started})"
    return problem


def _indentation_msg(e: yaml.YAMLError) -> str:
    """PyYAML's "expected <block end>, but found …", said in words: the line does not line up with its siblings."""
    mark, cmark = getattr(e, "problem_mark", None), getattr(e, "context_mark", None)
    col = mark.column + 1 if mark is not None else None
    if cmark is None or col is None:
        return "this line is indented differently from the lines before it at the same level; line it up with them"
    return (f"this line is indented differently from its siblings: it starts in column {col}, the entries of the "
            f"mapping or list that began at line {cmark.line + 1} start in column {cmark.column + 1}; indent it "
            "exactly like them")
