"""Placing inference component copies on an endpoint's instances, as SageMaker does.

An endpoint has instances x (accelerators, memory) of its instance type. Copies of all its components
share them; each copy sits whole on one instance. A component that does not fit makes managed instance
scaling add instances up to MaxInstanceCount (that takes as long as a create); without room it fails with a
FailureReason. Instance types missing from the table are not checked (anything fits)."""

from __future__ import annotations

from typing import Any

from .common import _ics


def _per_instance(instance_type: str) -> tuple[float, int] | None:
    try:
        from reconciler.awsmodel.instances import lookup
    except ImportError:
        return None
    inst = lookup(instance_type)
    return (float(inst.accelerators), inst.memory_mb) if inst else None


def _copies(spec: dict[str, Any], count: int) -> list[tuple[float, int]]:
    req = spec.get("ComputeResourceRequirements") or {}
    return [(float(req.get("NumberOfAcceleratorDevicesRequired") or 0), int(req.get("MinMemoryRequiredInMb") or 0))
            ] * count


def _instances_needed(copies: list[tuple[float, int]], per: tuple[float, int]) -> int | None:
    """Instances first-fit placement uses (largest first); None when one copy exceeds an instance."""
    free: list[list[float]] = []
    for acc, mem in sorted(copies, reverse=True):
        if acc > per[0] or mem > per[1]:
            return None
        for slot in free:
            if slot[0] >= acc and slot[1] >= mem:
                slot[0] -= acc
                slot[1] -= mem
                break
        else:
            free.append([per[0] - acc, per[1] - mem])
    return len(free)


def place(backend: Any, ep: Any, cfg: Any, name: str, spec: dict[str, Any], count: int) -> tuple[str | None, bool]:
    """(FailureReason or None, scaled out?) for component ``name`` running ``count`` copies of ``spec`` on ``ep``.
    Scaling out raises the variant's instance count now (the component's create takes the extra time)."""
    if cfg is None or not ep.production_variants:
        return None, False
    variant = next((v for v in cfg.production_variants if v["VariantName"] == ep.production_variants[0]["VariantName"]),
                   cfg.production_variants[0])
    per = _per_instance(variant.get("InstanceType") or "")
    if per is None:
        return None, False
    live = ep.production_variants[0]
    now = int(live.get("CurrentInstanceCount") or variant.get("InitialInstanceCount") or 1)
    scaling = variant.get("ManagedInstanceScaling") or {}
    most = int(scaling["MaxInstanceCount"]) if scaling.get("Status") == "ENABLED" else now
    copies = _copies(spec, count)
    for other in _ics(backend).values():
        if other.endpoint_name == ep.endpoint_name and other.name != name and other.status not in ("Deleting", "Failed"):
            copies += _copies(other.specification, other.desired_copy_count)
    needed = _instances_needed(copies, per)
    if needed is not None and needed <= now:
        return None, False
    if needed is not None and needed <= most:
        live["CurrentInstanceCount"] = live["DesiredInstanceCount"] = needed
        return None, True
    acc, mem = sum(c[0] for c in copies), sum(c[1] for c in copies)
    return (f"Unable to place inference component {name}: endpoint {ep.endpoint_name} has {now if most == now else most} "
            f"instance(s) of {variant.get('InstanceType')} ({per[0]:g} accelerators, {per[1]} MB each); its components "
            f"ask {acc:g} accelerators and {mem} MB in all" + (" and managed instance scaling is at its maximum"
                                                              if scaling else "")), False
