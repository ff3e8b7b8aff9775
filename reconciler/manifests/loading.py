"""load(): every manifest under a folder -> the Stack and its typed resources, validated (schema, names, kind
checks, lint, references), with every problem reported at once as file:line:field."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import ValidationError

from reconciler import API_VERSION
from reconciler.errors import Issue, ManifestError, a
from reconciler.kinds.base import Resource
from reconciler.manifests import yaml_reader
from reconciler.manifests.discovery import _no_manifests, discover
from reconciler.manifests.error_wording import _describe, _line_of, _pydantic_issues
from reconciler.manifests.models import Manifests, Metadata, Stack, StackSpec, tag_problems
from reconciler.manifests.yaml_reader import _field, _read_documents


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
        issues.extend(kind.check_stack(resources))
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
        text = path.read_bytes()[:yaml_reader.MAX_FILE_BYTES].decode("utf-8", "replace")
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
        need = f"; {a(kind_name)} needs at least: {', '.join(required)}" if required else ""
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
