"""Scaling objects are ours only by proof (issue 23 item 1): a scalable target (with a scheduled action and a
scaling policy) registered by hand on an endpoint variant or an InferenceComponent that the manifests declare
without autoscaling is never deregistered, changed or deleted: plan warns, naming it, and exits 0 with
--detailed-exitcode; apply leaves it as it was. Declaring autoscaling on such a target is a plan problem (it
cannot be made ours without taking it), and the targets reconcile registers carry its tags."""

from __future__ import annotations

from tests.e2e.test_inference_components_e2e import _fast, component, files
from tests.support.manifests import llm_endpoint, sagemaker_stack, write

VARIANT = ("endpoint/own-llm/variant/AllTraffic", "sagemaker:variant:DesiredInstanceCount")
COMPONENT = ("inference-component/twinllama", "sagemaker:inference-component:DesiredCopyCount")


def _by_hand(aas, rid: str, dim: str) -> None:  # type: ignore[no-untyped-def]
    """What someone did with the console or the aws CLI: a target, a scheduled action and a policy, no tags."""
    aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                                 MinCapacity=1, MaxCapacity=2)
    aas.put_scheduled_action(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                             ScheduledActionName="nightly", Schedule="cron(0 22 * * ? *)",
                             ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 1})
    aas.put_scheduled_action(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                             ScheduledActionName="reconciler-looks-like-ours", Schedule="cron(0 6 * * ? *)",
                             ScalableTargetAction={"MinCapacity": 2, "MaxCapacity": 2})


def _scaling(aas, rid: str) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    targets = [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"])
               for t in aas.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[rid])["ScalableTargets"]]
    actions = sorted(a["ScheduledActionName"] for a in aas.describe_scheduled_actions(
        ServiceNamespace="sagemaker", ResourceId=rid)["ScheduledActions"])
    return targets, actions


def _left_alone(cli, m, aas, rid: str, dim: str) -> None:  # type: ignore[no-untyped-def]
    before = _scaling(aas, rid)
    assert before == ([(rid, 1, 2)], ["nightly", "reconciler-looks-like-ours"])
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text
    assert f"scalable target {rid} ({dim}) is not this stack's (no reconcile ownership tags)" in r.text, r.text
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _scaling(aas, rid) == before


def test_a_target_registered_by_hand_on_an_endpoint_variant_is_left_alone(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    aas = boto("application-autoscaling")
    m = write(tmp_path / "m", {"all.yaml": sagemaker_stack("own", "own") + "---"
                               + llm_endpoint("own-llm", "own-exec", "org/model")})
    assert cli("apply", str(m), "--auto-approve").code == 0
    _by_hand(aas, *VARIANT)
    _left_alone(cli, m, aas, *VARIANT)
    # declaring autoscaling on it would take it: refused, naming it, nothing written
    (m / "all.yaml").write_text((m / "all.yaml").read_text() + "  autoscaling: {minCount: 1, maxCount: 3, target: "
                                "{metric: invocationsPerInstance, value: 5}}\n")
    r = cli("plan", str(m))
    assert r.code == 1, r.text
    assert f"the scalable target {VARIANT[0]} ({VARIANT[1]}) exists but is not this stack's" in r.text, r.text
    assert cli("apply", str(m), "--auto-approve").code == 1
    assert _scaling(aas, VARIANT[0]) == ([(VARIANT[0], 1, 2)], ["nightly", "reconciler-looks-like-ours"])


def test_a_target_registered_by_hand_on_an_inference_component_is_left_alone(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    aas = boto("application-autoscaling")
    m = write(tmp_path / "m", files(twin=component("twinllama", "mlabonne/TwinLlama-3.1-8B-DPO", gpus=1)))
    assert cli("apply", str(m), "--auto-approve").code == 0
    _by_hand(aas, *COMPONENT)
    _left_alone(cli, m, aas, *COMPONENT)


def test_the_targets_reconcile_registers_carry_its_tags_and_stay_its_own(cli, boto, moto_server, tmp_path):
    """Its own target is read, changed and deregistered as before: proof by its tags."""
    _fast(cli, moto_server)
    aas = boto("application-autoscaling")
    scaled = component("twinllama", "mlabonne/TwinLlama-3.1-8B-DPO", gpus=1).rstrip() + """
      autoscaling:
        minCount: 1
        maxCount: 3
        target: {metric: invocationsPerCopy, value: 4}
    """
    m = write(tmp_path / "m", files(twin=scaled))
    assert cli("apply", str(m), "--auto-approve").code == 0
    [t] = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    tags = aas.list_tags_for_resource(ResourceARN=t["ScalableTargetARN"])["Tags"]
    assert (tags["reconciler:managed-by"], tags["reconciler:stack"]) == ("reconciler", "e2e"), tags
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "is not this stack's" not in r.text, r.text
    (m / "twin.yaml").write_text((m / "twin.yaml").read_text().replace("maxCount: 3", "maxCount: 2"))
    assert cli("apply", str(m), "--auto-approve").code == 0
    assert _scaling(aas, COMPONENT[0])[0] == [(COMPONENT[0], 1, 2)]
    (m / "twin.yaml").write_text((m / "twin.yaml").read_text().split("autoscaling:")[0])
    assert cli("apply", str(m), "--auto-approve").code == 0
    assert _scaling(aas, COMPONENT[0]) == ([], [])
