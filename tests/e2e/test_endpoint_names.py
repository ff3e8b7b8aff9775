"""Derived names (models, endpoint configs, inference components) never collide across endpoints, and the
example manifests keep the names they always had (no churn on upgrade)."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: what the example manifests derived before names learnt to cover the full endpoint name (they are short:
#: nothing was truncated, so nothing may change)
EXAMPLE_NAMES = {
    "models": ["twinllama-3-1-8b-dpo-820096a2b4", "twinllama-3-1-8b-dpo-ic-9045f102e3"],
    "configs": ["twinllama-3-1-8b-dpo-cf20baab74", "twinllama-3-1-8b-dpo-ic-9579606225"],
    "components": ["twinllama-3-1-8b-dpo-ic-ic"],
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
