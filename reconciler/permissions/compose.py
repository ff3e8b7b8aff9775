"""``reconcile permissions``: the IAM policy documents a command needs for exactly these manifests.

What each command needs, from the kinds' declarations (``Kind.permissions``) plus what every command needs:

- ``plan`` and ``drift`` (a drift check is a plan): every declared resource read (READ), the orphan scan
  (``tag:GetResources``, and each kind's reads of what the stack owns but no longer declares: READ of None);
- ``apply``: what plan needs, then every declared resource created, changed or replaced (WRITE), and orphans
  deleted when ``Stack.spec.prune`` is true; the lock table when ``Stack.spec.lock`` names one;
- ``prune``: what plan needs, the orphans deleted (DELETE of None), the lock;
- ``destroy``: what plan needs, every declared resource and every orphan deleted, the lock.

Orphans are resources of any kind: a prune after the last Function left the manifests must still delete it.
``sts:GetCallerIdentity`` is not granted: AWS answers it whatever the policies say ("No permissions are
required to perform this operation", STS API reference).

The grants become statements (``statements``): one per (resources, conditions), actions listed one by one,
each action on those of the grant's ARNs that are of its resource types; ``aws:ResourceTag/reconciler:stack`` is
added to the changes (not the reads) of ``owned`` resources wherever the Service Authorization Reference lists
that key for every resource type the ARNs are of; an action IAM takes no resource for is granted on ``*``. ``documents`` cuts them into policy documents
within a managed policy's 6,144 characters.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from reconciler import STACK_TAG
from reconciler.awsmodel import iam_reference as sar
from reconciler.permissions.grants import DELETE, READ, WRITE, Grant, Scope, grant

COMMANDS = ("plan", "drift", "apply", "prune", "destroy")
MANAGED_POLICY_LIMIT = 6144
#: access levels never conditioned on the resource's tags: IAM cannot read the tags of what does not exist, so a
#: wait until a deleted resource is gone, or a read after a lost answer, would be refused instead of answered
READS = ("Read", "List")  # characters, not counting whitespace (IAM quotas)


def scope_of(m: Any, region: str) -> Scope:
    """Where the manifests ``m`` live: their stack, ``region``, their account (else ``*``) and its partition."""
    from reconciler.aws import partition_of

    return Scope(m.stack.name, region, m.stack.spec.accountId or "*", partition_of(region), m.by_id())


def policies(m: Any, commands: list[str] | tuple[str, ...], region: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The policy documents ``commands`` need for the manifests ``m`` in ``region``, and the notes."""
    scope = scope_of(m, region)
    return documents(needs(m, commands, scope), scope)


def needs(m: Any, commands: list[str] | tuple[str, ...], scope: Scope) -> list[Grant]:
    """Every grant ``commands`` need for the manifests ``m`` (a loaded ``Manifests``)."""
    from reconciler.kinds import REGISTRY

    out = [grant("tag:GetResources")]  # the orphan scan: one listing of what carries the stack's tags
    for r in m.resources:
        out += REGISTRY[r.kind].permissions(r, READ, scope)
    for kind in REGISTRY.values():
        out += kind.permissions(None, READ, scope)
    changes = set(commands) - {"plan", "drift"}
    prune = "prune" in changes or "destroy" in changes or ("apply" in changes and m.stack.spec.prune)
    if "apply" in changes:
        for r in m.resources:
            out += REGISTRY[r.kind].permissions(r, WRITE, scope)
    if "destroy" in changes:
        for r in m.resources:
            out += REGISTRY[r.kind].permissions(r, DELETE, scope)
    if prune:
        for kind in REGISTRY.values():
            out += kind.permissions(None, DELETE, scope)
    if changes and m.stack.spec.lock is not None:
        out.append(lock_grant(m.stack, scope))
    return out


def lock_grant(stack: Any, scope: Scope) -> Grant:
    """The stack's item in the lock table (``Stack.spec.lock``; reconciler/lock.py), and no other item."""
    spec = stack.spec.lock
    table = f"arn:{scope.partition}:dynamodb:{spec.region or scope.region}:{scope.account}:table/{spec.dynamodbTable}"
    return grant(("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"), table,
                 conditions=(("ForAllValues:StringLike", "dynamodb:LeadingKeys", (f"reconcile/*/{stack.name}",)),))


@dataclass
class Statement:
    actions: set[str]
    resources: tuple[str, ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def json(self, sid: str) -> dict[str, Any]:
        out: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": sorted(self.actions, key=str.lower),
                               "Resource": list(self.resources) if len(self.resources) > 1 else self.resources[0]}
        if self.conditions:
            block: dict[str, dict[str, Any]] = {}
            for op, key, values in self.conditions:
                block.setdefault(op, {})[key] = list(values) if len(values) > 1 else values[0]
            out["Condition"] = block
        return out


class UnknownActions(ValueError):
    """A kind declared an action the Service Authorization Reference does not know (a typo)."""


def statements(grants: list[Grant], scope: Scope) -> tuple[list[Statement], list[str]]:
    """The statements granting ``grants``, and notes: where an owned grant could not get the tag condition."""
    unknown = sorted({a for g in grants for a in g.actions if sar.action(a) is None})
    if unknown:
        raise UnknownActions(f"IAM has no action {', '.join(unknown)} (Service Authorization Reference)")
    tag = ("StringEquals", f"aws:ResourceTag/{STACK_TAG}", (scope.stack,))
    granted: dict[tuple[str, tuple[Any, ...]], set[str]] = {}  # (action, conditions) -> resources
    notes: list[str] = []
    for g in grants:
        for name in g.actions:
            entry = sar.action(name)
            assert entry is not None
            if not entry.scoped:
                granted.setdefault((entry.full, ()), set()).add("*")
                continue
            # each action on the ARNs of its own resource types: a grant may name several kinds of resource
            resources = [arn for arn in g.resources if arn == "*" or g.as_given or _types(entry, arn)]
            if not resources:
                notes.append(f"{entry.full}: none of {', '.join(g.resources)} is a resource IAM takes for it; "
                             "not granted")
                continue
            conditions = g.conditions
            if g.owned and "*" not in resources and entry.access_level not in READS:
                if all(entry.supports(sar.RESOURCE_TAG, _types(entry, arn)) for arn in resources):
                    conditions = (*conditions, tag)
                else:
                    notes.append(f"{entry.full} on {', '.join(resources)}: IAM has no aws:ResourceTag condition "
                                 "for it; granted on the ARNs alone")
            granted.setdefault((entry.full, tuple(sorted(conditions))), set()).update(resources)
    merged: dict[tuple[tuple[str, ...], tuple[Any, ...]], Statement] = {}
    for (action, conditions), resources in sorted(granted.items()):
        # what the action may do under weaker conditions (or none) needs no narrower or stricter grant
        wider = set().union(*(r for (a, c), r in granted.items()
                              if a == action and c != conditions and _weaker(c, conditions)))
        kept = _widest(resources, wider)
        if kept:
            key = (tuple(sorted(kept)), conditions)  # the same ARNs and conditions: one statement
            merged.setdefault(key, Statement(set(), key[0], conditions)).actions.add(action)
    return sorted(merged.values(), key=_order), sorted(set(notes))


def _covers(pattern: str, other: str) -> bool:
    """Every ARN ``other`` (perhaps a pattern) matches, ``pattern`` matches too (a ``*`` of ``pattern`` covers any
    run, ``?`` and ``*`` of ``other`` included; a ``pattern`` with ``?`` covers only itself)."""
    if "?" in pattern:
        return pattern == other
    regex = ".*".join(re.escape(p) for p in pattern.split("*"))
    return re.fullmatch(regex, other) is not None


#: operators whose values are patterns (``*``, ``?``); the others' values are compared as they are
_LIKE = ("StringLike", "ArnLike")


def _weaker(weak: tuple[Any, ...], strict: tuple[Any, ...]) -> bool:
    """Every request ``strict``'s conditions allow, ``weak``'s allow as well, and not the other way round: each
    of ``weak``'s conditions is one of ``strict``'s operator and key, its values covering ``strict``'s."""
    def covers(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
        return all(any(op == op2 and key == key2 and all(any(w == v or (op in _LIKE and _covers(w, v)) for w in ws)
                                                           for v in vs) for op2, key2, vs in b) for op, key, ws in a)

    return covers(weak, strict) and not covers(strict, weak)


def _widest(resources: set[str], wider: set[str]) -> set[str]:
    """``resources`` without those another of them, or of ``wider``, covers."""
    out = set()
    for arn in resources:
        others = (resources - {arn}) | wider
        if not any(_covers(o, arn) and (o != arn or o in wider) for o in others):
            out.add(arn)
    return out


def _types(entry: sar.Action, arn: str) -> tuple[sar.ResourceType, ...]:
    """The resource types of ``entry`` that ``arn`` (perhaps a pattern) is of."""
    found = []
    for t in entry.required + entry.optional:
        regex = re.sub(r"\\\$\\\{\w+\\\}", ".*", re.escape(t.arn))
        if re.fullmatch(regex, arn.replace("*", "x")):
            found.append(t)
    return tuple(found)


def _order(s: Statement) -> tuple[str, str, int]:
    first = sorted(s.actions, key=str.lower)[0]
    return first.split(":")[0], "~" if s.conditions else "", -len(s.actions)


def _sid(s: Statement, seen: dict[str, int]) -> str:
    """``SagemakerOwned``, ``IamPassRole``, ``ListsAndAccountReads``: what a reviewer looks for first."""
    services = sorted({a.split(":")[0] for a in s.actions})
    base = "".join(p.title().replace("-", "") for p in services) if len(services) <= 2 else "Several"
    if s.resources == ("*",):
        base = "ListsAndAccountReads"
    elif any(key.startswith("aws:ResourceTag/") for _, key, _ in s.conditions):
        base += "Owned"
    elif s.actions == {"iam:PassRole"}:
        base = "PassRole"
    elif s.conditions:
        base += "Conditional"
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}{seen[base]}"


def size(document: dict[str, Any]) -> int:
    """Characters IAM counts against the quota: the JSON without whitespace."""
    return len(re.sub(r"\s", "", json.dumps(document)))


def documents(grants: list[Grant], scope: Scope) -> tuple[list[dict[str, Any]], list[str]]:
    """Policy documents (each within a managed policy's size) granting ``grants``, and the notes."""
    found, notes = statements(grants, scope)
    seen: dict[str, int] = {}
    return pack([s.json(_sid(s, seen)) for s in found]), notes


def pack(sts: list[dict[str, Any]], at_least: int = 1) -> list[dict[str, Any]]:
    """``sts`` in order, as few policy documents as fit a managed policy's size each; or ``at_least`` documents
    (the largest halved until there are as many), so that every environment's role attaches as many policies."""
    out: list[list[dict[str, Any]]] = [[]]
    for st in sts:
        if out[-1] and size({"Version": "2012-10-17", "Statement": [*out[-1], st]}) > MANAGED_POLICY_LIMIT:
            out.append([])
        out[-1].append(st)
    out = [part for part in out if part]
    while 0 < len(out) < at_least and max(len(part) for part in out) > 1:
        i = max(range(len(out)), key=lambda j: len(out[j]))
        half = len(out[i]) // 2
        out[i:i + 1] = [out[i][:half], out[i][half:]]
    return [{"Version": "2012-10-17", "Statement": part} for part in out]
