"""References between resources -> dependency edges, cycle check, topological layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING

from reconciler.errors import Issue, ManifestError, a

if TYPE_CHECKING:
    from reconciler.manifests import Manifests

Id = tuple[str, str]  # (kind, name)


@dataclass
class Graph:
    edges: dict[Id, set[Id]] = field(default_factory=dict)  # node -> what it depends on
    layers: list[list[Id]] = field(default_factory=list)

    def layer_of(self) -> dict[Id, int]:
        return {node: i for i, layer in enumerate(self.layers) for node in layer}


def build(manifests: Manifests, also_declared: set[Id] = frozenset()) -> Graph:  # type: ignore[assignment]
    """Dependency graph of the declared resources; dangling references and cycles are ManifestErrors."""
    from reconciler.kinds import REGISTRY

    names: dict[str, set[str]] = {}
    for r in manifests.resources:
        names.setdefault(r.kind, set()).add(r.name)
    by_id = manifests.by_id()
    issues: list[Issue] = []
    graph = Graph()
    for r in manifests.resources:
        deps: set[Id] = set()
        for ref in REGISTRY[r.kind].references(r, names):
            if (ref.kind, ref.name) in also_declared and (ref.kind, ref.name) not in by_id:
                continue  # refers to a document that has its own errors
            if (ref.kind, ref.name) not in by_id:
                other = sorted(k for k, declared in names.items() if k != ref.kind and ref.name in declared)
                if other:  # the name is declared, as another kind
                    issues.append(r.issue(ref.field, f"{ref.name!r} is {a(other[0])}, not {a(ref.kind)}; give the "
                                          f"name of {a(ref.kind)} in the manifests, or an ARN"))
                    continue
                issues.append(r.issue(ref.field, _dangling(ref.kind, ref.name, names.get(ref.kind, set()))))
            elif (ref.kind, ref.name) == (r.kind, r.name):
                issues.append(r.issue(ref.field, "a resource cannot refer to itself"))
            else:
                deps.add((ref.kind, ref.name))
        graph.edges[(r.kind, r.name)] = deps
    if issues:
        raise ManifestError(issues)
    sorter = TopologicalSorter(graph.edges)
    try:
        sorter.prepare()
    except CycleError as e:
        cycle = e.args[1]
        first = by_id[cycle[0]]
        path = " -> ".join(f"{k}/{n}" for k, n in cycle)
        raise ManifestError([Issue(first.file, first.line, "spec", f"reference cycle: {path}")]) from None
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        graph.layers.append(ready)
        sorter.done(*ready)
    return graph


def _dangling(kind: str, name: str, declared: set[str]) -> str:
    """Say what a dangling reference needs: a declared name (with the likeliest one), or an ARN."""
    import difflib

    msg = f"refers to {kind} {name!r}, which is not declared in the manifests"
    by_lower = {n.lower(): n for n in declared}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    if close:
        msg += f"; did you mean {by_lower[close[0]]!r}?"
    elif declared:
        msg += f"; declared {kind} names: {', '.join(sorted(declared)[:10])}"
    return msg + f" (give the name of {a(kind)} in the manifests, or an ARN)"
