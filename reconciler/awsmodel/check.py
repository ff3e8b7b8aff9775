"""Walk a value (a whole request, or one parameter) against a botocore shape and list what breaks it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from reconciler.awsmodel.patterns import try_matcher
from reconciler.awsmodel.shapes import NUMBERS, Constraints, constraints_of, shape

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Violation:
    """One constraint a value breaks.

    ``path`` is the request path (member names, list indices, map keys); ``aws`` the constraint as AWS words
    it ("Member must have length less than or equal to 63"); ``allowed`` the same for people, with a
    did-you-mean for enums.
    """

    path: Path
    value: Any
    rule: str  # required | length | pattern | enum | range | size
    aws: str
    allowed: str
    constraints: Constraints | None = field(default=None, compare=False)
    where: str = ""  # "", "key" or "value" (a map's keys or values)

    @property
    def aws_path(self) -> str:
        """The path as AWS's JSON services name it: lowerCamel members, ``list.1.member.x``."""
        out: list[str] = []
        for step in self.path:
            if isinstance(step, int):
                out += [str(step + 1), "member"]
            elif isinstance(step, MapKey):
                continue  # AWS reports a map's entries at the map
            else:
                out.append(step[:1].lower() + step[1:])
        return ".".join(out)

    def aws_message(self) -> str:
        """``Value 'x' at 'endpointName' failed to satisfy constraint: Member must …`` (AWS's JSON services)."""
        constraint = self.aws
        if self.where:
            constraint = f"Map {self.where}s must satisfy constraint: [{self.aws}]"
        shown = "null" if self.value is None else f"'{_show(self.value)}'"
        return f"Value {shown} at '{self.aws_path}' failed to satisfy constraint: {constraint}"


class MapKey(str):
    """A map key in a Violation's path (so that it is not taken for a member name)."""


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def aws_summary(violations: list[Violation]) -> str:
    """AWS's ValidationException message for a request: ``N validation error(s) detected: …; …``."""
    n = len(violations)
    return f"{n} validation error{'s' if n != 1 else ''} detected: " + "; ".join(v.aws_message() for v in violations)


def did_you_mean(value: str, choices: tuple[str, ...] | list[str]) -> str | None:
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def check_shape(service: str, sh: Any, value: Any, path: Path = (), where: str = "") -> list[Violation]:
    """Violations of ``value`` against botocore shape ``sh`` (recursing into structures, lists and maps)."""
    c = constraints_of(service, sh)
    out: list[Violation] = []

    def add(rule: str, aws: str, allowed: str) -> None:
        out.append(Violation(path, value, rule, aws, allowed, c, where))

    t = sh.type_name
    if t == "structure":
        if not isinstance(value, dict):
            return out
        required = set(sh.required_members)
        for name, member in sh.members.items():
            if value.get(name) is not None:
                out += check_shape(service, member, value[name], (*path, name))
            elif name in required:
                out.append(Violation((*path, name), None, "required", "Member must not be null",
                                     f"{name} is required", None))
        return out
    if t == "list":
        if not isinstance(value, list | tuple):
            return out
        _size(c, len(value), add, "items")
        for i, item in enumerate(value):
            out += check_shape(service, sh.member, item, (*path, i))
        return out
    if t == "map":
        if not isinstance(value, dict):
            return out
        _size(c, len(value), add, "entries")
        for k, v in value.items():
            out += check_shape(service, sh.key, k, (*path, MapKey(k)), "key")
            if v is not None:
                out += check_shape(service, sh.value, v, (*path, MapKey(k)), "value")
        return out
    if t == "string" and isinstance(value, str):
        n = len(value)
        if c.min_length is not None and n < c.min_length:
            add("length", f"Member must have length greater than or equal to {c.min_length}",
                f"at least {c.min_length} characters, got {n}")
        if c.max_length is not None and n > c.max_length:
            add("length", f"Member must have length less than or equal to {c.max_length}",
                f"at most {c.max_length} characters, got {n}")
        if c.enum and value not in c.enum:
            close = did_you_mean(value, c.enum)
            listed = ", ".join(c.enum) if len(c.enum) <= 15 else f"one of the {len(c.enum)} values of {c.shape}"
            hint = f"; did you mean {close}?" if close else ""
            add("enum", f"Member must satisfy enum value set: [{', '.join(c.enum)}]", f"allowed: {listed}{hint}")
        elif c.pattern and (m := try_matcher(c.pattern)) is not None and not m(value):
            add("pattern", f"Member must satisfy regular expression pattern: {c.pattern}",
                f"must match {c.pattern}")
        return out
    if t in NUMBERS and isinstance(value, int | float) and not isinstance(value, bool):
        if c.min_value is not None and value < c.min_value:
            add("range", f"Member must have value greater than or equal to {_num(c.min_value)}",
                f"at least {_num(c.min_value)}, got {_num(value)}")
        if c.max_value is not None and value > c.max_value:
            add("range", f"Member must have value less than or equal to {_num(c.max_value)}",
                f"at most {_num(c.max_value)}, got {_num(value)}")
    return out


def _size(c: Constraints, n: int, add: Any, noun: str) -> None:
    if c.min_items is not None and n < c.min_items:
        add("size", f"Member must have length greater than or equal to {c.min_items}",
            f"at least {c.min_items} {noun}, got {n}")
    if c.max_items is not None and n > c.max_items:
        add("size", f"Member must have length less than or equal to {c.max_items}",
            f"at most {c.max_items} {noun}, got {n}")


def check_value(service: str, ref: str, value: Any, path: Path = ()) -> list[Violation]:
    """Violations of one value against the shape at ``ref`` (``Operation.Member…`` or ``Shape.Member…``)."""
    return check_shape(service, shape(service, ref), value, path)


def check(service: str, operation: str, params: dict[str, Any]) -> list[Violation]:
    """Violations of a whole request ``params`` against ``operation``'s input shape."""
    from reconciler.awsmodel.shapes import service_model

    input_shape = service_model(service).operation_model(operation).input_shape
    if input_shape is None:
        return []
    return check_shape(service, input_shape, params)
