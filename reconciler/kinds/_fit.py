"""Does what an LLM server asks for fit the instance type? (static, from reconciler/awsmodel/instances.py)

An inference component's accelerators, CPU cores and memory per copy, and TGI's ``SM_NUM_GPUS``, must fit
one instance of the endpoint's type: AWS accepts such a request and then fails the deployment (or TGI
fails to shard) minutes later. A type missing from the table is not checked, with a warning.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import Issue
from reconciler.kinds.base import Resource

#: where a kind keeps the instance type, the per-copy requirements and the container environment
FIT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "Endpoint": (("spec", "instance", "type"), ("spec", "inferenceComponent"), ("spec", "model", "environment")),
}


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        if obj is None:
            return None
        obj = obj.get(step) if isinstance(obj, dict) else getattr(obj, step, None)
    return obj


def issues(res: Resource) -> list[Issue]:
    from reconciler.awsmodel import instances

    fields = FIT_FIELDS.get(res.kind)
    if fields is None:
        return []
    type_path, ic_path, env_path = fields
    doc = {"spec": res.spec}
    itype = _get(doc, type_path)
    if not isinstance(itype, str):
        return []
    inst = instances.lookup(itype)
    ic = _get(doc, ic_path)
    env = _get(doc, env_path) or {}
    gpus = env.get("SM_NUM_GPUS") if isinstance(env, dict) else None
    asks = ic is not None or gpus is not None
    if inst is None:
        if asks and instances.is_accelerated(itype):
            return [res.issue(type_path, f"{itype} is not in reconcile's table of accelerated instances "
                              "(reconciler/awsmodel/instances.py): accelerators, vCPUs and memory are not checked "
                              "against it", "warning")]
        return []
    has = instances.describe(itype, inst)
    out: list[Issue] = []
    if ic is not None:
        acc = _get(ic, ("acceleratorDevices",))
        if acc is not None and acc > inst.accelerators:
            out.append(res.issue((*ic_path, "acceleratorDevices"), f"{_n(acc)} accelerators per copy do not fit: {has}"))
        cpu = _get(ic, ("cpuCores",))
        if cpu is not None and cpu > inst.vcpus:
            out.append(res.issue((*ic_path, "cpuCores"), f"{_n(cpu)} CPU cores per copy do not fit: {has}"))
        for key in ("memoryMb", "maxMemoryMb"):
            mem = _get(ic, (key,))
            if mem is not None and mem > inst.memory_mb:
                out.append(res.issue((*ic_path, key), f"{mem} MB per copy does not fit: {has}"))
    if isinstance(gpus, str) and not inst.neuron:
        try:
            n = int(gpus)
        except ValueError:
            out.append(res.issue((*env_path, "SM_NUM_GPUS"), f"{gpus!r} is not a whole number of GPUs"))
        else:
            if n < 1 or n > inst.accelerators:
                out.append(res.issue((*env_path, "SM_NUM_GPUS"),
                                     f"{n} GPUs do not fit: {has}; allowed: 1 to {inst.accelerators}"))
    return out


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
