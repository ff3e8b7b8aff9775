"""Weights from S3, offline (reconciler/kinds/endpoint/weights.py): which statements let the execution role
read them (the WEIGHTS_NOT_READABLE lint), whose role an InferenceComponent's model runs as, and when lint
cannot know (a policy outside the manifests)."""

from __future__ import annotations

import pytest

from reconciler import manifests
from reconciler.kinds.endpoint.weights import allows_get
from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: w}\n"


def _allow(action, resource):
    return [{"Effect": "Allow", "Action": [action], "Resource": [resource]}]


@pytest.mark.parametrize(("statements", "uri", "ok"), [
    (_allow("s3:GetObject", "arn:aws:s3:::b/w/*"), "s3://b/w/", True),
    (_allow("s3:Get*", "arn:aws:s3:::b/*"), "s3://b/w/", True),
    (_allow("*", "*"), "s3://b/w/", True),
    (_allow("s3:GetObject", "arn:aws-cn:s3:::b/w/*"), "s3://b/w/", True),  # (any partition)
    (_allow("s3:GetObject", "arn:aws:s3:::b/w/model.safetensors"), "s3://b/w/", False),  # one file, not the prefix
    (_allow("s3:GetObject", "arn:aws:s3:::b/w/model.tar.gz"), "s3://b/w/model.tar.gz", True),
    (_allow("s3:GetObject", "arn:aws:s3:::other/*"), "s3://b/w/", False),
    (_allow("s3:ListBucket", "arn:aws:s3:::b/*"), "s3://b/w/", False),
    ([{"Effect": "Deny", "Action": ["s3:GetObject"], "Resource": ["*"]}], "s3://b/w/", False),
])
def test_which_statements_allow_getting_the_weights(statements, uri, ok):
    assert allows_get(statements, uri) is ok


ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: exec}
spec:
  assumedBy: [sagemaker.amazonaws.com]
  managedPolicies: [MANAGED]
"""
READ = """
apiVersion: reconciler/v1
kind: Policy
metadata: {name: read-weights}
spec:
  document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "RESOURCE"}]}
"""
IC = """
apiVersion: reconciler/v1
kind: Endpoint
metadata: {name: shared}
spec:
  type: inference-component-based
  executionRole: exec
  instance: {type: ml.g5.12xlarge}
---
apiVersion: reconciler/v1
kind: InferenceComponent
metadata: {name: twin}
spec:
  endpoint: shared
  model:
    image: {huggingfaceLlm: {version: "2.2.0"}}
    weights: {s3: "s3://bkt/twin/"}
  memoryMb: 4096
  acceleratorDevices: 1
"""


def _warnings(tmp_path, managed, resource="arn:aws:s3:::bkt/other/*"):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "iam.yaml": ROLE.replace("MANAGED", managed) + "---" +
                               READ.replace("RESOURCE", resource), "ic.yaml": IC})
    return [w for w in manifests.load(m).warnings if w.code == "WEIGHTS_NOT_READABLE"]


def test_a_component_runs_as_its_endpoints_role_and_its_declared_policies_are_read(tmp_path):
    [w] = _warnings(tmp_path, "read-weights")
    assert (w.line, w.field) == (16, "spec.model.weights.s3")
    assert "Role/exec" in w.message and "s3:GetObject on arn:aws:s3:::bkt/twin/*" in w.message
    assert _warnings(tmp_path, "read-weights", "arn:aws:s3:::bkt/twin/*") == []


def test_a_policy_outside_the_manifests_may_allow_it_so_lint_says_nothing(tmp_path):
    assert _warnings(tmp_path, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess") == []


@pytest.mark.parametrize(("uri", "words"), [
    ("s3://bkt/w/", None), ("s3://bkt/w/model.tar.gz", None), ("s3://bkt/", None),
    ("s3://bkt/w", "a prefix of uncompressed weights ends in / (s3://bkt/w/)"),
    ("s3://b/w/", "'b' is not an S3 bucket name"), ("s3://My_Bucket/w/", "'My_Bucket' is not an S3 bucket name"),
    ("https://bkt.s3.amazonaws.com/w/", "is not an S3 URI"), ("s3://bkt", "is not an S3 URI"),
    ("s3://bkt/w w/", "is not an S3 URI"),
])
def test_what_a_weights_uri_may_be(uri, words):
    from reconciler.kinds.endpoint.weights import problem

    got = problem(uri)
    assert (got is None) if words is None else (words in (got or "")), got
