"""The AWS Price List API (read-only; ``reconcile prices update``, reconciler/prices.py).

It answers only in us-east-1, eu-central-1 and ap-south-1, about every region: the client is made in the
run's region when it is one of those, else in us-east-1."""

from __future__ import annotations

from typing import Any

SERVICE = "pricing"
API_REGIONS = ("us-east-1", "eu-central-1", "ap-south-1")


def products(aws: Any, service_code: str, filters: list[dict[str, str]], what: str) -> list[str]:
    """Every product matching ``filters``: PriceList items, each a JSON document as a string."""
    region = aws.region if aws.region in API_REGIONS else API_REGIONS[0]
    return list(aws.client("pricing", region=region).paginate("get_products", "PriceList", what,
                                                              ServiceCode=service_code, Filters=filters,
                                                              FormatVersion="aws_v1"))
