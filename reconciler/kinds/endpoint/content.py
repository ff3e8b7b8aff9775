"""What a model, an endpoint config and an inference component hold, and the names derived from it.

Models and configs are immutable: the ones reconcile makes are named ``<endpoint>-<hash of content>``
(``naming.derived_name``), so an unchanged spec maps to the same names and a changed one to new ones. A
model's content includes the version ids of the secrets its environment reads: a rotated secret is a new
model; and its weights' S3 location: new weights are a new model, deployed blue/green. Pure: no AWS.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.endpoint.naming import VARIANT, derived_name, prefix
from reconciler.kinds.endpoint.requests import secret_keys
from reconciler.kinds.endpoint.shapes import compute, startup_params


def model_content(desired: dict[str, Any], versions: dict[str, str]) -> dict[str, Any]:
    content = {"image": desired["image"], "environment": dict(desired["environment"]), "secrets": versions,
               "executionRole": desired["executionRole"]}
    if desired.get("weights"):  # (only then: a model without weights keeps the name it always had)
        content["weights"] = desired["weights"]
    return content


def model_name(name: str, desired: dict[str, Any], versions: dict[str, str] | None) -> str | None:
    """The content-derived name of the model ``desired`` needs; None while a secret's version is unknown."""
    keys = secret_keys(desired)
    if keys and (versions is None or any(k not in versions for k in keys)):
        return None
    return derived_name(name, model_content(desired, {k: versions[k] for k in keys} if versions else {}))


def unknown_model(name: str) -> str:
    """What a plan shows for a model whose secret's version it could not read (the plan has a problem then)."""
    return f"{prefix(name)}-<hash of content and secret versions>"


def config_request(desired: dict[str, Any], model: str | None) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(production variant, other CreateEndpointConfig arguments, content the config's name derives from)."""
    inst = desired["instance"]
    variant: dict[str, Any] = {"VariantName": VARIANT, "InstanceType": inst["type"],
                               "InitialInstanceCount": inst["count"]}
    kwargs: dict[str, Any] = {}
    if desired["type"] == "model-based":
        variant["ModelName"] = model
        variant.update(startup_params(desired.get("startup") or {}))
        return variant, kwargs, {"variant": variant}
    if inst.get("managedScaling"):
        variant["ManagedInstanceScaling"] = {"Status": "ENABLED",
                                             "MinInstanceCount": inst["managedScaling"]["minCount"],
                                             "MaxInstanceCount": inst["managedScaling"]["maxCount"]}
    if inst.get("routing"):
        variant["RoutingConfig"] = {"RoutingStrategy": inst["routing"]}
    kwargs["ExecutionRoleArn"] = desired["executionRole"]
    return variant, kwargs, {"variant": variant, "executionRole": desired["executionRole"]}


def config_name(name: str, desired: dict[str, Any], model: str | None) -> str | None:
    if desired["type"] == "model-based" and model is None:
        return None
    return derived_name(name, config_request(desired, model)[2])


def ic_spec(desired: dict[str, Any], model: str | None, compute_of: dict[str, Any] | None = None) -> dict[str, Any]:
    """An inference component's Specification (``compute_of``: the compute, else ``desired["inferenceComponent"]``)."""
    spec: dict[str, Any] = {"ModelName": model,
                            "ComputeResourceRequirements": compute(compute_of or desired["inferenceComponent"])}
    startup = startup_params(desired.get("startup") or {})
    if startup:
        spec["StartupParameters"] = startup
    return spec


def strategy_text(dep: dict[str, Any]) -> str:
    s = dep.get("strategy", "all-at-once")
    size = {"canary": dep.get("canarySize"), "linear": dep.get("linearStepSize"), "rolling": dep.get("batchSize")}.get(s)
    kind = "rolling" if s == "rolling" else "blue/green"
    return f"{kind} {s}" + (f" {size}" if size is not None else "") + (
        f", wait {dep['waitSeconds']}s" if dep.get("waitSeconds") else "")
