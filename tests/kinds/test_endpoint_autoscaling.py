"""spec.autoscaling on Endpoints (issue 13): Application Auto Scaling on both endpoint types, never
fighting the autoscaler, and the order of its calls around the endpoint's own (sandbox over HTTP)."""

from __future__ import annotations

import pytest

from reconciler import ops, pipeline
from reconciler.errors import ManifestError, StalePlanError
from reconciler.kinds.endpoint import autoscaling as scaling
from reconciler.plan import Action
from tests.kinds.test_endpoint import ENDPOINT, IC_ENDPOINT, ROLE, Env
from tests.support.manifests import write

MODEL_SCALING = """  autoscaling:
    minCount: 1
    maxCount: 4
    target: {metric: invocationsPerInstance, value: 5}
    scaleInCooldownSeconds: 300
    scaleOutCooldownSeconds: 60
"""
IC_SCALING = """  autoscaling:
    minCount: 0
    maxCount: 4
    target: {metric: concurrentRequestsPerCopy, value: 2}
"""
VARIANT = "endpoint/llm/variant/AllTraffic"


@pytest.fixture
def env(moto_server, tmp_path, monkeypatch) -> Env:
    e = Env(moto_server, tmp_path / "m", monkeypatch)
    import boto3

    e.aas = boto3.client("application-autoscaling", region_name="us-east-1", endpoint_url=moto_server.url)
    return e


def targets(env) -> dict[str, dict]:
    return {t["ResourceId"]: t for t in env.aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]}


def policy(env, rid: str, dim: str, name: str = scaling.POLICY) -> dict:
    [p] = [p for p in env.aas.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=rid,
                                                        ScalableDimension=dim)["ScalingPolicies"]
           if p["PolicyName"] == name]
    return p


def autoscaler(env, **body) -> None:
    env.server.post("/reconcile-sandbox/sagemaker/autoscaler", body)


def calls(monkeypatch) -> list[str]:
    """Record every AWS call reconcile makes (service:operation), in order."""
    from reconciler.aws import Client

    seen: list[str] = []
    original = Client.call

    def call(self, op, what="", **kwargs):  # type: ignore[no-untyped-def]
        seen.append(f"{self.service}:{op}")
        return original(self, op, what, **kwargs)

    original_paginate = Client.paginate

    def paginate(self, op, key, what="", **kwargs):  # type: ignore[no-untyped-def]
        seen.append(f"{self.service}:{op}")
        return original_paginate(self, op, key, what, **kwargs)

    monkeypatch.setattr(Client, "call", call)
    monkeypatch.setattr(Client, "paginate", paginate)
    return seen


def test_model_based_four_steps_autoscaler_move_kept_and_min_max_only_touch_the_target(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT + MODEL_SCALING})
    step = next(s for s in env.plan().changes if s.kind == "Endpoint")
    acts = [(o.service, o.action) for o in step.operations]
    assert acts[-2:] == [("application-autoscaling", "RegisterScalableTarget"),
                         ("application-autoscaling", "PutScalingPolicy")]  # after CreateEndpoint
    assert acts.index(("sagemaker", "CreateEndpoint")) < acts.index(("application-autoscaling", "RegisterScalableTarget"))
    env.apply()
    t = targets(env)[VARIANT]
    assert (t["MinCapacity"], t["MaxCapacity"], t["ScalableDimension"]) == (1, 4, scaling.VARIANT_DIMENSION)
    cfg = policy(env, VARIANT, scaling.VARIANT_DIMENSION)["TargetTrackingScalingPolicyConfiguration"]
    assert cfg["PredefinedMetricSpecification"]["PredefinedMetricType"] == "SageMakerVariantInvocationsPerInstance"
    assert (cfg["TargetValue"], cfg["ScaleInCooldown"], cfg["ScaleOutCooldown"]) == (5.0, 300, 60)
    assert not env.plan().has_changes
    assert not env.apply()[0].has_changes

    # the autoscaler moves the variant to 3 instances: no drift; an unrelated update keeps the 3
    autoscaler(env, endpoint="llm", instances=3)
    assert not env.plan().has_changes
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT.replace("org/model", "org/model-v2") + MODEL_SCALING})
    [step] = env.plan().changes
    assert not [o for o in step.operations if o.service != "sagemaker"]  # scaling unchanged: no scaling call
    env.apply()
    d = env.sm.describe_endpoint(EndpointName="llm")
    assert d["ProductionVariants"][0]["DesiredInstanceCount"] == 3
    assert VARIANT in targets(env) and not env.plan().has_changes

    # min/max and target changes are Application Auto Scaling calls only, never an endpoint update
    config = d["EndpointConfigName"]
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT.replace("org/model", "org/model-v2")
                 + MODEL_SCALING.replace("maxCount: 4", "maxCount: 6").replace("value: 5", "value: 8")})
    [step] = env.plan().changes
    assert step.action == Action.update and "autoscaling changed" in step.reason
    assert {(c.path, c.before, c.after) for c in step.changes} == {("autoscaling.maxCount", 4, 6),
                                                                   ("autoscaling.value", 5.0, 8.0)}
    assert [(o.action, o.target) for o in step.operations] == [
        ("RegisterScalableTarget", VARIANT), ("PutScalingPolicy", f"{VARIANT}/{scaling.POLICY}")]
    env.apply()
    d = env.sm.describe_endpoint(EndpointName="llm")
    assert d["EndpointConfigName"] == config and d["ProductionVariants"][0]["DesiredInstanceCount"] == 3
    assert targets(env)[VARIANT]["MaxCapacity"] == 6
    assert not env.plan().has_changes


def test_inference_component_scaling_to_zero_keeps_the_scaled_copy_count_on_updates(env):
    doc = IC_ENDPOINT + IC_SCALING
    env.write(**{"r.yaml": ROLE, "e.yaml": doc})
    env.apply()
    rid = "inference-component/llm-ic"
    t = targets(env)[rid]
    assert (t["MinCapacity"], t["MaxCapacity"], t["ScalableDimension"]) == (0, 4, scaling.IC_DIMENSION)
    cfg = policy(env, rid, scaling.IC_DIMENSION)["TargetTrackingScalingPolicyConfiguration"]
    assert cfg["PredefinedMetricSpecification"]["PredefinedMetricType"] == \
        "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"
    assert not env.plan().has_changes
    assert not env.apply()[0].has_changes

    autoscaler(env, component="llm-ic", copies=3)
    assert not env.plan().has_changes  # the autoscaler's copies are no drift
    # an unrelated change (new model + compute: UpdateInferenceComponent) keeps the 3 copies
    env.write(**{"r.yaml": ROLE, "e.yaml": doc.replace("memoryMb: 5120", "memoryMb: 8192").replace("org/model", "org/other")})
    [step] = env.plan().changes
    assert "UpdateInferenceComponent" in [o.action for o in step.operations]
    assert "inferenceComponent.copies" not in [c.path for c in step.changes]
    env.apply()
    ic = env.sm.describe_inference_component(InferenceComponentName="llm-ic")
    assert ic["RuntimeConfig"]["DesiredCopyCount"] == 3
    assert ic["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 8192
    assert rid in targets(env) and not env.plan().has_changes

    # scaled to zero by the autoscaler: still no drift
    autoscaler(env, component="llm-ic", copies=0)
    assert not env.plan().has_changes


def test_removed_autoscaling_block_is_deregistered_and_the_endpoint_untouched(env, monkeypatch):
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT + MODEL_SCALING})
    env.apply()
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT})
    [step] = env.plan().changes
    assert [(o.action, o.target) for o in step.operations] == [("DeregisterScalableTarget", VARIANT)]
    seen = calls(monkeypatch)
    env.apply()
    writes = [c for c in seen if not c.split(":")[1].startswith(("describe", "list", "get"))]
    assert writes == ["application-autoscaling:deregister_scalable_target"], writes
    assert targets(env) == {} and not env.plan().has_changes


@pytest.mark.parametrize("doc,scaling_doc,rid", [(ENDPOINT, MODEL_SCALING, VARIANT),
                                                 (IC_ENDPOINT, IC_SCALING, "inference-component/llm-ic")])
def test_prune_deregisters_before_the_component_and_endpoint_are_deleted(env, monkeypatch, doc, scaling_doc, rid):
    env.write(**{"r.yaml": ROLE, "e.yaml": doc + scaling_doc})
    env.apply()
    assert rid in targets(env)
    env.write(**{"r.yaml": ROLE})
    step = next(s for s in env.plan(prune=True).changes if s.kind == "Endpoint")
    acts = [(o.action, o.target) for o in step.operations]
    first_sagemaker = min(i for i, o in enumerate(step.operations) if o.service == "sagemaker")
    assert acts.index(("DeregisterScalableTarget", rid)) < first_sagemaker, acts
    zero = rid.startswith("inference-component/")  # (IC_SCALING scales to zero: its alarm goes first)
    assert (acts[0] == ("DeleteAlarms", "reconciler-scale-from-zero-llm-ic")) == zero, acts
    seen = calls(monkeypatch)
    env.apply(prune=True)
    dereg = seen.index("application-autoscaling:deregister_scalable_target")
    first_delete = min(seen.index(c) for c in ("sagemaker:delete_endpoint", "sagemaker:delete_inference_component")
                       if c in seen)
    assert dereg < first_delete, seen
    assert not zero or seen.index("cloudwatch:delete_alarms") < dereg, seen
    assert targets(env) == {}


def test_replace_deregisters_first_and_registers_again_after():
    """A Failed endpoint (or a type change) is replaced: scaling goes before DeleteEndpoint, comes back after."""
    desired = {"type": "model-based", "autoscaling": {"minCount": 1, "maxCount": 4, "metric": "invocationsPerInstance",
                                                      "value": 5.0, "scaleInCooldownSeconds": None,
                                                      "scaleOutCooldownSeconds": None, "disableScaleIn": False}}
    meta = {"scalingTargets": [[VARIANT, scaling.VARIANT_DIMENSION]]}
    base = [ops.call("sagemaker", "DeleteEndpoint", "llm"), ops.call("sagemaker", "CreateEndpoint", "llm", id="endpoint")]
    scope = scaling.Scope(live=ops.part_of("arn:aws:sagemaker:us-east-1:1:endpoint/llm", {}, None),
                          after=ops.created("endpoint"), tags={"reconciler:endpoint": "llm"})
    out = scaling.with_operations("llm", desired, {"autoscaling": desired["autoscaling"]}, meta, base, scope)
    assert [o.action for o in out] == ["DeregisterScalableTarget", "DeleteEndpoint", "CreateEndpoint",
                                       "RegisterScalableTarget", "PutScalingPolicy"]
    assert [o.ownership.basis for o in out if o.service != "sagemaker"] == ["parent", "created", "created"]


def _bad(tmp_path, doc: str) -> str:
    write(tmp_path, {"r.yaml": ROLE, "e.yaml": doc})
    with pytest.raises(ManifestError) as e:
        pipeline.load(tmp_path)
    return str(e.value)


def test_validate_refuses_scale_to_zero_on_model_based_and_a_metric_of_the_other_type(tmp_path):
    msg = _bad(tmp_path / "a", ENDPOINT + MODEL_SCALING.replace("minCount: 1", "minCount: 0"))
    assert "spec.autoscaling.minCount" in msg and "only for inference-component-based" in msg
    msg = _bad(tmp_path / "b", ENDPOINT + IC_SCALING.replace("minCount: 0", "minCount: 1"))
    assert "spec.autoscaling.target.metric" in msg and "invocationsPerInstance, concurrentRequestsPerModel" in msg
    msg = _bad(tmp_path / "c", ENDPOINT + MODEL_SCALING.replace("maxCount: 4", "maxCount: 1").replace("minCount: 1", "minCount: 2"))
    assert "minCount must be at most maxCount" in msg
    msg = _bad(tmp_path / "d", ENDPOINT.replace("count: 1", "count: 9") + MODEL_SCALING)
    assert "spec.instance.count" in msg and "1..4" in msg
    write(tmp_path / "ok", {"r.yaml": ROLE, "e.yaml": IC_ENDPOINT + IC_SCALING})
    pipeline.load(tmp_path / "ok")  # scale to zero is an inference component's


def test_plan_reads_all_scaling_in_one_listing_per_command(env, monkeypatch):
    two = ENDPOINT + MODEL_SCALING + "---\n" + IC_ENDPOINT + IC_SCALING.replace("minCount: 0", "minCount: 1")
    env.write(**{"r.yaml": ROLE, "e.yaml": two})
    env.apply()
    seen = calls(monkeypatch)
    assert not env.plan().has_changes
    scaling_reads = [c for c in seen if c.startswith("application-autoscaling:")]
    # the listings once per command; the tags of each of the two targets found once (whose it is: issue 23 item 1)
    assert sorted(scaling_reads) == ["application-autoscaling:describe_scalable_targets",
                                     "application-autoscaling:describe_scaling_policies",
                                     "application-autoscaling:describe_scheduled_actions",
                                     "application-autoscaling:list_tags_for_resource",
                                     "application-autoscaling:list_tags_for_resource"], scaling_reads


def test_a_saved_plan_refuses_to_apply_when_the_scaling_changed_under_it(env):
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT + MODEL_SCALING})
    env.apply()
    env.write(**{"r.yaml": ROLE, "e.yaml": ENDPOINT + MODEL_SCALING.replace("maxCount: 4", "maxCount: 5")})
    p, t, m = pipeline.plan(env.root, env.opts)
    [step] = p.changes
    assert [o.action for o in step.operations] == ["RegisterScalableTarget"]
    env.aas.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=VARIANT,
                                       ScalableDimension=scaling.VARIANT_DIMENSION)  # by hand, after the plan
    with pytest.raises(StalePlanError, match=r"Endpoint/llm changed in AWS since the plan was made \(autoscaling"):
        pipeline.rederive(p, m, t, env.opts)  # (what apply does before it runs a plan that waited)
    assert targets(env) == {}
