"""The table of accelerated instances (reconciler/awsmodel/instances.py) against the dataset it cites."""

from __future__ import annotations

import csv
from pathlib import Path

from reconciler import awsmodel
from reconciler.awsmodel import instances

DATASET = Path(instances.__file__).parent / instances.DATASET


def rows() -> dict[str, dict[str, str]]:
    lines = [line for line in DATASET.read_text().splitlines() if not line.startswith("#")]
    return {r["instance_type"]: r for r in csv.DictReader(lines)}


def test_the_dataset_names_its_source_and_date() -> None:
    header = "\n".join(line for line in DATASET.read_text().splitlines() if line.startswith("#"))
    assert "Source: EC2 DescribeInstanceTypes" in header and "skypilot-org/skypilot-catalog" in header
    assert "Date: 20" in header


def test_every_row_of_the_table_is_the_dataset_s() -> None:
    data = rows()
    assert set(instances.INSTANCES) == set(data)
    for name, inst in instances.INSTANCES.items():
        r = data[name]
        assert (inst.accelerator, inst.chips, inst.accelerator_memory_mib, inst.vcpus, inst.memory_gib) == (
            r["accelerator"], int(r["accelerator_count"]), int(r["accelerator_memory_mib"]), int(r["vcpus"]),
            int(r["memory_gib"])), name


def test_gpu_memory_is_what_describe_instance_types_reports_not_the_marketing_figure() -> None:
    assert instances.lookup("ml.g5.2xlarge").accelerator_memory_mib == 22888  # not 24 GiB (24576)
    assert instances.lookup("ml.g6.12xlarge").accelerator_memory_mib == 4 * 22888
    assert instances.lookup("ml.g6e.xlarge").accelerator_memory_mib == 45776  # not 48 GiB (49152)
    assert instances.lookup("ml.g5.12xlarge").accelerator_memory_mib == 91552
    assert "ml.g5.2xlarge has 1 GPU (NVIDIA A10G, 22888 MiB)" in instances.describe(
        "ml.g5.2xlarge", instances.lookup("ml.g5.2xlarge"))


def test_neuron_instances_count_neuron_cores_and_32_gib_per_chip() -> None:
    inf2 = instances.lookup("ml.inf2.24xlarge")
    assert (inf2.accelerators, inf2.chips, inf2.accelerator_memory_mib) == (12, 6, 6 * 32768)


def test_the_table_only_holds_types_sagemaker_knows() -> None:
    enum = awsmodel.constraints("sagemaker", "ProductionVariantInstanceType").enum
    assert set(instances.INSTANCES) <= set(enum)
    assert instances.lookup("ml.p4d.24xlarge").accelerators == 8 and instances.lookup("ml.g6e.xlarge").memory_gib == 32
