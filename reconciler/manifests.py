"""YAML manifests -> typed resources, with file:line:field for every error, all reported at once.

Loading is defensive: files are size-capped, must be UTF-8, YAML aliases are expanded with a node
budget (billion-laughs documents are refused, not expanded), recursive aliases and duplicate keys
are errors, and only plain YAML types are constructed (no Python objects).
"""

from __future__ import annotations

import errno
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reconciler import API_VERSION
from reconciler.errors import Issue, ManifestError
from reconciler.kinds.base import Resource
from reconciler.lock import LockSpec

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64
RESERVED_TAG_PREFIXES = ("aws:", "reconciler:")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$")


class Metadata(BaseModel):
    """Identity of a resource: its AWS name, extra tags, and reconcile annotations."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="The AWS name of the resource.")
    tags: dict[str, str] = Field(default_factory=dict, description="Extra tags, merged with the ownership tags.")
    annotations: dict[str, str] = Field(
        default_factory=dict,
        description='reconcile annotations, e.g. reconciler/prevent-destroy: "true" or reconciler/adopt: "true".',
    )

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        problems = tag_problems(tags)
        if problems:
            raise ValueError(problems[0][1])
        return tags


MAX_USER_TAGS = 47


def tag_problems(tags: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(tag key or None for the whole map, message) for every tag AWS or reconcile would refuse."""
    out: list[tuple[str | None, str]] = []
    if len(tags) > MAX_USER_TAGS:
        out.append((None, f"{len(tags)} tags; at most {MAX_USER_TAGS} are allowed "
                          "(AWS allows 50 per resource and reconcile adds up to 3 of its own)"))
    for k, v in tags.items():
        k = str(k)
        if not 1 <= len(k) <= 128:
            out.append((k, f"tag key is {len(k)} characters; allowed: 1-128"))
        if k.lower().startswith(RESERVED_TAG_PREFIXES):
            out.append((k, f"tag key {k!r} uses a reserved prefix; keys starting with 'aws:' or 'reconciler:' "
                           "are set by AWS and reconcile, not in manifests"))
        if isinstance(v, str) and len(v) > 256:
            out.append((k, f"tag value is {len(v)} characters; allowed: 0-256"))
    return out


class StackSpec(BaseModel):
    """Settings of the whole stack."""

    model_config = ConfigDict(extra="forbid")
    region: str | None = Field(None, description="AWS region of every resource in the stack, e.g. eu-west-1.")
    accountId: str | None = Field(
        None, description="When set, every command refuses to touch any other AWS account.", pattern=r"^\d{12}$"
    )
    prune: bool = Field(
        False, description="Make apply delete what this stack owns (by its tags) that the manifests no longer "
                           "declare, like Flux's prune: true. Off by default: plan lists such orphans and "
                           "`reconcile prune` deletes them. Resources annotated reconciler/prevent-destroy, or "
                           "still used by a declared one, are kept and listed."
    )
    lock: LockSpec | None = Field(
        None, description="Lock that keeps applies, prunes and destroys of this stack from overlapping across "
                          "machines: {dynamodbTable: NAME} (see docs/locking.md). Without it, runs on one machine "
                          "are kept apart by a local lock file."
    )

    @field_validator("region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        if v is not None and not _REGION.match(v):
            raise ValueError(f"{v!r} is not an AWS region name (like us-east-1)")
        return v


@dataclass
class Stack:
    name: str
    spec: StackSpec
    file: str | None = None
    line: int | None = None


@dataclass
class Manifests:
    """Everything declared under one folder."""

    root: Path
    stack: Stack
    resources: list[Resource]
    warnings: list[Issue] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: files under the folder that are not manifests (not *.yaml / *.yml): listed, never read
    skipped: list[Path] = field(default_factory=list)
    environment: str | None = None  # the environment composed (kind: Environment), if any
    composition: Any = None  # reconciler.environments.Composition

    def by_id(self) -> dict[tuple[str, str], Resource]:
        return {(r.kind, r.name): r for r in self.resources}


class _Loader(yaml.SafeLoader):
    """Pure-Python YAML: slower, with the richest error messages (used whenever a file has a problem)."""


_FastLoader: type | None = getattr(yaml, "CSafeLoader", None)  # libyaml's parser, ~10x faster


_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq",
                                                    "timestamp", "binary", "merge")}


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
        raise _YamlProblem(node, path, f"YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')!r} is not allowed; "
                                       "manifests hold plain data: mappings, lists, strings, numbers, booleans, null")
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
    if isinstance(value, float) and not math.isfinite(value):
        raise _YamlProblem(node, path, f"{node.value} is not a finite number; give a number like 2 or 0.5")
    if isinstance(value, (bytes, bytearray)) or type(value).__module__ == "datetime":
        return str(node.value)
    return value


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
        issues.append(_file_issue(display, f"cannot read the file: {e.strerror}"))
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


_UNION_TAG = re.compile(r"^(str|int|float|bool|none|[\w-]+\[.*\])$")
_WANTS = {
    "int_type": "must be a whole number", "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number", "float_type": "must be a number", "float_parsing": "must be a number",
    "string_type": "must be a string", "dict_type": "must be a mapping (key: value)",
    "list_type": "must be a list", "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "model_type": "must be a mapping (key: value)", "model_attributes_type": "must be a mapping (key: value)",
}
_TYPE_NAMES = {"dict": "a mapping", "str": "a string", "int": "a number", "float": "a number", "bool": "a boolean",
               "list": "a list", "none": "null"}


def _describe(value: Any) -> str:
    """How a YAML value reads to the person who wrote it."""
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the string {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _friendly(e: dict[str, Any]) -> str:
    """pydantic's message for one error, said as what is allowed and what was given."""
    kind, ctx, value = e["type"], e.get("ctx") or {}, e.get("input")
    if kind in _WANTS:
        msg = _WANTS[kind]
        if kind == "string_type" and isinstance(value, (int, float, bool)):
            msg += " (put it in quotes)"
        return f"{msg}, got {_describe(value)}"
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
              "greater_than": ("more than", "gt"), "less_than": ("less than", "lt")}
    if kind in bounds:
        word, key = bounds[kind]
        return f"must be {word} {ctx.get(key)}, got {_describe(value)}"
    if kind in ("string_too_long", "string_too_short"):
        word = "at most" if kind == "string_too_long" else "at least"
        limit = ctx.get("max_length", ctx.get("min_length"))
        return f"must be {word} {limit} characters, got {len(value) if isinstance(value, str) else '?'}"
    if kind in ("too_long", "too_short"):
        word = "at most" if kind == "too_long" else "at least"
        limit = ctx.get("max_length", ctx.get("min_length"))
        return f"must have {word} {limit} items, got {ctx.get('actual_length', '?')}"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')}, got {_describe(value)}"
    if kind == "missing":
        return "required field is missing"
    msg = e["msg"]
    if msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    if msg.startswith("Input should be "):
        return "must be " + msg[len("Input should be "):] + f", got {_describe(value)}"
    return msg


def _pydantic_issues(err: ValidationError, res_file: str, lines: dict, prefix: tuple, doc_line: int,
                     model: type[BaseModel] | None) -> list[Issue]:
    """One issue per wrong field: located by line, said as what is allowed (union alternatives merged)."""
    grouped: dict[tuple, list[tuple[dict[str, Any], str | None]]] = {}
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        tag = None
        # a union (e.g. policy document: mapping | JSON text) reports one error per alternative, tagged by type
        for i, part in enumerate(loc):
            if isinstance(part, str) and _UNION_TAG.match(part) and not _is_field(model, loc[:i], part):
                tag = part
                loc = loc[:i] + loc[i + 1:]
                break
        grouped.setdefault(loc, []).append((e, tag))
    out = []
    for loc, errs in grouped.items():
        full = prefix + loc
        line = _line_of(lines, full, doc_line)
        first = errs[0][0]
        info = _field_info(model, loc) if model is not None else None
        if first["type"] == "extra_forbidden" and model is not None:
            allowed = _allowed_fields(model, loc[:-1])
            msg = "unknown field" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
            home = _belongs_under(model, prefix, loc)
            if home:
                msg = f"unknown field here; {loc[-1]} belongs under {home}" + (
                    f" (allowed here: {', '.join(allowed)})" if allowed else "")
        elif len(errs) > 1 and all(tag for _, tag in errs) and all(e["type"] in _WANTS for e, _ in errs):
            kinds = [_TYPE_NAMES.get(tag.split("[")[0], tag) for _, tag in errs]  # type: ignore[union-attr]
            msg = f"must be {' or '.join(dict.fromkeys(kinds))}, got {_describe(first.get('input'))}"
        else:
            msg = "; ".join(dict.fromkeys(_friendly(e) for e, _ in errs))
        desc = info.description if info is not None else None
        if desc and first["type"] not in ("extra_forbidden", "value_error", "assertion_error"):
            msg = f"{msg} ({desc.rstrip('.')})"
        key = re.match(r"^([^\s:]+): ", msg)  # "KEY: …" about one entry of a mapping: point at the key's own line
        if first["type"] == "value_error" and key and full + (key.group(1),) in lines:
            full, line, msg = full + (key.group(1),), lines[full + (key.group(1),)], msg[key.end():]
        out.append(Issue(res_file, line, _field(full), msg))
    return out


def _belongs_under(model: type[BaseModel], prefix: tuple, loc: tuple) -> str | None:
    """Where an unknown field at ``loc`` exists one level down or up (e.g. 'spec.model'), if it does."""
    name, parent = loc[-1], tuple(loc[:-1])
    holder = _model_at(model, parent) if parent else model
    if not isinstance(name, str) or holder is None:
        return None
    for field_name in holder.model_fields:  # one level down: a sibling's field
        inner = _model_at(model, parent + (field_name,))
        if inner is not None and inner is not holder and name in inner.model_fields:
            return ".".join(str(x) for x in prefix + parent + (field_name,))
    named = [i for i, part in enumerate(parent) if isinstance(part, str)]
    if named:  # one level up: the field of the enclosing mapping
        up = parent[: named[-1]]
        outer = _model_at(model, up) if up else model
        if outer is not None and name in outer.model_fields:
            return ".".join(str(x) for x in prefix + up) or "the top level"
    return None


def _line_of(lines: dict, path: tuple, default: int) -> int:
    p = path
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return default


def _model_at(model: Any, loc: tuple) -> Any:
    """The pydantic model that holds the fields at ``loc`` inside ``model`` (None when not a model)."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            ann = current.model_fields[part].annotation
            current = None
            for arg in (ann, *typing.get_args(ann)):
                for inner in (arg, *typing.get_args(arg)):
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        current = inner
                        break
                if current is not None:
                    break
        else:
            continue
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _is_field(model: Any, loc: tuple, name: str) -> bool:
    holder = _model_at(model, loc) if model is not None else None
    return holder is not None and name in holder.model_fields


def _field_info(model: Any, loc: tuple) -> Any:
    """The FieldInfo of the last named field in ``loc`` (for its description)."""
    names = [i for i, part in enumerate(loc) if isinstance(part, str)]
    for i in reversed(names):
        holder = _model_at(model, loc[:i])
        if holder is not None and loc[i] in holder.model_fields:
            return holder.model_fields[loc[i]]
    return None


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at ``loc`` inside ``model`` (best effort, for error messages)."""
    current = _model_at(model, loc)
    return list(current.model_fields) if current is not None else []


MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass
class Discovery:
    """What is under DIR: the manifests to read, the files skipped (not manifests), and the problems."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def is_manifest_name(name: str) -> bool:
    """*.yaml and *.yml, in any case (policy.YAML is a manifest too)."""
    return name.lower().endswith(MANIFEST_SUFFIXES)


def discover(root: Path) -> Discovery:
    """Every file under ``root`` is either read (a manifest) or reported (skipped, or an error).

    Hidden files and folders (.git, .github …) are not looked at. A symlink is followed when it
    resolves to a place inside ``root``; one that points outside, loops or dangles is an error. A file
    reached twice (through a symlink and directly) is read once.
    """
    out = Discovery()
    if root.is_file():
        out.files.append(root)
        return out
    real_root = root.resolve()
    seen: set[Path] = set()

    def link_problem(path: Path, message: str) -> None:
        out.issues.append(Issue(str(path), None, "", message))

    def walk(folder: Path, real_folder: Path, ancestors: frozenset[Path]) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as e:
            link_problem(folder, f"cannot read the folder: {e.strerror}")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = folder / entry.name
            real = real_folder / entry.name
            if entry.is_symlink():
                target = os.readlink(path)
                try:
                    real = path.resolve(strict=True)
                except RuntimeError:
                    link_problem(path, f"symbolic link loop (-> {target}); fix or remove the link")
                    continue
                except OSError as e:
                    if e.errno == errno.ELOOP:
                        link_problem(path, f"symbolic link loop (-> {target}); fix or remove the link")
                    else:
                        link_problem(path, f"dangling symbolic link: its target {target} does not exist; "
                                           "fix or remove the link")
                    continue
                if not real.is_relative_to(real_root):
                    if real.is_file() and not is_manifest_name(entry.name):
                        out.skipped.append(path)  # not a manifest, wherever it points: listed, not read
                        continue
                    link_problem(path, f"symbolic link to {real}, outside {root}; manifests are read only from "
                                       "inside the folder: copy the files in, or point at the folder itself")
                    continue
            if real.is_dir():
                if real in ancestors:
                    link_problem(path, "symbolic link loop: it leads back to a folder that contains it")
                    continue
                walk(path, real, ancestors | {real})
            elif real.is_file():
                if real in seen:
                    continue
                seen.add(real)
                (out.files if is_manifest_name(entry.name) else out.skipped).append(path)
            elif is_manifest_name(entry.name):
                link_problem(path, "not a regular file (a device, pipe or socket); manifests are regular files")
            else:
                out.skipped.append(path)

    walk(root, real_root, frozenset({real_root}))
    return out


def load(root: str | Path, env: str | None = None, command: str = "this command") -> Manifests:
    """Load and validate every manifest under ``root``; raise ManifestError with every issue found.

    With Environment documents, ``env`` names the one to compose (reconciler/environments.py).
    """
    from reconciler.kinds import REGISTRY

    root = Path(root)
    issues: list[Issue] = []
    if not root.exists():
        raise ManifestError([Issue(str(root), None, "", "no such file or folder")])
    found = discover(root)
    files = found.files
    if found.issues:
        issues.extend(found.issues)
    elif not files:
        raise ManifestError([Issue(str(root), None, "", _no_manifests(root))])
    base = root if root.is_dir() else root.parent
    resources: list[Resource] = []
    stacks: list[Stack] = []
    invalid_names: set[tuple[str, str]] = set()
    parsed: list = []
    for path in files:
        display = str(path)
        before = len(issues)
        for doc, line, lines in _read_documents(path, display, issues):
            if doc is None:
                continue
            if not isinstance(doc, dict):
                issues.append(Issue(display, line, "", "a manifest document must be a mapping with apiVersion, kind, "
                                    f"metadata and spec; this one is {_describe(doc)}"))
                continue
            parsed.append((doc, display, line, lines))
        if any(i.message.startswith("invalid YAML") for i in issues[before:]):
            invalid_names |= _names_in_unparsed(path)  # its YAML error is the one to report, not references to it
    from reconciler.environments import compose  # the compose phase: environments and their patches

    parsed, composition = compose(parsed, env, _default_stack_name(base), issues, command)
    for doc, display, line, lines in parsed:
        loaded = _load_document(doc, display, line, lines, issues, root=base)
        if loaded is None and isinstance(doc.get("kind"), str) and isinstance(doc.get("metadata"), dict):
            invalid_names.add((doc["kind"], str(doc["metadata"].get("name"))))
        if isinstance(loaded, Stack):
            stacks.append(loaded)
        elif loaded is not None:
            resources.append(loaded)
    if len(stacks) > 1:
        for s in stacks[1:]:
            issues.append(Issue(s.file or "", s.line, "kind", f"a second Stack ({s.name!r}); at most one Stack is allowed "
                                f"per folder, the first one is {stacks[0].name!r} at {stacks[0].file}:{stacks[0].line}"))
    stack = stacks[0] if stacks else Stack(name=_default_stack_name(base), spec=StackSpec())
    if not resources and not issues:
        issues.append(Issue(str(root), None, "", "the manifests declare no resources"))

    # names: per kind, unique (case-insensitively where AWS is), within AWS's rules
    seen: dict[tuple[str, str], Resource] = {}
    for r in resources:
        kind = REGISTRY[r.kind]
        if not kind.name_pattern.match(r.name):
            shown = repr(r.name) if len(r.name) <= 40 else repr(r.name[:37] + "...")
            issues.append(r.issue(("metadata", "name"), f"{shown} ({len(r.name)} characters) is not a valid "
                                  f"{r.kind} name; allowed: {kind.name_rule}"))
        # IAM and SageMaker (endpoint, model and config names) compare names case-insensitively
        folded = kind.case_insensitive_names or kind.service == "sagemaker"
        key = (r.kind, r.name.lower() if folded else r.name)
        if key in seen:
            first = seen[key]
            same = (f"{first.name!r}" if first.name == r.name else
                    f"{first.name!r} (AWS compares {r.kind} names case-insensitively)")
            issues.append(r.issue(("metadata", "name"), f"duplicate {r.kind} {r.name!r}: the same name as {same}, "
                                  f"declared at {first.file}:{first.line}; names must be unique"))
        else:
            seen[key] = r
        issues.extend(kind.check(r))
        # lint errors come with the schema errors, all at once (accepted warnings are not repeated)
        from reconciler.lint import accepted

        ok = accepted(r)
        issues.extend(i for i in kind.lint(r) if not (i.severity == "warning" and i.code in ok))
        issues.extend(_plain_token_warnings(r))

    for kind in REGISTRY.values():  # checks across a kind's resources (e.g. names they derive)
        issues.extend(kind.check_all([r for r in resources if r.kind == kind.kind]))
    manifests = Manifests(root=root, stack=stack, resources=resources, files=files, skipped=found.skipped,
                          environment=env if composition.selected else None, composition=composition)
    # references are checked even when other documents have errors (every error at once); documents
    # that failed validation still count as declared, so references to them are not reported twice
    from reconciler.graph import build

    try:
        build(manifests, also_declared=invalid_names)
    except ManifestError as e:
        issues.extend(e.issues)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        order = {str(f): n for n, f in enumerate(files)}
        # YAML syntax errors first (they explain the rest), then file by file, top to bottom
        errors.sort(key=lambda i: (not i.message.startswith("invalid YAML"), order.get(i.file, -1), i.line or 0))
        raise ManifestError(composition.locate(errors))
    manifests.warnings = composition.locate([i for i in issues if i.severity == "warning"])
    return manifests


def _plain_token_warnings(r: Resource) -> list[Issue]:
    """A credential written in plain text anywhere in a spec (never shown: only what it looks like)."""
    from reconciler.kinds._secrets import plain_tokens

    return [r.issue(("spec", *path), f"looks like a plain-text {what}; it would be stored in AWS as plain text "
                    "and sit in git: keep it in Secrets Manager and reference it as {secretsManager: NAME} "
                    "(the value is masked in plans)", "warning")
            for path, what in plain_tokens(r.spec.model_dump(mode="json"))]


def _names_in_unparsed(path: Path) -> set[tuple[str, str]]:
    """(kind, name) of the documents a file that failed to parse seems to declare (a best-effort text scan)."""
    from reconciler.kinds import REGISTRY

    try:
        text = path.read_bytes()[:MAX_FILE_BYTES].decode("utf-8", "replace")
    except OSError:
        return set()
    out: set[tuple[str, str]] = set()
    for chunk in re.split(r"(?m)^---", text):
        kind = re.search(r"(?m)^kind:\s*[\"']?([A-Za-z]+)", chunk)
        meta = chunk.split("metadata:", 1)[1] if "metadata:" in chunk else ""
        name = re.search(r"\bname:\s*[\"']?([^\"'\s#,}]+)", meta)
        if name:
            kinds = [kind.group(1)] if kind else list(REGISTRY)
            out |= {(k, name.group(1)) for k in kinds}
    return out


def _no_manifests(root: Path) -> str:
    if not root.is_dir():
        return "not a manifest: give a folder, or a file ending in .yaml or .yml"
    files = [p.relative_to(root) for p in root.rglob("*") if p.is_file()]
    hidden = [p for p in files if any(part.startswith(".") for part in p.parts)]
    others = sorted(str(p) for p in files if p not in hidden)
    skipped = sum(1 for p in hidden if is_manifest_name(p.name))
    note = f"; {skipped} manifest(s) in hidden files or folders are skipped" if skipped else ""
    if not others:
        return f"the folder is empty; manifests are *.yaml or *.yml files in it (or in its subfolders){note}"
    shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
    return f"no manifests found: {len(others)} file(s) ({shown}) but none ending in .yaml or .yml{note}"


def _default_stack_name(base: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9-]", "-", base.resolve().name).strip("-") or "default"
    return name[:64]


def _load_document(doc: dict, file: str, line: int, lines: dict, issues: list[Issue],
                   root: Path | None = None) -> Resource | Stack | None:
    from reconciler.kinds import REGISTRY

    before = len(issues)
    unknown = set(doc) - {"apiVersion", "kind", "metadata", "spec"}
    for key in sorted(unknown):
        issues.append(Issue(file, lines.get((key,), line), key, "unknown top-level field; allowed: apiVersion, kind, metadata, spec"))
    api = doc.get("apiVersion")
    if api != API_VERSION:
        msg = "required field is missing" if api is None else f"unsupported apiVersion {api!r}"
        issues.append(Issue(file, lines.get(("apiVersion",), line), "apiVersion", f"{msg}; allowed: {API_VERSION}"))
    kind_name = doc.get("kind")
    allowed_kinds = ["Stack", *REGISTRY, "Environment"]
    if kind_name not in allowed_kinds:
        msg = "required field is missing" if kind_name is None else f"unknown kind {kind_name!r}"
        issues.append(Issue(file, lines.get(("kind",), line), "kind", f"{msg}; allowed: {', '.join(allowed_kinds)}"))
        return None
    meta_raw = doc.get("metadata")
    metadata = None
    if not isinstance(meta_raw, dict):
        got = "is missing" if meta_raw is None else f"must be a mapping, got {_describe(meta_raw)}"
        issues.append(Issue(file, lines.get(("metadata",), line), "metadata",
                            f"{got}; give a mapping with at least name (allowed: {', '.join(Metadata.model_fields)})"))
    else:
        tags = meta_raw.get("tags")
        tag_issues = []
        if isinstance(tags, dict):
            for key, message in tag_problems(tags):
                path = ("metadata", "tags") if key is None else ("metadata", "tags", key)
                tag_issues.append(Issue(file, _line_of(lines, path, line), _field(path), message))
        try:
            metadata = Metadata.model_validate(meta_raw)
        except ValidationError as e:
            found = _pydantic_issues(e, file, lines, ("metadata",), line, Metadata)
            if tag_issues:  # the tag validator's summary is replaced by the per-key issues
                found = [i for i in found if i.field != "metadata.tags"]
            issues.extend(found)
        issues.extend(tag_issues)
        if tag_issues:
            metadata = None
    model = StackSpec if kind_name == "Stack" else REGISTRY[kind_name].spec_model
    spec_raw = doc.get("spec")
    if spec_raw is None and kind_name == "Stack":
        spec_raw = {}
    spec = None
    if spec_raw is None:
        required = [n for n, f in model.model_fields.items() if f.is_required()]
        what = "required field is missing" if "spec" not in doc else "is empty"
        need = f"; a {kind_name} needs at least: {', '.join(required)}" if required else ""
        issues.append(Issue(file, lines.get(("spec",), line), "spec",
                            f"{what}{need} (allowed fields: {', '.join(model.model_fields)})"))
    elif not isinstance(spec_raw, dict):
        issues.append(Issue(file, lines.get(("spec",), line), "spec",
                            f"must be a mapping of the {kind_name}'s fields, got {_describe(spec_raw)}"))
    else:
        try:
            spec = model.model_validate(spec_raw)
        except ValidationError as e:
            issues.extend(_pydantic_issues(e, file, lines, ("spec",), line, model))
    if len(issues) > before or metadata is None or spec is None:
        return None
    if kind_name == "Stack":
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$", metadata.name):
            issues.append(Issue(file, lines.get(("metadata", "name"), line), "metadata.name",
                                f"{metadata.name!r} is not a valid stack name: 1-63 letters, digits and hyphens, "
                                "starting with a letter or digit"))
            return None
        return Stack(name=metadata.name, spec=spec, file=file, line=line)  # type: ignore[arg-type]
    return Resource(kind=kind_name, name=metadata.name, spec=spec, tags=metadata.tags,
                    annotations=metadata.annotations, file=file, line=line, lines=lines,
                    root=str(root) if root is not None else None)
