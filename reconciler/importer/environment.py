"""``reconcile import DIR --env NAME``: importing into a folder whose manifests declare environments.

The environment decides where the import runs and whom the documents belong to: its stack (the
ownership tags the first apply adds, the secret names), its account guard and its region. Every
imported document is limited to that environment (the ``reconciler/environments`` annotation), so the
other environments never see it: their plans neither create nor orphan it, their prunes leave it alone.
The files go into ``DIR/NAME/`` (a function's code beside them), so two environments importing a
resource of the same name (each from its own account) never write over each other's files.

An import adds documents, it never replaces one: a resource named by a selector that the environment
already declares (shared, or limited to it) refuses the import, unless it is in the file the import
rewrites (``--force``); what a selector brings along (an endpoint's role) and the environment already
declares is left out, and the output says where it is declared. A resource another reconcile stack
owns (another environment's, in an account they share) is refused by name: adopting it would take it.
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
    """The environment an import writes for, as DIR's manifests declare it."""

    env: str
    stack: Stack  # the environment's: name, spec.region, spec.accountId (pipeline.connect checks it)
    folder: Path  # DIR/NAME: where the imported files go
    #: (kind, name folded as AWS compares it) -> (file, line) of every document the environment sees
    declared: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)

    def keep_new(self, items: list[Imported], file: Path) -> list[Imported]:
        """``items`` (a selected resource first, then what it brings along), each limited to this environment;
        what it brings along that the environment already declares (outside ``file``, which the import
        rewrites) is left out, and the selected resource says so."""
        out: list[Imported] = []
        for n, item in enumerate(items):
            where = self.declared.get(_key(item.kind, item.name))
            if n and where is not None and Path(where[0]).resolve() != file.resolve():
                items[0].notes.append(f"{item.id}: environment {self.env!r} already declares it at "
                                      f"{where[0]}:{where[1]}; not imported again (plan compares it with what runs)")
                continue
            if item.owner and item.owner != self.stack.name:  # another environment's, in a shared account
                item.refused.append(f"it is owned by reconcile stack {item.owner!r} (its ownership tags); adopting "
                                    f"it for environment {self.env!r} would take it from that stack")
            if not item.refused:
                item.doc.setdefault("metadata", {}).setdefault("annotations", {})[ENVIRONMENTS_ANNOTATION] = self.env
            out.append(item)
        return out

    def refuse_declared(self, ids: list[tuple[str, str]], rewritten: Iterable[Path] = ()) -> None:
        """UsageError naming every (kind, name) the environment already declares (outside ``rewritten``)."""
        skip = {p.resolve() for p in rewritten}
        clashes = []
        for kind, name in dict.fromkeys(ids):
            where = self.declared.get(_key(kind, name))
            if where is not None and Path(where[0]).resolve() not in skip:
                clashes.append(f"{kind}/{name} (declared at {where[0]}:{where[1]})")
        if clashes:
            raise UsageError(f"refusing to import into environment {self.env!r}: it already declares "
                             f"{', '.join(clashes)}; an import adds documents, it does not replace them: edit "
                             "those documents, or remove them and import again. Nothing was written.")


def _key(kind: str, name: str) -> tuple[str, str]:
    from reconciler.kinds import REGISTRY

    k = REGISTRY.get(kind)
    folded = k is not None and (k.case_insensitive_names or k.service == "sagemaker")
    return kind, name.lower() if folded else name


def into(directory: str, env: str | None, stack_name: str | None) -> Into | None:
    """The environment to import for, or None when DIR declares no environments (and no --env is given).

    Refuses (no AWS call made): environments declared but no --env (the error lists them), --env without
    environments, an unknown environment, --stack beside --env, and manifests that do not parse.
    """
    from reconciler import manifests as mf

    root = Path(directory)
    issues: list[Issue] = []
    parsed = []
    if root.is_dir():
        for f in mf.discover(root).files:
            parsed += [(doc, str(f), line, lines) for doc, line, lines in mf._read_documents(f, str(f), issues)
                       if isinstance(doc, dict)]
    if env is None and not any(d[0].get("kind") == "Environment" for d in parsed):
        return None
    docs, comp = compose(parsed, env, mf._default_stack_name(root), issues, "import")
    selected = comp.selected
    assert selected is not None  # compose refuses no --env, an unknown one, and --env without environments
    if stack_name and stack_name != selected.stack:
        raise UsageError(f"--stack {stack_name} conflicts with --env {env}: environment {env!r} deploys as stack "
                         f"{selected.stack!r} (its spec.stack at {selected.file}:{selected.line})")
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
    if errors or stack is None:
        raise ManifestError(comp.locate(errors) or [Issue(directory, None, "", "no Stack document")])
    return Into(env=selected.name, stack=stack, folder=root / selected.name, declared=declared)
