"""The InferenceComponent kind: several models on one inference-component-based endpoint, each its own
resource (model <component>-<hash>, ownership tags), on the SageMaker emulator over HTTP, pipeline in-process."""

from __future__ import annotations

import re

import pytest

from reconciler.errors import ManifestError
from reconciler.plan import Action, PlanMode
from tests.kinds.test_endpoint import ROLE, Env

# an endpoint without a component of its own: its components are the documents below
SHARED = """
apiVersion: reconciler/v1
kind: Endpoint
metadata: {name: shared}
spec:
  type: inference-component-based
  executionRole: exec
  instance: {type: ml.g5.12xlarge, count: 1, managedScaling: {minCount: 1, maxCount: 2}}
"""


def component(name: str, model_id: str, gpus: int = 1, copies: int = 1, memory: int = 8192, extra: str = "") -> str:
    return f"""
apiVersion: reconciler/v1
kind: InferenceComponent
metadata: {{name: {name}, tags: {{team: ml}}}}
spec:
  endpoint: shared
  model:
    image: {{uri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/tgi:latest}}
    environment: {{HF_MODEL_ID: {model_id}}}
  acceleratorDevices: {gpus}
  memoryMb: {memory}
  copies: {copies}
{extra}"""


BIG = component("big", "org/big", gpus=2)
SMALL = component("small", "org/small")


@pytest.fixture
def env(moto_server, tmp_path, monkeypatch) -> Env:
    return Env(moto_server, tmp_path / "m", monkeypatch)


def _model_of(env: Env, name: str) -> str:
    return env.sm.describe_inference_component(InferenceComponentName=name)["Specification"]["ModelName"]


def test_four_steps_two_components_on_one_endpoint(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": SHARED, "big.yaml": BIG, "small.yaml": SMALL})
    p = env.plan()
    assert p.counts()["create"] == 4, p.summary()
    steps = {f"{s.kind}/{s.name}": s for s in p.changes}
    assert [o.action for o in steps["Endpoint/shared"].operations] == ["CreateEndpointConfig", "CreateEndpoint", "Wait"]
    assert [o.action for o in steps["InferenceComponent/big"].operations] == ["CreateModel", "CreateInferenceComponent",
                                                                              "Wait"]
    order = [f"{s.kind}/{s.name}" for s in p.changes]
    assert order.index("Endpoint/shared") < order.index("InferenceComponent/big")  # the endpoint first
    env.apply()
    assert not env.plan().has_changes
    _, again = env.apply()
    for name, model_id in (("big", "org/big"), ("small", "org/small")):
        ic = env.sm.describe_inference_component(InferenceComponentName=name)
        assert ic["EndpointName"] == "shared" and ic["InferenceComponentStatus"] == "InService"
        model = ic["Specification"]["ModelName"]
        assert re.fullmatch(rf"{name}-[0-9a-f]{{10}}", model)
        for arn in (ic["InferenceComponentArn"], env.sm.describe_model(ModelName=model)["ModelArn"]):
            tags = env.tags(arn)
            assert tags["reconciler:stack"] == "test" and tags["reconciler:inference-component"] == name
            assert "reconciler:endpoint" not in tags and tags["team"] == "ml"
        container = env.sm.describe_model(ModelName=model)["PrimaryContainer"]
        assert container["Environment"] == {"HF_MODEL_ID": model_id}
    assert env.models() == sorted([_model_of(env, "big"), _model_of(env, "small")])  # the endpoint has none

    # copies only: UpdateInferenceComponentRuntimeConfig; a new model: create, update, and the old one kept as
    # the component's rollback point (tagged on it)
    old = _model_of(env, "small")
    env.write(**{"r.yaml": ROLE, "e.yaml": SHARED, "big.yaml": component("big", "org/big", gpus=2, copies=1),
                 "small.yaml": component("small", "org/small-v2")})
    [step] = env.plan().changes
    assert step.name == "small" and step.action == Action.update
    assert [o.action for o in step.operations] == ["CreateModel", "AddTags", "UpdateInferenceComponent", "Wait"]
    env.apply()
    assert _model_of(env, "small") != old and old in env.models()
    arn = env.sm.describe_inference_component(InferenceComponentName="small")["InferenceComponentArn"]
    assert env.tags(arn)["reconciler:previous-model"] == old
    env.write(**{"r.yaml": ROLE, "e.yaml": SHARED, "big.yaml": BIG, "small.yaml": component("small", "org/small-v2",
                                                                                          copies=2)})
    [step] = env.plan().changes
    assert [o.action for o in step.operations] == ["UpdateInferenceComponentRuntimeConfig", "Wait"]
    env.apply()
    assert env.sm.describe_inference_component(InferenceComponentName="small")["RuntimeConfig"]["DesiredCopyCount"] == 2
    assert not env.plan().has_changes


def test_removing_one_prunes_only_it_and_its_model_and_leaves_a_hand_made_one(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": SHARED, "big.yaml": BIG, "small.yaml": SMALL})
    env.apply()
    big_model = _model_of(env, "big")
    # someone adds a component by hand on the same endpoint
    env.sm.create_model(ModelName="hand", ExecutionRoleArn="arn:aws:iam::123456789012:role/exec",
                        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/tgi:latest"})
    env.sm.create_inference_component(
        InferenceComponentName="hand-made", EndpointName="shared", VariantName="AllTraffic",
        Specification={"ModelName": "hand", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024,
                                                                             "NumberOfAcceleratorDevicesRequired": 1}},
        RuntimeConfig={"CopyCount": 1})
    assert not env.plan().has_changes  # apply does not touch it
    env.write(**{"r.yaml": ROLE, "e.yaml": SHARED, "small.yaml": SMALL})
    p, _ = env.apply(prune=True)
    assert [(s.kind, s.name, s.action) for s in p.changes] == [("InferenceComponent", "big", Action.delete)]
    [step] = p.changes
    assert [o.action for o in step.operations] == ["DeleteInferenceComponent", "Wait", "DeleteModel"]
    names = {c["InferenceComponentName"] for c in env.sm.list_inference_components()["InferenceComponents"]}
    assert names == {"small", "hand-made"}
    assert big_model not in env.models() and "hand" in env.models() and _model_of(env, "small") in env.models()
    assert not env.plan().has_changes

    # destroy: this stack's components go, then the endpoint, which refuses while the hand-made one runs there
    env.write(**{"r.yaml": ROLE, "e.yaml": SHARED, "small.yaml": SMALL})
    p = env.plan(command="destroy", mode=PlanMode.destroy)
    assert any(pr.kind == "Endpoint" and "hand-made" in pr.message for pr in p.problems), p.problems
    env.sm.delete_inference_component(InferenceComponentName="hand-made")


def test_a_component_document_on_a_shorthand_endpoint_is_refused_naming_both(env):
    """An Endpoint whose inline inferenceComponent declares its one component, and an InferenceComponent
    document placed on it too: which is its component? Refused at validate (issue 23, item 6; it was
    applied beside the inline one)."""
    from reconciler import manifests
    from tests.kinds.test_endpoint import IC_ENDPOINT

    extra = component("extra", "org/extra").replace("endpoint: shared", "endpoint: llm-ic")
    env.write(**{"r.yaml": ROLE, "e.yaml": IC_ENDPOINT, "x.yaml": extra})
    with pytest.raises(ManifestError) as e:
        manifests.load(env.root)
    [issue] = e.value.issues
    assert issue.file.endswith("x.yaml") and issue.field == "spec.endpoint", issue
    assert "Endpoint/llm-ic declares its one component inline (spec.inferenceComponent at " in issue.message
    assert "e.yaml:" in issue.message and "ambiguous" in issue.message, issue.message


def test_capacity_overflow_is_refused_at_validate(env):
    from reconciler import manifests

    # ml.g5.12xlarge: 4 GPUs per instance, at most 2 instances -> 8; 3 + 3 x 2 copies = 9
    env.write(**{"r.yaml": ROLE, "e.yaml": SHARED, "big.yaml": component("big", "org/big", gpus=3),
                 "small.yaml": component("small", "org/small", gpus=3, copies=2)})
    with pytest.raises(ManifestError) as e:
        manifests.load(env.root)
    text = str(e.value)
    assert "cannot all fit" in text and "1 accelerator(s) too many (9 asked, 4 x 2 instance(s))" in text
    assert "big.yaml" in text or "small.yaml" in text


def test_an_endpoint_of_another_type_is_refused(env):
    from reconciler import manifests
    from tests.kinds.test_endpoint import ENDPOINT

    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT, "c.yaml": component("c", "org/c").replace("endpoint: shared",
                                                                                                "endpoint: llm")})
    with pytest.raises(ManifestError, match="need type inference-component-based"):
        manifests.load(env.root)


def test_plan_says_when_a_new_component_needs_sagemaker_to_add_instances(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": SHARED, "big.yaml": BIG})
    env.apply()
    env.write(**{"r.yaml": ROLE, "e.yaml": SHARED, "big.yaml": BIG, "more.yaml": component("more", "org/more", gpus=3)})
    [step] = env.plan().changes
    [create] = [o for o in step.operations if o.action == "CreateInferenceComponent"]
    assert "need 2 instance(s), 1 more than instance.count: managed instance scaling adds them" in create.detail
    env.apply()
    d = env.sm.describe_endpoint(EndpointName="shared")
    assert d["ProductionVariants"][0]["CurrentInstanceCount"] == 2  # the sandbox scaled out as the plan said
    assert not env.plan().has_changes


def test_a_component_on_an_endpoint_outside_the_manifests_needs_its_role(env):
    from reconciler import manifests

    env.write(**{"c.yaml": component("c", "org/c").replace("endpoint: shared", "endpoint: live-one")})
    with pytest.raises(ManifestError, match="Endpoint/live-one is not in the manifests: give executionRole"):
        manifests.load(env.root)
