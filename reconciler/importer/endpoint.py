"""An Endpoint read back as a manifest document: its model, config and inference component folded into
one spec (``to_spec``), what the spec cannot say refused by name (``unsupported``)."""

from __future__ import annotations

from typing import Any

from reconciler import images
from reconciler.aws import sagemaker as smx
from reconciler.importer.model import Imported, environment
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Observed, PlanContext
from reconciler.kinds.endpoint import weights


def unsupported(d: dict[str, Any], cfg: dict[str, Any] | None, model: dict[str, Any] | None,
                components: list[dict[str, Any]]) -> list[str]:
    """Settings of the live endpoint an Endpoint manifest cannot express (importing would drop them)."""
    out = []
    if d.get("EndpointStatus") == "Failed":
        out.append(f"the endpoint is Failed ({d.get('FailureReason') or 'no reason given'}): fix or delete it first")
    if cfg is not None:
        variants = cfg.get("ProductionVariants") or []
        if len(variants) > 1:
            out.append(f"{len(variants)} production variants (one is supported)")
        if cfg.get("ShadowProductionVariants"):
            out.append("shadow production variants")
        if (cfg.get("DataCaptureConfig") or {}).get("EnableCapture", cfg.get("DataCaptureConfig") is not None):
            out.append("data capture (DataCaptureConfig)")
        if cfg.get("AsyncInferenceConfig"):
            out.append("asynchronous inference (AsyncInferenceConfig)")
        for key, what in (("KmsKeyId", "a KMS key (KmsKeyId)"), ("ExplainerConfig", "SageMaker Clarify explainer"),
                          ("VpcConfig", "VPC configuration (VpcConfig)")):
            if cfg.get(key):
                out.append(what)
        v = variants[0] if variants else {}
        for key, what in (("ServerlessConfig", "serverless inference (ServerlessConfig)"),
                          ("AcceleratorType", "Elastic Inference (AcceleratorType)"),
                          ("CoreDumpConfig", "core dumps (CoreDumpConfig)"),
                          ("VolumeSizeInGB", "a volume size (VolumeSizeInGB)")):
            if v.get(key):
                out.append(what)
    if model is not None:
        containers = model.get("Containers") or []
        if len(containers) > 1 or (containers and model.get("PrimaryContainer")):
            out.append(f"{len(containers)} containers (an inference pipeline; one container is supported)")
        if model.get("VpcConfig"):
            out.append("VPC configuration (VpcConfig) of its model")
        if model.get("EnableNetworkIsolation"):
            out.append("network isolation of its model")
        c = model.get("PrimaryContainer") or (containers or [{}])[0]
        data = weights.unsupported(c)
        if data:
            out.append(data)
        if c.get("Mode") == "MultiModel":
            out.append("a multi-model container")
    if len(components) > 1:
        out.append(f"{len(components)} inference components ({', '.join(c['name'] for c in components)}; "
                   "one is supported)")
    return out


def to_spec(obs: Observed, region: str, account: str, stack: str) -> Imported:
    """The Endpoint document of observed state ``obs`` (``Kind.read``'s shape)."""
    item = Imported("Endpoint", obs.name)
    s, meta = obs.state, obs.meta
    spec: dict[str, Any] = {"type": s["type"]}
    role = s.get("executionRole") or meta.get("configRole") or ""
    parts = role.split(":")
    spec["executionRole"] = role.rsplit("/", 1)[-1] if len(parts) > 4 and parts[4] == account else role
    image = s.get("image") or ""
    found = images.reverse(image, region, tuple(images.FAMILIES))
    model: dict[str, Any] = {"image": {found[0]: {"version": found[1]}} if found else {"uri": image}}
    if not found:
        item.comments[("spec", "model", "image")] = "not a known serving container version in this region: kept as its URI"
    where = f"the environment of Model/{meta.get('model')}"
    if s.get("weights"):  # (ModelDataSource / ModelDataUrl: ``unsupported`` refused what weights cannot say)
        model["weights"] = dict(s["weights"])
    model["environment"] = environment(item, s.get("environment") or {}, ("spec", "model", "environment"), stack, where)
    spec["model"] = model
    inst = dict(s.get("instance") or {})
    spec["instance"] = {k: inst[k] for k in ("type", "count", "managedScaling", "routing") if inst.get(k) is not None}
    if s.get("startup"):
        spec["startup"] = dict(s["startup"])
    ic = s.get("inferenceComponent")
    if ic:
        spec["inferenceComponent"] = {k: ic[k] for k in ("name", "copies", "acceleratorDevices", "cpuCores", "memoryMb",
                                                         "maxMemoryMb") if ic.get(k) is not None}
    item.head += [
        f"Read from the live endpoint {obs.name}: model {meta.get('model')}, config {meta.get('config')}"
        + (f", inference component {ic['name']}" if ic else "") + ".",
        "Adopting it keeps them serving; reconcile tags them, and replaces them blue/green on the first real change.",
        "Not stored in AWS, so defaulted: deployment (all-at-once blue/green), no smokeTest, waitTimeoutSeconds 3600.",
    ]
    item.doc = item.adopting("Endpoint", obs.name, s.get("tags") or {}, spec)
    return item


def read(aws: Any, ctx: PlanContext, name: str) -> Imported:
    sm = aws.client("sagemaker")
    d = smx.describe_endpoint(sm, name)
    if d is None:
        return Imported("Endpoint", name, refused=["no such endpoint"])
    cfg_name = d.get("EndpointConfigName", "")
    cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{cfg_name}", EndpointConfigName=cfg_name)
    if cfg is None:
        return Imported("Endpoint", name, refused=[f"its endpoint config {cfg_name} no longer exists"])
    obs = REGISTRY["Endpoint"].read(aws, name, ctx)
    assert obs is not None
    model_name = obs.meta.get("model")
    model = sm.get("describe_model", f"Model/{model_name}", ModelName=model_name) if model_name else None
    if model_name and model is None:
        return Imported("Endpoint", name, refused=[f"its model {model_name} no longer exists"])
    problems = unsupported(d, cfg, model, obs.meta.get("components") or [])
    if problems:
        return Imported("Endpoint", name, refused=problems)
    return to_spec(obs, ctx.region, ctx.account, ctx.stack)
