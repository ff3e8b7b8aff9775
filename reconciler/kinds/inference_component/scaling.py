"""``spec.autoscaling`` of an InferenceComponent: the Endpoint's autoscaling (``kinds/endpoint/autoscaling``,
``scale_to_zero``, ``schedule``) applied to one component's copies, not a copy of it.

The component's scaling is the endpoint shorthand's: ResourceId ``inference-component/NAME``, dimension
``sagemaker:inference-component:DesiredCopyCount``, the target-tracking policy, scale to zero (step policy +
CloudWatch alarm) and scheduled actions. The endpoint code takes an endpoint-shaped desired state
(``type``, ``inferenceComponent.name``, ``autoscaling``): ``_as_endpoint`` gives it one. Order is the
same: deregister (alarm first) before the component is deleted or replaced, register after it is InService.
Ownership: the target and the alarm carry the component's tags (the stack's and
``reconciler:inference-component``); only this component's target is ever read into its operations, whose
evidence is the component's tags.

Never fight the autoscaler: with autoscaling declared, a live copy count within minCount..maxCount is the
autoscaler's (``settle``): it is no drift in the plan, and UpdateInferenceComponent leaves RuntimeConfig out.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import Issue
from reconciler.kinds.endpoint import autoscaling as eps
from reconciler.plan import Operation

TYPE = "inference-component-based"
KIND = "InferenceComponent"


def check(res: Any) -> list[Issue]:
    """As the Endpoint's: a metric per copy, scheduled actions, ``copies`` within minCount..maxCount."""
    a = res.spec.autoscaling
    if a is None:
        return []
    return eps.check_metric(res, a, TYPE) + eps.check_schedule_and_count(res, a, TYPE, res.spec.copies, ("copies",))


def desired(res: Any) -> dict[str, Any] | None:
    return eps.desired(res.spec, res.name, TYPE)


def rid(name: str) -> str:
    return eps.target_of("", TYPE, name)[0]


def read(aws: Any, name: str, endpoint: str | None, stack: str | None, fresh: bool = False
         ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(state["autoscaling"], facts for the decision), as the Endpoint's, for this component alone."""
    state, facts = eps.read(aws, endpoint or "", [name], fresh=fresh, stack=stack)
    facts["scalingTargets"] = [t for t in facts["scalingTargets"] if t[0] == rid(name)]
    facts["foreignTargets"] = [t for t in facts["foreignTargets"] if t["rid"] == rid(name)]
    return state, facts


def settle(state: dict[str, Any], desired: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of ``state`` whose copy count, when autoscaling is declared and the live count lies within
    minCount..maxCount, is the manifest's: the autoscaler's move is not drift."""
    a = (desired or {}).get("autoscaling")
    live = state.get("copies")
    if not a or not isinstance(live, int) or not a["minCount"] <= live <= a["maxCount"]:
        return state
    return {**state, "copies": desired["copies"]}  # type: ignore[index]


def _as_endpoint(name: str, desired: dict[str, Any] | None) -> dict[str, Any] | None:
    if desired is None:
        return None
    return {"type": TYPE, "inferenceComponent": {"name": name}, "autoscaling": desired.get("autoscaling")}


def with_operations(name: str, desired: dict[str, Any] | None, state: dict[str, Any] | None,
                    meta: dict[str, Any], calls: list[Operation], scope: eps.Scope) -> list[Operation]:
    """The component's calls with its scaling calls in the order AWS needs (as the Endpoint's)."""
    return eps.with_operations(name, _as_endpoint(name, desired), state, meta, calls, scope)
