"""The README's table of what each example environment deploys is what `reconcile plan --env NAME` plans
for it: per endpoint its instances (type × count or range), what they cost per hour, the copies of each
inference component on it, and the total."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reconciler.cost import hourly, instances, usd_range
from reconciler.plan import Plan

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("dev", "prod")


def readme_table() -> dict[str, dict[str, str]]:
    """{endpoint (or "all"): {environment: cell}} from the table under "The examples in `manifests/`"."""
    text = (REPO / "README.md").read_text().split("## The examples in `manifests/`", 1)[1]
    rows = [line for line in text.split("| endpoint | dev | prod |", 1)[1].splitlines()[2:]]
    out = {}
    for row in rows:
        if not row.startswith("|"):
            break
        first, dev, prod = (c.strip() for c in row.strip("|").split("|"))
        name = re.match(r"`([\w-]+)`", first)
        out[name.group(1) if name else first] = {"dev": dev, "prod": prod}
    return out


def copies_range(desired: dict) -> str:
    """The copies a component runs: its count, or the range autoscaling (and its schedule) moves it in."""
    a = desired.get("autoscaling")
    if not a:
        return str(desired["copies"])
    counts = [a["maxCount"], desired["copies"]] + [c for s in a.get("schedule") or []
                                                   for c in (s.get("minCount"), s.get("maxCount")) if c is not None]
    lo, hi = a["minCount"], max(counts)
    return str(lo) if lo == hi else f"{lo}–{hi}"


def planned(plan: Plan) -> dict[str, dict]:
    """{endpoint: its instances, hourly cost and components' copies} from a plan."""
    out: dict[str, dict] = {e.name: {"instances": instances(e.after), "hourly": hourly(e.after), "copies": {}}
                            for e in plan.costs.endpoints}
    for step in plan.steps:
        d = step.desired or {}
        if step.kind == "Endpoint" and d.get("inferenceComponent"):
            ic = d["inferenceComponent"]
            out[step.name]["copies"][ic["name"]] = copies_range({**ic, "autoscaling": d.get("autoscaling")})
        elif step.kind == "InferenceComponent":
            out[d["endpoint"]]["copies"][step.name] = copies_range(d)
    return out


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_readme_says_what_each_environment_deploys(cli, env):
    r = cli("plan", str(REPO / "manifests"), "--env", env, "--format", "json")
    assert r.code == 0, r.text
    plan = Plan.model_validate(json.loads(r.out))
    table = readme_table()
    want = planned(plan)
    assert set(table) == set(want) | {"all"}
    for endpoint, found in want.items():
        cell = table[endpoint][env]
        assert re.search(r"ml\.[\w.]+ × \d+(?:–\d+)?", cell).group(0) == found["instances"], (endpoint, cell)
        assert re.search(r"\$[\d.,]+(?:–\$[\d.,]+)?/h", cell).group(0) == found["hourly"], (endpoint, cell)
        said = dict(re.findall(r"`([\w-]+)` (\d+(?:–\d+)?) cop(?:y|ies)", cell))
        assert said == found["copies"], (endpoint, cell)
    after = plan.costs.after_per_hour
    assert table["all"][env] == usd_range(after.min, after.max, "/h")
