"""Adoption takes only what no reconcile stack owns, for every kind (issue 17): the planner's one rule, fed by
each kind's read of the ownership tags. Stack ``a`` applies an IAM policy, role and user, a Function and an
HttpApi; stack ``b`` declares the same names with ``reconciler/adopt: "true"``: every one is a problem naming
stack ``a`` and the annotation's file:line, and ``b`` plans no write. Released by hand (``reconciler:managed-by``
removed), a resource is adoptable again."""

from __future__ import annotations

import boto3

from reconciler import pipeline

ADOPT = '  annotations: {reconciler/adopt: "true"}\n'

DOCS = """
apiVersion: reconciler/v1
kind: Policy
metadata:
  name: adopt-read
{adopt}spec:
  document:
    Version: "2012-10-17"
    Statement: [{{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*"}}]
---
apiVersion: reconciler/v1
kind: Role
metadata:
  name: adopt-exec
{adopt}spec:
  assumedBy: [lambda.amazonaws.com]
  managedPolicies: [adopt-read]
---
apiVersion: reconciler/v1
kind: User
metadata:
  name: adopt-user
{adopt}spec:
  managedPolicies: [adopt-read]
---
apiVersion: reconciler/v1
kind: Function
metadata:
  name: adopt-fn
{adopt}spec:
  code: code
  runtime: python3.12
  handler: app.handler
  role: adopt-exec
---
apiVersion: reconciler/v1
kind: HttpApi
metadata:
  name: adopt-api
{adopt}spec:
  routes:
    "POST /echo": {{function: adopt-fn}}
"""

KINDS = ("Policy/adopt-read", "Role/adopt-exec", "User/adopt-user", "Function/adopt-fn", "HttpApi/adopt-api")


def _files(stack: str, adopt: bool) -> dict[str, str]:
    return {"stack.yaml": f"apiVersion: reconciler/v1\nkind: Stack\nmetadata: {{name: {stack}}}\n",
            "all.yaml": DOCS.format(adopt=ADOPT if adopt else ""),
            "code/app.py": "def handler(event, context):\n    return {'statusCode': 200}\n"}


def _plan(stack):  # type: ignore[no-untyped-def]
    p, _, _ = pipeline.plan(stack.root, stack.opts)
    return p


def test_adopt_never_takes_another_stacks_resource_of_any_kind(stack):
    stack.write(_files("a", adopt=False))
    stack.apply()
    stack.write(_files("b", adopt=True))
    p = _plan(stack)
    adopt_lines = [n for n, x in enumerate((stack.root / "all.yaml").read_text().splitlines(), 1)
                   if "reconciler/adopt" in x]
    by = {f"{x.kind}/{x.name}": x for x in p.problems}
    assert sorted(by) == sorted(KINDS), [x.message for x in p.problems]
    for (what, problem), line in zip(((k, by[k]) for k in KINDS), adopt_lines, strict=True):
        assert problem.code == "conflict" and (problem.file, problem.line) == (str(stack.root / "all.yaml"), line)
        assert f"all.yaml:{line}: metadata.annotations.reconciler/adopt: cannot adopt: {what} is owned by " \
               "reconcile stack 'a'" in problem.message, problem.message
    assert not [s for s in p.steps if s.action != "noop"], [(s.id, s.reason) for s in p.steps]


def test_a_resource_released_from_its_stack_is_adopted(stack):
    """Removing ``reconciler:managed-by`` releases a resource (its stack no longer owns it, never deletes it):
    then the adopt annotation takes it, as one made outside reconcile."""
    stack.write(_files("a", adopt=False))
    stack.apply()
    iam = boto3.client("iam")
    iam.untag_policy(PolicyArn=iam.list_policies(Scope="Local")["Policies"][0]["Arn"],
                     TagKeys=["reconciler:managed-by"])
    stack.write({**_files("b", adopt=True)})
    p = _plan(stack)
    assert "Policy/adopt-read" not in {f"{x.kind}/{x.name}" for x in p.problems}
    (step,) = [s for s in p.steps if s.id == "Policy/adopt-read"]
    assert step.reason == "adopt existing resource (owned by no reconcile stack)"
