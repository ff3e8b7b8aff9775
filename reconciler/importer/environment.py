"""Where ``reconcile import DIR`` writes, and what it must not write: DIR's Stack, environment and declarations.

Into a folder whose manifests declare environments, ``--env`` names the one the documents belong to: its
stack (the ownership tags the first apply adds, the secret names), its account guard and its region. Every
imported document is limited to that environment (the ``reconciler/environments`` annotation), so the other
environments never see it: their plans neither create nor orphan it, their prunes leave it alone. The files
go into ``DIR/NAME/`` (a function's code beside them), so two environments importing a resource of the same
name (each from its own account) never write over each other's files. Into any other folder, its Stack
(stack.yaml or wherever it is declared) is the stack.

An import adds documents, it never writes a second declaration: a resource named by a selector that the folder
(or the environment) already declares is refused, naming the file, unless it is in the very file the import
rewrites (``--force`` overwrites that file, and says so); what a selector brings along (an endpoint's role) and
the folder already declares is left out, and the output says where it is declared. A resource another
reconcile stack owns (its ownership tags) is refused by name, ``--force`` or not: adopting it would take it.
Everything here runs before the first AWS call but the identity check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.environments import ENVIRONMENTS_ANNOTATION, compose
from reconciler.errors import Issue, ManifestError, UsageError

if TYPE_CHECKING:
    from reconciler.importer.model import Imported
    from reconciler.manifests import Stack


@dataclass
class Into:
    """What an import writes into: the folder, the stack that adopts, and what is already declared there."""

    env: str | None  # the environment imported for (--env), or None for a folder without environments
    stack: Stack | None  # the environment's (name, spec.region, spec.accountId), or DIR's Stack document if any
    folder: Path  # where the imported files go: DIR/NAME for an environment, else DIR
    #: (kind, name folded as AWS compares it) -> (file, line) of every document the import must not declare again
    declared: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"environment {self.env!r}" if self.env else str(self.folder)

    def keep_new(self, items: list[Imported], file: Path, stack: str) -> list[Imported]:
        """``items`` (a selected resource first, then what it brings along), each limited to the environment;
        what it brings along that is already declared (outside ``file``, which the import rewrites) is left
        out, and the selected resource says so; what another reconcile stack owns is refused."""
        out: list[Imported] = []
        for n, item in enumerate(items):
            where = self.declared.get(_key(item.kind, item.name))
            if n and where is not None and Path(where[0]).resolve() != file.resolve():
                items[0].notes.append(f"{item.id}: {self.where} already declares it at {where[0]}:{where[1]}; "
                                      "not imported again (plan compares it with what runs)")
                continue
            if item.owner and item.owner != stack:  # another stack's (another environment's, in a shared account)
                item.refused.append(f"it is owned by reconcile stack {item.owner!r} (its ownership tags); adopting "
                                    f"it for stack {stack!r} would take it from that stack (--force does not change "
                                    "that: release it from its stack first, see docs/migrating.md)")
            if not item.refused and self.env:
                item.doc.setdefault("metadata", {}).setdefault("annotations", {})[ENVIRONMENTS_ANNOTATION] = self.env
            out.append(item)
        return out

    def refuse_declared(self, ids: list[tuple[str, str]], rewritten: Iterable[Path] = ()) -> None:
        """UsageError naming every (kind, name) already declared (outside ``rewritten``), and its file."""
        skip = {p.resolve() for p in rewritten}
        clashes = []
        for kind, name in dict.fromkeys(ids):
            where = self.declared.get(_key(kind, name))
            if where is not None and Path(where[0]).resolve() not in skip:
                clashes.append(f"{kind}/{name} (declared at {where[0]}:{where[1]})")
        if clashes:
            raise UsageError(f"refusing to import into {self.where}: it already declares {', '.join(clashes)}; an "
                             "import adds documents, it does not write a second declaration (--force overwrites "
                             "only a file an earlier import wrote): edit those documents, or remove them and "
                             "import again. Nothing was written.")


def _key(kind: str, name: str) -> tuple[str, str]:
    from reconciler.kinds import REGISTRY

    k = REGISTRY.get(kind)
    folded = k is not None and (k.case_insensitive_names or k.service == "sagemaker")
    return kind, name.lower() if folded else name


def into(directory: str, env: str | None, stack_name: str | None) -> Into:
    """What an import into ``directory`` (for environment ``env``) writes into.

    Refuses (no AWS call made): environments declared but no --env (the error lists them), --env without
    environments, an unknown environment, --stack beside --env, and manifests that do not parse (an import
    must know what the folder declares).
    """
    from reconciler import manifests as mf

    root = Path(directory)
    issues: list[Issue] = []
    parsed = []
    if root.is_dir():
        found = mf.discover(root)
        issues += found.issues
        for f in found.files:
            parsed += [(doc, str(f), line, lines) for doc, line, lines in mf._read_documents(f, str(f), issues)
                       if isinstance(doc, dict)]
    plain = env is None and not any(d[0].get("kind") == "Environment" for d in parsed)
    if plain:
        docs, selected = parsed, None
    else:
        docs, comp = compose(parsed, env, mf._default_stack_name(root), issues, "import")
        selected = comp.selected
        assert selected is not None  # compose refuses no --env, an unknown one, and --env without environments
        if stack_name and stack_name != selected.stack:
            raise UsageError(f"--stack {stack_name} conflicts with --env {env}: environment {env!r} deploys as "
                             f"stack {selected.stack!r} (its spec.stack at {selected.file}:{selected.line})")
    stack = None
    declared: dict[tuple[str, str], tuple[str, int]] = {}
    for doc, file, line, lines in docs:
        meta = doc.get("metadata")
        if doc.get("kind") == "Stack":
            loaded = mf._load_document(doc, file, line, lines, issues, root=root)
            stack = stack or (loaded if isinstance(loaded, mf.Stack) else None)
        elif isinstance(meta, dict) and isinstance(doc.get("kind"), str):
            declared.setdefault(_key(doc["kind"], str(meta.get("name"))), (file, line))
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise ManifestError(errors if plain else comp.locate(errors))
    if selected is None:
        return Into(env=None, stack=stack, folder=root, declared=declared)
    if stack is None:
        raise ManifestError([Issue(directory, None, "", "no Stack document")])
    return Into(env=selected.name, stack=stack, folder=root / selected.name, declared=declared)
