"""Identity-based policy evaluation, as IAM does it for one action on one resource (pure: no moto, no I/O).

AWS's logic (IAM User Guide, "Policy evaluation logic", identity-based policies only): an explicit ``Deny`` in
any statement that matches wins; else an ``Allow`` that matches allows; else the request is implicitly denied.
A statement matches when its ``Action`` (or ``NotAction``) matches the action (case-insensitive, ``*`` and ``?``
wildcards), its ``Resource`` (or ``NotResource``) matches the resource ARN (case-sensitive wildcards), and every
condition in its ``Condition`` block holds.

Conditions evaluated: the ``String*``, ``Arn*``, ``Bool`` and ``Null`` operators, each with ``…IfExists``, and
the ``ForAnyValue:`` / ``ForAllValues:`` set qualifiers, against the request context the caller builds
(``aws:RequestTag/…``, ``aws:ResourceTag/…``, ``aws:TagKeys``, ``iam:PassedToService``). A key the context lacks
is absent, as in IAM: ``StringEquals`` on it fails. Anything else (another operator, a policy variable such as
``${aws:username}``) is not evaluated: the condition is taken as not met, and ``Decision.unevaluated`` says so.
Not modelled here: permissions boundaries, session policies, SCPs, resource-based policies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

ALLOW, DENY, IMPLICIT = "allow", "explicit-deny", "implicit-deny"


@dataclass(frozen=True)
class Policy:
    name: str  # what the decision names: the managed policy's ARN or "inline:<name>"
    document: dict[str, Any]


@dataclass
class Decision:
    result: str  # ALLOW | DENY | IMPLICIT
    #: the statements that decided it: "<policy name>#<Sid or index>"
    by: list[str] = field(default_factory=list)
    #: conditions that could not be evaluated (taken as not met)
    unevaluated: list[str] = field(default_factory=list)


def document(text_or_dict: Any) -> dict[str, Any]:
    doc = json.loads(text_or_dict) if isinstance(text_or_dict, str) else text_or_dict
    return doc if isinstance(doc, dict) else {}


def evaluate(policies: list[Policy], action: str, resource: str, context: dict[str, list[str]]) -> Decision:
    """IAM's decision for ``action`` on ``resource`` given ``context`` (condition key -> values)."""
    ctx = {k.lower(): v for k, v in context.items()}
    allowed: list[str] = []
    denied: list[str] = []
    unevaluated: list[str] = []
    for pol in policies:
        statements = pol.document.get("Statement", [])
        for i, st in enumerate([statements] if isinstance(statements, dict) else statements):
            if not isinstance(st, dict) or not _applies(st, action, resource):
                continue
            failed, why = _conditions(st.get("Condition") or {}, ctx)
            unevaluated += why
            # a condition the sandbox cannot evaluate: an Allow is taken not to apply, a Deny (unless another of
            # its conditions fails) to apply; refusing what AWS might allow shows in a test, allowing what AWS
            # would refuse does not
            if failed or (why and st.get("Effect") != "Deny"):
                continue
            label = f"{pol.name}#{st.get('Sid') or i}"
            (denied if st.get("Effect") == "Deny" else allowed).append(label)
    if denied:
        return Decision(DENY, denied, unevaluated)
    return Decision(ALLOW if allowed else IMPLICIT, allowed, unevaluated)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _applies(st: dict[str, Any], action: str, resource: str) -> bool:
    if "Action" in st:
        acts = any(_match(p, action, fold=True) for p in _listed(st["Action"]))
    else:
        acts = not any(_match(p, action, fold=True) for p in _listed(st.get("NotAction")))
    if not acts:
        return False
    if "Resource" in st:
        return any(_match(p, resource) for p in _listed(st["Resource"]))
    if "NotResource" in st:
        return not any(_match(p, resource) for p in _listed(st["NotResource"]))
    return False


def _match(pattern: str, value: str, fold: bool = False) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one; nothing else is special."""
    if fold:
        pattern, value = pattern.lower(), value.lower()
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _arn_match(pattern: str, value: str) -> bool:
    """ArnLike: each of the six colon-separated parts matched on its own (a wildcard never crosses a colon)."""
    p, v = pattern.split(":", 5), value.split(":", 5)
    return len(p) == len(v) == 6 and all(_match(a, b) for a, b in zip(p, v, strict=True))


_OPS = {
    "StringEquals": lambda want, got: want == got,
    "StringNotEquals": lambda want, got: want != got,
    "StringEqualsIgnoreCase": lambda want, got: want.lower() == got.lower(),
    "StringNotEqualsIgnoreCase": lambda want, got: want.lower() != got.lower(),
    "StringLike": lambda want, got: _match(want, got),
    "StringNotLike": lambda want, got: not _match(want, got),
    "ArnEquals": lambda want, got: want == got,
    "ArnNotEquals": lambda want, got: want != got,
    "ArnLike": _arn_match,
    "ArnNotLike": lambda want, got: not _arn_match(want, got),
    "Bool": lambda want, got: want.lower() == got.lower(),
}
_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"}


def _conditions(block: dict[str, Any], ctx: dict[str, list[str]]) -> tuple[bool, list[str]]:
    """(a condition the sandbox can evaluate fails, the ones it could not evaluate): the statement applies when
    nothing fails and nothing is left unevaluated; the result does not depend on the conditions' order."""
    unevaluated = []
    for operator, keys in block.items():
        qualifier, _, op = operator.rpartition(":")
        if_exists = op.endswith("IfExists")
        base = op[: -len("IfExists")] if if_exists else op
        for key, wanted in (keys or {}).items():
            values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _listed(wanted)]
            if any("${" in v for v in values) or (base not in _OPS and base != "Null"):
                unevaluated.append(f"{operator} {key}")
                continue
            got = ctx.get(key.lower())
            if base == "Null":
                if (got is None) != (values[0].lower() == "true"):
                    return True, unevaluated
                continue
            if got is None:
                if if_exists or (base in _NEGATED and not qualifier):
                    continue
                return True, unevaluated
            if not _holds(base, values, got, qualifier):
                return True, unevaluated
    return False, unevaluated


def _holds(operator: str, wanted: list[str], got: list[str], qualifier: str) -> bool:
    """One condition on a key the context has: each context value is tested against the policy's values (a
    negated operator: differs from all of them; else: matches one); ``ForAllValues`` needs every context value
    to pass, ``ForAnyValue`` (and a key without a qualifier) one."""
    test = _OPS[operator]

    def one(value: str) -> bool:
        if operator in _NEGATED:
            return all(test(w, value) for w in wanted)
        return any(test(w, value) for w in wanted)

    return all(one(g) for g in got) if qualifier == "ForAllValues" else any(one(g) for g in got)
