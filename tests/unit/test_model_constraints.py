"""Validate checks API-bound spec fields against botocore's model (kinds/_constraints.py) and LLM fit (kinds/_fit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import awsmodel
from reconciler import manifests as mf
from reconciler.awsmodel import instances
from reconciler.errors import Issue, ManifestError
from reconciler.kinds import REGISTRY, _constraints
from tests.support.manifests import write

ENDPOINT = """
apiVersion: reconciler/v1
kind: Endpoint
metadata:
  name: {name}
spec:
  type: {type}
  executionRole: arn:aws:iam::123456789012:role/exec
  model:
    image: {{huggingfaceLlm: {{version: "2.2.0"}}}}
    environment: {env}
  instance: {{type: {instance}}}
{extra}
"""


def endpoint(tmp_path: Path, name: str = "llm", type: str = "model-based", env: str = "{HF_MODEL_ID: x}",
             instance: str = "ml.g5.2xlarge", extra: str = "") -> Path:
    return write(tmp_path / "m", {"e.yaml": ENDPOINT.format(name=name, type=type, env=env, instance=instance, extra=extra)})


def errors_of(root: Path) -> list[Issue]:
    with pytest.raises(ManifestError) as e:
        mf.load(root)
    return e.value.issues


def test_every_mapping_points_at_a_real_shape() -> None:
    assert set(_constraints.MAPPINGS) == set(REGISTRY)  # every kind's API-bound fields are bound
    for kind, params in _constraints.MAPPINGS.items():
        for p in params:
            assert awsmodel.shape(p.service, p.ref) is not None, (kind, p)


def test_68_character_endpoint_name_fails_and_names_the_longest_that_fits(tmp_path: Path) -> None:
    name = "a-" * 33 + "ab"  # 68 characters, matches the endpoint name pattern
    [issue] = errors_of(endpoint(tmp_path, name=name))
    assert issue.field == "metadata.name" and "(68 characters)" in issue.message
    assert "at most 63 characters" in issue.message and "the longest Endpoint name that fits is 63 characters" in issue.message


def test_instance_type_did_you_mean(tmp_path: Path) -> None:
    [issue] = errors_of(endpoint(tmp_path, instance="ml.g5.2xlarg"))
    assert issue.field == "spec.instance.type" and issue.line == 11
    assert issue.message.endswith("did you mean ml.g5.2xlarge?")


def test_derived_names_that_do_not_fit_name_the_longest_endpoint_name(tmp_path: Path) -> None:
    res = mf.load(endpoint(tmp_path, name="e" * 40)).resources[0]

    def naive(endpoint: str) -> dict[str, str]:  # a naming that does not cut the endpoint name
        return {"CreateModel.ModelName": f"{endpoint}-0123456789abcdef0123456789"}

    [issue] = _constraints.check(res, derived=naive)
    assert issue.field == "metadata.name"
    assert "the ModelName derived from this name" in issue.message and "at most 63 characters, got 67" in issue.message
    assert "the longest Endpoint name that fits is 36 characters" in issue.message


def test_secret_references_are_not_checked_as_strings(tmp_path: Path) -> None:
    mf.load(endpoint(tmp_path, env="{HF_MODEL_ID: x, HUGGING_FACE_HUB_TOKEN: {secretsManager: hf-token}}"))


def test_fit_on_neuron_counts_cores_and_skips_sm_num_gpus(tmp_path: Path) -> None:
    extra = "  inferenceComponent: {acceleratorDevices: 2, memoryMb: 8192}"
    mf.load(endpoint(tmp_path, type="inference-component-based", instance="ml.inf2.xlarge", env='{SM_NUM_GPUS: "8"}',
                     extra=extra))
    extra = "  inferenceComponent: {acceleratorDevices: 3, memoryMb: 8192}"
    [issue] = errors_of(endpoint(tmp_path / "b", type="inference-component-based", instance="ml.inf2.xlarge", extra=extra))
    assert "has 2 NeuronCores (AWS Inferentia2, 32768 MiB)" in issue.message


def test_sm_num_gpus_must_be_a_number_within_the_instance(tmp_path: Path) -> None:
    mf.load(endpoint(tmp_path, instance="ml.g5.12xlarge", env='{SM_NUM_GPUS: "4"}'))
    [issue] = errors_of(endpoint(tmp_path / "b", instance="ml.g5.12xlarge", env='{SM_NUM_GPUS: "all"}'))
    assert issue.field == "spec.model.environment.SM_NUM_GPUS" and "not a whole number" in issue.message


def test_accelerated_type_missing_from_the_table_warns(tmp_path: Path) -> None:
    assert "ml.g7.2xlarge" in awsmodel.constraints("sagemaker", "ProductionVariantInstanceType").enum
    assert instances.lookup("ml.g7.2xlarge") is None and instances.is_accelerated("ml.g7.2xlarge")
    loaded = mf.load(endpoint(tmp_path, instance="ml.g7.2xlarge", env='{SM_NUM_GPUS: "1"}'))
    [warning] = loaded.warnings
    assert warning.field == "spec.instance.type" and "not in reconcile's table of accelerated instances" in warning.message
    assert not mf.load(endpoint(tmp_path / "cpu", instance="ml.m5.xlarge")).warnings


def test_a_field_the_kind_already_reported_is_not_reported_twice(tmp_path: Path) -> None:
    role = """
    apiVersion: reconciler/v1
    kind: Role
    metadata:
      name: {name}
    spec:
      assumedBy: [sagemaker.amazonaws.com]
    """
    issues = errors_of(write(tmp_path / "r", {"r.yaml": role.format(name="r" * 65)}))
    assert [i.field for i in issues] == ["metadata.name"]


def test_function_and_http_api_fields_are_checked(tmp_path: Path) -> None:
    (tmp_path / "m" / "src").mkdir(parents=True)
    (tmp_path / "m" / "src" / "handler.py").write_text("def handler(e, c):\n    return 1\n")
    docs = {"f.yaml": """
    apiVersion: reconciler/v1
    kind: Function
    metadata:
      name: hello
      tags: {"bad#key": x}
    spec:
      code: src
      runtime: python3.12
      handler: handler.handler
      role: arn:aws:iam::123456789012:role/lambda-exec
    """}
    [issue] = errors_of(write(tmp_path / "m", docs))
    assert issue.field == "metadata.tags.bad#key" and "(lambda TagKey)" in issue.message
