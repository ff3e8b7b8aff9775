"""The Resource Groups Tagging API's GetResources for everything reconcile manages, as AWS answers it.

moto 5.2 serves GetResources (AWS's pagination: ``PaginationToken``, ``ResourcesPerPage`` 1-100, ``TagsPerPage``;
``TagFilters`` of ``Key`` and ``Values``: every filter must match, any of its values; ``ResourceTypeFilters`` as
``service`` or ``service:resourceType``) from the backends that declare their tagged resources. Where that falls
short of AWS, which returns every resource type but IAM users and roles:

- a SageMaker endpoint config is listed under its ARN as a one-element tuple (``FakeEndpointConfig.arn``): the
  answer said ``"('arn:aws:sagemaker:…:endpoint-config/x',)"``;
- the sandbox's inference components (kept beside moto's SageMaker backend) were not listed at all, nor API
  Gateway v2 APIs (``arn:aws:apigateway:REGION::/apis/ID``) and their stages (``…/apis/ID/stages/NAME``);
- a SageMaker resource whose timed deletion is over stayed listed until something described it.

The answer is moto's (botocore's output shape: ``ResourceTagMappingList`` of ``ResourceARN`` and ``Tags``, no
``PaginationToken`` on the last page). Pinned by tests/sandbox/test_tagging.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_installed = False


def _sagemaker(original: Any) -> Any:
    def iter_tagged_resources(self: Any) -> Iterator[Any]:
        from moto.core.resource_tagging import TaggedResource

        from reconciler.sandbox.sagemaker.common import _ics
        from reconciler.sandbox.sagemaker.components import _sweep

        _sweep(self)  # statuses are computed lazily: what finished deleting goes now
        for r in original(self):
            if isinstance(r.arn, tuple):
                r.arn = r.arn[0]
            yield r
        for ic in list(_ics(self).values()):
            yield TaggedResource(arn=ic.arn, tags={t["Key"]: t["Value"] for t in ic.tags},
                                 resource_type="sagemaker:inference-component")

    return iter_tagged_resources


def _api_gateway_v2(account_id: str, region: str) -> Iterator[Any]:
    """HTTP (and WebSocket) APIs and their stages, with their tags."""
    from moto.apigatewayv2.models import apigatewayv2_backends
    from moto.core.resource_tagging import TaggedResource

    if account_id not in apigatewayv2_backends or region not in apigatewayv2_backends[account_id]:  # (none made)
        return
    backend = apigatewayv2_backends[account_id][region]
    for api in list(backend.apis.values()):
        yield TaggedResource(arn=api.arn, tags=backend.get_tags(api.arn), resource_type="apigateway:apis")
        for stage in list(api.stages.values()):
            yield TaggedResource(arn=f"{api.arn}/stages/{stage.name}", tags=dict(stage.tags or {}),
                                 resource_type="apigateway:apis")


def _with_api_gateway_v2(original: Any) -> Any:
    def generator(self: Any, tag_filters: list[dict[str, Any]] | None = None,
                  resource_type_filters: list[str] | None = None,
                  resource_arn_list: list[str] | None = None) -> Iterator[Any]:
        from moto.core.resource_tagging import make_tag_matcher, match_resource_type

        yield from original(self, tag_filters=tag_filters, resource_type_filters=resource_type_filters,
                            resource_arn_list=resource_arn_list)
        matches = make_tag_matcher(tag_filters)
        for r in _api_gateway_v2(self.account_id, self.region_name):
            if (r.tags and match_resource_type(r.resource_type, resource_type_filters) and matches(r.tags)
                    and (not resource_arn_list or r.arn in resource_arn_list)):
                yield r

    return generator


def install() -> None:
    """Patch this process's moto (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
    from moto.sagemaker.models import SageMakerModelBackend

    SageMakerModelBackend.iter_tagged_resources = _sagemaker(  # type: ignore[method-assign]
        SageMakerModelBackend.iter_tagged_resources)
    ResourceGroupsTaggingAPIBackend._get_resources_generator = _with_api_gateway_v2(  # type: ignore[method-assign]
        ResourceGroupsTaggingAPIBackend._get_resources_generator)
