"""``reconcile import``: live resources read back into manifests that adopt them.

Each kind family maps a live resource to a manifest document (``to_spec`` of what its Kind reads):
``endpoint`` (Endpoint), ``iam`` (Role, User, Policy), ``serverless`` (Function, HttpApi). A selector
brings what stands behind the resource (an endpoint's execution role and its policies; an API's
functions and their roles) into one file per group. What a manifest cannot say is said, never dropped:
a plain-text secret becomes a {secretsManager: NAME} reference (its value is never written or printed),
and a resource with settings the spec lacks is refused by name, with nothing written for it.
Into a folder that declares environments, ``--env`` names the one the documents belong to; what the folder
declares, and what another stack owns, is never imported again (``environment``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import UsageError
from reconciler.importer import endpoint, iam, serverless, yamlout
from reconciler.importer.environment import Into
from reconciler.importer.environment import into as into  # for the import command
from reconciler.importer.model import Imported
from reconciler.kinds.base import PlanContext

KINDS = ("Endpoint", "Role", "User", "Policy", "Function", "HttpApi")
PREFIX = {"Endpoint": "endpoint", "Role": "role", "User": "user", "Policy": "policy", "Function": "function",
          "HttpApi": "api"}


@dataclass
class Group:
    """What one selector brings: written to one file, or refused as a whole."""

    selector: str
    file: str
    items: list[Imported]

    @property
    def refused(self) -> list[tuple[str, str]]:
        return [(i.id, why) for i in self.items for why in i.refused]


@dataclass
class Result:
    written: list[Path] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    env: str | None = None  # the environment imported for (``--env``)
    overwritten: list[Path] = field(default_factory=list)  # files of an earlier import that --force rewrote

    @property
    def refused(self) -> list[tuple[str, str]]:
        return [r for g in self.groups for r in g.refused]

    @property
    def imported(self) -> list[Imported]:
        return [i for g in self.groups if not g.refused for i in g.items]


def parse_selectors(selectors: tuple[str, ...] | list[str]) -> list[tuple[str, str]]:
    """[(Kind, name)] of KIND/NAME selectors; UsageError naming every one that is not (with a did-you-mean: kinds
    are spelt as in manifests, so role/x is not Role/x)."""
    import difflib

    out, bad = [], []
    for sel in selectors:
        kind, _, name = sel.partition("/")
        if kind in KINDS and name:
            out.append((kind, name))
            continue
        close = next((k for k in KINDS if k.lower() == kind.lower()), None) or next(
            iter(difflib.get_close_matches(kind, KINDS, n=1)), None)
        hint = f" (did you mean {close}/{name or 'NAME'}?)" if close else ""
        bad.append(f"{sel!r}{hint}")
    if bad:
        raise UsageError(f"unknown selector(s) {', '.join(bad)}: use KIND/NAME with KIND one of {', '.join(KINDS)} "
                         "(or --all-endpoints)")
    return out


def _role_of(item: Imported, ctx: PlanContext, aws: Any, key: str) -> list[Imported]:
    """The role a document names by name (a role of this account), with its policies."""
    role = item.doc.get("spec", {}).get(key, "") if not item.refused else ""
    return iam.read_role(aws, ctx, role) if role and not role.startswith("arn:") else []


def collect(aws: Any, ctx: PlanContext, selectors: list[tuple[str, str]]) -> list[Group]:
    groups = []
    for kind, name in selectors:
        file = f"{PREFIX[kind]}-{name.replace('/', '-')}.yaml"
        items: list[Imported]
        if kind == "Endpoint":
            ep = endpoint.read(aws, ctx, name)
            items = [ep, *_role_of(ep, ctx, aws, "executionRole")]
        elif kind == "Role":
            items = iam.read_role(aws, ctx, name)
        elif kind == "User":
            items = iam.read_user(aws, ctx, name)
        elif kind == "Policy":
            items = iam.read_policy(aws, ctx, name)
        elif kind == "Function":
            fn = serverless.read_function(aws, ctx, name)
            items = [fn, *_role_of(fn, ctx, aws, "role")]
        else:
            api, functions = serverless.read_api(aws, ctx, name)
            items = [api]
            for f in functions:
                fn = serverless.read_function(aws, ctx, f)
                items += [fn, *_role_of(fn, ctx, aws, "role")]
        groups.append(Group(f"{kind}/{name}", file, items))
    return groups


def all_endpoints(aws: Any) -> list[tuple[str, str]]:
    sm = aws.client("sagemaker")
    return [("Endpoint", e["EndpointName"]) for e in sm.paginate("list_endpoints", "Endpoints", "endpoints")]


def stack_document(name: str, region: str, schema: str) -> str:
    return f"# yaml-language-server: $schema={schema}\n" + yamlout.document(
        {"apiVersion": "reconciler/v1", "kind": "Stack", "metadata": {"name": name}, "spec": {"region": region}},
        head=["The stack: every resource below is adopted by it (tagged reconciler:stack) on the first apply."])


def render(directory: Path, groups: list[Group], schema: str) -> dict[Path, bytes]:
    """{path: content} of every file to write (refused groups left out; a resource in the first group only)."""
    out: dict[Path, bytes] = {}
    seen: dict[str, str] = {}
    for g in groups:
        if g.refused:
            continue
        docs = []
        for item in g.items:
            key = item.id.lower() if item.kind in ("Role", "User", "Policy") else item.id
            if key in seen:
                continue
            seen[key] = g.file
            docs.append(yamlout.document(item.doc, item.comments, item.head))
            for rel, data in item.files.items():
                out[directory / rel] = data
        if docs:
            head = f"# yaml-language-server: $schema={schema}\n# Imported by `reconcile import` from {g.selector}.\n"
            out[directory / g.file] = (head + "---\n".join(docs)).encode()
    return out


def run(aws: Any, ctx: PlanContext, selectors: list[tuple[str, str]], force: bool, write_stack: bool,
        dest: Into) -> Result:
    """Read, render, then write (all or nothing) into ``dest.folder``: nothing another stack owns, nothing the
    folder already declares elsewhere, no file outside the folder, and no existing file unless ``force`` (the
    import's own file of an earlier run)."""
    target = dest.folder
    # before reading anything: what was asked for by name (its own file: checked below)
    dest.refuse_declared(selectors, [target / f"{PREFIX[k]}-{n.replace('/', '-')}.yaml" for k, n in selectors])
    groups = collect(aws, ctx, selectors)
    for g in groups:
        g.items = dest.keep_new(g.items, target / g.file, ctx.stack)
    schema = os.path.relpath(Path.cwd() / "schemas" / "reconciler.json", target.resolve())
    files = render(target, groups, schema)
    if write_stack and files:
        files = {target / "stack.yaml": stack_document(ctx.stack, ctx.region, schema).encode(), **files}
    outside = [f"{p} (-> {p.resolve()})" for p in files if not p.resolve().is_relative_to(target.resolve())]
    if outside:
        raise UsageError(f"refusing to write outside {target}: {', '.join(outside)} (a name or a symbolic link leads "
                         "there); nothing was written")
    exists = sorted(p for p in files if p.exists() or p.is_symlink())
    if exists and not force:
        raise UsageError(f"refusing to overwrite {', '.join(map(str, exists))} (use --force to rewrite what an "
                         "earlier import wrote, or import into another folder)")
    result = Result(groups=groups, env=dest.env, overwritten=exists)
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        result.written.append(path)
    return result


def report(result: Result, directory: str) -> tuple[list[str], list[str]]:
    """(lines for stdout, warnings for stderr): what was written, the secrets to create, what was refused.
    A secret's value is never among them: the command names where to copy it from."""
    out = [f"{'overwrote' if p in result.overwritten else 'wrote'} {p}" for p in result.written]
    for item in result.imported:
        for name, key, where in item.secrets:
            out.append(f"{item.id}: {key} was plain text in {where}; it is now read from Secrets Manager. "
                       "Create the secret, copying the value from there (it is not printed here):")
            out.append(f'  aws secretsmanager create-secret --name {name} --secret-string "$VALUE"')
        if item.secrets:
            out.append(f"  (until then plan refuses {item.id}; once it exists the first plan replaces the "
                       "model blue/green, as the value then comes from the secret)")
        out += item.notes
    err = [f"warning: not imported: {rid}: {why}; nothing was written for {g.selector}"
           for g in result.groups for rid, why in g.refused]
    if result.written:
        flag = f" --env {result.env}" if result.env else ""
        out.append(f"Next: reconcile plan {directory}{flag} (shows only the ownership tags adoption adds), then apply.")
    return out, err
