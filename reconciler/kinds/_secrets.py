"""The secret reference shared by kinds whose environment may hold secrets (Endpoint, Function)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from reconciler.kinds.base import Check, PlanContext, Resource, Spec

SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,180}$")
#: environment keys whose plain-text values are treated as secrets in plans and output
SECRETISH = re.compile(r"(^|_)(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|PRIVATE_KEY)($|_)", re.IGNORECASE)
MASK = "(secret)"
#: values that are credentials whatever their key is called: Hugging Face, AWS access key ids, GitHub, GitLab
TOKEN_VALUE = re.compile(r"\b(hf_[A-Za-z0-9]{20,}|(AKIA|ASIA)[A-Z0-9]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{30,}"
                         r"|glpat-[\w-]{20,})")
TOKEN_NAMES = {"hf_": "Hugging Face token", "AKIA": "AWS access key id", "ASIA": "AWS access key id",
               "gh": "GitHub token", "github_pat_": "GitHub token", "glpat-": "GitLab token"}


def token_kind(value: Any) -> str | None:
    """What credential a plain string looks like (None: not one)."""
    if not isinstance(value, str):
        return None
    m = TOKEN_VALUE.search(value)
    if m is None:
        return None
    return next(name for prefix, name in TOKEN_NAMES.items() if m.group(1).startswith(prefix))


def plain_tokens(value: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """(path, what) of every plain-text credential anywhere in ``value`` (a spec as plain data)."""
    if isinstance(value, dict):
        return [hit for k, v in value.items() for hit in plain_tokens(v, path + (k,))]
    if isinstance(value, (list, tuple)):
        return [hit for i, v in enumerate(value) for hit in plain_tokens(v, path + (i,))]
    what = token_kind(value)
    return [(path, what)] if what else []


def display_masked(state: dict[str, Any], apply_only: frozenset[str]) -> dict[str, Any]:
    """A model-serving state as shown: apply-only fields only when set, secret references as MASK."""
    out = {k: v for k, v in state.items() if k not in apply_only or v}
    env = state.get("environment")
    if isinstance(env, dict):
        out["environment"] = {k: (MASK if isinstance(v, dict) else v) for k, v in env.items()}
    return out


def mask_environment_change(change: Any) -> Any:
    """A FieldChange of an ``environment`` field with plain-text values of secret-looking keys masked.

    The diff itself compares the real values (so a change is still detected); only what is recorded
    in the plan and shown is masked — e.g. the live token of a model created outside reconcile."""
    path = change.path
    if not path.startswith("environment"):
        return change

    def hide(key: str, value: Any) -> Any:
        # plain strings only: references ({secretsManager: …}) and reconcile's own "(secret …)" markers stay
        plain = isinstance(value, str) and value and not value.startswith("(secret")
        return MASK if plain and (SECRETISH.search(key) or token_kind(value)) else value

    def hide_all(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: hide(k, v) for k, v in value.items()}
        return value

    if path == "environment":
        return change.model_copy(update={"before": hide_all(change.before), "after": hide_all(change.after)})
    rest = path.split(".", 1)[1] if "." in path else ""
    if not rest or "." in rest or "[" in rest:  # a field inside a reference (e.g. its version): not a value
        return change
    key = rest
    return change.model_copy(update={"before": hide(key, change.before), "after": hide(key, change.after)})


class SecretRef(Spec):
    """A value read from AWS Secrets Manager at apply time only; shown as (secret), never planned or logged."""

    secretsManager: str = Field(min_length=1, max_length=180,
                                description="Name of the Secrets Manager secret holding the value.")

    @field_validator("secretsManager")
    @classmethod
    def _name(cls, v: str) -> str:
        if not SECRET_NAME.match(v):
            raise ValueError("secret names are 1-180 characters of letters, digits and /_+=.@-")
        return v


def mask_plain(value: Any, key: str = "") -> Any:
    """``value`` (a state as shown to people) with plain-text credentials masked: any string that looks
    like a token, and plain values of secret-looking environment keys. References stay as they are."""
    if isinstance(value, dict):
        return {k: mask_plain(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_plain(v, key) for v in value]
    if isinstance(value, str) and value and not value.startswith("(secret"):
        if token_kind(value) or (key and SECRETISH.search(key)):
            return MASK
    return value


def secret_names(environment: dict[str, Any] | None) -> list[str]:
    """The Secrets Manager secrets an environment's {secretsManager: NAME} values name, by key."""
    return [v.secretsManager for _, v in sorted((environment or {}).items()) if isinstance(v, SecretRef)]


def environment_checks(environment: dict[str, Any], path: tuple) -> list[Check]:
    """A "secret exists" check for every {secretsManager: NAME} value of an environment at ``path``."""
    return [Check("secret", v.secretsManager, path + (k,)) for k, v in sorted(environment.items())
            if isinstance(v, SecretRef)]


def role_checks(res: Resource, role: str, path: tuple, service: str, ctx: PlanContext) -> list[Check]:
    """A "role exists and trusts ``service``" check for a role given as an ARN that the manifests do not
    declare (a declared Role is created and given its trust by the plan itself)."""
    if not role.startswith("arn:"):
        return []
    account, name = role.split(":")[4], role.rsplit("/", 1)[-1]
    if account != ctx.account:  # another account's role: GetRole cannot read it from here
        return []
    if any(k == "Role" and n.lower() == name.lower() for k, n in ctx.resources):
        return []
    return [Check("role", role, path, service)]
