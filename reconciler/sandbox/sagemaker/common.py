"""Helpers shared by the SageMaker emulator's modules: clocks, errors, ARNs, names, paging, timed phases."""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import re
import time
from typing import Any

# --------------------------------------------------------------------------------------------------
# helpers


def _now() -> float:
    return time.time()


def _ts(t: float) -> _dt.datetime:
    """moto's naive-UTC datetimes."""
    return _dt.datetime.fromtimestamp(t, _dt.UTC).replace(tzinfo=None)


def _errors():  # type: ignore[no-untyped-def]
    from moto.sagemaker.exceptions import ValidationError

    return ValidationError


def _invalid(message: str) -> Exception:
    return _errors()(message=message)


# How AWS names each kind in its messages ("Could not find endpoint configuration "arn:…".").
KIND_WORDS = {"model": "model", "endpoint": "endpoint", "endpoint-config": "endpoint configuration",
              "inference-component": "inference component"}


def _not_found(backend: Any, kind: str, name: str) -> Exception:
    """AWS's one not-found answer for every SageMaker hosting call: 400 ValidationException,
    ``Could not find <kind> "<ARN>".`` (double quotes, the full ARN; AWS-FACTS.md)."""
    arn = name if name.startswith("arn:") else _arn(backend, kind, name)
    return _invalid(f'Could not find {KIND_WORDS[kind]} "{arn}".')


def _arn(backend: Any, kind: str, name: str) -> str:
    from moto.sagemaker.utils import arn_formatter

    return arn_formatter(kind, name, backend.account_id, backend.region_name)


NAME_RULES = {
    # member name in AWS's messages, pattern, max length
    "endpoint": ("endpointName", r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", 63),
    "endpoint-config": ("endpointConfigName", r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", 63),
    "model": ("modelName", r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?", 63),
    "inference-component": ("inferenceComponentName", r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?", 63),
    "variant": ("variantName", r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", 63),
}


def _check_name(kind: str, value: str | None) -> None:
    member, pattern, max_len = NAME_RULES[kind]
    value = value or ""
    if len(value) > max_len:
        raise _invalid(f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
                       f"constraint: Member must have length less than or equal to {max_len}")
    if not re.fullmatch(pattern.lstrip("^"), value):
        raise _invalid(f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
                       f"constraint: Member must satisfy regular expression pattern: {pattern}")


@functools.cache
def instance_types() -> tuple[str, ...]:
    """The enum ProductionVariantInstanceType of the installed botocore SageMaker model (AWS's list)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return tuple(model.shape_for("ProductionVariantInstanceType").enum)


def _check_instance_type(instance_type: str) -> None:
    if instance_type not in instance_types():
        raise _invalid(f"1 validation error detected: Value '{instance_type}' at 'productionVariants.member."
                       f"instanceType' failed to satisfy constraint: Member must satisfy enum value set: "
                       f"[{', '.join(instance_types())}]")


def _page(items: list[Any], max_results: int | None, token: str | None) -> tuple[list[Any], str | None]:
    """One page of a List* answer; a NextToken this sandbox did not issue is refused (AWS: ValidationException)."""
    if token and not (str(token).isdigit() and int(token) <= len(items)):
        raise _invalid(f'Invalid pagination token because "{token}".')
    start = int(token) if token else 0
    size = int(max_results) if max_results else 100
    chunk = items[start:start + size]
    nxt = str(start + size) if start + size < len(items) else None
    return chunk, nxt


def _resolved(image: str) -> str:
    digest = hashlib.sha256(image.encode()).hexdigest()
    repo = image.split("@")[0]
    last = repo.rsplit("/", 1)[-1]
    if ":" in last:
        repo = repo[: len(repo) - len(last)] + last.split(":")[0]
    return f"{repo}@sha256:{digest}"


def _model_image(model: Any) -> str | None:
    primary = getattr(model, "primary_container", None) or {}
    if primary.get("Image"):
        return str(primary["Image"])
    for c in getattr(model, "containers", None) or []:
        if c.get("Image"):
            return str(c["Image"])
    return None



def _start(obj: Any, phase: str, seconds: float, fault: dict[str, Any] | None = None) -> None:
    now = _now()
    obj.rx_phase = phase
    obj.rx_seconds = seconds
    obj.rx_until = now + seconds
    obj.rx_fault = fault
    obj.last_modified_time = _ts(now)


def _ics(backend: Any) -> dict[str, Any]:
    ics = backend.__dict__.get("inference_components")
    if ics is None:
        ics = backend.__dict__.setdefault("inference_components", {})
    return ics  # type: ignore[no-any-return]
