"""The Endpoint kind: pure pieces (names, spec limits, deployment mapping) and behaviour on the
SageMaker emulator over HTTP (the moto_server fixture), running the pipeline in-process."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest

from reconciler import pipeline
from reconciler.errors import ManifestError
from reconciler.kinds.base import Observed, OpContext
from reconciler.kinds.endpoint import (
    KIND,
    deployment_config,
    derived_name,
    ic_deployment_config,
    is_derived,
)
from reconciler.plan import Action
from tests.support.manifests import write

ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: exec}
spec: {assumedBy: [sagemaker.amazonaws.com]}
"""

ENDPOINT = """
apiVersion: reconciler/v1
kind: Endpoint
metadata: {name: llm, tags: {team: ml}}
spec:
  executionRole: exec
  model:
    image: {huggingfaceLlm: {version: "2.2.0"}}
    environment: {HF_MODEL_ID: org/model, SM_NUM_GPUS: "1"}
  instance: {type: ml.g5.2xlarge, count: 1}
  startup: {healthCheckTimeoutSeconds: 600}
"""

IC_ENDPOINT = """
apiVersion: reconciler/v1
kind: Endpoint
metadata: {name: llm-ic}
spec:
  type: inference-component-based
  executionRole: exec
  model:
    image: {uri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/tgi:latest}
    environment: {HF_MODEL_ID: org/model}
  instance: {type: ml.g6.12xlarge, count: 1, managedScaling: {minCount: 1, maxCount: 2}}
  inferenceComponent: {copies: 1, acceleratorDevices: 1, cpuCores: 2, memoryMb: 5120}
"""


# ---- pure ---------------------------------------------------------------------------------------


def test_derived_names_are_valid_stable_and_content_sensitive():
    a = derived_name("llm", {"image": "x", "env": {"A": "1"}})
    assert a == derived_name("llm", {"env": {"A": "1"}, "image": "x"})  # key order does not matter
    assert a != derived_name("llm", {"image": "x", "env": {"A": "2"}})
    assert re.fullmatch(r"llm-[0-9a-f]{10}", a) and is_derived("llm", a) and not is_derived("llm2", a)
    long = "a-" * 31 + "b"  # 63 characters
    n = derived_name(long, {})
    assert len(n) <= 63 and re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", n) and is_derived(long, n)
    assert not n.split("-")[-2].endswith("-")


def test_deployment_strategies_map_to_aws_shapes():
    assert deployment_config({}) is None
    canary = deployment_config({"strategy": "canary", "canarySize": "10%", "waitSeconds": 300,
                                "autoRollbackAlarms": ["5xx"]})
    assert canary == {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "CANARY", "WaitIntervalInSeconds": 300, "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10}}},
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "5xx"}]}}
    linear = deployment_config({"strategy": "linear", "linearStepSize": 1})
    assert linear["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["LinearStepSize"] == {
        "Type": "INSTANCE_COUNT", "Value": 1}
    rolling = deployment_config({"strategy": "rolling", "batchSize": 1, "waitSeconds": 60, "maxExecutionSeconds": 900})
    assert rolling == {"RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                                               "WaitIntervalInSeconds": 60, "MaximumExecutionTimeoutInSeconds": 900}}
    assert ic_deployment_config({"strategy": "rolling", "batchSize": 1})["RollingUpdatePolicy"]["MaximumBatchSize"] == {
        "Type": "COPY_COUNT", "Value": 1}


def _bad(tmp_path: Path, spec_lines: str) -> str:
    doc = ENDPOINT.replace("  startup: {healthCheckTimeoutSeconds: 600}\n", spec_lines)
    write(tmp_path / "bad", {"r.yaml": ROLE, "e.yaml": doc})
    with pytest.raises(ManifestError) as e:
        pipeline.load(tmp_path / "bad")
    return str(e.value)


STATE = {"type": "model-based", "image": "img", "environment": {"A": "1"}, "executionRole": "arn:role",
         "instance": {"type": "ml.g5.2xlarge", "count": 1}, "startup": {}, "status": "InService",
         "failed": None, "leftovers": [], "tags": {"team": "ml"}}


def test_startup_is_a_config_field_not_a_model_field():
    """The model's name leaves startup out: the reason and the operations say new config, not new model."""
    assert KIND.plan_reason("update", ["startup"], STATE) == "new endpoint config + UpdateEndpoint, forced by startup"
    desired = {**STATE, "startup": {"healthCheckTimeoutSeconds": 600}}
    live = Observed("Endpoint", "llm", "arn:aws:sagemaker:us-east-1:1:endpoint/llm", STATE,
                    {"model": "m", "config": "c", "endpointTags": {"team": "ml", "reconciler:endpoint": "llm"}})
    ops = KIND.operations("llm", desired, live, OpContext(stack="s", account="1", region="us-east-1"))
    assert [o.action for o in ops] == ["CreateEndpointConfig", "AddTags", "UpdateEndpoint", "Wait"]
    assert ops[0].request["ProductionVariants"][0]["ModelName"] == "m"  # the model it runs, kept


def test_a_new_model_whose_secret_version_is_unknown_is_named_by_pattern():
    """A plan that could not read a secret's version (the plan has a problem then) shows the model by pattern."""
    desired = {**STATE, "environment": {"A": "1", "T": {"secretsManager": "hf", "version": "current"}}}
    ctx = OpContext(stack="s", account="1", region="us-east-1")
    ops = KIND.operations("llm", desired, None, ctx)
    assert [o.action for o in ops] == ["CreateModel", "CreateEndpointConfig", "CreateEndpoint", "Wait"]
    assert ops[0].target.startswith("llm-<hash") and is_derived("llm", ops[1].target) is False
    known = OpContext(stack="s", account="1", region="us-east-1", facts={"secretVersions": {"T": "v1"}})
    named = KIND.operations("llm", desired, None, known)
    assert is_derived("llm", named[0].target) and is_derived("llm", named[1].target)
    assert named[0].request["PrimaryContainer"]["Environment"]["T"] == {"$secret": "hf", "version": "v1"}


def test_spec_limits_are_validated(tmp_path):
    msg = _bad(tmp_path, "  startup: {healthCheckTimeoutSeconds: 30}\n")
    assert "spec.startup.healthCheckTimeoutSeconds" in msg and "60" in msg
    msg = _bad(tmp_path, "  startup: {modelDownloadTimeoutSeconds: 4000}\n")
    assert "spec.startup.modelDownloadTimeoutSeconds" in msg and "3600" in msg
    doc = ENDPOINT.replace('version: "2.2.0"', 'version: "9.9"')
    write(tmp_path / "v", {"r.yaml": ROLE, "e.yaml": doc})
    with pytest.raises(ManifestError, match=r"spec.model.image.huggingfaceLlm.version: unknown huggingfaceLlm version '9.9'; available: .*2\.2\.0"):
        pipeline.load(tmp_path / "v")
    doc = ENDPOINT.replace("ml.g5.2xlarge", "g5.2xlarge")
    write(tmp_path / "t", {"r.yaml": ROLE, "e.yaml": doc})
    with pytest.raises(ManifestError, match="spec.instance.type"):
        pipeline.load(tmp_path / "t")
    env = "\n".join(f"      K{i}: v" for i in range(101))
    doc = ENDPOINT.replace("    environment: {HF_MODEL_ID: org/model, SM_NUM_GPUS: \"1\"}", "    environment:\n" + env)
    write(tmp_path / "e", {"r.yaml": ROLE, "e.yaml": doc})
    with pytest.raises(ManifestError, match="101 entries; AWS allows at most 100"):
        pipeline.load(tmp_path / "e")
    doc = ENDPOINT.replace('SM_NUM_GPUS: "1"', "SM_NUM_GPUS: 1")
    write(tmp_path / "n", {"r.yaml": ROLE, "e.yaml": doc})
    with pytest.raises(ManifestError, match="environment values are strings"):
        pipeline.load(tmp_path / "n")


def test_display_masks_secrets():
    shown = KIND.display({"environment": {"A": "1", "T": {"secretsManager": "hf", "version": "current"}}})
    assert shown["environment"] == {"A": "1", "T": "(secret)"}


# ---- on the emulator -----------------------------------------------------------------------------


class Env:
    """A clean emulator account, the pipeline in-process against it, and a log of progress lines."""

    def __init__(self, server, root: Path, monkeypatch):
        server.reset()
        server.post("/reconcile-sandbox/sagemaker/config",
                    {"create_seconds": 0.3, "update_seconds": 0.3, "delete_seconds": 0.1})
        for k, v in {"AWS_ENDPOINT_URL": server.url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "RECONCILE_POLL_SECONDS": "0.05"}.items():
            monkeypatch.setenv(k, v)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        self.server, self.root, self.log = server, root, []
        self.opts = pipeline.Options(sandbox=False, concurrency=4, progress=self.log.append)
        self.sm = boto3.client("sagemaker", region_name="us-east-1", endpoint_url=server.url)

    def write(self, **files: str) -> None:
        for old in self.root.glob("*.yaml"):
            old.unlink()
        write(self.root, {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: test}\n", **files})

    def plan(self, **kw):  # type: ignore[no-untyped-def]
        return pipeline.plan(self.root, self.opts, **kw)[0]

    def apply(self, ok: bool = True, **kw):  # type: ignore[no-untyped-def]
        p, t, m = pipeline.plan(self.root, self.opts, **kw)
        result = pipeline.apply(p, t, self.opts, m.stack.name)
        if ok:
            assert result.outcome.ok, [str(e) for _, e in result.outcome.failed]
            assert result.drift == []
        return p, result

    def fault(self, **f) -> None:  # type: ignore[no-untyped-def]
        self.server.post("/reconcile-sandbox/sagemaker/faults", f)

    def models(self) -> list[str]:
        return sorted(m["ModelName"] for m in self.sm.list_models()["Models"])

    def configs(self) -> list[str]:
        return sorted(c["EndpointConfigName"] for c in self.sm.list_endpoint_configs()["EndpointConfigs"])

    def tags(self, arn: str) -> dict[str, str]:
        return {t["Key"]: t["Value"] for t in self.sm.list_tags(ResourceArn=arn)["Tags"]}


@pytest.fixture
def env(moto_server, tmp_path, monkeypatch) -> Env:
    return Env(moto_server, tmp_path / "m", monkeypatch)


def test_model_based_four_steps_update_keeps_previous_and_cleans_older(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT})
    assert env.plan().counts()["create"] == 2
    env.apply()
    assert not env.plan().has_changes
    d = env.sm.describe_endpoint(EndpointName="llm")
    first = d["EndpointConfigName"]
    assert d["EndpointStatus"] == "InService" and re.fullmatch(r"llm-[0-9a-f]{10}", first)
    cfg = env.sm.describe_endpoint_config(EndpointConfigName=first)
    model = cfg["ProductionVariants"][0]["ModelName"]
    assert cfg["ProductionVariants"][0]["ContainerStartupHealthCheckTimeoutInSeconds"] == 600
    for arn in (d["EndpointArn"], cfg["EndpointConfigArn"], env.sm.describe_model(ModelName=model)["ModelArn"]):
        tags = env.tags(arn)
        assert tags["reconciler:stack"] == "test" and tags["reconciler:endpoint"] == "llm" and tags["team"] == "ml"

    # a changed environment plans as an update of the endpoint, with the field that forced it
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT.replace("org/model", "org/model-v2")})
    p = env.plan()
    [step] = p.changes
    assert step.action == Action.update and "UpdateEndpoint, forced by environment" in step.reason
    assert [(c.path, c.before, c.after) for c in step.changes] == [("environment.HF_MODEL_ID", "org/model", "org/model-v2")]
    env.apply()
    d = env.sm.describe_endpoint(EndpointName="llm")
    second = d["EndpointConfigName"]
    assert second != first and env.tags(d["EndpointArn"])["reconciler:previous-config"] == first
    assert first in env.configs() and model in env.models()  # kept for a one-step rollback
    assert not env.plan().has_changes

    # a third version: the oldest config/model go, the one it ran before stays
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT.replace("org/model", "org/model-v2").replace("count: 1", "count: 2")})
    [step] = env.plan().changes
    new_config = step.operations[0].target
    assert [(o.action, o.target) for o in step.operations] == [  # what apply does, deletes included
        ("CreateEndpointConfig", new_config), ("AddTags", "llm"), ("UpdateEndpoint", "llm"), ("Wait", "llm"),
        ("DeleteEndpointConfig", first), ("DeleteModel", model)]
    assert step.operations[1].request["Tags"] == [{"Key": "reconciler:previous-config", "Value": second}]
    env.apply()
    d = env.sm.describe_endpoint(EndpointName="llm")
    assert d["EndpointConfigName"] == new_config
    assert d["ProductionVariants"][0]["DesiredInstanceCount"] == 2  # a count change is applied, not retained
    assert env.configs() == sorted([d["EndpointConfigName"], second]) and first not in env.configs()
    assert model not in env.models() and len(env.models()) == 1  # count-only change reuses the model
    assert any("UpdateEndpoint" in step.reason for step in env.plan().changes) is False


def test_inference_components_create_update_and_copy_count_only(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": IC_ENDPOINT})
    env.apply()
    assert not env.plan().has_changes
    cfg = env.sm.describe_endpoint_config(EndpointConfigName=env.sm.describe_endpoint(EndpointName="llm-ic")["EndpointConfigName"])
    variant = cfg["ProductionVariants"][0]
    assert "ModelName" not in variant and cfg["ExecutionRoleArn"].endswith(":role/exec")
    assert variant["ManagedInstanceScaling"]["MaxInstanceCount"] == 2
    ic = env.sm.describe_inference_component(InferenceComponentName="llm-ic")
    assert ic["RuntimeConfig"]["DesiredCopyCount"] == 1
    assert ic["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 5120
    model = ic["Specification"]["ModelName"]

    env.log.clear()
    env.write(**{"r.yaml": ROLE, "e.yaml": IC_ENDPOINT.replace("copies: 1", "copies: 3")})
    [step] = env.plan().changes
    assert [(c.path, c.before, c.after) for c in step.changes] == [("inferenceComponent.copies", 1, 3)]
    assert [(o.action, o.target) for o in step.operations] == [("UpdateInferenceComponentRuntimeConfig", "llm-ic"),
                                                               ("Wait", "llm-ic")]
    env.apply()
    assert any("UpdateInferenceComponentRuntimeConfig" in m for m in env.log)
    ic = env.sm.describe_inference_component(InferenceComponentName="llm-ic")
    assert ic["RuntimeConfig"]["DesiredCopyCount"] == 3 and ic["Specification"]["ModelName"] == model

    env.write(**{"r.yaml": ROLE, "e.yaml": IC_ENDPOINT.replace("memoryMb: 5120", "memoryMb: 8192")
                 .replace("org/model", "org/other")})
    [step] = env.plan().changes
    assert [o.action for o in step.operations] == ["CreateModel", "AddTags", "UpdateInferenceComponent", "Wait"]
    assert "UpdateInferenceComponent (new model, forced by environment)" in step.reason
    env.apply()
    ic = env.sm.describe_inference_component(InferenceComponentName="llm-ic")
    assert ic["Specification"]["ModelName"] != model
    assert ic["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 8192
    assert not env.plan().has_changes


def test_failed_create_is_reported_then_replaced_with_no_orphans(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT})
    env.fault(endpoint="llm", on="create", reason="CannotStartContainerError: out of memory")
    _, result = env.apply(ok=False)
    [(step, err)] = result.outcome.failed
    assert step.id == "Endpoint/llm" and "CannotStartContainerError: out of memory" in str(err)
    p = env.plan()
    [step] = p.changes
    assert step.action == Action.replace and "Failed (CannotStartContainerError" in step.reason
    env.apply()
    assert env.sm.describe_endpoint(EndpointName="llm")["EndpointStatus"] == "InService"
    assert len(env.models()) == 1 and len(env.configs()) == 1
    assert not env.plan().has_changes


def test_failed_update_rolls_back_and_leaves_no_orphans(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT})
    env.apply()
    before = env.sm.describe_endpoint(EndpointName="llm")["EndpointConfigName"]
    models, configs = env.models(), env.configs()
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT.replace("org/model", "org/broken")})
    env.fault(endpoint="llm", on="update", mode="rollback", reason="Health check failed for the new fleet")
    _, result = env.apply(ok=False)
    [(_, err)] = result.outcome.failed
    assert "rolled back" in str(err) and "Health check failed for the new fleet" in str(err)
    d = env.sm.describe_endpoint(EndpointName="llm")
    assert d["EndpointStatus"] == "InService" and d["EndpointConfigName"] == before
    assert env.models() == models and env.configs() == configs  # the unused new model/config were removed
    # the manifest still differs: the next apply retries (and succeeds without the fault)
    assert env.plan().changes[0].action == Action.update
    env.apply()
    assert env.sm.describe_endpoint(EndpointName="llm")["EndpointConfigName"] != before


def test_failed_instance_change_of_an_ic_endpoint_keeps_the_model_its_component_runs(env):
    """Only the instance settings change: a new config, the same model. When that update fails, the
    cleanup must not delete the model the inference component still serves."""
    env.write(**{"r.yaml": ROLE, "e.yaml": IC_ENDPOINT})
    env.apply()
    ic = env.sm.list_inference_components(EndpointNameEquals="llm-ic")["InferenceComponents"][0]
    model = env.sm.describe_inference_component(InferenceComponentName=ic["InferenceComponentName"])[
        "Specification"]["ModelName"]
    env.write(**{"r.yaml": ROLE, "e.yaml": IC_ENDPOINT.replace("maxCount: 2", "maxCount: 3")})
    env.fault(endpoint="llm-ic", on="update", mode="rollback", reason="Capacity error for the new fleet")
    _, result = env.apply(ok=False)
    [(_, err)] = result.outcome.failed
    assert "Capacity error for the new fleet" in str(err)
    assert model in env.models()
    runtime = boto3.client("sagemaker-runtime", region_name="us-east-1", endpoint_url=env.server.url)
    answer = runtime.invoke_endpoint(EndpointName="llm-ic", InferenceComponentName=ic["InferenceComponentName"],
                                     Body=b'{"inputs": "hi"}', ContentType="application/json")
    assert b"generated_text" in answer["Body"].read()
    env.apply()  # without the fault the change goes through
    assert not env.plan().has_changes


def test_timeout_is_honest_and_a_rerun_continues(env, monkeypatch):
    env.server.post("/reconcile-sandbox/sagemaker/config", {"create_seconds": 3})
    monkeypatch.setenv("RECONCILE_WAIT_TIMEOUT", "0.5")
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT})
    _, result = env.apply(ok=False)
    [(_, err)] = result.outcome.failed
    assert "timed out after" in str(err) and "still Creating" in str(err)
    assert any("Endpoint/llm: Creating" in m for m in env.log)
    monkeypatch.delenv("RECONCILE_WAIT_TIMEOUT")
    p = env.plan()
    assert p.changes[0].action == Action.update and "wait for it to be InService (now Creating)" in p.changes[0].reason
    env.apply()
    assert not env.plan().has_changes and len(env.models()) == 1


def test_leftovers_of_an_interrupted_run_are_planned_and_deleted(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT})
    env.apply()
    # what a crash between CreateModel/CreateEndpointConfig and UpdateEndpoint leaves behind
    tags = [{"Key": "reconciler:managed-by", "Value": "reconciler"}, {"Key": "reconciler:stack", "Value": "test"},
            {"Key": "reconciler:endpoint", "Value": "llm"}]
    role = "arn:aws:iam::123456789012:role/exec"
    env.sm.create_model(ModelName="llm-0123456789", ExecutionRoleArn=role,
                        PrimaryContainer={"Image": "x.dkr.ecr.us-east-1.amazonaws.com/y:1"}, Tags=tags)
    env.sm.create_endpoint_config(EndpointConfigName="llm-abcdef0123", Tags=tags, ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "llm-0123456789", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}])
    [step] = env.plan().changes
    assert {c.path for c in step.changes} == {"leftovers"}
    assert sorted(c.before for c in step.changes) == ["config/llm-abcdef0123", "model/llm-0123456789"]
    env.apply()
    assert "llm-0123456789" not in env.models() and "llm-abcdef0123" not in env.configs()
    assert not env.plan().has_changes


def test_secret_environment_is_resolved_masked_and_rotations_roll_out(env):
    sec = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=env.server.url)
    sec.create_secret(Name="hf-token", SecretString="hf_FIRST_SECRET_VALUE")
    doc = ENDPOINT.replace('SM_NUM_GPUS: "1"}', 'SM_NUM_GPUS: "1", HUGGING_FACE_HUB_TOKEN: {secretsManager: hf-token}}')
    env.write(**{"r.yaml": ROLE, "e.yaml": doc})
    p, _ = env.apply()
    assert "hf_FIRST" not in p.model_dump_json() and not any("hf_FIRST" in m for m in env.log)
    model = env.sm.describe_endpoint_config(EndpointConfigName=env.sm.describe_endpoint(EndpointName="llm")[
        "EndpointConfigName"])["ProductionVariants"][0]["ModelName"]
    assert env.sm.describe_model(ModelName=model)["PrimaryContainer"]["Environment"]["HUGGING_FACE_HUB_TOKEN"] == \
        "hf_FIRST_SECRET_VALUE"
    assert not env.plan().has_changes
    sec.put_secret_value(SecretId="hf-token", SecretString="hf_SECOND_SECRET_VALUE")
    p = env.plan()
    [step] = p.changes
    assert [(c.path, c.before, c.after) for c in step.changes] == [
        ("environment.HUGGING_FACE_HUB_TOKEN.version", "previous", "current")]
    p, _ = env.apply()
    assert "hf_SECOND" not in p.model_dump_json() and not any("hf_SECOND" in m for m in env.log)
    assert not env.plan().has_changes


def test_prune_deletes_components_endpoint_configs_models_then_role(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": IC_ENDPOINT})
    env.apply()
    env.write(**{"x.yaml": ROLE.replace("name: exec", "name: other")})
    env.log.clear()
    p, _ = env.apply(prune=True)
    assert [(s.kind, s.action) for s in p.changes if s.action == Action.delete] == [("Endpoint", Action.delete),
                                                                                      ("Role", Action.delete)]
    order = [m for m in env.log if re.search(r"(deleted|deleting|: Delete)", m)]
    idx = {key: next(i for i, m in enumerate(order) if key in m) for key in (
        "InferenceComponent/llm-ic: deleted", "Endpoint/llm-ic: deleted", ": DeleteEndpointConfig ", ": DeleteModel ",
        "deleting Role/exec")}
    assert list(idx.values()) == sorted(idx.values()), order
    assert env.models() == [] and env.configs() == []
    # the step listed every delete apply made (apply says each call it makes)
    step = next(s for s in p.changes if s.kind == "Endpoint")
    what = ("DeleteEndpointConfig", "DeleteModel", "DeleteInferenceComponent")
    planned = {f"{o.action} {o.target}" for o in step.operations if o.action in what}
    deleted = {f"{g[1]} {g[2]}" for m in env.log if (g := re.match(rf"Endpoint/llm-ic: ({'|'.join(what)}) (\S+)( \(.*\))?$", m))}
    assert planned == deleted and len(deleted) == 3, (planned, deleted)


def test_prune_refuses_a_role_a_kept_endpoint_uses(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT})
    env.apply()
    env.write(**{"e.yaml": ENDPOINT.replace("executionRole: exec", "executionRole: arn:aws:iam::123456789012:role/exec")})
    p = env.plan(prune=True)
    assert [(x.kind, x.name, x.code) for x in p.problems] == [("Role", "exec", "in-use")]


def test_smoke_test_runs_after_create_and_fails_the_apply(env):
    doc = ENDPOINT + "  smokeTest: {inputs: hello, parameters: {max_new_tokens: 4}, expect: \"Here is\"}\n"
    env.write(**{"r.yaml": ROLE, "e.yaml": doc})
    env.apply()
    assert any("smoke test passed" in m for m in env.log)
    env.write(**{"r.yaml": ROLE, "e.yaml": doc.replace('expect: "Here is"', "expect: never-said").replace("org/model", "v2")})
    _, result = env.apply(ok=False)
    [(_, err)] = result.outcome.failed
    assert "Smoke test of Endpoint/llm failed" in str(err) and "never-said" in str(err)


def test_a_plan_lists_the_accounts_configs_and_models_once(env):
    """The endpoints' reads and the orphan scan share one listing of configs and of models per command; an
    endpoint's read describes each of its inference components once."""
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT, "ic.yaml": IC_ENDPOINT})
    env.apply()
    p, t, _ = pipeline.plan(env.root, env.opts)
    assert not p.has_changes and not p.orphans
    assert t.aws.calls["sagemaker:list_models"] == 1 and t.aws.calls["sagemaker:list_endpoint_configs"] == 1, t.aws.calls
    assert t.aws.calls["sagemaker:describe_inference_component"] == 1, t.aws.calls  # llm-ic's one component


def test_an_ic_model_change_records_its_rollback_point_once(env):
    """Apply starts from the tags its re-read found and keeps them current: the rollback record is one
    AddTags on the endpoint (it was written, then written again from stale tags), no second ListTags."""
    env.write(**{"r.yaml": ROLE, "ic.yaml": IC_ENDPOINT})
    env.apply()
    env.write(**{"r.yaml": ROLE, "ic.yaml": IC_ENDPOINT.replace("org/model", "org/model-v2")})
    p, t, m = pipeline.plan(env.root, env.opts)
    t.aws.calls.clear()
    result = pipeline.apply(p, t, env.opts, m.stack.name)
    assert result.outcome.ok and result.drift == [], result.outcome.failed
    assert t.aws.calls["sagemaker:add_tags"] == 1, t.aws.calls
    arn = env.sm.describe_endpoint(EndpointName="llm-ic")["EndpointArn"]
    old = [x for x in env.models() if x != env.sm.describe_inference_component(
        InferenceComponentName="llm-ic")["Specification"]["ModelName"]]
    assert env.tags(arn)["reconciler:previous-model"] in old


def test_a_plan_describes_a_referenced_secret_once(env):
    """The plan's secret check, the endpoint's secret versions and its model's read share one DescribeSecret."""
    sec = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=env.server.url)
    sec.create_secret(Name="hf-token", SecretString="hf_FIRST_SECRET_VALUE")
    doc = ENDPOINT.replace('SM_NUM_GPUS: "1"}', 'SM_NUM_GPUS: "1", HUGGING_FACE_HUB_TOKEN: {secretsManager: hf-token}}')
    env.write(**{"r.yaml": ROLE, "e.yaml": doc})
    env.apply()
    p, t, _ = pipeline.plan(env.root, env.opts)
    assert not p.has_changes
    assert t.aws.calls["secretsmanager:describe_secret"] == 1, t.aws.calls
    assert t.aws.calls["secretsmanager:get_secret_value"] == 0, t.aws.calls  # a plan never reads a value


def test_component_compute_maps_both_ways_through_one_table():
    from reconciler.kinds.endpoint.shapes import compute, compute_of

    ours = {"memoryMb": 5120, "maxMemoryMb": 8192, "acceleratorDevices": 1, "cpuCores": 2}
    theirs = compute(ours)
    assert theirs == {"MinMemoryRequiredInMb": 5120, "MaxMemoryRequiredInMb": 8192,
                      "NumberOfAcceleratorDevicesRequired": 1.0, "NumberOfCpuCoresRequired": 2.0}
    assert compute_of(theirs) == {**ours, "acceleratorDevices": 1.0, "cpuCores": 2.0}
    assert compute({"memoryMb": 1024, "cpuCores": None}) == {"MinMemoryRequiredInMb": 1024}
    assert compute_of({"MinMemoryRequiredInMb": 1024}) == {"memoryMb": 1024}


def test_an_adoption_plan_reads_each_part_of_the_endpoint_once(env):
    """Adopting an SDK-made endpoint: which parts are untagged and which another stack owns is told from one
    describe and one ListTags of each (the two checks read them apart)."""
    role = boto3.client("iam", region_name="us-east-1", endpoint_url=env.server.url).create_role(
        RoleName="sdk-role", AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')["Role"]["Arn"]
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tgi:latest"
    env.sm.create_model(ModelName="sdk-model", ExecutionRoleArn=role,
                        PrimaryContainer={"Image": image, "Environment": {"HF_MODEL_ID": "org/model"}})
    env.sm.create_endpoint_config(EndpointConfigName="sdk-cfg", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "sdk-model", "InstanceType": "ml.g5.2xlarge",
        "InitialInstanceCount": 1}])
    env.sm.create_endpoint(EndpointName="sdk", EndpointConfigName="sdk-cfg")
    env.write(**{"e.yaml": f"""
apiVersion: reconciler/v1
kind: Endpoint
metadata: {{name: sdk, annotations: {{reconciler/adopt: "true"}}}}
spec:
  executionRole: {role}
  model: {{image: {{uri: {image}}}, environment: {{HF_MODEL_ID: org/model}}}}
  instance: {{type: ml.g5.2xlarge}}
"""})
    p, t, _ = pipeline.plan(env.root, env.opts)
    [step] = p.changes
    assert {(o.action, o.target) for o in step.operations} >= {("AddTags", "sdk-model"), ("AddTags", "sdk-cfg")}
    # the endpoint's read (1 each) and the adoption's (1 each)
    assert t.aws.calls["sagemaker:describe_model"] == 2, t.aws.calls
    assert t.aws.calls["sagemaker:describe_endpoint_config"] == 2, t.aws.calls


def test_a_plan_reads_the_tags_of_each_model_and_config_once(env, monkeypatch):
    """The endpoints' reads (their models, their leftovers) make at most one ListTags per model and config; the orphan
    scan makes none: the tagging listing answers each resource with its tags."""
    from collections import Counter

    from reconciler.aws import sagemaker as smx

    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT, "ic.yaml": IC_ENDPOINT})
    env.apply()
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT.replace("org/model", "org/model-v2"), "ic.yaml": IC_ENDPOINT})
    env.apply()  # a kept previous config and model too
    seen: Counter[str] = Counter()
    real = smx.tags_of

    def counting(sm, arn, what):  # type: ignore[no-untyped-def]
        seen[arn] += 1
        return real(sm, arn, what)

    monkeypatch.setattr(smx, "tags_of", counting)
    p, _t, _ = pipeline.plan(env.root, env.opts)
    assert not p.has_changes and not p.orphans
    parts = [a for a in seen if ":model/" in a or ":endpoint-config/" in a]
    assert len(parts) >= 2, seen  # the models of llm and llm-ic, at least
    assert [a for a in parts if seen[a] > 1] == [], seen
    assert _t.aws.calls["resourcegroupstaggingapi:get_resources"] == 1, _t.aws.calls
