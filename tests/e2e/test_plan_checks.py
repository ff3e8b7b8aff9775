"""Read-only checks at plan time, before any write (issue 10, point 3): referenced secrets exist,
role ARNs from outside the manifests exist and trust the service. A failure is a plan problem
naming file:line; apply refuses and writes nothing."""

from __future__ import annotations

import json

from tests.support.manifests import LLM_EXEC_ROLE, write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: chk}\n"
ROLE = LLM_EXEC_ROLE
ENDPOINT = """
    apiVersion: reconciler/v1
    kind: Endpoint
    metadata: {name: twin}
    spec:
      executionRole: ROLE
      model:
        image: {huggingfaceLlm: {version: "2.2.0"}}
        environment:
          HF_MODEL_ID: mlabonne/TwinLlama-3.1-8B-DPO
          HUGGING_FACE_HUB_TOKEN: {secretsManager: hf-token}
      instance: {type: ml.g5.2xlarge}
    """
ACCOUNT = "123456789012"


def _nothing_written(boto) -> None:
    assert boto("sagemaker").list_models()["Models"] == []
    assert boto("sagemaker").list_endpoints()["Endpoints"] == []
    assert [r["RoleName"] for r in boto("iam").list_roles()["Roles"] if r["RoleName"] == "llm-exec"] == []


def test_missing_secret_is_a_plan_problem_and_apply_writes_nothing(cli, boto, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "iam.yaml": ROLE,
                               "endpoint.yaml": ENDPOINT.replace("ROLE", "llm-exec")})
    r = cli("plan", str(m), "--out", str(tmp_path / "plan.json"))
    assert r.code == 1, r.text
    assert "endpoint.yaml:10: spec.model.environment.HUGGING_FACE_HUB_TOKEN: secret 'hf-token' does not exist" in r.out
    problems = json.loads((tmp_path / "plan.json").read_text())["problems"]
    assert [(p["code"], p["line"]) for p in problems] == [("check", 10)]
    r = cli("apply", str(tmp_path / "plan.json"), "--auto-approve")
    assert r.code == 1 and "refusing to apply" in r.err, r.text
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 1 and "refusing to apply" in r.err, r.text
    _nothing_written(boto)
    # the secret created: the plan is clean (its value was never read at plan)
    boto("secretsmanager").create_secret(Name="hf-token", SecretString="hf_value")
    r = cli("plan", str(m))
    assert r.code == 0 and "problem" not in r.out, r.text


def test_execution_role_arn_that_does_not_exist_is_a_plan_problem(cli, boto, tmp_path):
    boto("secretsmanager").create_secret(Name="hf-token", SecretString="hf_value")
    arn = f"arn:aws:iam::{ACCOUNT}:role/nobody"
    m = write(tmp_path / "m", {"stack.yaml": STACK, "endpoint.yaml": ENDPOINT.replace("ROLE", arn)})
    r = cli("plan", str(m))
    assert r.code == 1, r.text
    assert f"endpoint.yaml:5: spec.executionRole: role {arn} does not exist" in r.out, r.out
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 1 and "refusing to apply" in r.err, r.text
    _nothing_written(boto)


def test_execution_role_that_does_not_trust_sagemaker_is_a_plan_problem(cli, boto, tmp_path):
    boto("secretsmanager").create_secret(Name="hf-token", SecretString="hf_value")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    arn = boto("iam").create_role(RoleName="lambda-only", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    m = write(tmp_path / "m", {"stack.yaml": STACK, "endpoint.yaml": ENDPOINT.replace("ROLE", arn)})
    r = cli("plan", str(m))
    assert r.code == 1, r.text
    assert f"endpoint.yaml:5: spec.executionRole: role {arn} does not trust sagemaker.amazonaws.com" in r.out, r.out
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 1 and "refusing to apply" in r.err, r.text
    assert boto("sagemaker").list_models()["Models"] == []
    # trusting sagemaker: the plan is clean
    trust["Statement"][0]["Principal"]["Service"] = ["lambda.amazonaws.com", "sagemaker.amazonaws.com"]
    boto("iam").update_assume_role_policy(RoleName="lambda-only", PolicyDocument=json.dumps(trust))
    r = cli("plan", str(m))
    assert r.code == 0, r.text


FUNCTION = """
    apiVersion: reconciler/v1
    kind: Function
    metadata: {name: greeter}
    spec:
      code: code
      runtime: python3.12
      handler: app.handler
      role: ROLE
      environment:
        API_TOKEN: {secretsManager: greeter-token}
    """


def test_function_role_not_trusting_lambda_and_missing_secret_are_both_reported(cli, boto, tmp_path):
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    arn = boto("iam").create_role(RoleName="sm-only", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    m = write(tmp_path / "m", {"stack.yaml": STACK, "fn.yaml": FUNCTION.replace("ROLE", arn),
                               "code/app.py": "def handler(event, context):\n    return {}\n"})
    r = cli("plan", str(m))
    assert r.code == 1, r.text
    assert f"fn.yaml:8: spec.role: role {arn} does not trust lambda.amazonaws.com" in r.out, r.out
    assert "fn.yaml:10: spec.environment.API_TOKEN: secret 'greeter-token' does not exist" in r.out, r.out
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 1 and "refusing to apply" in r.err, r.text
    assert boto("lambda").list_functions()["Functions"] == []
