"""pydantic's validation errors -> one friendly Issue per wrong field: located by line, said as what is
allowed and what was given (union alternatives merged, misplaced fields pointed to where they belong)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler import ACCOUNT_ID
from reconciler.errors import WRITTEN, Issue
from reconciler.errors import line_of as _line_of
from reconciler.manifests.yaml_reader import _field

_UNION_TAG = re.compile(r"^(str|int|float|bool|none|[\w-]+\[.*\])$")
_WANTS = {
    "int_type": "must be a whole number", "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number", "float_type": "must be a number", "float_parsing": "must be a number",
    "string_type": "must be a string", "dict_type": "must be a mapping (key: value)",
    "list_type": "must be a list", "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "model_type": "must be a mapping (key: value)", "model_attributes_type": "must be a mapping (key: value)",
}
_TYPE_NAMES = {"dict": "a mapping", "str": "a string", "int": "a number", "float": "a number", "bool": "a boolean",
               "list": "a list", "none": "null"}


def _describe(value: Any) -> str:
    """How a YAML value reads to the person who wrote it."""
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the string {shown!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _friendly(e: dict[str, Any]) -> str:
    """pydantic's message for one error, said as what is allowed and what was given."""
    kind, ctx, value = e["type"], e.get("ctx") or {}, e.get("input")
    if kind in _WANTS:
        msg = _WANTS[kind]
        if kind == "string_type" and isinstance(value, (int, float, bool)):
            msg += " (put it in quotes)"
        return f"{msg}, got {_describe(value)}"
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
              "greater_than": ("more than", "gt"), "less_than": ("less than", "lt")}
    if kind in bounds:
        word, key = bounds[kind]
        return f"must be {word} {ctx.get(key)}, got {_describe(value)}"
    if kind in ("string_too_long", "string_too_short"):
        word = "at most" if kind == "string_too_long" else "at least"
        limit = ctx.get("max_length", ctx.get("min_length"))
        return f"must be {word} {limit} characters, got {len(value) if isinstance(value, str) else '?'}"
    if kind in ("too_long", "too_short"):
        word = "at most" if kind == "too_long" else "at least"
        limit = ctx.get("max_length", ctx.get("min_length"))
        return f"must have {word} {limit} items, got {ctx.get('actual_length', '?')}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == ACCOUNT_ID:
        return f"must be an AWS account id: twelve ASCII digits 0-9, got {_describe(value)}"
    if kind == "string_pattern_mismatch":
        return f"must match the pattern {ctx.get('pattern')}, got {_describe(value)}"
    if kind == "missing":
        return "required field is missing"
    msg = e["msg"]
    if msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    if msg.startswith("Input should be "):
        return "must be " + msg[len("Input should be "):] + f", got {_describe(value)}"
    return msg


def _pydantic_issues(err: ValidationError, res_file: str, lines: dict, prefix: tuple, doc_line: int,
                     model: type[BaseModel] | None) -> list[Issue]:
    """One issue per wrong field: located by line, said as what is allowed (union alternatives merged)."""
    grouped: dict[tuple, list[tuple[dict[str, Any], str | None]]] = {}
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        tag = None
        # a union (e.g. policy document: mapping | JSON text) reports one error per alternative, tagged by type
        for i, part in enumerate(loc):
            if isinstance(part, str) and _UNION_TAG.match(part) and not _is_field(model, loc[:i], part):
                tag = part
                loc = loc[:i] + loc[i + 1:]
                break
        grouped.setdefault(loc, []).append((e, tag))
    out = []
    for loc, errs in grouped.items():
        full = prefix + loc
        line = _line_of(lines, full, doc_line)
        first = errs[0][0]
        info = _field_info(model, loc) if model is not None else None
        if first["type"] == "extra_forbidden" and model is not None:
            allowed = _allowed_fields(model, loc[:-1])
            msg = "unknown field" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
            home = _belongs_under(model, prefix, loc)
            if home:
                msg = f"unknown field here; {loc[-1]} belongs under {home}" + (
                    f" (allowed here: {', '.join(allowed)})" if allowed else "")
        elif len(errs) > 1 and all(tag for _, tag in errs) and all(e["type"] in _WANTS for e, _ in errs):
            kinds = [_TYPE_NAMES.get(tag.split("[")[0], tag) for _, tag in errs]  # type: ignore[union-attr]
            msg = f"must be {' or '.join(dict.fromkeys(kinds))}, got {_describe(first.get('input'))}"
        else:
            msg = "; ".join(dict.fromkeys(_friendly(e) for e, _ in errs))
        desc = info.description if info is not None else None
        if desc and first["type"] not in ("extra_forbidden", "value_error", "assertion_error"):
            msg = f"{msg} ({desc.rstrip('.')})"
        key = re.match(r"^([^\s:]+): ", msg)  # "KEY: …" about one entry of a mapping: point at the key's own line
        if first["type"] == "value_error" and key and full + (key.group(1),) in lines:
            full, line, msg = full + (key.group(1),), lines[full + (key.group(1),)], msg[key.end():]
        value, written = first.get("input"), lines.get((WRITTEN, *full))
        if written is not None and isinstance(value, (int, float)):  # a hint to quote shows the value as written
            msg = msg.replace(f'"{str(value).lower() if isinstance(value, bool) else value}"', f'"{written}"')
        out.append(Issue(res_file, line, _field(full), msg))
    return out


def _belongs_under(model: type[BaseModel], prefix: tuple, loc: tuple) -> str | None:
    """Where an unknown field at ``loc`` exists one level down or up (e.g. 'spec.model'), if it does."""
    name, parent = loc[-1], tuple(loc[:-1])
    holder = _model_at(model, parent) if parent else model
    if not isinstance(name, str) or holder is None:
        return None
    for field_name in holder.model_fields:  # one level down: a sibling's field
        inner = _model_at(model, parent + (field_name,))
        if inner is not None and inner is not holder and name in inner.model_fields:
            return ".".join(str(x) for x in prefix + parent + (field_name,))
    named = [i for i, part in enumerate(parent) if isinstance(part, str)]
    if named:  # one level up: the field of the enclosing mapping
        up = parent[: named[-1]]
        outer = _model_at(model, up) if up else model
        if outer is not None and name in outer.model_fields:
            return ".".join(str(x) for x in prefix + up) or "the top level"
    return None


def _model_at(model: Any, loc: tuple) -> Any:
    """The pydantic model that holds the fields at ``loc`` inside ``model`` (None when not a model)."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            ann = current.model_fields[part].annotation
            current = None
            for arg in (ann, *typing.get_args(ann)):
                for inner in (arg, *typing.get_args(arg)):
                    if isinstance(inner, type) and issubclass(inner, BaseModel):
                        current = inner
                        break
                if current is not None:
                    break
        else:
            continue
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _is_field(model: Any, loc: tuple, name: str) -> bool:
    holder = _model_at(model, loc) if model is not None else None
    return holder is not None and name in holder.model_fields


def _field_info(model: Any, loc: tuple) -> Any:
    """The FieldInfo of the last named field in ``loc`` (for its description)."""
    names = [i for i, part in enumerate(loc) if isinstance(part, str)]
    for i in reversed(names):
        holder = _model_at(model, loc[:i])
        if holder is not None and loc[i] in holder.model_fields:
            return holder.model_fields[loc[i]]
    return None


def _allowed_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names allowed at ``loc`` inside ``model`` (best effort, for error messages)."""
    current = _model_at(model, loc)
    return list(current.model_fields) if current is not None else []
