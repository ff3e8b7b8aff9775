"""What a kind declares it needs from IAM (``Kind.permissions``): grants of actions on resources, in a scope.

A grant names its actions one by one and the ARNs they act on: the manifests' names where the kind knows them,
the narrowest pattern the ARN format allows where AWS or reconcile chooses the name (``model/<endpoint>-*``), ``*``
where IAM takes no resource for the action. ``owned`` says the actions only ever act on resources that carry
the stack's ownership tags: the statement then gets the condition ``aws:ResourceTag/reconciler:stack = <stack>``
wherever IAM supports it for every action of the grant (``compose`` decides, from the Service Authorization
Reference). Nothing here reads AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler import ADOPT_ANNOTATION

if TYPE_CHECKING:
    from reconciler.kinds.base import Resource

#: what a command needs of a resource: read it (plan, drift), create/change/replace it (apply), delete it
READ, WRITE, DELETE = "read", "write", "delete"


@dataclass(frozen=True)
class Grant:
    actions: tuple[str, ...]
    resources: tuple[str, ...] = ("*",)
    #: the resources carry this stack's tags whenever these actions touch them (see the module's docstring)
    owned: bool = False
    #: further conditions: ((operator, key, values), …), e.g. (("StringEquals", "iam:PassedToService", (svc,)),)
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    #: the ARNs are what IAM checks although the reference pairs no such resource type with the action (API
    #: Gateway's TagResource on /tags/ARN): granted as given, not narrowed to the action's resource types
    as_given: bool = False


def grant(actions: str | tuple[str, ...] | list[str], *resources: str, owned: bool = False,
          conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = (), as_given: bool = False) -> Grant:
    """``grant("sagemaker:DescribeEndpoint", arn)``; ``grant(("iam:TagRole", "iam:UntagRole"), arn, owned=True)``."""
    acts = (actions,) if isinstance(actions, str) else tuple(actions)
    return Grant(acts, tuple(resources) or ("*",), owned, conditions, as_given)


@dataclass(frozen=True)
class Scope:
    """Where the stack lives: ARNs of its resources are built here. ``account`` is ``*`` unless the manifests pin
    it (Stack or Environment ``accountId``): a role acts in its own account only."""

    stack: str
    region: str
    account: str = "*"
    partition: str = "aws"
    #: the manifests' resources by (kind, name): the ARNs of those that others name
    resources: dict[tuple[str, str], Any] = field(default_factory=dict, compare=False)

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        """``arn("sagemaker", "endpoint/x")``; ``arn("iam", "role/x", region=False)``."""
        return f"arn:{self.partition}:{service}:{self.region if region else ''}:{self.account}:{resource}"

    def iam(self, resource: str) -> str:
        return self.arn("iam", resource, region=False)

    def entity_arn(self, entity: str, value: str) -> str:
        """An IAM ``entity`` (``role``, ``user``, ``policy``) given as an ARN, or by name: with its path when the
        manifests declare it."""
        if value.startswith("arn:"):
            return value
        res = self.resources.get((entity.capitalize(), value))
        return self.iam(f"{entity}{res.spec.path if res else '/'}{value}")

    def policy_arn(self, value: str) -> str:
        """A managed policy given as an ARN, or as the name of a Policy in the manifests."""
        return self.entity_arn("policy", value)

    def role_arn(self, value: str) -> str:
        """A role given as an ARN, or as the name of a Role in the manifests."""
        return self.entity_arn("role", value)

    def secret(self, value: str) -> str:
        """A Secrets Manager secret given by name (its ARN ends in the name and six random characters) or ARN."""
        return value if value.startswith("arn:") else self.arn("secretsmanager", f"secret:{value}-??????")

    def adopts(self, res: Resource | None) -> bool:
        """``res`` is adopted: it carries no ownership tags until the adoption's first apply tags it."""
        return res is not None and res.annotated(ADOPT_ANNOTATION)

    def passed_to(self, service: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        """The condition of ``iam:PassRole``: only to ``service`` (``sagemaker.amazonaws.com``)."""
        return (("StringEquals", "iam:PassedToService", (service,)),)


def secret_reads(scope: Scope, secrets: list[str]) -> list[Grant]:
    """Plan reads a referenced secret's metadata (that it exists, its current version), never its value."""
    return [grant("secretsmanager:DescribeSecret", *sorted({scope.secret(s) for s in secrets}))] if secrets else []


def secret_values(scope: Scope, secrets: list[str]) -> list[Grant]:
    """Apply reads a referenced secret's value (an endpoint's or function's environment)."""
    return [grant("secretsmanager:GetSecretValue", *sorted({scope.secret(s) for s in secrets}))] if secrets else []


def weights_check(scope: Scope, uris: list[str]) -> list[Grant]:
    """Plan checks that model weights exist with one ListObjectsV2 of their key (reconciler/checks.py):
    ``s3:ListBucket`` on the bucket, for exactly that prefix (``s3:prefix``); never an object's content."""
    from reconciler.kinds.endpoint.weights import split

    out = []
    for uri in sorted(set(uris)):
        bucket, key = split(uri)
        out.append(grant("s3:ListBucket", f"arn:{scope.partition}:s3:::{bucket}",
                         conditions=(("StringEquals", "s3:prefix", (key,)),)))
    return out


def role_check(scope: Scope, role: str) -> list[Grant]:
    """Plan checks that a role from outside the manifests exists and trusts its service (reconciler/checks.py)."""
    return [grant("iam:GetRole", role)] if role.startswith("arn:") else []


def pass_role(scope: Scope, roles: list[str], service: str) -> list[Grant]:
    """``iam:PassRole`` on exactly ``roles`` (names of Roles in the manifests, or ARNs), only to ``service``."""
    arns = sorted({scope.role_arn(r) for r in roles})
    return [grant("iam:PassRole", *arns, conditions=scope.passed_to(service))] if arns else []
