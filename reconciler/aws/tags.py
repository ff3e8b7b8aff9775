"""Read any resource's tags by its ARN: what apply re-checks an operation's ownership evidence with.

One read per service, chosen by the ARN alone (no kind involved): IAM roles, users, policies and OIDC
providers, SageMaker resources, Lambda functions, API Gateway APIs, Secrets Manager secrets, CloudWatch
alarms and Application Auto Scaling scalable targets. None: the resource does not exist (any more).
"""

from __future__ import annotations

from typing import Any

from reconciler import policy
from reconciler.errors import AwsError


def _iam(aws: Any, resource: str, what: str) -> dict[str, str] | None:
    kind, _, rest = resource.partition("/")
    name = rest.rsplit("/", 1)[-1]
    if kind == "role":
        return _got_or_listed(aws, "role", "Role", what, RoleName=name)
    if kind == "user":
        return _got_or_listed(aws, "user", "User", what, UserName=name)
    raise AwsError(f"cannot read the tags of {what}: not a role or user ARN")


def _got_or_listed(aws: Any, noun: str, key: str, what: str, **ident: str) -> dict[str, str] | None:
    """The tags GetRole, GetUser or GetPolicy answer with (IAM returns all of them there: at most 50), in one call;
    an answer without ``Tags`` (AWS leaves the member out when there are none) is confirmed by List*Tags, so that
    an owned resource is never taken for an untagged one."""
    iam = aws.client("iam")
    got = iam.get(f"get_{noun}", what, **ident)
    if got is None:
        return None
    if "Tags" in got[key]:
        return policy.normalize_tags(got[key]["Tags"])
    return policy.normalize_tags(list(iam.paginate(f"list_{noun}_tags", "Tags", what, **ident)))


def tags_of(aws: Any, arn: str) -> dict[str, str] | None:
    """The tags of the resource ``arn`` now; None when it does not exist."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        raise AwsError(f"cannot read the tags of {arn}: not an ARN")
    service, resource, what = parts[2], parts[5], arn
    if service == "iam":
        if resource.startswith("policy/"):
            return _got_or_listed(aws, "policy", "Policy", what, PolicyArn=arn)
        if resource.startswith("oidc-provider/"):
            got = aws.client("iam").get("list_open_id_connect_provider_tags", what, OpenIDConnectProviderArn=arn)
            return None if got is None else policy.normalize_tags(got.get("Tags", []))
        return _iam(aws, resource, what)
    if service == "sagemaker":
        got = aws.client("sagemaker").get("list_tags", what, ResourceArn=arn)
        return None if got is None else policy.normalize_tags(got.get("Tags", []))
    if service == "lambda":
        got = aws.client("lambda").get("list_tags", what, Resource=arn)
        return None if got is None else policy.normalize_tags(got.get("Tags", {}))
    if service == "apigateway":
        got = aws.client("apigatewayv2").get("get_tags", what, ResourceArn=arn)
        return None if got is None else policy.normalize_tags(got.get("Tags", {}))
    if service == "secretsmanager":
        got = aws.client("secretsmanager").get("describe_secret", what, SecretId=arn)
        return None if got is None else policy.normalize_tags(got.get("Tags", []))
    if service == "cloudwatch":
        got = aws.client("cloudwatch").get("list_tags_for_resource", what, ResourceARN=arn)
        return None if got is None else policy.normalize_tags(got.get("Tags", []))
    if service == "application-autoscaling":
        got = aws.client("application-autoscaling").get("list_tags_for_resource", what, ResourceARN=arn)
        return None if got is None else policy.normalize_tags(got.get("Tags", {}))
    raise AwsError(f"cannot read the tags of {arn}: reconcile does not know service {service!r}")


def parse_tags(value: Any) -> dict[str, str]:
    """A Tags parameter (list of Key/Value or a map) as a dict."""
    return policy.normalize_tags(value or {})
