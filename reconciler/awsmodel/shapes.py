"""botocore service models, loaded once per service, and the constraints of one shape."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

SCALARS = ("string", "integer", "long", "float", "double", "boolean", "blob", "timestamp")
NUMBERS = ("integer", "long", "float", "double")


@functools.cache
def service_model(service: str) -> Any:
    """botocore's ServiceModel of ``service`` (e.g. "sagemaker"), read from the installed model once."""
    import botocore.loaders
    import botocore.model

    data = loader().load_service_model(service, "service-2")
    return botocore.model.ServiceModel(data, service_name=service)


@functools.lru_cache(maxsize=1)
def loader() -> Any:
    """The process's botocore model loader: the AWS clients use it too (``reconciler.aws.Aws``), so a service's
    model (IAM's is 1.5 MB of JSON) is parsed once whether validation or a client reads it first."""
    import botocore.loaders

    return botocore.loaders.Loader()


@functools.cache
def shape(service: str, ref: str) -> Any:
    """The botocore Shape at ``ref``: ``Operation[.Member…]`` (an operation's input), or ``Shape[.Member…]``.

    Past a list, ``member`` steps into its elements; past a map, ``key`` and ``value``.
    """
    model = service_model(service)
    head, *rest = ref.split(".")
    if head in model.operation_names:
        current = model.operation_model(head).input_shape
    else:
        current = model.shape_for(head)
    for step in rest:
        if current.type_name == "structure":
            if step not in current.members:
                raise KeyError(f"{service} {ref}: {current.name} has no member {step!r}")
            current = current.members[step]
        elif current.type_name == "list" and step == "member":
            current = current.member
        elif current.type_name == "map" and step in ("key", "value"):
            current = current.key if step == "key" else current.value
        else:
            raise KeyError(f"{service} {ref}: cannot step into {current.type_name} {current.name} with {step!r}")
    return current


@dataclass(frozen=True)
class Constraints:
    """What botocore's model allows for one shape. Sizes count characters (strings) or entries (lists, maps)."""

    service: str
    shape: str
    type: str
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    enum: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    min_items: int | None = None
    max_items: int | None = None


def constraints_of(service: str, sh: Any) -> Constraints:
    meta = sh.metadata
    t = sh.type_name
    kw: dict[str, Any] = {}
    if t == "string":
        kw = {"min_length": meta.get("min"), "max_length": meta.get("max"), "pattern": meta.get("pattern"),
              "enum": tuple(getattr(sh, "enum", None) or ())}
    elif t in NUMBERS:
        kw = {"min_value": meta.get("min"), "max_value": meta.get("max")}
    elif t in ("list", "map"):
        kw = {"min_items": meta.get("min"), "max_items": meta.get("max")}
    elif t == "blob":
        kw = {"min_length": meta.get("min"), "max_length": meta.get("max")}
    return Constraints(service=service, shape=sh.name, type=t, **kw)


@functools.cache
def constraints(service: str, ref: str) -> Constraints:
    """The constraints of the shape at ``ref`` (see ``shape``)."""
    return constraints_of(service, shape(service, ref))
