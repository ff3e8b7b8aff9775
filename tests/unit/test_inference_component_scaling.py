"""The InferenceComponent's scaling decision (pure): the Endpoint's ordering applied to one component."""

from __future__ import annotations

from reconciler.kinds.base import Observed, OpContext
from reconciler.kinds.inference_component import scaling
from reconciler.kinds.inference_component.kind import KIND

RID = "inference-component/ic"
WANT = {"minCount": 1, "maxCount": 3, "metric": "invocationsPerCopy", "value": 4.0, "scaleInCooldownSeconds": None,
        "scaleOutCooldownSeconds": None, "disableScaleIn": False, "schedule": [], "scaleFromZero": None}
STATE = {"endpoint": "old", "compute": {"memoryMb": 1024}, "copies": 3, "startup": {}, "status": "InService",
         "failed": None, "tags": {}, "image": "img", "environment": {}, "executionRole": "arn:role",
         "autoscaling": dict(WANT)}
DESIRED = {**{k: v for k, v in STATE.items() if k != "autoscaling"}, "copies": 1, "autoscaling": dict(WANT)}
META = {"model": "ic-0123456789", "tags": {"reconciler:inference-component": "ic"},
        "models": {"ic-0123456789": {"arn": "arn:aws:sagemaker:us-east-1:1:model/ic-0123456789", "tags": {}}},
        "scalingTargets": [[RID, scaling.eps.IC_DIMENSION]], "scaleToZero": {"alarms": {}}}
CTX = OpContext(stack="s", account="1", region="us-east-1")


def actions(desired, state, replace: bool = False):  # type: ignore[no-untyped-def]
    live = Observed("InferenceComponent", "ic", "arn:aws:sagemaker:us-east-1:1:inference-component/ic", state, meta=META)
    ops = KIND.replace_operations("ic", desired, live, CTX) if replace else KIND.operations("ic", desired, live, CTX)
    return [o.action for o in ops if o.action != "Wait"]


def test_a_replaced_component_is_deregistered_before_the_delete_and_registered_after_the_create():
    ops = actions({**DESIRED, "endpoint": "new"}, STATE, replace=True)
    assert ops.index("DeregisterScalableTarget") < ops.index("DeleteInferenceComponent") \
        < ops.index("CreateInferenceComponent") < ops.index("RegisterScalableTarget"), ops


def test_the_autoscalers_count_within_range_is_no_change_and_outside_it_is():
    assert actions(DESIRED, STATE) == []  # live 3 copies within 1..3, manifest 1: the autoscaler's
    assert actions(DESIRED, {**STATE, "copies": 5}) == ["UpdateInferenceComponentRuntimeConfig"]
    no_scaling = {**DESIRED, "autoscaling": None}
    assert actions(no_scaling, {**STATE, "autoscaling": None})[-1:] == ["UpdateInferenceComponentRuntimeConfig"]
    assert actions(no_scaling, STATE)[0] == "DeregisterScalableTarget"


def test_delete_deregisters_first():
    assert actions(None, STATE)[:2] == ["DeregisterScalableTarget", "DeleteInferenceComponent"]
