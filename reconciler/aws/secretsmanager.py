"""Secrets Manager adapter: read secrets (their metadata, and values where a plan must compare them). Values never
logged. Writes are plan operations (reconciler/interpreter.py), never made from here."""

from __future__ import annotations

from typing import Any

from reconciler import policy
from reconciler.aws import Aws


def read_versioned(aws: Aws, name: str) -> tuple[str, str]:
    """(current value, its version id) of secret ``name``, from one GetSecretValue (raises AwsError when missing)."""
    got = aws.client("secretsmanager").call("get_secret_value", f"secret {name}", SecretId=name)
    value = str(got["SecretString"]) if "SecretString" in got else bytes(got.get("SecretBinary", b"")).decode()
    return value, str(got.get("VersionId", ""))


def describe(aws: Aws, name: str, cached: bool = False) -> dict[str, Any] | None:
    """DescribeSecret (never the value); None when missing. ``cached``: once per command (plan-time reads:
    the plan's secret checks and every resource reading the same secret's version share one call)."""

    def fetch() -> dict[str, Any] | None:
        return aws.client("secretsmanager").get("describe_secret", f"secret {name}", SecretId=name)

    return aws.cached(f"secretsmanager:describe:{name}", fetch) if cached else fetch()


def version(aws: Aws, name: str, cached: bool = False) -> str | None:
    """An id of the secret's current value (changes when the value changes), without reading it."""
    got = describe(aws, name, cached)
    if got is None:
        return None
    for vid, stages in (got.get("VersionIdsToStages") or {}).items():
        if "AWSCURRENT" in stages:
            return str(vid)
    return None


def owned(aws: Aws, stack: str, tag_key: str, cached: bool = True) -> list[dict[str, Any]]:
    """Secrets (not scheduled for deletion) this stack owns that carry ``tag_key`` (listed once per command).

    Found by their own tags, so a secret outlives nothing: its parent (a user) may be gone already."""

    def fetch() -> list[dict[str, Any]]:
        sm = aws.client("secretsmanager")
        return [s for s in sm.paginate("list_secrets", "SecretList", "secrets",
                                       Filters=[{"Key": "tag-key", "Values": [tag_key]}])
                if not s.get("DeletedDate") and policy.owner_of(s.get("Tags", [])) == stack]

    return list(aws.cached(f"secretsmanager:owned:{stack}:{tag_key}", fetch) if cached else fetch())
