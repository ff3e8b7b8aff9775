"""Seed 003 end to end in the sandbox: prompt -> HTTP API route -> Lambda function -> SageMaker endpoint."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from reconciler.kinds import REGISTRY
from reconciler.sandbox.sagemaker import tgi_generate

REPO = Path(__file__).resolve().parents[2]


def _endpoint_by_hand(boto) -> None:  # type: ignore[no-untyped-def]
    """The workshop's endpoint made with boto3 on the emulator (when the Endpoint kind is not there)."""
    sm = boto("sagemaker")
    role = boto("iam").get_role(RoleName="HuggingfaceExecuteRole")["Role"]["Arn"]
    sm.create_model(ModelName="workshop-llm-m", ExecutionRoleArn=role, PrimaryContainer={
        "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.3-tgi2.2-gpu-py310-cu121-ubuntu22.04"})
    sm.create_endpoint_config(EndpointConfigName="workshop-llm-c", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "workshop-llm-m", "InstanceType": "ml.g5.2xlarge",
        "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="workshop-llm", EndpointConfigName="workshop-llm-c")
    deadline = time.monotonic() + 30
    while sm.describe_endpoint(EndpointName="workshop-llm")["EndpointStatus"] != "InService":
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_prompt_route_function_endpoint(cli, boto, moto_server, tmp_path):
    m = tmp_path / "workshop"
    shutil.copytree(REPO / "manifests" / "workshop", m)
    moto_server.post("/reconcile-sandbox/sagemaker/config", {"create_seconds": 0.5})
    by_hand = "Endpoint" not in REGISTRY or not (m / "endpoint.yaml").exists()
    if by_hand:
        (m / "endpoint.yaml").unlink(missing_ok=True)
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "HttpApi/workshop-llm-api is served at" in r.err
    if by_hand:
        _endpoint_by_hand(boto)

    request = {"prompt": "用一句话介绍 Amazon SageMaker。", "parameters": {"max_new_tokens": 12, "temperature": 0.5}}
    r = cli("call-api", "workshop-llm-api", "POST /generate", "--json", json.dumps(request, ensure_ascii=False))
    assert r.code == 0, r.text
    expected = tgi_generate({"inputs": request["prompt"], "parameters": request["parameters"]}, "workshop-llm")
    assert json.loads(r.out) == {"generated_text": expected[0]["generated_text"]}

    r = cli("call-api", "workshop-llm-api", "POST /generate", "--json", '{"prompt": "hi", "parameters": {"beams": 2}}')
    assert r.code == 1 and "unknown parameters: beams" in r.out, r.text

    # the function's role may invoke this endpoint only
    doc = boto("iam").get_role_policy(RoleName="workshop-generate-function", PolicyName="invoke-workshop-llm")
    (statement,) = doc["PolicyDocument"]["Statement"]
    assert statement["Action"] in ("sagemaker:InvokeEndpoint", ["sagemaker:InvokeEndpoint"])
    assert statement["Resource"] in ("arn:aws:sagemaker:us-east-1:*:endpoint/workshop-llm",
                                     ["arn:aws:sagemaker:us-east-1:*:endpoint/workshop-llm"])

    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text


def test_workshop_manifests_validate_with_the_lint_flagging_the_seed(cli, tmp_path):
    # (on a copy: the tests never read files a user is told to edit)
    m = tmp_path / "workshop"
    shutil.copytree(REPO / "manifests" / "workshop", m)
    r = cli("validate", str(m))
    assert r.code == 0, r.text
    assert "warning" not in r.err  # the seed's warnings are acknowledged in it
    # without the acknowledgement the lint flags the seed's wildcards again, naming the code to accept
    f = m / "sam-deployer.yaml"
    f.write_text(f.read_text().replace("reconciler/accept-lint: SERVICE_WILDCARD", "reconciler/other: x"))
    r = cli("validate", str(m))
    assert r.code == 0, r.text
    line = next(i for i, x in enumerate(f.read_text().splitlines(), 1) if "Sid: SamDeploy" in x)
    assert (f'sam-deployer.yaml:{line}: spec.document.Statement.0: policy lint SERVICE_WILDCARD: apigateway:*, '
            'cloudformation:*, lambda:* on Resource "*"') in r.err, r.err
