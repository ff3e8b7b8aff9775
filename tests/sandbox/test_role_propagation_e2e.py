"""reconcile's retry of a role that is not yet assumable, proven against the sandbox's emulation of IAM's
eventual consistency (issue 11, point 3; AWS-FACTS.md: "Eventual consistency").

With ``role_propagation_seconds`` set, a role created in the same apply is refused by SageMaker's
CreateModel ("Could not assume role …") and Lambda's CreateFunction ("The role defined for the
function cannot be assumed by Lambda.") for that long; apply must wait it out and succeed."""

from __future__ import annotations

import time

from tests.support.manifests import write

FILES = {
    "stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: propagation}\n",
    "iam.yaml": """
        apiVersion: reconciler/v1
        kind: Role
        metadata: {name: llm-exec}
        spec: {assumedBy: [sagemaker.amazonaws.com]}
        ---
        apiVersion: reconciler/v1
        kind: Role
        metadata: {name: fn-exec}
        spec: {assumedBy: [lambda.amazonaws.com]}
        """,
    "endpoint.yaml": """
        apiVersion: reconciler/v1
        kind: Endpoint
        metadata: {name: fresh-role}
        spec:
          executionRole: llm-exec
          model:
            image: {uri: 763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.1-tgi2.2-gpu-py310-cu121-ubuntu22.04}
            environment: {HF_MODEL_ID: org/model}
          instance: {type: ml.g5.2xlarge}
        """,
    "function.yaml": """
        apiVersion: reconciler/v1
        kind: Function
        metadata: {name: fresh-fn}
        spec:
          code: fn
          runtime: python3.12
          handler: handler.handler
          role: fn-exec
        """,
    "fn/handler.py": "def handler(event, context):\n    return {'ok': True}\n",
}


def test_apply_waits_until_a_new_role_can_be_assumed(cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config", {"create_seconds": 0.2, "update_seconds": 0.2,
                                                             "delete_seconds": 0.1, "role_propagation_seconds": 4})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    m = write(tmp_path / "m", FILES)
    started = time.monotonic()
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "cannot assume the execution role yet" in r.text  # SageMaker's refusal was seen, and retried
    assert time.monotonic() - started >= 4
    assert boto("sagemaker").describe_endpoint(EndpointName="fresh-role")["EndpointStatus"] in ("Creating", "InService")
    assert boto("lambda").get_function(FunctionName="fresh-fn")["Configuration"]["Role"].endswith("/fn-exec")
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text
