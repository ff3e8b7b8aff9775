"""An endpoint the orphan scan lists and then finds gone (a delete that was finishing, or a killed prune's
DeleteEndpoint) still has its configs and models found as leftovers, not forgotten."""

from __future__ import annotations

from typing import Any

from reconciler.aws.tagging import Listing, Tagged
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import PlanContext
from reconciler.kinds.endpoint import leftovers

ARN = "arn:aws:sagemaker:us-east-1:123456789012"
OURS = {"reconciler:managed-by": "reconciler", "reconciler:stack": "s", "reconciler:endpoint": "llm"}


class _Sm:
    """Describes the configs and models that exist; the endpoint is gone."""

    def get(self, op: str, what: str, **kw: Any) -> dict[str, Any] | None:
        name = kw.get("EndpointConfigName") or kw.get("ModelName")
        return {"EndpointConfigName": name, "ModelName": name} if op != "describe_endpoint" else None


class _Aws:
    def client(self, service: str) -> _Sm:
        return _Sm()


def test_an_endpoint_listed_then_gone_leaves_its_parts_as_leftovers(monkeypatch) -> None:
    kind = REGISTRY["Endpoint"]
    monkeypatch.setattr(type(kind), "read", lambda self, aws, name, ctx: None)  # gone by the time it is read
    parts = [("config", "llm-179b351c07"), ("model", "llm-2c21b824c0")]
    listing = Listing([Tagged(f"{ARN}:endpoint/llm", OURS)] + [
        Tagged(f"{ARN}:{'endpoint-config' if k == 'config' else 'model'}/{n}", OURS) for k, n in parts])
    ctx = PlanContext(stack="s", account="123456789012", region="us-east-1", resources={})
    [found] = leftovers.list_owned(kind, _Aws(), "s", ctx, set(), listing)
    assert found.meta["orphan"] and found.state["leftovers"] == [f"{k}/{n}" for k, n in parts]
