"""Golden output of the text and markdown renderers for a Plan built in code.

Regenerate after an intended change with ``RECONCILE_UPDATE_GOLDEN=1 pytest tests/unit/test_render_golden.py``
and review the diff of tests/unit/golden/ like any other change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler import cost, prices
from reconciler.plan import Action, FieldChange, Operation, Orphan, Plan, PlanMode, Problem, Step
from reconciler.render import render

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("RECONCILE_UPDATE_GOLDEN") == "1"

OWNED = {"reconciler:managed-by": "reconciler", "reconciler:stack": "demo"}
IMAGE = "763104351884.dkr.ecr.eu-west-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4.0-tgi2.2.0-gpu-py310-cu121-ubuntu22.04"
DOC = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::models", "arn:aws:s3:::models/*"]}]}
DOC2 = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::models-v2", "arn:aws:s3:::models-v2/*"]}]}


def example_plan() -> Plan:
    steps = [
        Step(kind="Role", name="app-exec", action=Action.create, reason="new", layer=1, desired={
            "path": "/", "description": "", "maxSessionDuration": 3600,
            "trustPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                    "Principal": {"Service": "sagemaker.amazonaws.com"}}]},
            "managedPolicies": ["arn:aws:iam::123456789012:policy/app-read"], "inlinePolicies": {}, "tags": OWNED}),
        Step(kind="Function", name="generate", action=Action.create, reason="new", layer=2, desired={
            "runtime": "python3.12", "handler": "app.handler", "memorySize": 256, "timeout": 30,
            "role": "arn:aws:iam::123456789012:role/app-exec", "environment": {"ENDPOINT": "llm"},
            "codeSha256": "abc=", "tags": OWNED, "_code": "functions/generate", "_secrets": {}}),
        Step(kind="Endpoint", name="llm", action=Action.create, reason="new model/config + CreateEndpoint", layer=2,
             desired={"type": "inference-component-based", "executionRole": "arn:aws:iam::123456789012:role/app-exec",
                      "image": IMAGE, "environment": {"HF_MODEL_ID": "org/model", "HF_TOKEN": {"secretsManager": "hf"}},
                      "instance": {"type": "ml.g5.2xlarge", "count": 1}, "startup": {}, "status": "InService",
                      "failed": None, "leftovers": [], "tags": OWNED, "deployment": {}, "smokeTest": None,
                      "waitTimeoutSeconds": None,
                      "inferenceComponent": {"name": "llm-ic", "copies": 1, "memoryMb": 5120, "status": "InService"}}),
        Step(kind="Policy", name="app-read", action=Action.update, reason="new default policy version", layer=0,
             changes=(FieldChange(path="document", op="change", before=DOC, after=DOC2),)),
        Step(kind="Endpoint", name="chat", action=Action.update, reason="new model/config + UpdateEndpoint", layer=2,
             changes=(FieldChange(path="image", op="change", before=IMAGE, after=IMAGE.replace("2.2.0", "2.4.0")),
                      FieldChange(path="instance.count", op="change", before=1, after=2),
                      FieldChange(path="environment.MAX_INPUT_LENGTH", op="add", after="4096")),
             operations=(Operation(service="sagemaker", action="CreateModel", target="chat-0123456789"),
                         Operation(service="sagemaker", action="CreateEndpointConfig", target="chat-9876543210"),
                         Operation(service="sagemaker", action="UpdateEndpoint", target="chat",
                                   detail="blue/green, all at once"),
                         Operation(service="sagemaker", action="DeleteEndpoint", target="chat-old",
                                   detail="what AWS leaves no other way for", interrupts_serving=True))),
        Step(kind="Policy", name="old-path", action=Action.replace, reason="path cannot change in place", layer=0,
             changes=(FieldChange(path="path", op="change", before="/", after="/llm/", forces_replacement=True),)),
        Step(kind="User", name="gone", action=Action.delete, reason="no longer declared", layer=0),
        Step(kind="Role", name="same", action=Action.noop, reason="up to date", layer=0),
    ]
    plan = Plan(command="plan", stack="demo", account="123456789012", region="eu-west-1", sandbox=True,
                created_at="2026-01-01T00:00:00Z", steps=tuple(steps),
                orphans=(Orphan(kind="Endpoint", name="twinllama-old"),
                         Orphan(kind="Policy", name="legacy-read", used_by=("Role/app-exec",)),
                         Orphan(kind="Role", name="keep-me", protected=True),
                         Orphan(kind="User", name="gone", deleted=True)),
                problems=(Problem(kind="Role", name="taken", code="conflict",
                                  message="exists without this stack's tags; adopt it with reconciler/adopt: \"true\""),),
                warnings=("iam.yaml:12: spec.document.Statement.0: iam:PassRole on Resource \"*\" [PASSROLE_STAR]",))
    # what the endpoints cost: chat grows from one instance to two, llm is new, twinllama-old stays (an orphan)
    table = prices.Table({("eu-west-1", "ml.g5.2xlarge"): prices.Price(1.7, "a test table", "2026-01")})
    live = {"Endpoint/chat": {"type": "model-based", "instance": {"type": "ml.g5.2xlarge", "count": 1}},
            "Endpoint/twinllama-old": {"type": "model-based", "instance": {"type": "ml.g6e.xlarge", "count": 1}}}
    chat = next(s for s in plan.steps if s.name == "chat")
    steps = tuple(s.model_copy(update={"desired": {"type": "model-based", "instance": {
        "type": "ml.g5.2xlarge", "count": 2}}}) if s is chat else s for s in plan.steps)
    return plan.model_copy(update={"costs": cost.estimate(plan.model_copy(update={"steps": steps}), live, table)})


@pytest.mark.parametrize("fmt,suffix", [("text", "txt"), ("markdown", "md")])
def test_render_matches_golden(fmt, suffix):
    got = render(example_plan(), fmt, color=False)
    path = GOLDEN / f"plan.{suffix}"
    if UPDATE:
        path.write_text(got)
    assert got == path.read_text(), f"{fmt} rendering changed; if intended, regenerate (see the module docstring)"


def test_no_internal_fields_and_one_value_style():
    text = render(example_plan(), "text")
    for internal in ("_code", "_secrets", "status", "failed", "leftovers"):
        assert internal not in text, internal
    assert "(secret)" in text and "hf" not in text.split("HF_TOKEN")[1].split("\n")[0].replace("(secret)", "")
    lines = text.splitlines()
    # no empty "-"/"+" lines and no YAML document-end marker
    assert not [x for x in lines if x.strip() in ("-", "+", "- ...", "+ ...", "-     ...", "+     ...")]
    assert not [x for x in lines if x.strip().endswith("...")]
    # YAML-style maps never appear: every map is JSON
    assert not [x for x in lines if x.strip().startswith(("+ - ", "- - "))]


def test_multi_line_values_are_still_json():
    import json

    from reconciler.render.common import value

    for width in (20, 40, 90):
        lines = value(DOC, width=width)
        assert json.loads("\n".join(lines)) == DOC
        assert all(len(x) <= width or '"' in x for x in lines)


# ---- the words the kinds choose, as a reviewer reads them (issue 27) ------------------------------

SCALING = {"minCount": 1, "maxCount": 4, "metric": "invocationsPerInstance", "value": 5.0,
           "scaleInCooldownSeconds": 300, "scaleOutCooldownSeconds": None, "disableScaleIn": False,
           "schedule": [], "scaleFromZero": None}


def kinds_plan(command: str, steps: list[Step]) -> Plan:
    return Plan(command=command, stack="demo", account="123456789012", region="eu-west-1", sandbox=True,
                created_at="2026-01-01T00:00:00Z", steps=tuple(steps))


def check_golden(got: str, name: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(got)
    assert got == path.read_text(), f"{name} changed; if intended, regenerate (see the module docstring)"


def test_destroy_says_destroy_not_no_longer_declared():
    """Under destroy every resource is still declared: no operation may claim otherwise."""
    from reconciler.kinds.base import Observed
    from reconciler.planner import plan

    owned = [
        Observed("Endpoint", "llm", "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/llm",
                 {"type": "model-based", "tags": OWNED, "autoscaling": SCALING},
                 {"config": "llm-1d1bc7736b", "model": "llm-31f6ce77a3",
                  "parts": {f"{kind}/llm-{h}": {"arn": f"arn:aws:sagemaker:eu-west-1:123456789012:{arn}/llm-{h}",
                                                "tags": OWNED}
                            for kind, arn, h in (("config", "endpoint-config", "1d1bc7736b"),
                                                 ("model", "model", "31f6ce77a3"))},
                  "scalingTargets": [["endpoint/llm/variant/AllTraffic", "sagemaker:variant:DesiredInstanceCount"]]}),
        Observed("InferenceComponent", "small", "arn:aws:sagemaker:eu-west-1:123456789012:inference-component/small",
                 {"endpoint": "shared", "tags": OWNED},
                 {"models": {"small-607badc117": {"arn": "arn:aws:sagemaker:eu-west-1:123456789012:model/small-607badc117",
                                                  "tags": OWNED}}}),
        Observed("Role", "app-exec", "arn:aws:iam::123456789012:role/app-exec", {"tags": OWNED}),
    ]
    p = plan(stack="demo", account="123456789012", region="eu-west-1", resources=[], layers={}, edges={},
             desired={}, live={}, owned=owned, command="destroy", mode=PlanMode.destroy,
             ).model_copy(update={"created_at": "2026-01-01T00:00:00Z"})
    got = render(p, "text", color=False)
    assert "no longer declared" not in got
    check_golden(got, "destroy.txt")


def test_unset_fields_and_waits_are_only_shown_where_true():
    """No ``null`` for an unset field (at any depth); "after it is InService" only where apply waits for it;
    one copy is "1 copy"."""
    from reconciler import ops
    from reconciler.kinds import REGISTRY
    from reconciler.kinds.base import OpContext
    from reconciler.kinds.endpoint import autoscaling

    def scaling_ops(name: str, state: dict | None, meta: dict, calls: list) -> tuple[Operation, ...]:
        evidence = ops.by_tags(OWNED, None)
        scope = autoscaling.Scope(live=evidence, after=ops.created("endpoint") if state is None else evidence,
                                  tags=OWNED)
        return tuple(autoscaling.with_operations(name, {"type": "model-based", "autoscaling": SCALING}, state, meta,
                                                 calls, scope))

    ic = {"endpoint": "shared", "image": IMAGE, "environment": {"HF_MODEL_ID": "org/small"},
          "executionRole": "arn:aws:iam::123456789012:role/app-exec", "copies": 1, "compute": {"acceleratorDevices": 1.0, "memoryMb": 5120}, "startup": {},
          "autoscaling": None, "tags": OWNED}
    steps = [
        Step(kind="Endpoint", name="serving", action=Action.update, reason="autoscaling added", layer=0,
             changes=(FieldChange(path="autoscaling", op="add", after=SCALING),),
             operations=scaling_ops("serving", {"autoscaling": None}, {"scalingTargets": []}, [])),
        Step(kind="Endpoint", name="fresh", action=Action.create, reason="new", layer=0,
             desired={"type": "model-based", "instance": {"type": "ml.g5.xlarge", "count": 1}, "autoscaling": SCALING},
             operations=scaling_ops("fresh", None, {}, [Operation(service="sagemaker", action="CreateEndpoint",
                                                                  target="fresh")])),
        Step(kind="InferenceComponent", name="small", action=Action.create, reason="new", layer=1, desired=ic,
             operations=tuple(REGISTRY["InferenceComponent"].operations(
                 "small", ic, None, OpContext(stack="demo", account="123456789012", region="eu-west-1")))),
    ]
    got = render(kinds_plan("plan", steps), "text", color=False)
    assert "null" not in got and "1 copies" not in got
    check_golden(got, "noise.txt")
