"""The Price List API's GetProducts in the sandbox (reconciler/sandbox/pricing.py), as boto3 sees it: a list
of JSON strings, filtered and paged as AWS does, for SageMaker hosting instances."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest

from tests.sandbox.test_sagemaker_emulator import http
from tests.support.server import MotoServer
from tests.support.shapes import problems

PRICING = "/reconcile-sandbox/pricing"
HOSTING = [{"Type": "TERM_MATCH", "Field": "productFamily", "Value": "ML Instance"},
           {"Type": "TERM_MATCH", "Field": "component", "Value": "Hosting"},
           {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"}]


@pytest.fixture
def pricing(server: MotoServer) -> Iterator[Any]:
    yield boto3.client("pricing", region_name="us-east-1", endpoint_url=server.url, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    http(server, "DELETE", PRICING)


def hourly(item: str) -> tuple[str, str]:
    product = json.loads(item)  # PriceList items are JSON documents as strings, as AWS sends them
    [term] = product["terms"]["OnDemand"].values()
    [dim] = term["priceDimensions"].values()
    assert dim["unit"] == "Hrs"
    return product["product"]["attributes"]["instanceName"], dim["pricePerUnit"]["USD"]


def test_hosting_prices_of_a_region_as_json_strings_paged(pricing: Any) -> None:
    pages = list(pricing.get_paginator("get_products").paginate(
        ServiceCode="AmazonSageMaker", Filters=HOSTING, FormatVersion="aws_v1", PaginationConfig={"PageSize": 2}))
    items = [i for p in pages for i in p["PriceList"]]
    assert len(pages) == 3 and all(isinstance(i, str) for i in items)
    found = dict(hourly(i) for i in items)
    assert found["ml.g5.2xlarge"] == "1.5150000000" and found["ml.g5.xlarge"] == "1.4084000000"
    one = json.loads(items[0])
    assert one["serviceCode"] == "AmazonSageMaker" and one["product"]["productFamily"] == "ML Instance"
    assert one["product"]["attributes"]["usagetype"].startswith("USE1-Host:ml.")


def test_filters_select_as_aws_filters(pricing: Any) -> None:
    def names(*filters: dict[str, str]) -> set[str]:
        items = pricing.get_products(ServiceCode="AmazonSageMaker", Filters=list(filters))["PriceList"]
        return {hourly(i)[0] for i in items}

    assert names(*HOSTING[:2], {"Type": "TERM_MATCH", "Field": "instanceName", "Value": "ml.g5.2xlarge"}) == {
        "ml.g5.2xlarge"}
    assert names({"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"}) == set()
    assert names({"Type": "ANY_OF", "Field": "instanceName", "Value": "ml.g5.xlarge,ml.inf2.xlarge"}) == {
        "ml.g5.xlarge", "ml.inf2.xlarge"}
    assert "ml.g5.2xlarge" not in names({"Type": "NONE_OF", "Field": "instanceName", "Value": "ml.g5.2xlarge"})
    assert pricing.get_products(ServiceCode="AmazonEC2")["PriceList"] == []


def test_the_control_sets_a_price_and_answers_match_botocores_shape(server: MotoServer, pricing: Any) -> None:
    assert http(server, "POST", PRICING, {"region": "eu-west-1", "instanceType": "ml.g5.2xlarge", "usd": 1.7})[0] == 200
    assert http(server, "POST", PRICING, {"region": "eu-west-1", "instanceType": "ml.g5.2xlarge", "usd": 0})[0] == 400
    seen: list[bytes] = []
    pricing.meta.events.register("before-parse", lambda response_dict, **_: seen.append(response_dict["body"]))
    items = pricing.get_products(ServiceCode="AmazonSageMaker", Filters=[
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"}])["PriceList"]
    assert [hourly(i) for i in items] == [("ml.g5.2xlarge", "1.7000000000")]
    model = botocore.session.get_session().get_service_model("pricing")
    assert problems(model, "GetProducts", seen[0]) == []
