"""An adoption killed part way (issue 23 item 2): `reconcile import`, then `apply` SIGKILLed right after its
first sagemaker:AddTags. The rerun must find what the kill left untagged (the endpoint's model and config)
and tag it, so that a later destroy removes them too."""

from __future__ import annotations

import json

from tests.e2e.test_import import SDK_MODEL, execution_role_script, fast, names, sdk_deploy, tags
from tests.support.faults import Rule, kill_when_held, proxied, run_inprocess

OWNED = {"reconciler:managed-by": "reconciler", "reconciler:endpoint": "twinllama"}


def _owned(sm, arn):  # type: ignore[no-untyped-def]
    t = tags(sm, arn)
    return {k: t.get(k) for k in OWNED} == OWNED


def test_an_adoption_killed_after_the_first_add_tags_is_finished_by_the_rerun(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    sm = boto("sagemaker")
    sdk_deploy(boto, execution_role_script(boto), "twinllama")
    m = tmp_path / "llm"
    assert cli("import", str(m), "Endpoint/twinllama").code == 0
    c, proxy = proxied(cli, moto_server)
    try:
        kill_when_held(c.env, proxy, Rule("hold", match="sagemaker:AddTags", times=1), "apply", str(m),
                       "--auto-approve", waiting_for="called AddTags")
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
    finally:
        proxy.stop()
    endpoint = sm.describe_endpoint(EndpointName="twinllama")["EndpointArn"]
    config = sm.describe_endpoint_config(EndpointConfigName="twinllama")["EndpointConfigArn"]
    model = sm.describe_model(ModelName=SDK_MODEL)["ModelArn"]
    assert [_owned(sm, a) for a in (endpoint, config, model)] == [True, True, True]
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert names(sm) == ([], []) and sm.list_endpoints()["Endpoints"] == []


def test_an_owned_endpoint_whose_model_and_config_carry_no_tags_gets_them_tagged(cli, boto, moto_server, tmp_path):
    """The state a kill after tagging only the endpoint leaves, made by hand: plan finds the untagged parts the
    endpoint runs (evidence: part of the owned endpoint) and apply tags them."""
    fast(moto_server, cli)
    sm = boto("sagemaker")
    sdk_deploy(boto, execution_role_script(boto), "twinllama")
    m = tmp_path / "llm"
    assert cli("import", str(m), "Endpoint/twinllama").code == 0
    endpoint = sm.describe_endpoint(EndpointName="twinllama")["EndpointArn"]
    stack = next(d for d in __import__("yaml").safe_load_all((m / "stack.yaml").read_text()) if d)["metadata"]["name"]
    sm.add_tags(ResourceArn=endpoint, Tags=[{"Key": "reconciler:managed-by", "Value": "reconciler"},
                                            {"Key": "reconciler:stack", "Value": stack},
                                            {"Key": "reconciler:endpoint", "Value": "twinllama"}])
    r = cli("plan", str(m), "--format", "json")
    assert r.code == 0, r.text
    [step] = [s for s in json.loads(r.out)["steps"] if s["kind"] == "Endpoint"]
    assert [(o["action"], o["target"], o["ownership"]["basis"], o["ownership"]["resource"])
            for o in step["operations"]] == [("AddTags", "twinllama", "parent", endpoint),
                                             ("AddTags", SDK_MODEL, "parent", endpoint)], step
    assert "carry no ownership tags" in step["reason"], step["reason"]
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    config = sm.describe_endpoint_config(EndpointConfigName="twinllama")["EndpointConfigArn"]
    model = sm.describe_model(ModelName=SDK_MODEL)["ModelArn"]
    assert [_owned(sm, a) for a in (config, model)] == [True, True]
    assert cli("plan", str(m), "--detailed-exitcode").code == 0
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert names(sm) == ([], []) and sm.list_endpoints()["Endpoints"] == []


def test_an_owned_endpoint_running_another_stacks_model_leaves_it_alone_with_a_warning(cli, boto, moto_server,
                                                                                       tmp_path):
    """Only parts with no ownership tags at all are taken as the endpoint's: another stack's model is named in
    a warning, the plan has no change for it, and destroy leaves it behind."""
    fast(moto_server, cli)
    sm = boto("sagemaker")
    sdk_deploy(boto, execution_role_script(boto), "twinllama")
    m = tmp_path / "llm"
    assert cli("import", str(m), "Endpoint/twinllama").code == 0
    assert cli("apply", str(m), "--auto-approve").code == 0
    model = sm.describe_model(ModelName=SDK_MODEL)["ModelArn"]
    sm.add_tags(ResourceArn=model, Tags=[{"Key": "reconciler:stack", "Value": "other"},
                                         {"Key": "reconciler:endpoint", "Value": "elsewhere"}])
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text
    assert f"runs Model/{SDK_MODEL} (owned by Endpoint/elsewhere of stack 'other')" in r.text, r.text
    assert "neither tags nor deletes it" in r.text, r.text
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert names(sm) == ([SDK_MODEL], []), names(sm)
    assert tags(sm, model)["reconciler:stack"] == "other"
