"""Secrets Manager adapter: write reconcile-owned secrets, read secret values. Values never logged."""

from __future__ import annotations

from typing import Any

from reconciler import policy
from reconciler.aws import Aws
from reconciler.errors import AwsError


def write(aws: Aws, name: str, value: str, tags: dict[str, str], stack: str) -> None:
    """Create (or update, when this stack owns it) secret ``name`` with ``value``."""
    sm = aws.client("secretsmanager")
    what = f"secret {name}"
    got = sm.get("describe_secret", what, SecretId=name)
    if got is None:
        sm.call("create_secret", what, Name=name, SecretString=value, Tags=policy.tag_list(tags))
        return
    owner = policy.owner_of(got.get("Tags", []))
    if owner != stack:
        raise AwsError(f"Failed to write secret {name}: it exists and is not owned by stack {stack!r}; "
                       "choose another name or delete it")
    if got.get("DeletedDate"):
        sm.call("restore_secret", what, SecretId=name)
    sm.call("put_secret_value", what, SecretId=name, SecretString=value)


def read(aws: Aws, name: str) -> str:
    """The current value of secret ``name`` (raises AwsError when missing)."""
    return read_versioned(aws, name)[0]


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


def delete_owned(aws: Aws, name: str, stack: str) -> bool:
    """Schedule deletion (7-day recovery) of secret ``name`` if this stack owns it."""
    sm = aws.client("secretsmanager")
    got = sm.get("describe_secret", f"secret {name}", SecretId=name)
    if got is None or got.get("DeletedDate"):
        return False
    owner = policy.owner_of(got.get("Tags", []))
    if owner != stack:
        return False
    sm.ignore_missing("delete_secret", f"secret {name}", SecretId=name, RecoveryWindowInDays=7)
    return True


def owned(aws: Aws, stack: str, tag_key: str, cached: bool = True) -> list[dict[str, Any]]:
    """Secrets (not scheduled for deletion) this stack owns that carry ``tag_key`` (listed once per command).

    Found by their own tags, so a secret outlives nothing: its parent (a user) may be gone already."""

    def fetch() -> list[dict[str, Any]]:
        sm = aws.client("secretsmanager")
        return [s for s in sm.paginate("list_secrets", "SecretList", "secrets",
                                       Filters=[{"Key": "tag-key", "Values": [tag_key]}])
                if not s.get("DeletedDate") and policy.owner_of(s.get("Tags", [])) == stack]

    return list(aws.cached(f"secretsmanager:owned:{stack}:{tag_key}", fetch) if cached else fetch())
