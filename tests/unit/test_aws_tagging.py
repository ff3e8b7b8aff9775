"""The AWS adapter's pieces of the orphan scan (pure, no AWS): tagging ARNs, IAM action names, HTML answers."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from reconciler.aws import NotProtocolAnswer, _is_page, iam_action
from reconciler.aws.tagging import Tagged


@pytest.mark.parametrize(("arn", "rtype", "resource"), [
    ("arn:aws:sagemaker:us-east-1:123456789012:endpoint/twin", "sagemaker:endpoint", "twin"),
    ("arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/twin-0a1b2c3d4e", "sagemaker:endpoint-config",
     "twin-0a1b2c3d4e"),
    ("arn:aws:sagemaker:us-east-1:123456789012:inference-component/twin-ic", "sagemaker:inference-component", "twin-ic"),
    ("arn:aws:lambda:us-east-1:123456789012:function:generate", "lambda:function", "generate"),
    ("arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf", "secretsmanager:secret", "hf-token-AbCdEf"),
    ("arn:aws:apigateway:us-east-1::/apis/a1b2c3", "apigateway:apis", "a1b2c3"),
    ("arn:aws:apigateway:us-east-1::/apis/a1b2c3/stages/$default", "apigateway:apis", "a1b2c3/stages/$default"),
])
def test_a_tagged_resources_type_and_name_are_read_from_its_arn(arn: str, rtype: str, resource: str) -> None:
    assert (Tagged(arn, {}).type, Tagged(arn, {}).resource) == (rtype, resource)


@pytest.mark.parametrize(("service", "operation", "action"), [
    ("sagemaker", "ListInferenceComponents", "sagemaker:ListInferenceComponents"),
    ("resourcegroupstaggingapi", "GetResources", "tag:GetResources"),
    ("apigatewayv2", "GetApis", "apigateway:GET"),
    ("cloudwatch", "DescribeAlarms", "cloudwatch:DescribeAlarms"),
    ("iam", "GetAccountAuthorizationDetails", "iam:GetAccountAuthorizationDetails"),
])
def test_the_iam_action_of_an_operation(service: str, operation: str, action: str) -> None:
    assert iam_action(boto3.client(service, region_name="us-east-1"), operation) == action


class _Http:
    def __init__(self, status: int, body: bytes | None, ctype: str = "application/x-amz-json-1.1"):
        self.status_code, self._body, self.headers = status, body, {"content-type": ctype}

    @property
    def content(self) -> bytes:
        assert self._body is not None, "the payload stream was read"
        return self._body


def _op(service: str, name: str) -> Any:
    return boto3.client(service, region_name="us-east-1").meta.service_model.operation_model(name)


def test_an_html_page_is_not_the_api_and_is_not_retried() -> None:
    page = b"\n <!DOCTYPE html><html><body>500 Internal Server Error</body></html>"
    with pytest.raises(NotProtocolAnswer):
        _is_page(response=(_Http(500, page, "text/html"), {}), operation=_op("sagemaker", "ListInferenceComponents"))


def test_json_is_the_api_whatever_its_content_type_says() -> None:
    """(moto labels JSON answers text/html)"""
    assert _is_page(response=(_Http(200, b'{"Items": []}', "text/html"), {}), operation=_op("apigatewayv2", "GetApis")) is None
    assert _is_page(response=(_Http(400, b"<ErrorResponse><Error><Code>X</Code></Error></ErrorResponse>", "text/xml"),
                              {}), operation=_op("iam", "GetRole")) is None


def test_a_streamed_payload_is_not_read() -> None:
    """A model's answer to InvokeEndpoint may be any text, an HTML page too; reading it here would consume it."""
    assert _is_page(response=(_Http(200, None, "text/html"), {}), operation=_op("sagemaker-runtime", "InvokeEndpoint")) is None


def test_every_kind_says_what_its_orphans_are_called_and_what_its_own_listing_needs() -> None:
    """(the words of a refused listing's warning: "orphaned inference components were not looked for: grant …")"""
    from reconciler.kinds import REGISTRY

    for kind in REGISTRY.values():
        assert kind.plural, kind.kind
        assert bool(kind.tagged_types) == bool(kind.listing_permissions), kind.kind
