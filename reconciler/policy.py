"""IAM policy documents in canonical form, their validation and size, and tag normalisation.

AWS hands documents back in whatever shape it was given (URL-encoded, which botocore decodes),
so equal policies can look different: "s3:GetObject" vs ["s3:GetObject"], list order, statement
order, "*" vs {"AWS": "*"}, an account id vs its root ARN, true vs "true", a missing Version.
``canonical`` maps all of those to one form so that diffing is semantic, not textual.
"""

from __future__ import annotations

import json
import re
from typing import Any

LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
PRINCIPAL_KEYS = ("Principal", "NotPrincipal")
STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                  "Resource", "NotResource", "Condition"}
VERSIONS = ("2012-10-17", "2008-10-17")
_ROOT_ARN = re.compile(r"^arn:[^:]+:iam::([0-9]{12}):root$")


def parse(doc: Any) -> Any:
    """A document given as JSON text becomes a dict; dicts pass through."""
    if isinstance(doc, str):
        return json.loads(doc)
    return doc


def _key(v: Any) -> str:
    """A total order and identity for any JSON value (malformed documents hold lists and mappings anywhere)."""
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)


def _as_sorted_list(value: Any) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    unique = {_key(v): v for v in map(_scalar, items)}
    return [unique[k] for k in sorted(unique)]


def _scalar(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return v


def _principal(value: Any) -> Any:
    """``*`` is ``{"AWS": ["*"]}``; any other lone string is an AWS principal (IAM refuses it: validate says so,
    the form only stays total); empty id lists name no one and are dropped; an account's root ARN, in any
    partition, is its bare id (IAM stores a bare id as that ARN)."""
    if isinstance(value, str):
        value = {"AWS": value}
    if value is None:
        return {}
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for ptype, ids in value.items():
        if not isinstance(ids, (list, str, int, float, bool)):
            out[ptype] = ids
            continue
        items = [_ROOT_ARN.sub(r"\1", v) if ptype == "AWS" and isinstance(v, str) else v
                 for v in map(_scalar, ids if isinstance(ids, list) else [ids])]
        if items:
            out[ptype] = _as_sorted_list(items)
    return dict(sorted(out.items()))


def _condition(value: Any) -> Any:
    if not isinstance(value, dict):
        return {} if value is None else value
    out: dict[str, Any] = {}
    for op, kv in value.items():
        kv = {} if kv is None else kv
        out[op] = {k: _as_sorted_list(v) for k, v in sorted(kv.items())} if isinstance(kv, dict) else kv
    return dict(sorted(out.items()))


def _effect(value: Any) -> Any:
    """IAM takes only ``Allow`` and ``Deny`` (case matters, validate refuses ``allow``); the form reads any case."""
    return value.capitalize() if isinstance(value, str) and value.lower() in ("allow", "deny") else value


def canonical(doc: Any) -> Any:
    """The canonical form of an IAM policy document (dict or JSON text).

    Total: whatever a manifest or AWS holds, it never raises. What is not a policy (text that is not JSON, a
    list, a number) comes back as it is, and malformed parts of a document are kept as they are; validate
    refuses all of those (``problems``), as IAM does.
    """
    try:
        doc = parse(doc)
    except ValueError:
        return doc
    if not isinstance(doc, dict):
        return doc
    out: dict[str, Any] = {}
    for k, v in doc.items():
        if k == "Statement":
            continue
        out[k] = v
    out["Version"] = doc.get("Version", "2008-10-17")
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        out["Statement"] = statements
        return dict(sorted(out.items()))
    canon = []
    for st in statements:
        if not isinstance(st, dict):
            canon.append(st)
            continue
        c: dict[str, Any] = {}
        for k, v in st.items():
            if k in LIST_KEYS:
                c[k] = _as_sorted_list(v)
            elif k in PRINCIPAL_KEYS:
                v = _principal(v)
                if v != {}:  # an empty principal names no one, as a missing one does
                    c[k] = v
            elif k == "Condition":
                c[k] = _condition(v)
            elif k == "Effect":
                c[k] = _effect(v)
            elif k == "Sid" and not v:
                continue
            else:
                c[k] = v
        canon.append(dict(sorted(c.items())))
    # a statement given twice grants (or denies) nothing more than once: IAM evaluates the document
    # the same, so the canonical form keeps one copy. Plan (diff) and apply (canonical ==) both
    # compare this form, so they agree (tests/unit/test_policy_equality.py)
    unique = {json.dumps(c, sort_keys=True, default=str): c for c in canon}
    out["Statement"] = [unique[k] for k in sorted(unique)]
    return dict(sorted(out.items()))


def stringified(doc: Any) -> Any:
    """``doc`` with bool/int/float condition values as the strings AWS stores them as (for tools that
    expect strings, like the policy linter); anything else unchanged."""
    doc = parse(doc)
    if not isinstance(doc, dict):
        return doc
    statements = doc.get("Statement")
    single = isinstance(statements, dict)
    out = []
    for st in [statements] if single else (statements if isinstance(statements, list) else []):
        if isinstance(st, dict) and isinstance(st.get("Condition"), dict):
            cond = {op: ({k: [_scalar(x) for x in v] if isinstance(v, list) else _scalar(v) for k, v in kv.items()}
                         if isinstance(kv, dict) else kv)
                    for op, kv in st["Condition"].items()}
            st = {**st, "Condition": cond}
        out.append(st)
    if statements is None or not isinstance(statements, (dict, list)):
        return doc
    return {**doc, "Statement": out[0] if single else out}


def equal(a: Any, b: Any) -> bool:
    return canonical(a) == canonical(b)


def size(doc: Any) -> int:
    """Characters AWS counts against policy size quotas (whitespace excluded)."""
    text = json.dumps(parse(doc), separators=(",", ":"))
    return len(re.sub(r"\s", "", text))


def problems(doc: Any, *, trust: bool = False) -> list[tuple[str, str]]:
    """Structural problems of a policy document as (field path, message); empty when valid."""
    try:
        doc = parse(doc)
    except json.JSONDecodeError as e:
        return [("", f"not valid JSON: {e.msg} (line {e.lineno} column {e.colno} of the document)")]
    if not isinstance(doc, dict):
        return [("", "a policy document must be a mapping with Version and Statement")]
    out: list[tuple[str, str]] = []
    unknown = set(doc) - {"Version", "Id", "Statement"}
    if unknown:
        out.append((sorted(unknown)[0], f"unknown key(s) {sorted(unknown)}; allowed: Version, Id, Statement"))
    if "Version" not in doc:
        out.append(("Version", 'is missing; add Version: "2012-10-17" (AWS refuses a policy without it: '
                               '"Policy document must be version 2012-10-17 or greater")'))
    elif doc["Version"] not in VERSIONS:
        out.append(("Version", f"must be one of {list(VERSIONS)}, got {doc['Version']!r}"))
    statements = doc.get("Statement")
    if statements is None:
        return out + [("Statement", "is required")]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return out + [("Statement", "must be a statement or a non-empty list of statements")]
    for i, st in enumerate(statements):
        p = f"Statement[{i}]"
        if not isinstance(st, dict):
            out.append((p, "each statement must be a mapping"))
            continue
        bad = set(st) - STATEMENT_KEYS
        if bad:
            out.append((p, f"unknown key(s) {sorted(bad)}; allowed: {sorted(STATEMENT_KEYS)}"))
        if "Effect" not in st:
            out.append((p, "Effect is missing; every statement needs Effect: Allow or Effect: Deny"))
        elif st["Effect"] not in ("Allow", "Deny"):
            out.append((f"{p}.Effect", f"must be 'Allow' or 'Deny' (case matters), got {st['Effect']!r}"))
        if ("Action" in st) == ("NotAction" in st):
            out.append((p, "needs exactly one of Action or NotAction (e.g. Action: s3:GetObject); "
                           + ("both are given" if "Action" in st else "neither is given")))
        for key in LIST_KEYS:
            if key in st:
                vals = st[key] if isinstance(st[key], list) else [st[key]]
                if not vals or not all(isinstance(v, str) and v for v in vals):
                    out.append((f"{p}.{key}", "must be a non-empty string or list of strings"))
        if trust:
            if "Principal" not in st and "NotPrincipal" not in st:
                out.append((p, "a trust policy statement needs a Principal (e.g. Principal: {Service: "
                               "sagemaker.amazonaws.com}) saying who may assume the role"))
            for key in ("Resource", "NotResource"):
                if key in st:
                    out.append((f"{p}.{key}", f"a trust policy has no {key} (IAM refuses it: \"Has prohibited "
                                              f"field {key}\"); the role is the resource: name who may assume it "
                                              "in Principal, and what it may do in its permissions policies"))
        else:
            if ("Resource" in st) == ("NotResource" in st):
                out.append((p, "needs exactly one of Resource or NotResource (e.g. Resource: arn:aws:s3:::bucket/*); "
                               + ("both are given" if "Resource" in st else "neither is given")))
            if "Principal" in st or "NotPrincipal" in st:
                out.append((p, "an identity policy must not have a Principal"))
        for key in PRINCIPAL_KEYS:
            if key in st:
                out += _principal_problems(f"{p}.{key}", st[key])
        if trust and "NotPrincipal" in st:
            out.append((f"{p}.NotPrincipal", "AWS does not allow NotPrincipal in a role's trust policy; name who may "
                                             "assume the role with Principal"))
        if "Condition" in st:
            out += _condition_problems(f"{p}.Condition", st["Condition"])
        if "Sid" in st and not (isinstance(st["Sid"], str) and SID.match(st["Sid"])):
            out.append((f"{p}.Sid", f"{st['Sid']!r} is not a valid Sid; allowed: ASCII letters and digits only "
                                    "(no spaces, hyphens or underscores)"))
    return out


SID = re.compile(r"^[A-Za-z0-9]*\Z")  # \Z: a Sid with a trailing newline is not valid either
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
CONDITION_OPERATORS = frozenset({
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
    "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan",
    "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
    "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
})


def _principal_problems(path: str, value: Any) -> list[tuple[str, str]]:
    shape = 'must be "*" or a mapping like {"Service": [...]} or {"AWS": [...]}'
    if value == "*":
        return []
    if not isinstance(value, dict) or not value:
        return [(path, shape)]
    out = []
    for ptype, ids in value.items():
        if ptype not in PRINCIPAL_TYPES:
            out.append((f"{path}.{ptype}", f"unknown principal type {ptype!r}; allowed: {', '.join(PRINCIPAL_TYPES)}"))
            continue
        items = ids if isinstance(ids, list) else [ids]
        if not items or not all(isinstance(v, str) and v for v in items):
            out.append((f"{path}.{ptype}", f"must be a non-empty string or a list of strings, got {_kind_of(ids)}"))
    return out


def _kind_of(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "an empty list" if not v else "a list"
    if isinstance(v, str):
        return f"the string {v!r}"
    return f"the {type(v).__name__} {v!r}"


def _condition_problems(path: str, value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return [(path, "must be a mapping of operator to {key: value}")]
    out = []
    for op, kv in value.items():
        base = op.split(":", 1)[1] if isinstance(op, str) and op.startswith(("ForAllValues:", "ForAnyValue:")) else op
        base = base[:-len("IfExists")] if isinstance(base, str) and base.endswith("IfExists") and base != "NullIfExists" else base
        if base not in CONDITION_OPERATORS:
            import difflib

            close = difflib.get_close_matches(str(base), sorted(CONDITION_OPERATORS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            out.append((f"{path}.{op}", f"unknown condition operator {op!r}{hint} (AWS refuses the policy)"))
            continue
        if not isinstance(kv, dict) or not kv:
            out.append((f"{path}.{op}", f"must be a mapping of condition key to value(s), e.g. {{aws:PrincipalTag/team: "
                                        f"ml}}; got {_kind_of(kv)}"))
            continue
        for key, v in kv.items():
            items = v if isinstance(v, list) else [v]
            if not items or not all(isinstance(x, (str, int, float, bool)) for x in items):
                got = _kind_of(v) if not isinstance(v, list) or not v else "a list holding a mapping, list or null"
                out.append((f"{path}.{op}.{key}", f"must be a value or a list of values (strings, numbers, booleans), "
                                                  f"got {got}"))
    return out


def assume_role_document(services: list[str]) -> dict[str, Any]:
    """The trust policy for ``assumedBy: [service principals]``."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": sorted(set(services))},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def normalize_tags(tags: Any) -> dict[str, str]:
    """AWS tag list or dict -> dict, without the ``aws:`` tags AWS adds itself."""
    if isinstance(tags, list):
        tags = {t["Key"]: t.get("Value", "") for t in tags}
    return {k: v for k, v in sorted((tags or {}).items()) if not k.lower().startswith("aws:")}


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def tag_changes(live: dict[str, str], desired: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove) to go from live to desired."""
    to_set = {k: v for k, v in desired.items() if live.get(k) != v}
    to_remove = [k for k in live if k not in desired and not k.lower().startswith("aws:")]
    return to_set, to_remove


def owner_of(tags: Any) -> str | None:
    """The reconcile stack that owns a resource with these tags (AWS list or dict), or None."""
    from reconciler import MANAGED_BY_TAG, MANAGED_BY_VALUE, STACK_TAG

    tags = normalize_tags(tags)
    if tags.get(MANAGED_BY_TAG) != MANAGED_BY_VALUE:
        return None
    return tags.get(STACK_TAG)
