"""The quota check at plan time (reconciler/quotas.py): what the stack needs at its maximum against the
account's Service Quotas values, as a plan problem, a warning, or nothing."""

from __future__ import annotations

from pathlib import Path

from reconciler import quotas
from reconciler.manifests import load
from reconciler.plan import Action, Orphan, Plan, Step
from tests.support.manifests import write


def endpoint(name: str, extra: str = "") -> str:
    return f"""apiVersion: reconciler/v1
kind: Endpoint
metadata: {{name: {name}}}
spec:
  executionRole: arn:aws:iam::123456789012:role/x
  model: {{image: {{uri: 123.dkr.ecr.us-east-1.amazonaws.com/tgi:1}}}}
  instance: {{type: ml.g5.2xlarge, count: 1}}
{extra}"""


ENDPOINTS = endpoint("a") + "---\n" + endpoint(
    "b", "  autoscaling: {minCount: 1, maxCount: 3, target: {metric: invocationsPerInstance, value: 5}}\n")


def setup(tmp_path: Path, b_action: Action = Action.create) -> tuple[list, Plan]:
    m = load(write(tmp_path / "m", {"endpoints.yaml": ENDPOINTS}))
    desired = {"type": "model-based", "instance": {"type": "ml.g5.2xlarge", "count": 1}}
    steps = (Step(kind="Endpoint", name="a", action=Action.noop, reason="", desired=desired),
             Step(kind="Endpoint", name="b", action=b_action, reason="",
                  desired={**desired, "autoscaling": {"minCount": 1, "maxCount": 3}}))
    return m.resources, Plan(stack="s", account="123456789012", region="us-east-1", steps=steps)


def quota(value: float) -> dict:
    name = "ml.g5.2xlarge for endpoint usage"
    return {name: {"QuotaName": name, "QuotaCode": "L-ABCD1234", "Value": value}}


def test_the_stack_needs_the_sum_of_its_maxima_and_a_short_quota_is_a_problem(tmp_path: Path) -> None:
    resources, plan = setup(tmp_path)
    assert quotas.needs(resources, plan)["ml.g5.2xlarge"].count == 4  # 1 (a) + 3 (b at autoscaling.maxCount)
    assert quotas.judge(quota(4), resources, plan) == ([], [])
    [problem], warnings = quotas.judge(quota(3), resources, plan)
    assert warnings == [] and problem.code == "quota" and problem.kind == "Endpoint" and problem.name == "a"
    assert problem.file.endswith("endpoints.yaml") and problem.line == 7
    for said in ("'ml.g5.2xlarge for endpoint usage' is 3 in us-east-1", "needs up to 4 at its maximum",
                 "Endpoint/a: 1 (instance.count), Endpoint/b: 3 (autoscaling.maxCount)",
                 "aws service-quotas request-service-quota-increase --service-code sagemaker --quota-code "
                 "L-ABCD1234 --desired-value 4 --region us-east-1"):
        assert said in problem.message, problem.message


def test_nothing_of_the_type_changes_then_a_warning_not_a_refusal(tmp_path: Path) -> None:
    resources, plan = setup(tmp_path, Action.noop)
    problems, [warning] = quotas.judge(quota(0), resources, plan)
    assert problems == [] and "scaling stops at the quota" in warning and "is 0 in us-east-1" in warning


def test_quotas_that_cannot_be_read_are_a_warning(tmp_path: Path) -> None:
    resources, plan = setup(tmp_path)
    problems, [warning] = quotas.judge("Failed to list service quotas for sagemaker: AccessDeniedException: no",
                                       resources, plan)
    assert problems == [] and "were not checked" in warning and "AccessDeniedException" in warning
    assert "4 x ml.g5.2xlarge" in warning


def test_a_type_without_a_listed_quota_is_not_judged(tmp_path: Path) -> None:
    resources, plan = setup(tmp_path)
    assert quotas.judge({}, resources, plan) == ([], [])


def test_orphans_left_in_place_run_their_instances_too(tmp_path: Path) -> None:
    resources, plan = setup(tmp_path)
    plan = plan.model_copy(update={"orphans": (Orphan(kind="Endpoint", name="old"),
                                               Orphan(kind="Endpoint", name="pruned", deleted=True))})
    live = {"Endpoint/old": {"type": "model-based", "instance": {"type": "ml.g5.2xlarge", "count": 2}},
            "Endpoint/pruned": {"type": "model-based", "instance": {"type": "ml.g5.2xlarge", "count": 5}}}
    need = quotas.needs(resources, plan, live)["ml.g5.2xlarge"]
    assert need.count == 6 and need.parts[-1] == ("Endpoint/old", 2, "no longer declared, runs until pruned")
    [problem], _ = quotas.judge(quota(5), resources, plan, live)
    assert "Endpoint/old: 2 (no longer declared, runs until pruned)" in problem.message

