"""The compose phase of loading manifests: environments and their patches (parse → compose → validate).

``kind: Environment`` documents name an environment: the stack it deploys as, its account and region,
and patches on the shared documents, addressed as ``Kind/name``. A patch is a strategic merge applied
to the parsed YAML before typing (kustomize's way): mappings merge, lists and scalars replace, ``null``
removes. A document annotated ``reconciler/environments: "dev,prod"`` exists only in those environments.

Every path keeps the line it had in its base document; a path a patch set or removed also remembers the
patch's file:line, and :meth:`Composition.locate` adds it (and the environment's name) to each error.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reconciler import ACCOUNT_ID
from reconciler.errors import WRITTEN, Issue, ManifestError, UsageError, a, line_of

ENVIRONMENTS_ANNOTATION = "reconciler/environments"
STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")
_TARGET = re.compile(r"^(Stack|[A-Za-z]+/[^/\s]+)$")

#: one parsed YAML document: (value, file, first line, path -> line)
Doc = tuple[Any, str, int, dict]


class EnvironmentPatch(BaseModel):
    """A strategic merge onto one shared document."""

    model_config = ConfigDict(extra="forbid")
    target: str = Field(description="The document to patch, as Kind/name (e.g. Endpoint/my-endpoint; Stack for the "
                                    "Stack document).", pattern=_TARGET.pattern)
    patch: dict[str, Any] = Field(description="Merged into the document: mappings merge, lists and values replace, "
                                              "null removes a field. metadata.name may be patched (environments "
                                              "that share an account need distinct names).")


class EnvironmentSpec(BaseModel):
    """Where one environment deploys, and how its documents differ from the shared ones."""

    model_config = ConfigDict(extra="forbid")
    stack: str | None = Field(None, description="The stack name this environment deploys as (its ownership tags, "
                                                "lock and saved plans); default: <Stack name>-<environment name>.",
                              pattern=STACK_NAME.pattern)
    region: str | None = Field(None, description="AWS region of the environment (overrides the Stack's spec.region).")
    accountId: str | None = Field(None, pattern=ACCOUNT_ID,
                                  description="When set, every command for this environment refuses any other account.")
    patches: list[EnvironmentPatch] = Field(default_factory=list, description="Patches on the shared documents.")

    @field_validator("region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        from reconciler.manifests.models import region_name

        return region_name(v)


@dataclass
class Environment:
    name: str
    spec: EnvironmentSpec
    stack: str
    file: str
    line: int
    lines: dict

    def line_of(self, *path: Any) -> int:
        return line_of(self.lines, tuple(path), self.line)


@dataclass
class Composition:
    """What composing did: the environments declared, the one chosen, and where patches touched."""

    environments: list[Environment] = field(default_factory=list)
    selected: Environment | None = None
    #: (file, first line of the document) -> {path: (patch file, patch line)}
    origins: dict[tuple[str, int], dict[tuple, tuple[str, int]]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.environments]

    def locate(self, issues: list[Issue]) -> list[Issue]:
        """Each issue names the environment, and the patch's file:line when a patch set what it is about."""
        if self.selected is None:
            return issues
        starts: dict[str, list[int]] = {}
        for f, start in self.origins:
            starts.setdefault(f, []).append(start)
        out = []
        for i in issues:
            where = ""
            doc = max((s for s in starts.get(i.file, []) if i.line is not None and s <= i.line), default=None)
            if doc is None and i.file != self.selected.file:  # not in a document this environment sees (e.g.
                out.append(i)  # a YAML error in another environment's file): the same in every environment
                continue
            if doc is not None and i.field:
                parts = tuple(i.field.split("."))
                for path, (pfile, pline) in self.origins[(i.file, doc)].items():
                    dotted = tuple(str(x) for x in path)
                    if parts[: len(dotted)] == dotted or dotted[: len(parts)] == parts:
                        where = f"; set by the patch at {pfile}:{pline}"
                        break
            msg = f"{i.message} (environment {self.selected.name!r}{where})"
            out.append(Issue(i.file, i.line, i.field, msg, i.severity, i.code))
        return out


class EnvironmentsRequired(UsageError):
    """The manifests declare environments and the command was given none."""

    def __init__(self, names: list[str], command: str = "this command"):
        self.names = names
        super().__init__(f"the manifests declare environments ({', '.join(names)}): {command} needs --env NAME, "
                         f"e.g. --env {names[0]}")


def _issue(file: str, line: int, path: tuple, message: str) -> Issue:
    return Issue(file, line, ".".join(str(x) for x in path), message)


def _environments(docs: list[Doc], default_stack: str, issues: list[Issue]) -> list[Environment]:
    from reconciler.manifests import _pydantic_issues

    envs: list[Environment] = []
    for doc, file, line, lines in docs:
        meta = doc.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        unknown = set(doc) - {"apiVersion", "kind", "metadata", "spec"}
        for key in sorted(unknown):
            issues.append(_issue(file, lines.get((key,), line), (key,),
                                 "unknown top-level field; allowed: apiVersion, kind, metadata, spec"))
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,31}", name):
            issues.append(_issue(file, lines.get(("metadata", "name"), line), ("metadata", "name"),
                                 f"an Environment needs metadata.name: 1-32 lowercase letters, digits and hyphens, "
                                 f"got {name!r}"))
            continue
        if isinstance(meta, dict) and set(meta) - {"name"}:
            issues.append(_issue(file, line, ("metadata",), "an Environment's metadata has only name"))
        try:
            spec = EnvironmentSpec.model_validate(doc.get("spec") or {})
        except ValidationError as e:
            issues.extend(_pydantic_issues(e, file, lines, ("spec",), line, EnvironmentSpec))
            continue
        if any(e.name == name for e in envs):
            first = next(e for e in envs if e.name == name)
            issues.append(_issue(file, lines.get(("metadata", "name"), line), ("metadata", "name"),
                                 f"duplicate Environment {name!r}, first declared at {first.file}:{first.line}"))
            continue
        stack = spec.stack or f"{default_stack}-{name}"[:63]
        envs.append(Environment(name, spec, stack, file, line, lines))
    by_stack: dict[str, Environment] = {}
    for e in envs:
        other = by_stack.get(e.stack)
        if other is not None:
            issues.append(_issue(e.file, e.line_of("spec", "stack"), ("spec", "stack"),
                                 f"environments {other.name!r} and {e.name!r} both deploy as stack {e.stack!r}: each "
                                 "environment must be its own stack (its own ownership tags), or one would prune the "
                                 f"other's resources; give spec.stack a distinct name ({other.name!r} is at "
                                 f"{other.file}:{other.line})"))
        by_stack.setdefault(e.stack, e)
    return envs


def _in_environments(doc: dict) -> list[str] | None:
    """The environments a document is limited to (its annotation), or None for all."""
    meta = doc.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(ann, dict) or ENVIRONMENTS_ANNOTATION not in ann:
        return None
    return [x.strip() for x in str(ann[ENVIRONMENTS_ANNOTATION]).split(",") if x.strip()]


def _target(doc: Any) -> str | None:
    if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
        return None
    meta = doc.get("metadata")
    if doc["kind"] == "Stack":
        return "Stack"
    return f"{doc['kind']}/{meta.get('name')}" if isinstance(meta, dict) else None


def merge(base: dict, patch: dict, path: tuple, lines: dict, ppath: tuple, plines: dict, pfile: str,
          origins: dict) -> None:
    """Strategic merge of ``patch`` into ``base`` in place: maps merge, lists and values replace, None removes.

    ``lines`` (base paths) keep their base lines; a path the patch adds takes its parent's line. Every path
    the patch sets or removes is recorded in ``origins`` with the patch's (file, line).
    """
    for key, value in patch.items():
        p, pp = path + (key,), ppath + (key,)
        where = (pfile, plines.get(pp, plines.get(ppath, 0)))
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value, p, lines, pp, plines, pfile, origins)
            continue
        origins[p] = where
        for old in [k for k in lines if (k[: len(p)] == p and len(k) > len(p))
                    or (k[0] == WRITTEN and k[1: len(p) + 1] == p)]:
            del lines[old]
        lines.update({(WRITTEN, *p, *k[len(pp) + 1:]): v for k, v in plines.items()  # the patch's values as written
                      if k[0] == WRITTEN and k[1: len(pp) + 1] == pp})
        if value is None:
            base.pop(key, None)
            continue
        if p not in lines:
            lines[p] = _parent_line(lines, path)
        base[key] = copy.deepcopy(value)


def _parent_line(lines: dict, path: tuple) -> int:
    p = path
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return 0


def compose(docs: list[Doc], env: str | None, default_stack: str, issues: list[Issue],
            command: str = "this command") -> tuple[list[Doc], Composition]:
    """The documents as environment ``env`` sees them (Environment documents removed)."""
    env_docs = [d for d in docs if isinstance(d[0], dict) and d[0].get("kind") == "Environment"]
    shared = [d for d in docs if not (isinstance(d[0], dict) and d[0].get("kind") == "Environment")]
    stack_docs = [d for d in shared if isinstance(d[0], dict) and d[0].get("kind") == "Stack"]
    meta = stack_docs[0][0].get("metadata") if stack_docs else None
    base_stack = meta.get("name") if isinstance(meta, dict) and isinstance(meta.get("name"), str) else default_stack
    before = len(issues)
    comp = Composition(_environments(env_docs, base_stack, issues))
    if len(issues) > before:  # a broken Environment document: report it (and anything found before) now
        raise ManifestError(issues)
    unreadable = [i for i in issues if i.severity == "error"]  # files that did not parse may hold environments
    if not env_docs:
        if env is not None:
            if unreadable:
                raise ManifestError(unreadable)
            raise UsageError(f"--env {env}: the manifests declare no environments (no kind: Environment document)")
        return shared, comp
    if env is None:
        raise EnvironmentsRequired(comp.names or ["?"], command)
    selected = next((e for e in comp.environments if e.name == env), None)
    if selected is None:
        if unreadable:  # say what is broken (perhaps the very file that declares it), not "no such environment"
            raise ManifestError(unreadable)
        raise UsageError(f"--env {env}: no such environment; the manifests declare: {', '.join(comp.names)}")
    comp.selected = selected
    known = set(comp.names)
    out: list[Doc] = []
    for doc, file, line, lines in shared:
        only = _in_environments(doc) if isinstance(doc, dict) else None
        if only is not None:
            at = ("metadata", "annotations", ENVIRONMENTS_ANNOTATION)
            where = _parent_line(lines, at) or line
            if not only:
                issues.append(_issue(file, where, at, "names no environment, so no environment would see this "
                                     f"document; name one or more (the manifests declare: {', '.join(comp.names)}), "
                                     "or remove the annotation to keep the document in every environment"))
            for name in only:
                if name not in known:
                    issues.append(_issue(file, where, at, f"unknown environment {name!r}; the manifests declare: "
                                                          f"{', '.join(comp.names)}"))
            if env not in only:
                continue
        out.append((copy.deepcopy(doc), file, line, dict(lines)))
    for _doc, file, line, _lines in out:
        comp.origins.setdefault((file, line), {})
    if not stack_docs:  # the environment's stack settings go into a Stack document of their own
        out.insert(0, ({"apiVersion": "reconciler/v1", "kind": "Stack", "metadata": {"name": base_stack}, "spec": {}},
                       selected.file, selected.line, {}))
    stack_doc, sfile, sline, slines = next(d for d in out if d[0].get("kind") == "Stack")
    sorigins = comp.origins.setdefault((sfile, sline), {})
    stack_doc.setdefault("metadata", {})["name"] = selected.stack
    sorigins[("metadata", "name")] = (selected.file, selected.line_of("spec", "stack"))
    if not isinstance(stack_doc.get("spec"), dict):
        stack_doc["spec"] = {}
    for key in ("region", "accountId"):
        value = getattr(selected.spec, key)
        if value is not None:
            stack_doc["spec"][key] = value
            sorigins[("spec", key)] = (selected.file, selected.line_of("spec", key))
    targets = {_target(d[0]): d for d in out}
    everywhere = {_target(d[0]) for d in shared}
    for n, p in enumerate(selected.spec.patches):
        ppath = ("spec", "patches", n)
        pline = selected.line_of(*ppath, "target")
        found = targets.get(p.target)
        if found is None:
            why = ("not in this environment (its reconciler/environments annotation leaves it out)"
                   if p.target in everywhere else "no such document in the manifests")
            issues.append(_issue(selected.file, pline, ppath + ("target",),
                                 f"the patch on {p.target}: {why}"))
            continue
        doc, file, line, lines = found
        refused = _refused_patch(p, selected, ppath)
        if refused:
            issues += refused
            continue
        merge(doc, p.patch, (), lines, ppath + ("patch",), selected.lines, selected.file,
              comp.origins.setdefault((file, line), {}))
    return out, comp


def _refused_patch(p: EnvironmentPatch, env: Environment, ppath: tuple) -> list[Issue]:
    """What a patch may not do, each at the patch's own file:line: move the environment's account or region
    (the Stack's spec.accountId / spec.region are the Environment's own fields), name the Stack (spec.stack
    does), decide which environments see a document (decided before patches apply), or change a document's
    kind (a patch edits a document; another kind is another document)."""
    out = []

    def refuse(path: tuple, message: str) -> None:
        out.append(_issue(env.file, env.line_of(*ppath, "patch", *path), ppath + ("patch", *path), message))

    spec = p.patch.get("spec")
    if p.target == "Stack":
        if "metadata" in p.patch:
            refuse(("metadata",), "the Stack's name is the environment's spec.stack; set that instead of patching it")
        for key, what in (("accountId", "account"), ("region", "region")):
            if isinstance(spec, dict) and key in spec:
                own = (f"{env.file}:{env.line_of('spec', key)}" if getattr(env.spec, key) is not None
                       else f"not set; add it to the Environment at {env.file}:{env.line}")
                refuse(("spec", key), f"a patch may not move environment {env.name!r} to another {what}: its "
                                      f"{what} is the Environment's own spec.{key} ({own}), which every command "
                                      "checks; set it there")
    if "kind" in p.patch:
        refuse(("kind",), f"a patch may not change a document's kind ({p.target} stays "
                          f"{a(p.target.split('/')[0])}); declare a document of the other kind instead")
    meta = p.patch.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(annotations, dict) and ENVIRONMENTS_ANNOTATION in annotations:
        refuse(("metadata", "annotations", ENVIRONMENTS_ANNOTATION),
               f"a patch may not set {ENVIRONMENTS_ANNOTATION}: which environments see a document is decided "
               "before patches apply; set the annotation on the document itself")
    return out


def rendered(directory: str, env: str) -> str:
    """The manifests under ``directory`` as environment ``env`` sees them, as YAML (like ``kustomize build``).

    Refuses (ManifestError, every error) what does not validate; the output, saved as one file in a folder
    of its own, plans and applies exactly as ``--env env`` does on ``directory``.
    """
    from pathlib import Path

    import yaml

    from reconciler import manifests as mf

    mf.load(directory, env)
    root = Path(directory)
    parsed: list[Doc] = []
    for f in mf.discover(root).files:
        parsed += [(doc, str(f), line, lines) for doc, line, lines in mf._read_documents(f, str(f), [])
                   if isinstance(doc, dict)]
    docs, _ = compose(parsed, env, mf._default_stack_name(root if root.is_dir() else root.parent), [])
    return "".join("---\n" + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True)
                   for doc, *_ in docs)


def validate_all(path: str, strict: bool, names: list[str]) -> list[tuple[str, Any]]:
    """Validate (and lint) the rendered result of every environment: [(name, Manifests)], or ManifestError
    with every environment's errors, each naming its environment."""
    from reconciler.errors import ManifestError
    from reconciler.pipeline import load

    done, problems = [], []
    for name in names:
        try:
            done.append((name, load(path, strict, name)[0]))
        except ManifestError as e:
            problems += e.issues
    if problems:
        raise ManifestError(_grouped(problems))
    return done


_IN_ENV = re.compile(r" \(environment '([^']+)'\)$")


def _grouped(issues: list[Issue]) -> list[Issue]:
    """One issue for an error no patch is involved in, naming every environment it occurs in (once when it
    names none)."""
    out: list[Issue] = []
    where: dict[tuple, tuple[int, list[str]]] = {}
    for i in issues:
        m = _IN_ENV.search(i.message)
        if m is None:
            if i not in out:  # the same in every environment (e.g. a file that does not parse): said once
                out.append(i)
            continue
        key = (i.file, i.line, i.field, i.message[: m.start()], i.severity, i.code)
        if key in where:
            where[key][1].append(m.group(1))
            continue
        where[key] = (len(out), [m.group(1)])
        out.append(i)
    for (file, line, fld, msg, severity, code), (n, envs) in where.items():
        if len(envs) > 1:
            out[n] = Issue(file, line, fld, f"{msg} (environments {', '.join(repr(e) for e in envs)})", severity, code)
    return out
