"""Derived names (models, endpoint configs, inference components) never collide across endpoints, and the
example manifests keep the names they always had (no churn on upgrade)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: what the example manifests derived before names learnt to cover the full endpoint name (they are short:
#: nothing was truncated, so nothing may change)
EXAMPLE_NAMES = {
    "models": ["small-instruct-607badc117", "twinllama-172208246f",  # (multi-model.yaml: <component>-<hash>)
               "twinllama-3-1-8b-dpo-820096a2b4", "twinllama-3-1-8b-dpo-ic-9045f102e3"],
    # (the -ic config's content changed with scale to zero, managedScaling minCount 1 -> 0: 9579606225 before)
    "configs": ["llm-shared-3604081564", "twinllama-3-1-8b-dpo-cf20baab74", "twinllama-3-1-8b-dpo-ic-07bcdecc1a"],
    # an endpoint ending in -ic names its component; InferenceComponent documents name theirs
    "components": ["small-instruct", "twinllama", "twinllama-3-1-8b-dpo-ic"],
}


def _names(sm) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {"models": sorted(x["ModelName"] for x in sm.list_models()["Models"]),
            "configs": sorted(x["EndpointConfigName"] for x in sm.list_endpoint_configs()["EndpointConfigs"]),
            "components": sorted(x["InferenceComponentName"]
                                 for x in sm.list_inference_components()["InferenceComponents"])}


def test_the_example_manifests_keep_their_derived_names(cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config", {"create_seconds": 0.2, "update_seconds": 0.2})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    m = tmp_path / "m"
    shutil.copytree(REPO / "manifests" / "llm-engineering", m / "llm-engineering")
    shutil.copy(REPO / "manifests" / "stack.yaml", m / "stack.yaml")
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _names(boto("sagemaker")) == EXAMPLE_NAMES


# ---- collisions: impossible by construction -------------------------------------------------------

SHARED = "shared-" + "x" * 45  # 52 characters: derived names keep 52 of the endpoint name
SHARED_IC = "y" * 60  # default component names keep 60


def _endpoint(name: str, ic: bool = False, copies: int = 1) -> str:
    kind = (f"  type: inference-component-based\n  inferenceComponent: {{copies: {copies}, acceleratorDevices: 1, "
            "memoryMb: 1024}\n") if ic else ""
    return f"""---
apiVersion: reconciler/v1
kind: Endpoint
metadata: {{name: {name}}}
spec:
  executionRole: names-exec
  model:
    image: {{huggingfaceLlm: {{version: "2.2.0"}}}}
    environment: {{HF_MODEL_ID: org/model}}
  instance: {{type: ml.g5.12xlarge}}
{kind}"""


HEAD = """apiVersion: reconciler/v1
kind: Stack
metadata: {name: names}
---
apiVersion: reconciler/v1
kind: Role
metadata: {name: names-exec}
spec: {assumedBy: [sagemaker.amazonaws.com]}
"""


def _tags(sm, arn):  # type: ignore[no-untyped-def]
    return {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}


def test_endpoints_sharing_a_long_prefix_never_share_a_model_config_or_component(cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    one, two = f"{SHARED}-one", f"{SHARED}-two"
    ic1, ic2 = f"{SHARED_IC}-a", f"{SHARED_IC}-b"
    m = tmp_path / "m"
    m.mkdir()
    (m / "stack.yaml").write_text(HEAD)
    for f, name, ic in (("one", one, False), ("two", two, False), ("ic1", ic1, True), ("ic2", ic2, True)):
        (m / f"{f}.yaml").write_text(_endpoint(name, ic))
    r = cli("validate", str(m))
    assert r.code == 0, r.text
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    sm = boto("sagemaker")
    models = sm.list_models()["Models"]
    configs = sm.list_endpoint_configs()["EndpointConfigs"]
    ics = sm.list_inference_components()["InferenceComponents"]
    assert len(models) == 4 and len(configs) == 4 and len(ics) == 2, (models, configs, ics)
    for x in models + configs + ics:
        name = x.get("ModelName") or x.get("EndpointConfigName") or x.get("InferenceComponentName")
        assert len(name) <= 63, name
    # each part is tagged for the one endpoint it serves
    owners = sorted(_tags(sm, x["ModelArn"])["reconciler:endpoint"] for x in models)
    assert owners == sorted([one, two, ic1, ic2])
    assert {x["EndpointName"] for x in ics} == {ic1, ic2}

    # a change to one component leaves the other one alone
    (m / "ic2.yaml").write_text(_endpoint(ic2, True, copies=2))
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    by_endpoint = {x["EndpointName"]: x["InferenceComponentName"] for x in sm.list_inference_components()["InferenceComponents"]}
    copies = {e: sm.describe_inference_component(InferenceComponentName=n)["RuntimeConfig"]["DesiredCopyCount"]
              for e, n in by_endpoint.items()}
    assert copies == {ic1: 1, ic2: 2}

    # pruning one endpoint deletes its parts only: the other still runs on its own
    (m / "two.yaml").unlink()
    (m / "ic2.yaml").unlink()
    r = cli("prune", str(m), "--auto-approve")
    assert r.code == 0, r.text
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
    for e in (one, ic1):
        cfg = sm.describe_endpoint(EndpointName=e)["EndpointConfigName"]
        assert sm.describe_endpoint_config(EndpointConfigName=cfg)
    assert cli("invoke", one, "--prompt", "hi").code == 0


def test_a_derived_name_held_by_another_endpoint_is_a_clear_failure(cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    m = tmp_path / "m"
    m.mkdir()
    (m / "stack.yaml").write_text(HEAD + _endpoint("taken"))
    assert cli("apply", str(m), "--auto-approve").code == 0
    sm = boto("sagemaker")
    # the model the endpoint's manifest maps to now belongs to another endpoint; the endpoint is gone
    (model,) = sm.list_models()["Models"]
    sm.add_tags(ResourceArn=model["ModelArn"], Tags=[{"Key": "reconciler:endpoint", "Value": "someone-else"}])
    sm.delete_endpoint(EndpointName="taken")
    deadline = time.monotonic() + 30
    while any(e["EndpointName"] == "taken" for e in sm.list_endpoints()["Endpoints"]):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 1, r.text
    assert f"Model/{model['ModelName']} exists already and belongs to Endpoint/someone-else" in r.out, r.text  # (at plan)
    assert "Traceback" not in r.text
    assert not any(e["EndpointName"] == "taken" for e in sm.list_endpoints()["Endpoints"])
    assert _tags(sm, model["ModelArn"])["reconciler:endpoint"] == "someone-else"


def test_names_cover_the_full_endpoint_name_only_when_it_is_cut():
    from reconciler.kinds.endpoint.naming import COMPONENT_NAME, ENDPOINT_NAME, default_ic_name, derived_name

    content = {"image": "x"}
    assert derived_name("twinllama-3-1-8b-dpo", content) == derived_name("twinllama-3-1-8b-dpo", dict(content))
    assert derived_name(f"{SHARED}-one", content) != derived_name(f"{SHARED}-two", content)
    assert default_ic_name("twinllama-3-1-8b-dpo") == "twinllama-3-1-8b-dpo-ic"
    assert default_ic_name(f"{SHARED_IC}-a") != default_ic_name(f"{SHARED_IC}-b")
    for n in ("a" * 63, "a-" * 31 + "b", SHARED, f"{SHARED}-one", SHARED_IC, f"{SHARED_IC}-a"):
        assert len(derived_name(n, content)) <= 63 and ENDPOINT_NAME.match(derived_name(n, content))
        assert len(default_ic_name(n)) <= 63 and COMPONENT_NAME.match(default_ic_name(n))
