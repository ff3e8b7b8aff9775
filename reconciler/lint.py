"""IAM policy lint: parliament (offline, knows every IAM action) plus reconcile's own checks.

Unknown actions and prefixes (typos) are errors; iam:PassRole on Resource "*", whole-service
wildcards (``lambda:*``) and ``Allow`` + ``NotAction`` on Resource "*", and full-access AWS-managed policies are
warnings (``--strict`` makes warnings errors).

Every warning names its code (``PASSROLE_STAR``, ``SERVICE_WILDCARD``, ``FULL_ACCESS``, or parliament's, e.g.
``RESOURCE_POLICY_PRIVILEGE_ESCALATION``). A resource acknowledges warnings it accepts with the annotation
``reconciler/accept-lint: "PASSROLE_STAR,FULL_ACCESS"``; they are then not repeated (errors cannot be accepted).
"""


from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

from reconciler import policy
from reconciler.errors import Issue
from reconciler.kinds.base import Resource

ERROR_FINDINGS = {"UNKNOWN_ACTION", "UNKNOWN_PREFIX", "MALFORMED", "INVALID_ARN"}
IGNORED_FINDINGS = {"RESOURCE_MISMATCH", "UNKNOWN_CONDITION_FOR_ACTION", "RESOURCE_STAR", "CREDENTIALS_EXPOSURE",
                    "PERMISSIONS_MANAGEMENT_ACTIONS", "PRIVILEGE_ESCALATION", "UNKNOWN_FEDERATION_SOURCE"}
BROAD_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(.*/)?(AdministratorAccess|PowerUserAccess|[A-Za-z0-9]*FullAccess)$")

ACCEPT_LINT = "reconciler/accept-lint"


def accepted(res: Resource) -> set[str]:
    """The lint codes ``res`` acknowledges (its reconciler/accept-lint annotation)."""
    return {c.strip().upper() for c in str(res.annotations.get(ACCEPT_LINT, "")).split(",") if c.strip()}


def document(res: Resource, path: tuple, doc: Any) -> list[Issue]:
    """Lint one identity policy document of ``res`` at ``path``."""
    from parliament import analyze_policy_string

    out: list[Issue] = []
    if policy.problems(doc):
        return out  # a malformed document is reported by the kind's check; linting it would only crash
    # numbers and booleans in conditions are strings to AWS (and to parliament, which crashes on them)
    doc = policy.stringified(doc)
    try:
        try:
            analyzed = analyze_policy_string(json.dumps(_one_value_conditions(doc)))
        except Exception:  # parliament crashes on some valid conditions (a list under Bool): lint without them
            analyzed = analyze_policy_string(json.dumps(_without_conditions(doc)))
        findings = analyzed.findings
    except Exception as e:  # noqa: BLE001 - a linter's crash must never become ours
        return [res.issue(path, f"lint could not check this document: parliament failed with "
                                f"{type(e).__name__}: {str(e)[:200]}", "warning")]
    for f in findings:
        if f.issue in IGNORED_FINDINGS:
            continue
        detail = f.detail if isinstance(f.detail, str) else json.dumps(f.detail, default=str)
        severity = "error" if f.issue in ERROR_FINDINGS else "warning"
        found = (f.location or {}).get("string") if isinstance(f.location, dict) else None
        where = _locate(doc, found) if isinstance(found, str) else ()
        if f.issue in ("UNKNOWN_ACTION", "UNKNOWN_PREFIX") and isinstance(found, str):
            detail += _suggest(found)
        out.append(res.issue(path + where, f"policy lint {f.issue}: {detail}", severity, f.issue))
    statements = doc.get("Statement", []) if isinstance(doc, dict) else []
    for i, st in enumerate([statements] if isinstance(statements, dict) else statements):
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = st.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        broad = sorted(a for a in actions if a == "*" or a.endswith(":*"))
        if "*" in resources and broad:
            out.append(res.issue(path + ("Statement", i), f'policy lint SERVICE_WILDCARD: {", ".join(broad)} on Resource '
                                 '"*" allows every action of the service on every resource; list the actions and '
                                 "resources needed", "warning", "SERVICE_WILDCARD"))
        if "*" in resources and "NotAction" in st:
            out.append(res.issue(path + ("Statement", i, "NotAction"), 'policy lint SERVICE_WILDCARD: Allow with '
                                 'NotAction on Resource "*" allows every action of every service but those listed, '
                                 "on every resource (and every action AWS adds later); list the actions needed with "
                                 "Action, and the resources", "warning", "SERVICE_WILDCARD"))
        if "*" in resources and any(fnmatch.fnmatchcase("iam:passrole", a.lower()) for a in actions):
            out.append(res.issue(path + ("Statement", i), 'policy lint PASSROLE_STAR: iam:PassRole on Resource "*" lets '
                                 "the holder pass any role to any service; scope it to the role ARNs it needs",
                                 "warning", "PASSROLE_STAR"))
    return out


def _one_value_conditions(doc: Any) -> Any:
    """One-element condition value lists as their element (the same to IAM; parliament needs it for Bool)."""
    return _map_conditions(doc, lambda c: {op: {k: v[0] if isinstance(v, list) and len(v) == 1 else v
                                                for k, v in kv.items()} if isinstance(kv, dict) else kv
                                           for op, kv in c.items()})


def _without_conditions(doc: Any) -> Any:
    return _map_conditions(doc, lambda _c: None)


def _map_conditions(doc: Any, fn: Any) -> Any:
    """``doc`` with each statement's Condition replaced by ``fn(condition)`` (dropped when it returns None)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), (dict, list)):
        return doc
    statements = doc["Statement"]
    out = []
    for st in [statements] if isinstance(statements, dict) else statements:
        if isinstance(st, dict) and isinstance(st.get("Condition"), dict):
            cond = fn(st["Condition"])
            st = {k: v for k, v in st.items() if k != "Condition"} | ({"Condition": cond} if cond is not None else {})
        out.append(st)
    return {**doc, "Statement": out}


def managed(res: Resource, path: tuple, arns: list[str]) -> list[Issue]:
    out = []
    for i, arn in enumerate(arns):
        if BROAD_MANAGED.match(arn):
            out.append(res.issue(path + (i,), f"policy lint FULL_ACCESS: {arn.rsplit('/', 1)[-1]} grants full access; "
                                 "prefer a least-privilege Policy declared in the manifests", "warning", "FULL_ACCESS"))
    return out


def _locate(doc: Any, value: str) -> tuple:
    """Path of ``value`` inside the document's statements (Statement, i, key[, j]); () when not found."""
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    if statements is None:
        return ()
    single = isinstance(statements, dict)
    for i, st in enumerate([statements] if single else statements):
        if not isinstance(st, dict):
            continue
        base: tuple = ("Statement",) if single else ("Statement", i)
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            v = st.get(key)
            if v == value:
                return base + (key,)
            if isinstance(v, list) and value in v:
                return base + (key, v.index(value))
    return ()


def _suggest(action: str) -> str:
    """'; did you mean s3:GetObject?' for a mistyped action or service prefix (parliament's IAM definitions)."""
    import difflib

    from parliament import iam_definition

    prefix, _, name = action.partition(":")
    services = {s["prefix"]: s for s in iam_definition}
    service = services.get(prefix.lower())
    if service is None:
        close = difflib.get_close_matches(prefix.lower(), list(services), n=1)
        return f"; did you mean the service prefix {close[0]!r}?" if close else "; no AWS service has this prefix"
    privileges = [p["privilege"] for p in service["privileges"]]
    close = difflib.get_close_matches(name, privileges, n=1, cutoff=0.7)
    return f"; did you mean {prefix}:{close[0]}?" if close else f"; see the {service['service_name']} actions"
