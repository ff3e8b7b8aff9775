"""The AWS Price List API's ``GetProducts`` for SageMaker hosting instances (moto 5.2 has no Price List API).

Answers as AWS does (botocore's ``pricing`` model, AWS-FACTS.md): ``PriceList`` is a list of JSON *strings*,
one product each, ``{"product": {"productFamily": "ML Instance", "attributes": {"instanceName", "component":
"Hosting", "regionCode", "location", "usagetype": "USE1-Host:<type>", …}, "sku"}, "serviceCode":
"AmazonSageMaker", "terms": {"OnDemand": {…: {"priceDimensions": {…: {"unit": "Hrs", "pricePerUnit": {"USD":
"1.5150000000"}}}}}}}``; ``Filters`` (TERM_MATCH / EQUALS / CONTAINS / ANY_OF / NONE_OF on ``ServiceCode``
or an attribute) select, ``MaxResults`` (default 100) and ``NextToken`` page. It serves a few types (the
us-east-1 figures of AWS-FACTS.md); other service codes answer an empty list.

Control: ``POST /reconcile-sandbox/pricing`` ``{"region": "us-east-1", "instanceType": "ml.g5.2xlarge",
"usd": 1.6}`` sets (or adds) one hosting price; ``GET`` lists them; ``DELETE`` and ``/moto-api/reset`` restore
the defaults.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from reconciler.sandbox.extensions import answer_json, control_route, page, request_body

ROUTE = "/reconcile-sandbox/pricing"
TARGET_PREFIX = "AWSPriceListService."
SERVICE_CODE = "AmazonSageMaker"
#: SageMaker real-time hosting, on-demand USD per hour (AWS-FACTS.md, us-east-1)
DEFAULTS: dict[tuple[str, str], float] = {
    ("us-east-1", "ml.g5.xlarge"): 1.4084, ("us-east-1", "ml.g5.2xlarge"): 1.515,
    ("us-east-1", "ml.g5.12xlarge"): 7.09, ("us-east-1", "ml.g6.2xlarge"): 1.222,
    ("us-east-1", "ml.inf2.xlarge"): 0.99,
}
LOCATIONS = {"us-east-1": ("US East (N. Virginia)", "USE1"), "us-east-2": ("US East (Ohio)", "USE2"),
             "us-west-2": ("US West (Oregon)", "USW2"), "eu-west-1": ("EU (Ireland)", "EU"),
             "eu-central-1": ("EU (Frankfurt)", "EUC1")}

_lock = threading.Lock()
_prices: dict[tuple[str, str], float] = dict(DEFAULTS)


def reset() -> None:
    with _lock:
        _prices.clear()
        _prices.update(DEFAULTS)


def product(region: str, instance_type: str, usd: float) -> dict[str, Any]:
    location, prefix = LOCATIONS.get(region, (region, region.upper()))
    sku = hashlib.sha256(f"{region}/{instance_type}/Hosting".encode()).hexdigest()[:16].upper()
    term, rate = f"{sku}.JRTCKXETXF", f"{sku}.JRTCKXETXF.6YS6EN2CT7"
    return {
        "product": {"productFamily": "ML Instance", "sku": sku, "attributes": {
            "servicecode": SERVICE_CODE, "servicename": "Amazon SageMaker", "location": location,
            "locationType": "AWS Region", "regionCode": region, "instanceName": instance_type, "component": "Hosting",
            "usagetype": f"{prefix}-Host:{instance_type}", "operation": "RunInstance"}},
        "serviceCode": SERVICE_CODE,
        "terms": {"OnDemand": {term: {
            "priceDimensions": {rate: {
                "unit": "Hrs", "endRange": "Inf", "beginRange": "0", "appliesTo": [], "rateCode": rate,
                "description": f"${usd} per On Demand Hosting {instance_type} in {location}",
                "pricePerUnit": {"USD": f"{usd:.10f}"}}},
            "sku": sku, "effectiveDate": "2025-01-01T00:00:00Z", "offerTermCode": "JRTCKXETXF",
            "termAttributes": {}}}},
        "version": "20250101000000", "publicationDate": "2025-01-01T00:00:00Z",
    }


def _matches(item: dict[str, Any], f: dict[str, Any]) -> bool:
    field, value, kind = str(f.get("Field", "")), str(f.get("Value", "")), f.get("Type", "TERM_MATCH")
    have = item["serviceCode"] if field == "ServiceCode" else item["product"]["attributes"].get(field)
    if field == "productFamily":
        have = item["product"]["productFamily"]
    if have is None:
        return kind == "NONE_OF"
    choices = [v.strip() for v in value.split(",")]
    return {"TERM_MATCH": have == value, "EQUALS": have == value, "CONTAINS": value in have,
            "ANY_OF": have in choices, "NONE_OF": have not in choices}.get(kind, False)


def get_products(params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if params.get("ServiceCode") != SERVICE_CODE:
        items: list[dict[str, Any]] = []
    else:
        with _lock:
            items = [product(r, t, usd) for (r, t), usd in sorted(_prices.items())]
    items = [i for i in items if all(_matches(i, f) for f in params.get("Filters") or [])]
    try:
        chunk, token = page(items, params.get("MaxResults"), params.get("NextToken"))
    except ValueError:
        return 400, {"__type": "InvalidNextTokenException", "message": "The pagination token is invalid."}
    out: dict[str, Any] = {"FormatVersion": params.get("FormatVersion") or "aws_v1",
                           "PriceList": [json.dumps(i) for i in chunk]}
    if token:
        out["NextToken"] = token
    return 200, out


def _shown() -> dict[str, Any]:
    with _lock:
        return {"prices": [{"region": r, "instanceType": t, "usd": u} for (r, t), u in sorted(_prices.items())]}


def _set(p: dict[str, Any]) -> dict[str, Any]:
    if not all(isinstance(p.get(k), str) and p.get(k) for k in ("region", "instanceType")):
        raise ValueError('give {"region": "us-east-1", "instanceType": "ml.g5.2xlarge", "usd": 1.6}')
    usd = p.get("usd")
    if isinstance(usd, bool) or not isinstance(usd, (int, float)) or usd <= 0:
        raise ValueError("usd must be a positive number (USD per hour)")
    with _lock:
        _prices[(p["region"], p["instanceType"])] = float(usd)
    return {"region": p["region"], "instanceType": p["instanceType"], "usd": float(usd)}


def _respond(start_response: Any, status: int, answer: dict[str, Any], ctype: str) -> list[bytes]:
    error = (("x-amzn-ErrorType", answer["__type"]),) if status != 200 and "__type" in answer else ()
    return answer_json(start_response, status, answer, ctype, error)


def wsgi_middleware(app: Any) -> Any:
    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if environ.get("PATH_INFO", "").rstrip("/") == ROUTE:
            status, answer = control_route(environ.get("REQUEST_METHOD", "GET"), request_body(environ), ROUTE,
                                           _shown, reset, _set)
            return _respond(start_response, status, answer, "application/json")
        if not target.startswith(TARGET_PREFIX):
            return app(environ, start_response)
        action = target[len(TARGET_PREFIX):]
        if action != "GetProducts":
            return _respond(start_response, 400, {"__type": "UnknownOperationException",
                                                  "message": f"the sandbox serves GetProducts only, not {action}"},
                            "application/x-amz-json-1.1")
        try:
            params = json.loads(request_body(environ) or b"{}")
        except ValueError:
            params = {}
        status, answer = get_products(params if isinstance(params, dict) else {})
        return _respond(start_response, status, answer, "application/x-amz-json-1.1")

    return middleware


def install() -> None:
    from reconciler.sandbox.extensions import in_front_of_server, on_reset

    on_reset(reset)
    in_front_of_server(wsgi_middleware)
