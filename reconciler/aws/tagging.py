"""Resource Groups Tagging API adapter: one listing of what carries a stack's ownership tags (tag:GetResources).

AWS: "The GetResources, GetTagKeys, and GetTagValues operations support all resource types", except IAM users and
roles (and Auto Scaling groups); it returns "tagged or previously tagged" resources, each with all its tags, in
pages that may hold fewer items than asked for: read until no PaginationToken comes back. A resource type filter
is ``service[:resourceType]``, the resource type as the ARN spells it (``sagemaker:endpoint``, ``lambda:function``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler import MANAGED_BY_TAG, MANAGED_BY_VALUE, STACK_TAG, policy
from reconciler.aws import Aws

PERMISSION = "tag:GetResources"


@dataclass(frozen=True)
class Tagged:
    """One resource of the listing: its ARN and every tag it carries."""

    arn: str
    tags: dict[str, str]

    @property
    def type(self) -> str:
        """``service:resourceType`` from the ARN: ``sagemaker:endpoint`` (``…:endpoint/NAME``), ``lambda:function``
        (``…:function:NAME``), ``apigateway:apis`` (``arn:aws:apigateway:REGION::/apis/ID``)."""
        return f"{self._service}:{self._split()[0]}"

    @property
    def resource(self) -> str:
        """What follows the resource type in the ARN: a name (``my-endpoint``), or an id and its sub-path."""
        return self._split()[1]

    @property
    def _service(self) -> str:
        return self.arn.split(":", 3)[2]

    def _split(self) -> tuple[str, str]:
        found = re.match(r"([^:/]*)[:/]?(.*)", self.arn.split(":", 5)[5].lstrip("/"))
        assert found is not None  # (the pattern matches any text)
        return found.group(1), found.group(2)


class Listing:
    """This stack's tagged resources, by resource type."""

    def __init__(self, items: list[Tagged]):
        self.items = items

    def of(self, resource_type: str) -> list[Tagged]:
        return [t for t in self.items if t.type == resource_type]


def owned(aws: Aws, stack: str, types: list[str] | tuple[str, ...]) -> Listing:
    """Every resource of ``types`` (``service:resourceType``) carrying stack ``stack``'s ownership tags: one
    paginated GetResources, filtered by AWS on both tags and on the types' services, listed once per command."""
    services = sorted({t.split(":", 1)[0] for t in types})
    filters = [{"Key": MANAGED_BY_TAG, "Values": [MANAGED_BY_VALUE]}, {"Key": STACK_TAG, "Values": [stack]}]

    def fetch() -> Listing:
        pages = aws.client("resourcegroupstaggingapi").paginate(
            "get_resources", "ResourceTagMappingList", f"tagged {STACK_TAG}={stack}", TagFilters=filters,
            ResourceTypeFilters=services, ResourcesPerPage=100)
        items = [Tagged(r["ResourceARN"], policy.normalize_tags(r.get("Tags") or [])) for r in pages]
        return Listing([t for t in items if t.type in types and policy.owner_of(t.tags) == stack])

    return aws.cached(f"tagging:{stack}:{','.join(sorted(types))}", fetch)  # type: ignore[no-any-return]
