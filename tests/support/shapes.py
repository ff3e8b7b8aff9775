"""Check a raw AWS response against botocore's output shape, independently of reconcile's code.

``problems(service_model, operation, raw)`` walks the operation's output shape over the response as
it came off the wire (the JSON body for json / rest-json services, the XML document for query
services) and lists every disagreement:

- a required member missing; a member botocore does not model (an extra key);
- a value of the wrong type (string, integer, float, boolean, list, map, structure, blob);
- an enum value outside the shape's enum; a string or list outside its min/max length;
- a timestamp that does not parse.

Members that rest-json services send in headers or the status code are not in the body and are
skipped. Nothing here imports reconcile.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape
from botocore.utils import parse_timestamp

NOT_IN_BODY = {"header", "headers", "statusCode"}
# IAM sends policy documents URL-encoded; the model's length limit counts the decoded document.
URL_ENCODED = {"policyDocumentType"}


def _wire_name(shape: Shape, name: str) -> str:
    member = shape.members[name]
    return str(member.serialization.get("name") or name)


def _scalar(shape: Shape, value: Any, path: str, out: list[str]) -> None:
    t = shape.type_name
    if t == "string":
        if not isinstance(value, str):
            out.append(f"{path}: expected a string, got {type(value).__name__} {value!r}")
            return
        if shape.enum and value not in shape.enum:
            out.append(f"{path}: {value!r} is not one of {shape.name}'s {len(shape.enum)} enum values")
        if shape.name not in URL_ENCODED:
            _length(shape, len(value), path, out)
    elif t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(f"{path}: expected an integer, got {type(value).__name__} {value!r}")
        else:
            _range(shape, value, path, out)
    elif t in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(f"{path}: expected a number, got {type(value).__name__} {value!r}")
        else:
            _range(shape, value, path, out)
    elif t == "boolean":
        if not isinstance(value, bool):
            out.append(f"{path}: expected a boolean, got {type(value).__name__} {value!r}")
    elif t == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            out.append(f"{path}: expected a timestamp, got {type(value).__name__} {value!r}")
            return
        try:
            parse_timestamp(value)
        except (ValueError, TypeError, OverflowError) as e:
            out.append(f"{path}: timestamp {value!r} does not parse ({e})")
    elif t == "blob":
        if not isinstance(value, str):
            out.append(f"{path}: expected base64 text, got {type(value).__name__}")
            return
        try:
            base64.b64decode(value, validate=True)
        except ValueError:
            out.append(f"{path}: blob is not base64")
    else:
        out.append(f"{path}: unhandled shape type {t}")


def _length(shape: Shape, n: int, path: str, out: list[str]) -> None:
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if lo is not None and n < lo:
        out.append(f"{path}: length {n} < min {lo}")
    if hi is not None and n > hi:
        out.append(f"{path}: length {n} > max {hi}")


def _range(shape: Shape, value: float, path: str, out: list[str]) -> None:
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if lo is not None and value < lo:
        out.append(f"{path}: {value} < min {lo}")
    if hi is not None and value > hi:
        out.append(f"{path}: {value} > max {hi}")


# -- JSON --------------------------------------------------------------------------------------


def walk_json(shape: Shape, value: Any, path: str = "$", out: list[str] | None = None,
              top: bool = False) -> list[str]:
    out = [] if out is None else out
    t = shape.type_name
    if value is None:
        out.append(f"{path}: null where {shape.name} ({t}) is expected")
        return out
    if t == "structure":
        if not isinstance(value, dict):
            out.append(f"{path}: expected an object ({shape.name}), got {type(value).__name__}")
            return out
        members = {_wire_name(shape, n): n for n in shape.members
                   if not (top and shape.members[n].serialization.get("location") in NOT_IN_BODY)}
        payload = shape.serialization.get("payload")
        for key in value:
            if key not in members:
                out.append(f"{path}.{key}: not a member of {shape.name} (botocore does not model it)")
        for name in shape.required_members:
            if name in members.values() and name != payload and _wire_name(shape, name) not in value:
                out.append(f"{path}.{name}: required by {shape.name} but missing")
        for key, name in members.items():
            if key in value:
                walk_json(shape.members[name], value[key], f"{path}.{key}", out)
    elif t == "list":
        if not isinstance(value, list):
            out.append(f"{path}: expected a list ({shape.name}), got {type(value).__name__}")
            return out
        _length(shape, len(value), path, out)
        for i, item in enumerate(value):
            walk_json(shape.member, item, f"{path}[{i}]", out)
    elif t == "map":
        if not isinstance(value, dict):
            out.append(f"{path}: expected a map ({shape.name}), got {type(value).__name__}")
            return out
        for k, v in value.items():
            _scalar(shape.key, k, f"{path}<key {k!r}>", out)
            walk_json(shape.value, v, f"{path}[{k!r}]", out)
    else:
        _scalar(shape, value, path, out)
    return out


# -- XML (query protocol: IAM, STS) --------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_scalar(shape: Shape, text: str) -> Any:
    t = shape.type_name
    try:
        if t in ("integer", "long"):
            return int(text)
        if t in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if t == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def walk_xml(shape: Shape, elem: ET.Element, path: str, out: list[str]) -> list[str]:
    t = shape.type_name
    if t == "structure":
        members = {_wire_name(shape, n): n for n in shape.members}
        seen = set()
        for child in elem:
            key = _local(child.tag)
            if key not in members:
                out.append(f"{path}.{key}: not a member of {shape.name} (botocore does not model it)")
                continue
            seen.add(key)
            walk_xml(shape.members[members[key]], child, f"{path}.{key}", out)
        for name in shape.required_members:
            if _wire_name(shape, name) not in seen:
                out.append(f"{path}.{name}: required by {shape.name} but missing")
    elif t == "list":
        item = str(shape.member.serialization.get("name") or "member")
        children = list(elem)
        _length(shape, len(children), path, out)
        for i, child in enumerate(children):
            if _local(child.tag) != item:
                out.append(f"{path}[{i}]: list item is <{_local(child.tag)}>, botocore expects <{item}>")
            walk_xml(shape.member, child, f"{path}[{i}]", out)
    elif t == "map":
        key_name = str(shape.key.serialization.get("name") or "key")
        value_name = str(shape.value.serialization.get("name") or "value")
        for i, entry in enumerate(elem):
            parts = {_local(c.tag): c for c in entry}
            if set(parts) != {key_name, value_name}:
                out.append(f"{path}[{i}]: map entry has {sorted(parts)}, expected {key_name}/{value_name}")
                continue
            walk_xml(shape.value, parts[value_name], f"{path}[{parts[key_name].text!r}]", out)
    else:
        _scalar(shape, _xml_scalar(shape, elem.text or ""), path, out)
    return out


# -- entry point -----------------------------------------------------------------------------------


def problems(service: ServiceModel, operation: str, body: bytes | str) -> list[str]:
    """Every way the raw response ``body`` of ``operation`` disagrees with botocore's output shape."""
    op: OperationModel = service.operation_model(operation)
    shape = op.output_shape
    protocol = service.resolved_protocol  # (the one botocore speaks: CloudWatch lists cbor, json, query)
    text = body.decode() if isinstance(body, bytes) else body
    if shape is None:
        return [] if not text.strip() or text.strip() == "{}" else [f"{operation}: a body where none is modelled"]
    if protocol in ("json", "rest-json"):
        payload = shape.serialization.get("payload")
        value = json.loads(text or "{}")
        if payload:
            return walk_json(shape.members[payload], value, f"{operation}.{payload}")
        return walk_json(shape, value, operation, top=True)
    if protocol == "query":
        root = ET.fromstring(text)
        wrapper = op.output_shape.serialization.get("resultWrapper") or f"{operation}Result"
        result = next((c for c in root if _local(c.tag) == wrapper), None)
        if result is None:
            return [f"{operation}: no <{wrapper}> in the response"]
        return walk_xml(shape, result, operation, [])
    raise ValueError(f"protocol {protocol} is not handled")
