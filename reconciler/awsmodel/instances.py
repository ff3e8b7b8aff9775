"""What each accelerated ml.* instance type has: accelerators, accelerator memory, vCPUs, memory.

Figures are EC2's DescribeInstanceTypes for the same hardware (ml.X has X's), GPU memory in MiB as
``GpuInfo.TotalGpuMemoryInMiB`` reports it: an A10G or L4 has 22,888 MiB usable, an L40S 45,776 MiB (the
marketing "24 GB" / "48 GB" overstate it by about 7%). The dataset this table is checked against, with its
source and date, is ``data/accelerated-instances.csv`` (tests/unit/test_instances.py).

Neuron instances (inf2, trn1) count their accelerators here in NeuronCores (2 per Inferentia2 or Trainium
chip), the finer of the two units an inference component can ask for, so a fit check never refuses what
fits; ``chips`` keeps the chip count. A type missing from this table is not checked (validate warns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: the dataset the table is checked against (source and date in its header)
DATASET = "data/accelerated-instances.csv"


@dataclass(frozen=True)
class Instance:
    accelerators: int  # GPUs, or NeuronCores for Neuron instances
    accelerator: str  # e.g. "NVIDIA A10G"
    accelerator_memory_mib: int  # total over all accelerators
    vcpus: int
    memory_gib: int
    neuron: bool = False

    @property
    def memory_mb(self) -> int:
        return self.memory_gib * 1024

    @property
    def chips(self) -> int:
        return self.accelerators // 2 if self.neuron else self.accelerators


def _gpu(name: str, per_gpu_mib: int, sizes: dict[str, tuple[int, int, int]]) -> dict[str, Instance]:
    return {f"ml.{size}": Instance(g, name, g * per_gpu_mib, v, m) for size, (g, v, m) in sizes.items()}


def _neuron(name: str, sizes: dict[str, tuple[int, int, int]]) -> dict[str, Instance]:
    # (chips, vCPUs, memory GiB); 2 NeuronCores and 32 GiB (32768 MiB) of accelerator memory per chip
    return {f"ml.{size}": Instance(2 * c, name, 32768 * c, v, m, neuron=True) for size, (c, v, m) in sizes.items()}


#: (GPUs, vCPUs, memory GiB) per size
_G5_G6 = {"xlarge": (1, 4, 16), "2xlarge": (1, 8, 32), "4xlarge": (1, 16, 64), "8xlarge": (1, 32, 128),
          "12xlarge": (4, 48, 192), "16xlarge": (1, 64, 256), "24xlarge": (4, 96, 384), "48xlarge": (8, 192, 768)}
_G6E = {"xlarge": (1, 4, 32), "2xlarge": (1, 8, 64), "4xlarge": (1, 16, 128), "8xlarge": (1, 32, 256),
        "12xlarge": (4, 48, 384), "16xlarge": (1, 64, 512), "24xlarge": (4, 96, 768), "48xlarge": (8, 192, 1536)}
_G4DN = {"xlarge": (1, 4, 16), "2xlarge": (1, 8, 32), "4xlarge": (1, 16, 64), "8xlarge": (1, 32, 128),
         "12xlarge": (4, 48, 192), "16xlarge": (1, 64, 256)}

#: usable memory per GPU in MiB (DescribeInstanceTypes' GpuInfo), GPUs / vCPUs / GiB per size
INSTANCES: dict[str, Instance] = {
    **_gpu("NVIDIA A10G", 22888, {f"g5.{k}": v for k, v in _G5_G6.items()}),
    **_gpu("NVIDIA L4", 22888, {f"g6.{k}": v for k, v in _G5_G6.items()}),
    **_gpu("NVIDIA L40S", 45776, {f"g6e.{k}": v for k, v in _G6E.items()}),
    **_gpu("NVIDIA T4", 16384, {f"g4dn.{k}": v for k, v in _G4DN.items()}),
    **_gpu("NVIDIA A100", 40960, {"p4d.24xlarge": (8, 96, 1152)}),
    **_gpu("NVIDIA A100 80GB", 81920, {"p4de.24xlarge": (8, 96, 1152)}),
    **_gpu("NVIDIA H100", 81920, {"p5.48xlarge": (8, 192, 2048), "p5.4xlarge": (1, 16, 256)}),
    **_gpu("NVIDIA H200", 144384, {"p5e.48xlarge": (8, 192, 2048), "p5en.48xlarge": (8, 192, 2048)}),
    **_neuron("AWS Inferentia2", {"inf2.xlarge": (1, 4, 16), "inf2.8xlarge": (1, 32, 128),
                                  "inf2.24xlarge": (6, 96, 384), "inf2.48xlarge": (12, 192, 768)}),
    **_neuron("AWS Trainium", {"trn1.2xlarge": (1, 8, 32), "trn1.32xlarge": (16, 128, 512),
                               "trn1n.32xlarge": (16, 128, 512)}),
}

#: instance families with accelerators (GPU, Inferentia, Trainium, Gaudi): ml.<family>.<size>
_ACCELERATED_FAMILY = ("g", "p", "inf", "trn", "dl")


def lookup(instance_type: str) -> Instance | None:
    return INSTANCES.get(instance_type)


def is_accelerated(instance_type: str) -> bool:
    """True for ml.g*, ml.p*, ml.inf*, ml.trn*, ml.dl* types (whether or not they are in the table)."""
    parts = instance_type.split(".")
    if len(parts) != 3:
        return False
    letters = re.match(r"[a-z]*", parts[1])
    return letters is not None and letters[0] in _ACCELERATED_FAMILY


def describe(instance_type: str, inst: Instance) -> str:
    unit = "NeuronCores" if inst.neuron else ("GPU" if inst.accelerators == 1 else "GPUs")
    return (f"{instance_type} has {inst.accelerators} {unit} ({inst.accelerator}, {inst.accelerator_memory_mib} MiB), "
            f"{inst.vcpus} vCPUs and {inst.memory_gib} GiB ({inst.memory_mb} MB) of memory")
