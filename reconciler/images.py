"""Container image URIs of the SageMaker serving containers, per region and version, offline.

The SageMaker Python SDK ships the registry accounts, repositories and tags of AWS's Deep Learning
Containers as JSON (``sagemaker/core/image_uri_config/*.json``) and builds URIs from them with
``sagemaker.core.image_uris.retrieve``. Importing the SDK costs seconds, so this module reads the same
bundled JSON directly (lazily, once per family) and builds the URI the same way;
tests/unit/test_images.py checks the result against ``retrieve()``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Family:
    """One serving-container family as manifests name it."""

    key: str  # the manifest key, e.g. huggingfaceLlm
    framework: str  # the SDK's framework name / config file, e.g. huggingface-llm
    title: str


FAMILIES: dict[str, Family] = {f.key: f for f in (
    Family("huggingfaceLlm", "huggingface-llm", "Hugging Face LLM (Text Generation Inference)"),
    Family("huggingfaceTei", "huggingface-tei", "Hugging Face Text Embeddings Inference (GPU)"),
    Family("huggingfaceTeiCpu", "huggingface-tei-cpu", "Hugging Face Text Embeddings Inference (CPU)"),
    Family("huggingfaceVllm", "huggingface-vllm", "Hugging Face vLLM"),
    Family("djlLmi", "djl-lmi", "DJL Large Model Inference (LMI)"),
    Family("vllm", "vllm", "vLLM (AWS Deep Learning Container)"),
)}


class ImageError(ValueError):
    """An image that cannot be resolved (unknown version or region); the message lists what exists."""


def _config_dir() -> Path | None:
    # find_spec of the top-level package only: "sagemaker.core" would import the SDK (seconds)
    spec = find_spec("sagemaker")
    for base in (spec.submodule_search_locations or []) if spec else []:
        d = Path(base) / "core" / "image_uri_config"
        if d.is_dir():
            return d
    return None


@functools.cache
def _config(framework: str) -> dict[str, Any]:
    d = _config_dir()
    if d is None:
        raise ImageError("the SageMaker SDK's image configs are not installed (pip install sagemaker-core); "
                         "give the image as {uri: ...} instead")
    raw = json.loads((d / f"{framework}.json").read_text())
    # files either hold one scope ({"inference": {...}}) or list their scopes ({"scope": [...], ...})
    return raw if "scope" in raw else raw["inference"]


def versions(key: str) -> list[str]:
    """Versions (and aliases like "2.0") of family ``key``, oldest first."""
    cfg = _config(FAMILIES[key].framework)
    return _sorted([*cfg["versions"], *cfg.get("version_aliases", {})])


def _sorted(vs: list[str]) -> list[str]:
    def k(v: str) -> tuple:
        return tuple(int(p) if p.isdigit() else -1 for p in v.split("."))

    return sorted(set(vs), key=k)


def check_version(key: str, version: str) -> str | None:
    """None when ``version`` of family ``key`` exists, else an error message listing the versions."""
    try:
        known = versions(key)
    except ImageError as e:
        return str(e)
    if version in known:
        return None
    return f"unknown {key} version {version!r}; available: {', '.join(known)}"


@functools.cache
def _dns_suffix(region: str) -> str:
    try:
        import botocore.loaders
        import botocore.regions

        resolver = botocore.regions.EndpointResolver(botocore.loaders.create_loader().load_data("endpoints"))
        data = resolver.construct_endpoint("ecr", region)
        if data and data.get("hostname"):
            return str(data["hostname"])
    except Exception:  # resolver data missing: fall back to the partition rule
        pass
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"ecr.{region}.{suffix}"


def uri(key: str, version: str, region: str) -> str:
    """The image URI of family ``key`` at ``version`` in ``region`` (as the SDK's retrieve() builds it)."""
    fam = FAMILIES[key]
    cfg = _config(fam.framework)
    problem = check_version(key, version)
    if problem:
        raise ImageError(problem)
    full = cfg.get("version_aliases", {}).get(version, version)
    vc = cfg["versions"][full]
    py_versions = vc.get("py_versions") or []
    if len(py_versions) > 1:  # nested per-Python configs: the families above never have them
        raise ImageError(f"{key} {version} has several Python versions; give the image as {{uri: ...}}")
    py = py_versions[0] if py_versions else None
    vc = vc.get(py) or vc if py else vc
    registries = vc["registries"]
    if region not in registries:
        raise ImageError(f"{fam.title} {version} is not published in region {region}; "
                         f"regions: {', '.join(sorted(registries))}")
    processors = cfg.get("processors") or vc.get("processors")
    processor = processors[0] if processors and len(processors) == 1 else ("gpu" if processors else None)
    if processors and processor not in processors:
        processor = processors[0]
    container = (vc.get("container_version") or {}).get(processor) if processor else None
    if not vc.get("processor_in_tag", True):
        processor = None
    tag_prefix = vc.get("tag_prefix", version)
    tag = "-".join(x for x in (tag_prefix, processor, py, container) if x)
    repo = vc["repository"] + (f":{tag}" if tag else "")
    return f"{registries[region]}.dkr.{_dns_suffix(region)}/{repo}"


def reverse(image: str, region: str, keys: tuple[str, ...] = ("huggingfaceLlm",)) -> tuple[str, str] | None:
    """(family key, version) whose URI in ``region`` is ``image`` (the newest such version), else None.
    For ``reconcile import``: a live model's image read back as the manifest's {huggingfaceLlm: {version}}."""
    found = None
    for key in keys:
        try:
            cfg = _config(FAMILIES[key].framework)
        except (ImageError, OSError, KeyError):
            continue
        for version in _sorted(list(cfg["versions"])):
            try:
                if uri(key, version, region) == image:
                    found = (key, version)
            except (ImageError, KeyError, TypeError):
                continue
    return found
