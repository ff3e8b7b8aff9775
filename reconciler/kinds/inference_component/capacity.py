"""Do the inference components on one endpoint fit its instances? (static: validate, before any write)

Per instance: accelerators and memory from the instance table (``reconciler.awsmodel.instances``); the
endpoint has ``instance.count`` instances, or up to ``managedScaling.maxCount`` (SageMaker adds instances
for a component that does not fit, up to that maximum). Copies are placed whole on one instance each, so
the check places copies first-fit, largest first, as SageMaker's placement would at best."""

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


def endpoint_needs(endpoint: Resource, components: list[Resource]) -> list[Need]:
    out = []
    ic = endpoint.spec.inferenceComponent
    if ic is not None:
        out += needs_of(f"Endpoint/{endpoint.name}", ic.copies, ic.acceleratorDevices, ic.memoryMb)
    for c in components:
        out += needs_of(c.id, c.spec.copies, c.spec.acceleratorDevices, c.spec.memoryMb)
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
    """One error per endpoint whose declared components cannot fit its instances, saying by how much."""
    endpoints = {r.name: r for r in resources if r.kind == "Endpoint"}
    by_endpoint: dict[str, list[Resource]] = {}
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
        _, left = place(needs, (inst.accelerators, inst.memory_mb), most)
        if left:
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
            first = comps[0]
            issues.append(first.issue(("spec", "endpoint"), (
                f"the inference components on Endpoint/{name} ({ep.spec.instance.type}, at most {most} instance(s)) "
                f"cannot all fit: {'; '.join(by)}; not placed: {', '.join(unplaced)}. Lower copies or compute, or "
                "raise instance.count / managedScaling.maxCount")))
    return issues


def scale_out(endpoint: Resource, components: list[Resource]) -> int:
    """How many instances beyond ``instance.count`` the declared components need (0: they fit)."""
    lim = limits(endpoint)
    if lim is None:
        return 0
    inst, count, most = lim
    used, _ = place(endpoint_needs(endpoint, components), (inst.accelerators, inst.memory_mb), most)
    return max(0, used - count)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
