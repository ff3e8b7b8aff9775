"""Do the inference components on one endpoint fit its instances? (static: validate, before any write)

Per instance: accelerators and memory from the instance table (``reconciler.awsmodel.instances``); the
endpoint has ``instance.count`` instances, or up to ``managedScaling.maxCount`` (SageMaker adds instances
for a component that does not fit, up to that maximum). Copies are placed whole on one instance each, so
the check places copies first-fit, largest first, as SageMaker's placement would at best.

Twice: the declared copies, and each component at its most copies (``autoscaling.maxCount``, or a
scheduled action's count when higher): copies the autoscaler or a schedule asks for that cannot be placed
never serve, and the endpoint's instances cannot grow past its maximum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.errors import Issue
from reconciler.kinds.base import Resource


@dataclass(frozen=True)
class Need:
    """One copy of a component: what it asks of an instance."""

    owner: str
    accelerators: float
    memory_mb: int


@dataclass(frozen=True)
class Component:
    """One component on an endpoint: the resource declaring it, where in its spec it sits, its compute per copy."""

    res: Resource
    owner: str
    at: tuple[str, ...]  # the component's fields: ("spec",) or ("spec", "inferenceComponent")
    spec: Any  # acceleratorDevices, memoryMb, copies
    scaling: Any  # the AutoscalingSpec of its copies, or None

    def most(self) -> tuple[int, tuple[Any, ...] | None]:
        """(most copies, the field that allows them: None when that is the declared ``copies``)."""
        best, field = self.spec.copies, None
        a = self.scaling
        if a is None:
            return best, field
        options: list[tuple[int | None, tuple[Any, ...]]] = [(a.maxCount, ("spec", "autoscaling", "maxCount"))]
        for i, s in enumerate(a.schedule):
            options += [(s.maxCount, ("spec", "autoscaling", "schedule", i, "maxCount")),
                        (s.minCount, ("spec", "autoscaling", "schedule", i, "minCount"))]
        for n, path in options:
            if n is not None and n > best:
                best, field = n, path
        return best, field


def needs_of(owner: str, copies: int, accelerators: float | None, memory_mb: int) -> list[Need]:
    return [Need(owner, float(accelerators or 0), int(memory_mb)) for _ in range(copies)]


def place(needs: list[Need], per_instance: tuple[float, int], instances: int) -> tuple[int, list[Need]]:
    """(instances used, copies left over) placing ``needs`` first-fit, largest first."""
    acc, mem = per_instance
    free: list[list[float]] = []
    left = []
    for n in sorted(needs, key=lambda n: (n.accelerators, n.memory_mb), reverse=True):
        for slot in free:
            if slot[0] >= n.accelerators and slot[1] >= n.memory_mb:
                slot[0] -= n.accelerators
                slot[1] -= n.memory_mb
                break
        else:
            if len(free) < instances and acc >= n.accelerators and mem >= n.memory_mb:
                free.append([acc - n.accelerators, mem - n.memory_mb])
            else:
                left.append(n)
    return len(free), left


def components_on(endpoint: Resource, components: list[Resource]) -> list[Component]:
    """The endpoint's inline component (its ``inferenceComponent``) and the InferenceComponent documents on it."""
    out = []
    ic = endpoint.spec.inferenceComponent
    if ic is not None:
        out.append(Component(endpoint, f"Endpoint/{endpoint.name}", ("spec", "inferenceComponent"), ic,
                             endpoint.spec.autoscaling))
    return out + [Component(c, c.id, ("spec",), c.spec, c.spec.autoscaling) for c in components]


def endpoint_needs(endpoint: Resource, components: list[Resource], at_most: bool = False) -> list[Need]:
    """Every copy the components ask for: as declared, or (``at_most``) each at its most copies."""
    out = []
    for c in components_on(endpoint, components):
        copies = c.most()[0] if at_most else c.spec.copies
        out += needs_of(c.owner, copies, c.spec.acceleratorDevices, c.spec.memoryMb)
    return out


def limits(endpoint: Resource) -> tuple[Any, int, int] | None:
    """(instance facts, fixed count, most instances) of an endpoint; None when its type is not in the table."""
    try:
        from reconciler.awsmodel.instances import lookup
    except ImportError:  # (the table not installed: nothing to check against)
        return None
    inst = lookup(endpoint.spec.instance.type)
    if inst is None:
        return None
    scaling = endpoint.spec.instance.managedScaling
    count = endpoint.spec.instance.count
    return inst, count, max(count, scaling.maxCount if scaling else count)


def check(resources: list[Resource]) -> list[Issue]:
    """One error per endpoint whose components cannot fit its instances, as declared or at their most
    copies, saying by how much and what to change."""
    endpoints = {r.name: r for r in resources if r.kind == "Endpoint"}
    by_endpoint: dict[str, list[Resource]] = {n: [] for n, r in endpoints.items() if r.spec.inferenceComponent}
    for r in resources:
        if r.kind == "InferenceComponent" and r.spec.endpoint in endpoints:
            by_endpoint.setdefault(r.spec.endpoint, []).append(r)
    issues = []
    for name, comps in sorted(by_endpoint.items()):
        ep = endpoints[name]
        if ep.spec.type != "inference-component-based":
            for c in comps:
                issues.append(c.issue(("spec", "endpoint"), f"Endpoint/{name} is {ep.spec.type}; inference "
                                                            "components need type inference-component-based"))
            continue
        lim = limits(ep)
        if lim is None:
            continue
        inst, _, most = lim
        needs = endpoint_needs(ep, comps)
        if not comps and any(n.accelerators > inst.accelerators or n.memory_mb > inst.memory_mb for n in needs):
            continue  # one copy larger than an instance: the Endpoint's own check says so (kinds/_fit.py)
        declared = _overflow(needs, inst, most)
        where = f"Endpoint/{name} ({ep.spec.instance.type}, at most {most} instance(s))"
        if declared:
            first = comps[0] if comps else ep
            field = ("spec", "endpoint") if comps else ("spec", "inferenceComponent", "copies")
            issues.append(first.issue(field, f"the inference components on {where} cannot all fit: {declared}. "
                                             "Lower copies or compute, or raise instance.count / managedScaling.maxCount"))
            continue
        at_most = _overflow(endpoint_needs(ep, comps, at_most=True), inst, most)
        if at_most:
            grown = [(comp, n, f) for comp in components_on(ep, comps) for n, f in [comp.most()] if f is not None]
            top, _, top_field = grown[0]
            said = ", ".join(f"{g.owner}: {n} copies by {_path(f)}" for g, n, f in grown)
            issues.append(top.res.issue(top_field, (
                f"the inference components on {where} cannot all fit at their most copies ({said}): {at_most}. "
                "Copies beyond that are never placed: lower autoscaling maxCount (or the schedule's counts), or "
                "raise instance.count / managedScaling.maxCount")))
    return issues


def _overflow(needs: list[Need], inst: Any, most: int) -> str | None:
    """What does not fit when ``needs`` are placed on ``most`` instances (None: they all fit)."""
    _, left = place(needs, (inst.accelerators, inst.memory_mb), most)
    if not left:
        return None
    acc = sum(n.accelerators for n in needs)
    mem = sum(n.memory_mb for n in needs)
    over_acc = acc - inst.accelerators * most
    over_mem = mem - inst.memory_mb * most
    by = []
    if over_acc > 0:
        by.append(f"{_num(over_acc)} accelerator(s) too many ({_num(acc)} asked, {inst.accelerators} x {most} "
                  "instance(s))")
    if over_mem > 0:
        by.append(f"{over_mem} MB of memory too many ({mem} MB asked, {inst.memory_mb} MB x {most})")
    if not by:
        by.append("copies do not fit whole on one instance each")
    unplaced = sorted({n.owner for n in left})
    return f"{'; '.join(by)}; not placed: {', '.join(unplaced)}"


def scale_out(endpoint: Resource, components: list[Resource]) -> int:
    """How many instances beyond ``instance.count`` the declared components need (0: they fit)."""
    lim = limits(endpoint)
    if lim is None:
        return 0
    inst, count, most = lim
    used, _ = place(endpoint_needs(endpoint, components), (inst.accelerators, inst.memory_mb), most)
    return max(0, used - count)


def _path(field: tuple[Any, ...]) -> str:
    return ".".join(str(x) for x in field[1:])


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
