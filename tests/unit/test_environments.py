"""The compose phase: Environment documents, strategic-merge patches, per-environment documents, file:line."""

from __future__ import annotations

import pytest
import yaml

from reconciler import manifests as mf
from reconciler.environments import EnvironmentsRequired, merge, rendered
from reconciler.errors import ManifestError, UsageError
from tests.support.manifests import write

STACK = """
apiVersion: reconciler/v1
kind: Stack
metadata: {name: llm}
spec: {region: us-east-1}
"""

IAM = """
apiVersion: reconciler/v1
kind: Role
metadata:
  name: app-role
  tags: {team: ml, tier: base}
spec:
  assumedBy: [sagemaker.amazonaws.com, lambda.amazonaws.com]
  maxSessionDuration: 3600
  description: base
---
apiVersion: reconciler/v1
kind: Policy
metadata:
  name: prod-only
  annotations: {reconciler/environments: "prod"}
spec:
  document:
    Version: "2012-10-17"
    Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]
"""

DEV = """
apiVersion: reconciler/v1
kind: Environment
metadata: {name: dev}
spec:
  stack: llm-dev
  accountId: "111122223333"
  patches:
    - target: Role/app-role
      patch:
        metadata: {tags: {tier: null, env: dev}}
        spec: {maxSessionDuration: 7200, description: null, assumedBy: [sagemaker.amazonaws.com]}
"""

PROD = """
apiVersion: reconciler/v1
kind: Environment
metadata: {name: prod}
spec:
  region: eu-west-1
"""


def folder(tmp_path, **extra):
    files = {"stack.yaml": STACK, "iam.yaml": IAM, "environments/dev.yaml": DEV, "environments/prod.yaml": PROD}
    files.update(extra)
    return write(tmp_path / "m", files)


def test_merge_maps_merge_lists_replace_null_removes():
    base = {"spec": {"a": 1, "b": {"x": 1, "y": 2}, "l": [1, 2, 3], "gone": {"deep": 1}}}
    lines = {("spec",): 1, ("spec", "a"): 2, ("spec", "b"): 3, ("spec", "b", "x"): 3, ("spec", "b", "y"): 4,
             ("spec", "l"): 5, ("spec", "l", 0): 5, ("spec", "gone"): 6, ("spec", "gone", "deep"): 7}
    patch = {"spec": {"b": {"y": 20, "z": 30}, "l": [9], "gone": None, "new": {"k": "v"}}}
    plines = {("p", "spec"): 40, ("p", "spec", "b"): 41, ("p", "spec", "b", "y"): 42, ("p", "spec", "b", "z"): 43,
              ("p", "spec", "l"): 44, ("p", "spec", "gone"): 45, ("p", "spec", "new"): 46}
    origins: dict = {}
    merge(base, patch, (), lines, ("p",), plines, "env.yaml", origins)
    assert base == {"spec": {"a": 1, "b": {"x": 1, "y": 20, "z": 30}, "l": [9], "new": {"k": "v"}}}
    # untouched paths keep their base line; patched ones remember the patch's file:line
    assert lines[("spec", "a")] == 2 and lines[("spec", "b", "y")] == 4
    assert ("spec", "gone", "deep") not in lines and ("spec", "l", 0) not in lines
    assert origins == {("spec", "b", "y"): ("env.yaml", 42), ("spec", "b", "z"): ("env.yaml", 43),
                       ("spec", "l"): ("env.yaml", 44), ("spec", "gone"): ("env.yaml", 45),
                       ("spec", "new"): ("env.yaml", 46)}
    assert lines[("spec", "new")] == 1  # a new path points at its parent in the base document


def test_each_environment_sees_its_patched_documents(tmp_path):
    m = folder(tmp_path)
    dev = mf.load(m, "dev")
    role = dev.by_id()[("Role", "app-role")]
    assert role.spec.maxSessionDuration == 7200 and role.spec.description == ""  # removed: the default
    assert list(role.spec.assumedBy) == ["sagemaker.amazonaws.com"]  # the list was replaced, not merged
    assert role.tags == {"team": "ml", "env": "dev"}
    assert ("Policy", "prod-only") not in dev.by_id()  # annotated for prod only
    assert (dev.stack.name, dev.stack.spec.region, dev.stack.spec.accountId) == ("llm-dev", "us-east-1", "111122223333")
    assert dev.environment == "dev"
    prod = mf.load(m, "prod")
    assert prod.by_id()[("Role", "app-role")].spec.maxSessionDuration == 3600
    assert ("Policy", "prod-only") in prod.by_id()
    assert (prod.stack.name, prod.stack.spec.region) == ("llm-prod", "eu-west-1")  # default: <Stack>-<env>


def test_commands_need_env_when_environments_exist_and_refuse_unknown_ones(tmp_path):
    m = folder(tmp_path)
    with pytest.raises(EnvironmentsRequired) as e:
        mf.load(m, command="plan")
    assert e.value.names == ["dev", "prod"] and "plan needs --env NAME" in str(e.value)
    with pytest.raises(UsageError, match="no such environment; the manifests declare: dev, prod"):
        mf.load(m, "staging")
    plain = write(tmp_path / "plain", {"iam.yaml": IAM.split("---")[0]})
    with pytest.raises(UsageError, match="declare no environments"):
        mf.load(plain, "dev")
    assert mf.load(plain).environment is None


def test_patch_errors_name_environment_base_line_and_patch_line(tmp_path):
    bad = DEV.replace("maxSessionDuration: 7200", "maxSessionDuration: 99999")
    m = folder(tmp_path, **{"environments/dev.yaml": bad})
    with pytest.raises(ManifestError) as e:
        mf.load(m, "dev")
    [issue] = e.value.issues
    assert issue.file.endswith("iam.yaml") and issue.line == 8  # the base document's line of the field
    assert issue.field == "spec.maxSessionDuration"
    assert "environment 'dev'" in issue.message
    assert "environments/dev.yaml:11" in issue.message  # the patch's line
    mf.load(m, "prod")  # the other environment is fine


def test_patch_on_a_missing_or_excluded_document_is_an_error_at_the_patch(tmp_path):
    bad = DEV.replace("target: Role/app-role", "target: Role/nope") + """\
    - target: Policy/prod-only
      patch: {spec: {description: x}}
"""
    m = folder(tmp_path, **{"environments/dev.yaml": bad})
    with pytest.raises(ManifestError) as e:
        mf.load(m, "dev")
    text = str(e.value)
    assert "environments/dev.yaml:8: spec.patches.0.target: the patch on Role/nope: no such document" in text
    assert "environments/dev.yaml:12: spec.patches.1.target: the patch on Policy/prod-only: not in this environment" in text


def test_two_environments_with_one_stack_name_are_refused(tmp_path):
    m = folder(tmp_path, **{"environments/prod.yaml": PROD + "  stack: llm-dev\n"})
    with pytest.raises(ManifestError, match="environments 'dev' and 'prod' both deploy as stack 'llm-dev'"):
        mf.load(m, "dev")


def test_unknown_environment_in_the_annotation_is_an_error(tmp_path):
    m = folder(tmp_path, **{"iam.yaml": IAM.replace('"prod"', '"prod,qa"')})
    with pytest.raises(ManifestError, match="unknown environment 'qa'; the manifests declare: dev, prod"):
        mf.load(m, "prod")


def test_render_prints_what_the_environment_sees_and_it_loads_the_same(tmp_path):
    m = folder(tmp_path)
    text = rendered(str(m), "dev")
    docs = list(yaml.safe_load_all(text))
    assert {d["kind"] for d in docs} == {"Stack", "Role"}
    stack = next(d for d in docs if d["kind"] == "Stack")
    assert stack["metadata"]["name"] == "llm-dev" and stack["spec"]["accountId"] == "111122223333"
    out = tmp_path / "out"
    out.mkdir()
    (out / "all.yaml").write_text(text)
    again = mf.load(out)
    assert again.stack.name == "llm-dev"
    assert again.by_id()[("Role", "app-role")].spec == mf.load(m, "dev").by_id()[("Role", "app-role")].spec


def test_metadata_name_can_be_patched(tmp_path):
    renamed = DEV.replace("metadata: {tags: {tier: null, env: dev}}", "metadata: {name: app-role-dev}")
    m = folder(tmp_path, **{"environments/dev.yaml": renamed})
    assert ("Role", "app-role-dev") in mf.load(m, "dev").by_id()


def test_stack_is_patched_through_spec_not_its_name(tmp_path):
    lock = DEV + """\
    - target: Stack
      patch: {spec: {lock: {dynamodbTable: dev-locks}}}
"""
    dev = mf.load(folder(tmp_path, **{"environments/dev.yaml": lock}), "dev").stack
    assert dev.name == "llm-dev" and dev.spec.lock is not None
    renamed = DEV + """\
    - target: Stack
      patch: {metadata: {name: other}}
"""
    with pytest.raises(ManifestError, match="the Stack's name is the environment's spec.stack"):
        mf.load(folder(tmp_path / "b", **{"environments/dev.yaml": renamed}), "dev")


def test_validate_every_environment_names_each_once_per_error(tmp_path):
    from reconciler.environments import validate_all

    bad_base = IAM.replace("description: base", "description: base\n  nonsense: 1")
    bad_dev = DEV.replace("maxSessionDuration: 7200", "maxSessionDuration: 99999")
    m = folder(tmp_path, **{"iam.yaml": bad_base, "environments/dev.yaml": bad_dev})
    with pytest.raises(ManifestError) as e:
        validate_all(str(m), False, ["dev", "prod"])
    text = [str(i) for i in e.value.issues]
    shared = [t for t in text if "spec.nonsense:" in t]
    assert len(shared) == 1 and shared[0].endswith("(environments 'dev', 'prod')"), text
    patched = [t for t in text if "spec.maxSessionDuration:" in t]
    assert len(patched) == 1 and "environment 'dev'; set by the patch at" in patched[0], text
