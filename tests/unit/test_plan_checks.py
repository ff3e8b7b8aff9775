"""Plan-time checks declared by kinds (pure parts): which references are checked, and trust evaluation."""

from __future__ import annotations

from reconciler.checks import trusts
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Check, PlanContext, Resource
from reconciler.manifests import load
from tests.support.manifests import write

ACCOUNT = "123456789012"


def _trust(principal, action="sts:AssumeRole", effect="Allow"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Principal": principal, "Action": action}]}


def test_trust_evaluation():
    assert trusts(_trust({"Service": "sagemaker.amazonaws.com"}), "sagemaker.amazonaws.com")
    assert trusts(_trust({"Service": ["lambda.amazonaws.com", "sagemaker.amazonaws.com"]}), "sagemaker.amazonaws.com")
    assert trusts(_trust({"Service": "sagemaker.amazonaws.com"}, action=["sts:*"]), "sagemaker.amazonaws.com")
    assert not trusts(_trust({"Service": "lambda.amazonaws.com"}), "sagemaker.amazonaws.com")
    assert not trusts(_trust({"Service": "sagemaker.amazonaws.com"}, effect="Deny"), "sagemaker.amazonaws.com")
    assert not trusts(_trust({"Service": "sagemaker.amazonaws.com"}, action="sts:TagSession"), "sagemaker.amazonaws.com")
    assert not trusts({}, "sagemaker.amazonaws.com")


def test_function_and_endpoint_declare_their_checks(tmp_path):
    m = write(tmp_path / "m", {
        "stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: s}\n",
        "r.yaml": "apiVersion: reconciler/v1\nkind: Role\nmetadata: {name: declared}\n"
                  "spec: {assumedBy: [lambda.amazonaws.com, sagemaker.amazonaws.com]}\n",
        "f.yaml": f"""
            apiVersion: reconciler/v1
            kind: Function
            metadata: {{name: fn}}
            spec:
              runtime: python3.12
              handler: handler.main
              code: code
              role: arn:aws:iam::{ACCOUNT}:role/outside
              environment: {{TOKEN: {{secretsManager: api-token}}, PLAIN: x}}
            """,
        "code/handler.py": "def main(event, context):\n    return {}\n",
        "e.yaml": f"""
            apiVersion: reconciler/v1
            kind: Endpoint
            metadata: {{name: ep}}
            spec:
              executionRole: arn:aws:iam::{ACCOUNT}:role/declared
              model:
                image: {{huggingfaceLlm: {{version: "2.2.0"}}}}
                environment: {{HF_MODEL_ID: x, HUGGING_FACE_HUB_TOKEN: {{secretsManager: hf-token}}}}
              instance: {{type: ml.g5.2xlarge}}
            """,
    })
    mf = load(m)
    ctx = PlanContext(stack="s", account=ACCOUNT, region="us-east-1", resources=mf.by_id())
    found: dict[str, list[Check]] = {}
    for res in mf.resources:
        res: Resource
        found[res.id] = REGISTRY[res.kind].plan_checks(res, {}, ctx)
    assert found["Function/fn"] == [
        Check("secret", "api-token", ("spec", "environment", "TOKEN")),
        Check("role", f"arn:aws:iam::{ACCOUNT}:role/outside", ("spec", "role"), "lambda.amazonaws.com")]
    # a role declared in the manifests is created (with its trust) by the plan: not checked
    assert found["Endpoint/ep"] == [Check("secret", "hf-token", ("spec", "model", "environment", "HUGGING_FACE_HUB_TOKEN"))]
    assert found["Role/declared"] == []
