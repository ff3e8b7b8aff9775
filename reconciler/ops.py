"""Building operations: what kinds return from their pure ``operations()`` (plan.Operation is the data).

A kind writes each AWS call it needs as ``call(service, action, target, request, …)``, with the request's
parameters named as botocore names them. Values known only at apply are references, made here:

- ``output(op_id, path)``: a field of what an earlier operation of the same step answered (a key id, an ARN);
- ``secret(name, version)``: a Secrets Manager value, read by apply only (never in a plan, a log or an error);
- ``code_zip(folder, sha256)``: a Function's code, built by apply from the repository and checked against the digest;
- ``as_json(value)``: ``value`` as JSON text once its references are filled in (e.g. a secret's payload);
- ``concat(*parts)``: strings and references joined into one string (an id an earlier operation answered, inside
  a longer name);
- ``fingerprint(value, salt)``: a slow, salted, short digest of ``value`` (a secret's, recorded in a tag so
  that plan sees the value edited out of band without reading the secret).

The evidence of ownership a change or delete relies on comes from ``by_tags`` / ``created`` / ``adopting``.
Nothing here talks to AWS.
"""

from __future__ import annotations

from typing import Any

from reconciler import MANAGED_BY_TAG, PREVENT_DESTROY_TAG, STACK_TAG
from reconciler.plan import Operation, Ownership

OWNERSHIP_KEYS = (MANAGED_BY_TAG, STACK_TAG, PREVENT_DESTROY_TAG)


def call(service: str, action: str, target: str, request: dict[str, Any] | None = None, *, id: str | None = None,
         resource: str | None = None, ownership: Ownership | None = None, detail: str | None = None,
         interrupts: bool = False, on_failure: tuple[Operation, ...] = ()) -> Operation:
    """One AWS call (``action`` as AWS names it: CreateRole) with its parameters; ``on_failure``: what apply does
    when it fails (``Operation.on_failure``)."""
    return Operation(service=service, action=action, target=target, request=dict(request or {}), id=id,
                     resource=resource, ownership=ownership, detail=detail, interrupts_serving=interrupts,
                     on_failure=tuple(on_failure))


def wait(service: str, what: str, target: str, detail: str | None = None, *, interrupts: bool = False,
         on_failure: tuple[Operation, ...] = (), **request: Any) -> Operation:
    """A wait of its own (``what``: EndpointInService, EndpointDeleted …); apply polls until it holds."""
    return Operation(service=service, action="Wait", target=target, request={"for": what, **request}, detail=detail,
                     interrupts_serving=interrupts, on_failure=tuple(on_failure))


def output(op_id: str, path: str) -> dict[str, Any]:
    return {"$output": op_id, "path": path}


def secret(name: str, version: str | None = None) -> dict[str, Any]:
    return {"$secret": name, **({"version": version} if version else {})}


def code_zip(folder: str, sha256: str) -> dict[str, Any]:
    return {"$zip": folder, "sha256": sha256}


def as_json(value: Any) -> dict[str, Any]:
    return {"$json": value}


def concat(*parts: Any) -> dict[str, Any] | str:
    """``parts`` (strings and references) as one string; a plain string when none is a reference."""
    if all(isinstance(p, str) for p in parts):
        return "".join(parts)
    return {"$concat": list(parts)}


def fingerprint(value: Any, salt: str) -> dict[str, Any]:
    return {"$fingerprint": value, "salt": salt}


def by_tags(tags: dict[str, str], read_at: str | None) -> Ownership:
    """Evidence: the resource carried these ownership tags when it was read."""
    return Ownership(basis="tags", tags={k: v for k, v in tags.items() if k in OWNERSHIP_KEYS}, read_at=read_at)


def created(op_id: str) -> Ownership:
    """Evidence: operation ``op_id`` of the same step creates it."""
    return Ownership(basis="created", op=op_id)


def adopting(tags: dict[str, str], read_at: str | None, annotation: str) -> Ownership:
    """Evidence: the manifest adopts it (``annotation``: file:line); it carried no other stack's tags when read."""
    return Ownership(basis="adopt", tags={k: v for k, v in tags.items() if k in OWNERSHIP_KEYS}, read_at=read_at,
                     annotation=annotation)


def part_of(arn: str, tags: dict[str, str], read_at: str | None) -> Ownership:
    """Evidence: a part (an inline policy, a scaling policy …) of the resource ``arn``, which carried these tags."""
    return Ownership(basis="parent", resource=arn, read_at=read_at,
                     tags={k: v for k, v in tags.items() if k in OWNERSHIP_KEYS})


def references(value: Any) -> list[dict[str, Any]]:
    """Every reference inside ``value`` (a request), depth first."""
    if isinstance(value, dict):
        if any(k.startswith("$") for k in value):
            return [value] + [r for v in value.values() for r in references(v)]
        return [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return []
