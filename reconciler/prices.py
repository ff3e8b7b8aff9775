"""The SageMaker real-time hosting price table: on-demand USD per instance-hour, per region and instance type.

Two tables, each with its source and date:

- shipped with reconcile: ``reconciler/data/sagemaker-hosting-prices.json`` (published figures, see its
  ``source``);
- refreshed by ``reconcile prices update`` from the AWS Price List API into the user's cache,
  ``$RECONCILE_HOME/sagemaker-hosting-prices.json`` (``~/.cache/reconcile/`` by default).

``load()`` merges them entry by entry: where both have a price for a region and type, the newer table's wins
(by date; the cache's when they are the same age); each table fills the other's gaps. A type or region in
neither has no price: the plan says "price unknown", never a guess.

The Price List API (``pricing:GetProducts``, ServiceCode ``AmazonSageMaker``) answers only in us-east-1,
eu-central-1 and ap-south-1, whatever region it is asked about; hosting instances are the products with
``productFamily`` "ML Instance" and ``component`` "Hosting"; each product is a JSON document (a string in
``PriceList``) whose ``terms.OnDemand`` hold the hourly USD price.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path
from typing import Any

from reconciler.paths import write_atomically
from reconciler.sandbox_contract import home

SHIPPED = Path(__file__).parent / "data" / "sagemaker-hosting-prices.json"
CACHE_NAME = "sagemaker-hosting-prices.json"
API_SOURCE = "AWS Price List API (pricing:GetProducts, AmazonSageMaker, ML Instance, Hosting)"
HOURS_PER_MONTH = 730


@dataclass(frozen=True)
class Price:
    usd_per_hour: float
    source: str
    date: str


@dataclass(frozen=True)
class Table:
    prices: dict[tuple[str, str], Price]  # (region, instance type) -> price

    def price(self, region: str, instance_type: str) -> Price | None:
        return self.prices.get((region, instance_type))


def cache_path() -> Path:
    return home() / CACHE_NAME


def _read(path: Path) -> dict[str, Any] | None:
    """A table file, or None when it is missing or not a table (a broken cache is ignored, not fatal)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("regions"), dict) else None


def _entries(doc: dict[str, Any] | None) -> dict[tuple[str, str], Price]:
    out = {}
    for region, table in ((doc or {}).get("regions") or {}).items():
        if not isinstance(table, dict) or not isinstance(table.get("date"), str):
            continue
        for itype, usd in (table.get("prices") or {}).items():
            if isinstance(usd, (int, float)) and not isinstance(usd, bool) and usd > 0:
                out[(region, itype)] = Price(float(usd), str(doc.get("source", "")), table["date"])  # type: ignore[union-attr]
    return out


def load(cache: Path | None = None) -> Table:
    """The shipped table, overlaid entry by entry with the user's refreshed one where that is not older."""
    shipped, refreshed = _entries(_read(SHIPPED)), _entries(_read(cache or cache_path()))
    merged = dict(shipped)
    for key, price in refreshed.items():
        if key not in merged or price.date >= merged[key].date:
            merged[key] = price
    return Table(merged)


# ---- refreshing from the Price List API -----------------------------------------------------------


def filters(region: str) -> list[dict[str, str]]:
    """GetProducts filters for the hosting instances of ``region``."""
    return [{"Type": "TERM_MATCH", "Field": "productFamily", "Value": "ML Instance"},
            {"Type": "TERM_MATCH", "Field": "component", "Value": "Hosting"},
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]


def hourly_usd(product: dict[str, Any]) -> float | None:
    """The on-demand USD price per hour of one Price List product, or None when it has none (or several)."""
    found = set()
    for term in ((product.get("terms") or {}).get("OnDemand") or {}).values():
        for dim in (term.get("priceDimensions") or {}).values():
            usd = (dim.get("pricePerUnit") or {}).get("USD")
            if dim.get("unit") in ("Hrs", "Hours", "hour") and usd is not None:
                try:
                    found.add(float(usd))
                except ValueError:
                    continue
    return found.pop() if len(found) == 1 else None


def parse(items: list[str]) -> tuple[dict[str, float], list[str]]:
    """({instance type: USD per hour}, types left out because their products disagree or have no hourly price)."""
    seen: dict[str, set[float]] = {}
    for item in items:
        product = json.loads(item) if isinstance(item, str) else item
        name = ((product.get("product") or {}).get("attributes") or {}).get("instanceName")
        if not isinstance(name, str):
            continue
        usd = hourly_usd(product)
        seen.setdefault(name, set())
        if usd is not None and usd > 0:
            seen[name].add(usd)
    prices = {n: next(iter(v)) for n, v in seen.items() if len(v) == 1}
    return prices, sorted(n for n, v in seen.items() if len(v) != 1)


def fetch(aws: Any, region: str) -> tuple[dict[str, float], list[str]]:
    """Every hosting instance price the Price List API has for ``region``."""
    from reconciler.aws import pricing

    return parse(pricing.products(aws, "AmazonSageMaker", filters(region), f"for SageMaker hosting in {region}"))


def save(refreshed: dict[str, dict[str, float]], today: str | None = None, cache: Path | None = None) -> Path:
    """Write the refreshed regions, dated ``today``, into the user's table (other regions it holds are kept)."""
    path = cache or cache_path()
    regions = dict((_read(path) or {}).get("regions") or {})
    day = today or Date.today().isoformat()
    regions.update({r: {"date": day, "prices": dict(sorted(p.items()))} for r, p in refreshed.items()})
    out = {"source": API_SOURCE, "currency": "USD", "unit": "per instance-hour", "regions": dict(sorted(regions.items()))}
    write_atomically(path, json.dumps(out, indent=2) + "\n")
    return path
