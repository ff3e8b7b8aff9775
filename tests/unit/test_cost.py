"""What a plan's hosting instances cost (reconciler/cost.py), from the price table (reconciler/prices.py)
checked against its data; the fleets the Endpoint kind reports (Kind.fleet)."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler import awsmodel, cost, prices
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Fleet
from reconciler.plan import Action, Orphan, Plan, Step

TABLE = prices.Table({("us-east-1", "ml.g5.2xlarge"): prices.Price(1.515, "test table", "2025-01"),
                      ("us-east-1", "ml.g5.12xlarge"): prices.Price(7.09, "test table", "2025-01")})


def endpoint(itype: str = "ml.g5.2xlarge", count: int = 1, **extra: object) -> dict:
    return {"type": "model-based", "instance": {"type": itype, "count": count}, **extra}


def ic_endpoint(itype: str = "ml.g5.2xlarge", count: int = 1, lo: int = 0, hi: int = 4) -> dict:
    return {"type": "inference-component-based",
            "instance": {"type": itype, "count": count, "managedScaling": {"minCount": lo, "maxCount": hi}},
            "autoscaling": {"minCount": 0, "maxCount": 8}}  # (copies: not instances)


def plan(*steps: Step, orphans: tuple[Orphan, ...] = ()) -> Plan:
    return Plan(stack="s", account="123456789012", region="us-east-1", steps=steps, orphans=orphans)


def step(name: str, action: Action, desired: dict | None) -> Step:
    return Step(kind="Endpoint", name=name, action=action, reason="", desired=desired)


# ---- the fleet an Endpoint's state runs ----------------------------------------------------------------


def test_endpoint_fleets_fixed_autoscaled_and_managed() -> None:
    kind = REGISTRY["Endpoint"]
    assert kind.fleet(endpoint(count=2)) == Fleet("ml.g5.2xlarge", 2, 2, "instance.count")
    scaled = endpoint(autoscaling={"minCount": 1, "maxCount": 4})
    assert kind.fleet(scaled) == Fleet("ml.g5.2xlarge", 1, 4, "autoscaling.maxCount")
    assert kind.fleet(ic_endpoint()) == Fleet("ml.g5.2xlarge", 0, 4, "instance.managedScaling.maxCount")
    fixed_ic = {"type": "inference-component-based", "instance": {"type": "ml.g5.2xlarge", "count": 1},
                "autoscaling": {"minCount": 0, "maxCount": 8}}
    assert kind.fleet(fixed_ic) == Fleet("ml.g5.2xlarge", 1, 1, "instance.count")  # copies scale, instances do not
    assert kind.fleet({"status": "Creating"}) is None  # (a config deleted outside reconcile: nothing known)
    assert REGISTRY["Role"].fleet({"path": "/"}) is None


# ---- before -> after, ranges, totals ----------------------------------------------------------------


def test_a_new_endpoint_costs_nothing_before_and_its_instances_after() -> None:
    c = cost.estimate(plan(step("llm", Action.create, endpoint())), {}, TABLE)
    [e] = c.endpoints
    assert e.before is None and e.after.usd_per_hour_min == e.after.usd_per_hour_max == 1.515
    assert cost.fleet_line(e) == ("ml.g5.2xlarge × 1", "$0/h → $1.52/h")
    assert cost.total_line(c) == "Cost: $0/h → $1.52/h, $0 → $1,105.95 a month (730 h)"


def test_an_update_shows_before_and_after_and_a_range_where_the_count_moves() -> None:
    p = plan(step("llm", Action.update, endpoint(count=2)),
             step("ic", Action.noop, ic_endpoint()))
    live = {"Endpoint/llm": endpoint(), "Endpoint/ic": ic_endpoint()}
    c = cost.estimate(p, live, TABLE)
    rows = {e.name: cost.fleet_line(e) for e in c.endpoints}
    assert rows["llm"] == ("ml.g5.2xlarge × 1 → 2", "$1.52/h → $3.03/h")
    assert rows["ic"] == ("ml.g5.2xlarge × 0–4", "$0–$6.06/h → $0–$6.06/h")
    assert (c.before_per_hour.min, c.before_per_hour.max) == (1.515, 7.575)
    assert (c.after_per_hour.min, c.after_per_hour.max) == (3.03, 9.09)
    assert c.after_per_month.max == 6635.7 and c.hours_per_month == 730


def test_a_new_instance_type_names_both() -> None:
    c = cost.estimate(plan(step("llm", Action.update, endpoint("ml.g5.12xlarge"))), {"Endpoint/llm": endpoint()}, TABLE)
    assert cost.fleet_line(c.endpoints[0]) == ("ml.g5.2xlarge × 1 → ml.g5.12xlarge × 1", "$1.52/h → $7.09/h")


def test_deletes_cost_nothing_after_and_orphans_left_in_place_keep_costing() -> None:
    p = plan(step("gone", Action.delete, None), orphans=(Orphan(kind="Endpoint", name="old"),))
    c = cost.estimate(p, {"Endpoint/gone": endpoint(), "Endpoint/old": endpoint("ml.g5.12xlarge")}, TABLE)
    rows = {e.name: cost.fleet_line(e) for e in c.endpoints}
    assert rows == {"gone": ("ml.g5.2xlarge × 1 (deleted)", "$1.52/h → $0/h"),
                    "old": ("ml.g5.12xlarge × 1", "$7.09/h → $7.09/h")}


def test_a_type_without_a_price_is_price_unknown_and_left_out_of_the_totals() -> None:
    p = plan(step("llm", Action.create, endpoint()), step("new", Action.create, endpoint("ml.g6e.2xlarge")))
    c = cost.estimate(p, {}, TABLE)
    rows = {e.name: cost.fleet_line(e) for e in c.endpoints}
    assert rows["new"] == ("ml.g6e.2xlarge × 1", "$0/h → price unknown")
    assert c.unknown == ("ml.g6e.2xlarge",) and c.after_per_hour.max == 1.515
    assert cost.total_line(c).endswith("; price unknown for ml.g6e.2xlarge in us-east-1 (not counted)")
    other_region = Plan(stack="s", account="1", region="eu-west-1", steps=(step("llm", Action.create, endpoint()),))
    assert cost.fleet_line(cost.estimate(other_region, {}, TABLE).endpoints[0])[1] == "$0/h → price unknown"


def test_a_stack_without_instances_has_no_costs() -> None:
    p = plan(Step(kind="Role", name="r", action=Action.create, reason="", desired={"path": "/"}))
    assert cost.estimate(p, {}, TABLE) is None


def test_money_is_rounded_half_up_to_cents_with_thousands() -> None:
    assert cost.usd(1.515) == "$1.52" and cost.usd(0) == "$0" and cost.usd(1105.95) == "$1,105.95"
    assert cost.usd_range(0, 6.06, "/h") == "$0–$6.06/h" and cost.usd_range(1.515, 1.5151, "/h") == "$1.52/h"


# ---- the price table ---------------------------------------------------------------------------------


def test_the_shipped_table_names_its_source_and_date_and_holds_the_published_figures() -> None:
    doc = json.loads(prices.SHIPPED.read_text())
    assert "fmbench/configs/pricing.yml" in doc["source"] and doc["currency"] == "USD"
    enum = set(awsmodel.constraints("sagemaker", "ProductionVariantInstanceType").enum)
    for region, table in doc["regions"].items():
        assert region == "us-east-1" and table["date"] == "2025-01"
        assert set(table["prices"]) <= enum and all(p > 0 for p in table["prices"].values())
    # AWS-FACTS.md ("On-demand prices, SageMaker real-time hosting, us-east-1"): spot checks
    us = doc["regions"]["us-east-1"]["prices"]
    assert (us["ml.g5.xlarge"], us["ml.g5.2xlarge"], us["ml.g5.12xlarge"], us["ml.g6.2xlarge"]) == (
        1.4084, 1.515, 7.09, 1.222)
    assert len(us) == 25 and "ml.g6e.2xlarge" not in us  # no guesses for types the source does not list


def test_the_refreshed_table_wins_where_it_is_newer_and_the_shipped_one_fills_gaps(tmp_path: Path) -> None:
    cache = tmp_path / "prices.json"
    prices.save({"us-east-1": {"ml.g5.2xlarge": 1.6}, "eu-west-1": {"ml.g5.2xlarge": 1.7}}, "2026-12-06", cache)
    t = prices.load(cache)
    assert t.price("us-east-1", "ml.g5.2xlarge") == prices.Price(1.6, prices.API_SOURCE, "2026-12-06")
    assert t.price("eu-west-1", "ml.g5.2xlarge").usd_per_hour == 1.7
    assert t.price("us-east-1", "ml.g5.xlarge").usd_per_hour == 1.4084  # shipped
    prices.save({"us-east-1": {"ml.g5.2xlarge": 1.2}}, "2024-06-01", cache)  # older than the shipped table
    assert prices.load(cache).price("us-east-1", "ml.g5.2xlarge").usd_per_hour == 1.515
    assert prices.load(cache).price("eu-west-1", "ml.g5.2xlarge").usd_per_hour == 1.7  # kept from before
    cache.write_text("{broken")
    assert prices.load(cache).price("us-east-1", "ml.g5.2xlarge").usd_per_hour == 1.515


def test_price_list_products_as_aws_answers_them() -> None:
    """The shape of botocore's own GetProducts example, for SageMaker hosting instances."""
    def product(name: str, usd: str, unit: str = "Hrs") -> str:
        return json.dumps({"product": {"productFamily": "ML Instance", "attributes": {"instanceName": name}},
                           "terms": {"OnDemand": {"S.T": {"priceDimensions": {"S.T.R": {
                               "unit": unit, "pricePerUnit": {"USD": usd}}}}}}})

    found, unclear = prices.parse([product("ml.g5.2xlarge", "1.5150000000"), product("ml.g5.xlarge", "1.4084"),
                                   product("ml.p5.48xlarge", "90.0"), product("ml.p5.48xlarge", "113.068"),
                                   product("ml.g4dn.xlarge", "0.0000000000")])
    assert found == {"ml.g5.2xlarge": 1.515, "ml.g5.xlarge": 1.4084}
    assert unclear == ["ml.g4dn.xlarge", "ml.p5.48xlarge"]  # two prices for one type, or none: not guessed
    assert prices.filters("eu-west-1")[-1] == {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"}
