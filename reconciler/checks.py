"""Read-only checks at plan time (Kind.plan_checks): referenced secrets exist, role ARNs from outside
the manifests exist and trust the service that assumes them, a model's weights are in S3. Reads only:
DescribeSecret (never the secret's value), GetRole, and ListObjectsV2 of one key (never an object's
content). Each failure becomes a plan problem naming file:line (planner.py)."""

from __future__ import annotations

import fnmatch
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from reconciler import policy
from reconciler.aws import DEFAULT_CONCURRENCY
from reconciler.errors import AwsError
from reconciler.kinds.base import Check, Resource

if TYPE_CHECKING:
    from reconciler.aws import Aws

#: (resource, check, why it fails)
Failure = tuple[Resource, Check, str]


def run(aws: Aws, checks: list[tuple[Resource, Check]], concurrency: int = DEFAULT_CONCURRENCY) -> list[Failure]:
    """Run every check (each distinct one once), concurrently; the failures, in the order given."""
    distinct = list(dict.fromkeys((c.what, c.target, c.service) for _r, c in checks))

    def one(key: tuple[str, str, str]) -> str | None:
        what, target, service = key
        try:
            if what == "s3":
                return _s3(aws, target)
            return _secret(aws, target) if what == "secret" else _role(aws, target, service)
        except AwsError as e:
            return f"could not be checked: {e}"

    if not distinct:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(distinct))), thread_name_prefix="check") as ex:
        verdicts = dict(zip(distinct, ex.map(one, distinct), strict=True))
    out: list[Failure] = []
    for res, c in checks:
        why = verdicts[(c.what, c.target, c.service)]
        if why:
            out.append((res, c, why))
    return out


def _secret(aws: Aws, name: str) -> str | None:
    from reconciler.aws import secretsmanager

    got = secretsmanager.describe(aws, name, cached=True)  # (the reads of its version share it)
    if got is None:
        return (f"secret {name!r} does not exist in Secrets Manager; create it (e.g. aws secretsmanager "
                f"create-secret --name {name} --secret-string …) before applying")
    if got.get("DeletedDate"):
        return f"secret {name!r} is scheduled for deletion; restore it (aws secretsmanager restore-secret) first"
    return None


def _s3(aws: Aws, uri: str) -> str | None:
    """Model weights exist: a prefix has an object under it, an object is there. One ListObjectsV2 with
    MaxKeys 1 either way (keys come in UTF-8 order, so an object's own key is the first one it prefixes):
    plan needs s3:ListBucket only, never s3:GetObject (which HeadObject needs), and reads no content."""
    from reconciler.kinds.endpoint.weights import split

    bucket, key = split(uri)
    got = aws.client("s3").get("list_objects_v2", f"s3://{bucket}", Bucket=bucket, Prefix=key, MaxKeys=1)
    if got is None:
        return f"bucket {bucket!r} does not exist (weights {uri})"
    first = [o.get("Key") for o in got.get("Contents") or []][:1]
    if uri.endswith("/") and not first:
        return f"no object under {uri}: upload the weights there (aws s3 cp --recursive DIR {uri}) before applying"
    if not uri.endswith("/") and first != [key]:
        return f"{uri} does not exist: upload the artifact (aws s3 cp model.tar.gz {uri}) before applying"
    return None


def _role(aws: Aws, arn: str, service: str) -> str | None:
    name = arn.rsplit("/", 1)[-1]
    got = aws.client("iam").get("get_role", f"Role/{name}", RoleName=name)
    if got is None:
        return f"role {arn} does not exist; declare it as a Role in the manifests, or create it first"
    if got["Role"].get("Arn") and got["Role"]["Arn"] != arn:
        return f"role {arn} does not exist (a role {name!r} exists as {got['Role']['Arn']})"
    if not trusts(got["Role"].get("AssumeRolePolicyDocument") or {}, service):
        return (f"role {arn} does not trust {service}: its trust policy must allow sts:AssumeRole to "
                f"Principal {{Service: {service}}}")
    return None


def trusts(document: object, service: str) -> bool:
    """Does this trust policy let ``service`` assume the role (an Allow of sts:AssumeRole to it)?"""
    doc = policy.canonical(document)
    for st in doc.get("Statement", []) if isinstance(doc, dict) else []:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if not any(fnmatch.fnmatchcase("sts:assumerole", a.lower()) for a in st.get("Action", [])):
            continue
        principal = st.get("Principal") or {}
        if service in principal.get("Service", []) or "*" in principal.get("AWS", []):
            return True
    return False
