"""Role, User and Policy read back as manifest documents (``to_spec`` of each kind's observed state)."""

from __future__ import annotations

from typing import Any

from reconciler import policy
from reconciler.importer.model import Imported
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Observed, PlanContext

DEFAULT_SESSION = 3600


ORDER = ("Version", "Id", "Statement", "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
         "Resource", "NotResource", "Condition")


def readable(doc: Any) -> Any:
    """A policy document as people write it: Version first, Effect before Action, one-item lists as a value
    (the same document: reconcile compares canonical forms)."""
    if isinstance(doc, list):
        items = [readable(x) for x in doc]
        return items[0] if len(items) == 1 and not isinstance(items[0], dict) else items
    if not isinstance(doc, dict):
        return doc
    keys = sorted(doc, key=lambda k: (ORDER.index(k) if k in ORDER else len(ORDER), k))
    out = {k: readable(doc[k]) for k in keys}
    if "Statement" in out and isinstance(out["Statement"], dict):
        out["Statement"] = [out["Statement"]]
    return out


def local_policy_name(arn: str, account: str) -> str | None:
    """The name of a customer managed policy of ``account`` (imported with its role/user), else None."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[4] != account or not parts[5].startswith("policy/"):
        return None
    return parts[5].rsplit("/", 1)[-1]


def _services(trust: dict[str, Any]) -> list[str] | None:
    """The services of a trust policy that is exactly ``assumedBy: [services]``, else None."""
    services: list[str] = []
    for st in trust.get("Statement") or []:
        svc = (st.get("Principal") or {}).get("Service") if isinstance(st.get("Principal"), dict) else None
        if svc is None:
            return None
        services += [svc] if isinstance(svc, str) else list(svc)
    if not services:
        return None
    same = policy.canonical(policy.assume_role_document(services)) == policy.canonical(trust)
    return sorted(set(services)) if same else None


def principal_spec(item: Imported, state: dict[str, Any], account: str) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if state.get("path", "/") != "/":
        spec["path"] = state["path"]
    managed = []
    for arn in state.get("managedPolicies") or []:
        managed.append(local_policy_name(arn, account) or arn)
    if managed:
        spec["managedPolicies"] = managed
    if state.get("inlinePolicies"):
        spec["inlinePolicies"] = {k: readable(v) for k, v in state["inlinePolicies"].items()}
    if state.get("permissionsBoundary"):
        spec["permissionsBoundary"] = state["permissionsBoundary"]
    return spec


def role_to_spec(obs: Observed, account: str) -> Imported:
    item = Imported("Role", obs.name)
    s = obs.state
    spec: dict[str, Any] = {}
    if s.get("description"):
        spec["description"] = s["description"]
    services = _services(s["trustPolicy"])
    if services is not None:
        spec["assumedBy"] = services
    else:
        spec["trustPolicy"] = readable(s["trustPolicy"])
    if s.get("maxSessionDuration", DEFAULT_SESSION) != DEFAULT_SESSION:
        spec["maxSessionDuration"] = s["maxSessionDuration"]
    spec.update(principal_spec(item, s, account))
    item.doc = item.adopting("Role", obs.name, s.get("tags") or {}, spec)
    return item


def user_to_spec(obs: Observed, account: str) -> Imported:
    item = Imported("User", obs.name)
    s = obs.state
    spec = principal_spec(item, s, account)
    if s.get("accessKey"):  # a key reconcile made (in another stack): its store is known
        store = s["accessKey"]
        kind, _, where = str(store).partition(":")
        if kind in ("secretsManager", "file") and where:
            spec["accessKey"] = {"store": {kind: where}}
    keys = s.get("unmanagedAccessKeys") or []
    if keys:
        spec["unmanagedAccessKeys"] = "keep"
        item.comments[("spec", "unmanagedAccessKeys")] = (
            f"{len(keys)} access key(s) made outside reconcile (e.g. by a script): kept and not managed; "
            "delete removes them, accessKey makes one reconcile manages")
        item.notes.append(f"User/{obs.name}: {len(keys)} access key(s) made outside reconcile are kept as they are "
                          "(unmanagedAccessKeys: keep); their secrets are wherever the script saved them")
    item.doc = item.adopting("User", obs.name, s.get("tags") or {}, spec or {"managedPolicies": []})
    return item


def policy_to_spec(obs: Observed) -> Imported:
    item = Imported("Policy", obs.name)
    s = obs.state
    spec: dict[str, Any] = {}
    if s.get("description"):
        spec["description"] = s["description"]
    if s.get("path", "/") != "/":
        spec["path"] = s["path"]
    spec["document"] = readable(s["document"])
    item.doc = item.adopting("Policy", obs.name, s.get("tags") or {}, spec)
    return item


def read_role(aws: Any, ctx: PlanContext, name: str) -> list[Imported]:
    """The role and the customer managed policies attached to it (the role first)."""
    obs = REGISTRY["Role"].read(aws, name, ctx)
    if obs is None:
        return [Imported("Role", name, refused=["no such role"])]
    return [role_to_spec(obs, ctx.account), *_policies(aws, ctx, obs)]


def read_user(aws: Any, ctx: PlanContext, name: str) -> list[Imported]:
    obs = REGISTRY["User"].read(aws, name, ctx)
    if obs is None:
        return [Imported("User", name, refused=["no such user"])]
    return [user_to_spec(obs, ctx.account), *_policies(aws, ctx, obs)]


def read_policy(aws: Any, ctx: PlanContext, name: str, arn: str | None = None) -> list[Imported]:
    if name.startswith("arn:") or (arn and local_policy_name(arn, ctx.account) is None):
        return [Imported("Policy", name, refused=["an AWS managed policy: reference it by ARN in managedPolicies"])]
    obs = REGISTRY["Policy"].read(aws, name, ctx, arn=arn)  # type: ignore[call-arg]
    if obs is None:
        return [Imported("Policy", name, refused=["no such customer managed policy"])]
    return [policy_to_spec(obs)]


def _policies(aws: Any, ctx: PlanContext, obs: Observed) -> list[Imported]:
    out = []
    for arn in obs.state.get("managedPolicies") or []:
        name = local_policy_name(arn, ctx.account)
        if name:
            out += read_policy(aws, ctx, name, arn)
    return out
