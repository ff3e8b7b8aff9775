"""Importing what the seed made, without a redeploy (issue 23 item 8): the seed's endpoint holds its Hugging Face
token as plain text; `reconcile import` declares it as a Secrets Manager reference. When the secret holds the same
value, plan adopts the model with tags only ("same value as the live model") and apply keeps it serving; when
it differs, or the plan's credentials may not read it, the model is replaced as before (and the plan says why).
The value is never printed."""

from __future__ import annotations

import json

from tests.e2e.test_import import ENV, SDK_MODEL, TOKEN, execution_role_script, fast, sdk_deploy, tags
from tests.support.faults import Rule, proxied, run_inprocess

SECRET = "llm/gated/hugging-face-hub-token"
SAME = "same value as the live model: adopted with tags only"


def _seed(cli, boto, moto_server, tmp_path, value: str):  # type: ignore[no-untyped-def]
    fast(moto_server, cli)
    sdk_deploy(boto, execution_role_script(boto), "gated", env={**ENV, "HUGGING_FACE_HUB_TOKEN": TOKEN})
    m = tmp_path / "llm"
    r = cli("import", str(m), "Endpoint/gated")
    assert r.code == 0, r.text
    boto("secretsmanager").create_secret(Name=SECRET, SecretString=value)
    return m


def _endpoint_step(r):  # type: ignore[no-untyped-def]
    assert r.code == 0, r.text
    return next(s for s in json.loads(r.out)["steps"] if s["kind"] == "Endpoint")


def test_a_secret_holding_the_live_value_is_adopted_with_tags_only(cli, boto, moto_server, tmp_path):
    m = _seed(cli, boto, moto_server, tmp_path, TOKEN)
    sm = boto("sagemaker")
    step = _endpoint_step(cli("plan", str(m), "--format", "json"))
    assert [o["action"] for o in step["operations"]] == ["AddTags"] * 4, step["operations"]
    assert "HUGGING_FACE_HUB_TOKEN: " + SAME in step["reason"], step["reason"]
    r = cli("plan", str(m))
    assert SAME in r.out and "CreateModel" not in r.out and "UpdateEndpoint" not in r.out, r.out
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    for out in (r.out, r.err):
        assert TOKEN not in out
    assert sm.describe_endpoint(EndpointName="gated")["EndpointConfigName"] == "gated"  # never redeployed
    model = sm.describe_model(ModelName=SDK_MODEL)
    version = boto("secretsmanager").describe_secret(SecretId=SECRET)["VersionIdsToStages"]
    [current] = [v for v, stages in version.items() if "AWSCURRENT" in stages]
    assert tags(sm, model["ModelArn"])["reconciler:secret:HUGGING_FACE_HUB_TOKEN"] == f"{current}:{SECRET}"
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text


def test_a_secret_with_another_value_replaces_the_model_as_before(cli, boto, moto_server, tmp_path):
    m = _seed(cli, boto, moto_server, tmp_path, "hf_AnotherTokenValue")
    step = _endpoint_step(cli("plan", str(m), "--format", "json"))
    actions = [o["action"] for o in step["operations"]]
    assert "CreateModel" in actions and "UpdateEndpoint" in actions, actions
    assert SAME not in step["reason"]


def test_a_secret_the_plan_may_not_read_is_said_and_the_model_replaced(cli, boto, moto_server, tmp_path):
    m = _seed(cli, boto, moto_server, tmp_path, TOKEN)
    c, proxy = proxied(cli, moto_server)
    try:
        proxy.add(Rule("status", match="secretsmanager:GetSecretValue", times=None, status=400,
                       code="AccessDeniedException", message="not allowed"))
        r = run_inprocess(c.env, "plan", str(m))
    finally:
        proxy.stop()
    assert r.code == 0, r.text
    assert f"HUGGING_FACE_HUB_TOKEN: the plan's credentials may not read secret {SECRET}" in r.text, r.text
    assert "CreateModel" in r.out and "UpdateEndpoint" in r.out and SAME not in r.out, r.out
    assert TOKEN not in r.out and TOKEN not in r.err
