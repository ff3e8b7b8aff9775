"""IAM bulk reads (GetAccountAuthorizationDetails + ListRoles) give exactly the plans per-resource reads give."""

from __future__ import annotations

import json

import boto3
import pytest

from reconciler import pipeline
from reconciler.aws import iam as iamx
from tests.kinds.conftest import four_steps

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}

STACK = """
apiVersion: reconciler/v1
kind: Policy
metadata: {name: reader, tags: {team: ml}}
spec:
  description: read models
  document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: [s3:GetObject], Resource: "arn:aws:s3:::m/*"}]}
---
apiVersion: reconciler/v1
kind: Policy
metadata: {name: boundary}
spec:
  path: /b/
  document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}
---
apiVersion: reconciler/v1
kind: Role
metadata: {name: exec, tags: {team: ml}, annotations: {reconciler/prevent-destroy: "true"}}
spec:
  description: runs endpoints
  maxSessionDuration: 7200
  assumedBy: [sagemaker.amazonaws.com]
  managedPolicies: [reader, arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
  permissionsBoundary: boundary
  inlinePolicies:
    logs: {Version: "2012-10-17", Statement: {Effect: Allow, Action: logs:PutLogEvents, Resource: "*"}}
---
apiVersion: reconciler/v1
kind: Role
metadata: {name: ci}
spec:
  path: /ci/
  trustPolicy:
    Version: "2012-10-17"
    Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::123456789012:root"}, Action: sts:AssumeRole}]
---
apiVersion: reconciler/v1
kind: User
metadata: {name: deployer}
spec:
  managedPolicies: [reader]
  inlinePolicies:
    read: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: s3:ListBucket, Resource: "*"}]}
---
apiVersion: reconciler/v1
kind: User
metadata: {name: reader-user}
spec:
  path: /people/
"""

# the same stack without "ci" and "reader-user": a prune plan lists them
SMALLER = "---\n".join(doc for i, doc in enumerate(STACK.split("---\n")) if i not in (3, 5))


def _plan(stack, monkeypatch: pytest.MonkeyPatch, mode: str, **kw):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RECONCILE_IAM_BULK", mode)
    p, t, _ = pipeline.plan(stack.root, stack.opts, **kw)
    return p, t.aws.calls


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    """The same plan, but for when it was made and when each piece of ownership evidence was read."""
    from reconciler.freshness import differences

    assert differences(a, b) == []
    da, db = a.model_dump(exclude={"created_at", "steps"}), b.model_dump(exclude={"created_at", "steps"})
    assert json.dumps(da, sort_keys=True, default=str) == json.dumps(db, sort_keys=True, default=str)


def test_bulk_and_single_reads_plan_the_same(stack, monkeypatch):
    stack.write({"s.yaml": STACK})
    _same(_plan(stack, monkeypatch, "never")[0], _plan(stack, monkeypatch, "always")[0])
    monkeypatch.setenv("RECONCILE_IAM_BULK", "always")
    stack.apply()
    quiet, calls = _plan(stack, monkeypatch, "always")
    assert not quiet.has_changes, quiet.summary()
    assert calls["iam:get_account_authorization_details"] == 1 and calls["iam:get_role"] == 0
    # drift made outside reconcile, on every field the bulk path reads from another place
    iam = boto3.client("iam", region_name="us-east-1")
    iam.update_role(RoleName="exec", Description="changed by hand", MaxSessionDuration=3600)
    iam.put_role_policy(RoleName="exec", PolicyName="extra", PolicyDocument=json.dumps(DOC))
    iam.detach_role_policy(RoleName="exec", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    iam.update_assume_role_policy(RoleName="ci", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))
    iam.tag_policy(PolicyArn="arn:aws:iam::123456789012:policy/reader", Tags=[{"Key": "team", "Value": "ops"}])
    iam.create_policy_version(PolicyArn="arn:aws:iam::123456789012:policy/reader", PolicyDocument=json.dumps(DOC),
                              SetAsDefault=True)
    iam.create_access_key(UserName="reader-user")
    iam.untag_user(UserName="deployer", TagKeys=["reconciler:stack"])
    iam.delete_user_policy(UserName="deployer", PolicyName="read")
    single, single_calls = _plan(stack, monkeypatch, "never")
    many, many_calls = _plan(stack, monkeypatch, "always")
    # a key reconcile did not create is a warning, not a change (issue 10 point 6), read by both paths
    assert {s.name for s in single.changes} == {"exec", "ci", "reader"}
    for p in (single, many):
        assert [w for w in p.warnings if w.startswith("User/reader-user has access key(s) reconcile did not create")]
    assert {p.name for p in single.problems} == {"deployer"}  # no longer carries this stack's tag: a conflict
    _same(single, many)
    assert sum(many_calls.values()) < sum(single_calls.values())
    # the prune scan shares the declared reads: nothing is read twice
    stack.write({"s.yaml": SMALLER})
    single, _ = _plan(stack, monkeypatch, "never", prune=True)
    many, calls = _plan(stack, monkeypatch, "always", prune=True)
    _same(single, many)
    # reader-user has a key reconcile did not create: the plan keeps it, so it is not deleted (a problem)
    assert {s.name for s in many.steps if s.action == "delete"} == {"ci"}
    assert [p.name for p in many.problems if "reconcile did not create" in p.message] == ["reader-user"]
    assert calls["iam:get_account_authorization_details"] == 1 and calls["iam:list_roles"] == 1
    assert calls["iam:list_access_keys"] == 2 and calls["iam:list_policy_tags"] == 2  # once per user / policy


def test_four_steps_with_bulk_reads(stack, monkeypatch):
    monkeypatch.setenv("RECONCILE_IAM_BULK", "always")
    four_steps(stack, {"s.yaml": STACK}, 6)


def test_bulk_is_chosen_by_count(monkeypatch):
    class FakeAws:
        def is_cached(self, key: str) -> bool:
            return False

    monkeypatch.delenv("RECONCILE_IAM_BULK", raising=False)
    assert not iamx.bulk(FakeAws(), 1)  # type: ignore[arg-type]
    assert iamx.bulk(FakeAws(), iamx.BULK_MIN)  # type: ignore[arg-type]
    monkeypatch.setenv("RECONCILE_IAM_BULK", "never")
    assert not iamx.bulk(FakeAws(), 1000)  # type: ignore[arg-type]
