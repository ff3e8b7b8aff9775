"""YAML manifests -> typed resources, with file:line:field for every error, all reported at once.

Loading is defensive: files are size-capped, must be UTF-8, YAML aliases are expanded with a node
budget (billion-laughs documents are refused, not expanded), recursive aliases and duplicate keys
are errors, and only plain YAML types are constructed (no Python objects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reconciler import API_VERSION
from reconciler.errors import Issue, ManifestError
from reconciler.kinds.base import Resource

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000
MAX_DEPTH = 64
RESERVED_TAG_PREFIXES = ("aws:", "reconciler:")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")


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
        if len(tags) > 47:
            raise ValueError(f"at most 47 tags (AWS allows 50, reconcile adds 3); got {len(tags)}")
        for k, v in tags.items():
            if not 1 <= len(k) <= 128:
                raise ValueError(f"tag key {k[:40]!r} must be 1-128 characters")
            if len(v) > 256:
                raise ValueError(f"tag {k!r}: value must be at most 256 characters")
            if k.lower().startswith(RESERVED_TAG_PREFIXES):
                raise ValueError(f"tag key {k!r}: the prefixes 'aws:' and 'reconciler:' are reserved")
        return tags


class StackSpec(BaseModel):
    """Settings of the whole stack."""

    model_config = ConfigDict(extra="forbid")
    region: str | None = Field(None, description="AWS region of every resource in the stack, e.g. eu-west-1.")
    accountId: str | None = Field(
        None, description="When set, every command refuses to touch any other AWS account.", pattern=r"^\d{12}$"
    )
    lock: dict[str, str] | None = Field(
        None, description="Cross-machine apply lock, e.g. {dynamodbTable: reconcile-locks}."
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

    def by_id(self) -> dict[tuple[str, str], Resource]:
        return {(r.kind, r.name): r for r in self.resources}


class _Loader(yaml.SafeLoader):
    pass


def _nodes_to_python(node: yaml.Node, loader: _Loader, path: tuple, lines: dict, budget: list[int],
                     active: set[int], depth: int = 0) -> Any:
    budget[0] += 1
    if budget[0] > MAX_NODES:
        raise _YamlProblem(node, f"document expands to more than {MAX_NODES} nodes (YAML alias bomb?)")
    if depth > MAX_DEPTH:
        raise _YamlProblem(node, f"nesting deeper than {MAX_DEPTH} levels")
    if id(node) in active:
        raise _YamlProblem(node, "recursive YAML alias")
    if isinstance(node, yaml.MappingNode):
        active.add(id(node))
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            key = loader.construct_object(knode, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise _YamlProblem(knode, "mapping keys must be plain strings")
            key = str(key)
            if key in out:
                raise _YamlProblem(knode, f"duplicate key {key!r}")
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
    if isinstance(value, (bytes, bytearray)) or type(value).__module__ == "datetime":
        return str(node.value)
    return value


class _YamlProblem(Exception):
    def __init__(self, node: yaml.Node, message: str):
        self.line = node.start_mark.line + 1
        super().__init__(message)


def _read_documents(path: Path, display: str, issues: list[Issue]) -> list[tuple[Any, int, dict]]:
    """Parse one file into (document, first line, path->line map) triples."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            issues.append(Issue(display, None, "", f"file is {size} bytes; manifests are limited to {MAX_FILE_BYTES}"))
            return []
        raw = path.read_bytes()
    except OSError as e:
        issues.append(Issue(display, None, "", f"cannot read file: {e.strerror}"))
        return []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        issues.append(Issue(display, line, "", f"not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})"))
        return []
    if "\x00" in text:
        issues.append(Issue(display, text[: text.index("\x00")].count("\n") + 1, "", "NUL character in a text file"))
        return []
    docs = []
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            lines: dict[tuple, int] = {}
            try:
                value = _nodes_to_python(node, loader, (), lines, [0], set())
            except _YamlProblem as e:
                issues.append(Issue(display, e.line, "", str(e)))
                continue
            except yaml.YAMLError as e:
                mark = getattr(e, "problem_mark", None)
                issues.append(Issue(display, mark.line + 1 if mark else None, "", f"YAML error: {_yaml_msg(e)}"))
                continue
            docs.append((value, node.start_mark.line + 1, lines))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        issues.append(Issue(display, mark.line + 1 if mark else None, "", f"invalid YAML: {_yaml_msg(e)}"))
    except RecursionError:
        issues.append(Issue(display, None, "", "YAML nested too deeply"))
    finally:
        loader.dispose()
    return docs


def _yaml_msg(e: yaml.YAMLError) -> str:
    problem = getattr(e, "problem", None)
    context = getattr(e, "context", None)
    if problem:
        return f"{problem}" + (f" ({context})" if context else "")
    return str(e).splitlines()[0]


def _pydantic_issues(err: ValidationError, res_file: str, lines: dict, prefix: tuple, doc_line: int,
                     model: type[BaseModel] | None) -> list[Issue]:
    out = []
    for e in err.errors():
        loc = prefix + tuple(e["loc"])
        p = loc
        line = doc_line
        while p:
            if p in lines:
                line = lines[p]
                break
            p = p[:-1]
        msg = e["msg"]
        if e["type"] == "extra_forbidden" and model is not None:
            allowed = _allowed_fields(model, tuple(e["loc"])[:-1])
            msg = "unknown field" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        field = ".".join(str(x) for x in loc)
        out.append(Issue(res_file, line, field, msg))
    return out


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at ``loc`` inside ``model`` (best effort, for error messages)."""
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
            # discriminated / union containers: keep current
            continue
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def discover(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def load(root: str | Path) -> Manifests:
    """Load and validate every manifest under ``root``; raise ManifestError with every issue found."""
    from reconciler.kinds import REGISTRY

    root = Path(root)
    issues: list[Issue] = []
    if not root.exists():
        raise ManifestError([Issue(str(root), None, "", "no such file or folder")])
    files = discover(root)
    if not files:
        raise ManifestError([Issue(str(root), None, "", "no *.yaml or *.yml manifests found")])
    base = root if root.is_dir() else root.parent
    resources: list[Resource] = []
    stacks: list[Stack] = []
    invalid_names: set[tuple[str, str]] = set()
    for path in files:
        display = str(path)
        for doc, line, lines in _read_documents(path, display, issues):
            if doc is None:
                continue
            if not isinstance(doc, dict):
                issues.append(Issue(display, line, "", "a manifest document must be a mapping with apiVersion, kind, metadata, spec"))
                continue
            loaded = _load_document(doc, display, line, lines, issues)
            if loaded is None and isinstance(doc.get("kind"), str) and isinstance(doc.get("metadata"), dict):
                invalid_names.add((doc["kind"], str(doc["metadata"].get("name"))))
            if isinstance(loaded, Stack):
                stacks.append(loaded)
            elif loaded is not None:
                resources.append(loaded)
    if len(stacks) > 1:
        for s in stacks[1:]:
            issues.append(Issue(s.file or "", s.line, "kind", f"at most one Stack per folder; first one is at {stacks[0].file}:{stacks[0].line}"))
    stack = stacks[0] if stacks else Stack(name=_default_stack_name(base), spec=StackSpec())
    if not resources and not issues:
        issues.append(Issue(str(root), None, "", "the manifests declare no resources"))

    # names: per kind, unique (case-insensitively where AWS is), within AWS's rules
    seen: dict[tuple[str, str], Resource] = {}
    for r in resources:
        kind = REGISTRY[r.kind]
        if not kind.name_pattern.match(r.name):
            issues.append(r.issue(("metadata", "name"), f"{r.name!r} is not a valid {r.kind} name: {kind.name_rule}"))
        key = (r.kind, r.name.lower() if kind.case_insensitive_names else r.name)
        if key in seen:
            first = seen[key]
            issues.append(r.issue(("metadata", "name"), f"duplicate {r.kind} {r.name!r}; first declared at {first.file}:{first.line}"))
        else:
            seen[key] = r
        issues.extend(kind.check(r))

    manifests = Manifests(root=root, stack=stack, resources=resources, files=files)
    # references are checked even when other documents have errors (every error at once); documents
    # that failed validation still count as declared, so references to them are not reported twice
    from reconciler.graph import build

    try:
        build(manifests, also_declared=invalid_names)
    except ManifestError as e:
        issues.extend(e.issues)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise ManifestError(errors)
    manifests.warnings = [i for i in issues if i.severity == "warning"]
    return manifests


def _default_stack_name(base: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9-]", "-", base.resolve().name).strip("-") or "default"
    return name[:64]


def _load_document(doc: dict, file: str, line: int, lines: dict, issues: list[Issue]) -> Resource | Stack | None:
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
    allowed_kinds = ["Stack", *REGISTRY]
    if kind_name not in allowed_kinds:
        msg = "required field is missing" if kind_name is None else f"unknown kind {kind_name!r}"
        issues.append(Issue(file, lines.get(("kind",), line), "kind", f"{msg}; allowed: {', '.join(allowed_kinds)}"))
        return None
    meta_raw = doc.get("metadata")
    metadata = None
    if not isinstance(meta_raw, dict):
        issues.append(Issue(file, lines.get(("metadata",), line), "metadata", "required mapping with at least 'name'"))
    else:
        try:
            metadata = Metadata.model_validate(meta_raw)
        except ValidationError as e:
            issues.extend(_pydantic_issues(e, file, lines, ("metadata",), line, Metadata))
    spec_raw = doc.get("spec", {} if kind_name == "Stack" else None)
    if spec_raw is None:
        spec_raw = {}
    model = StackSpec if kind_name == "Stack" else REGISTRY[kind_name].spec_model
    spec = None
    if not isinstance(spec_raw, dict):
        issues.append(Issue(file, lines.get(("spec",), line), "spec", "must be a mapping"))
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
                                "stack names are 1-63 letters, digits and hyphens, starting with a letter or digit"))
            return None
        return Stack(name=metadata.name, spec=spec, file=file, line=line)  # type: ignore[arg-type]
    return Resource(kind=kind_name, name=metadata.name, spec=spec, tags=metadata.tags,
                    annotations=metadata.annotations, file=file, line=line, lines=lines)
