"""What the endpoints cost and whether the account may run them, through the CLI against the sandbox:
the plan's cost per endpoint and in total (text, markdown, JSON), ranges where the count can move, "price
unknown" for a type the table lacks, `reconcile prices update` from the Price List API, and the Service
Quotas check before any write (a plan problem, or a warning when the quotas cannot be read)."""

from __future__ import annotations

import json

from tests.support.manifests import llm_endpoint, sagemaker_stack, write

STACK, P = "cost", "cost"
SCALED = """  instance: {type: ml.g5.2xlarge, count: 1}
  autoscaling: {minCount: 1, maxCount: 4, target: {metric: invocationsPerInstance, value: 5}}
"""
TO_ZERO = """
apiVersion: reconciler/v1
kind: Endpoint
metadata: {name: cost-ic}
spec:
  type: inference-component-based
  executionRole: cost-exec
  model:
    image: {huggingfaceLlm: {version: "2.2.0"}}
    environment: {HF_MODEL_ID: org/model}
  instance: {type: ml.g5.2xlarge, count: 1, managedScaling: {minCount: 0, maxCount: 4}}
  inferenceComponent: {copies: 1, acceleratorDevices: 1, memoryMb: 4096}
  autoscaling: {minCount: 0, maxCount: 4, target: {metric: invocationsPerCopy, value: 4}}
"""
QUOTAS = "/reconcile-sandbox/quotas"


def manifests(tmp_path, instance: str = "  instance: {type: ml.g5.2xlarge, count: 1}\n", **more: str):  # type: ignore[no-untyped-def]
    return write(tmp_path / "m", {"stack.yaml": sagemaker_stack(STACK, P),
                                  "llm.yaml": llm_endpoint("cost-llm", f"{P}-exec", "org/model", instance), **more})


def fast(cli, moto_server) -> None:  # type: ignore[no-untyped-def]
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"


def test_the_plan_says_what_each_endpoint_costs_before_and_after_in_every_format(cli, moto_server, tmp_path):
    fast(cli, moto_server)
    m = manifests(tmp_path)
    r = cli("plan", str(m))
    assert r.code == 0, r.text
    assert "Endpoint/cost-llm  ml.g5.2xlarge × 1  $0/h → $1.52/h" in r.out, r.out
    assert "Cost: $0/h → $1.52/h, $0 → $1,105.95 a month (730 h)" in r.out
    assert "fmbench/configs/pricing.yml, 2025-01" in r.out  # the table's source and date
    md = cli("plan", str(m), "--format", "markdown").out
    assert "**Cost: $0/h → $1.52/h, $0 → $1,105.95 a month (730 h)**" in md
    assert "| `Endpoint/cost-llm` | ml.g5.2xlarge × 1 | $0/h → $1.52/h |" in md
    costs = json.loads(cli("plan", str(m), "--format", "json").out)["costs"]
    assert costs["region"] == "us-east-1" and costs["hours_per_month"] == 730
    [e] = costs["endpoints"]
    assert e["before"] is None and e["after"] == {
        "instance_type": "ml.g5.2xlarge", "min_count": 1, "max_count": 1, "usd_per_hour_min": 1.515,
        "usd_per_hour_max": 1.515, "price_source": "aws-samples/foundation-model-benchmarking-tool "
                                                   "fmbench/configs/pricing.yml, 2025-01"}
    assert costs["after_per_month"] == {"min": 1105.95, "max": 1105.95}

    assert cli("apply", str(m), "--auto-approve").code == 0
    r = cli("plan", str(m))
    assert "No changes." in r.out and "Cost: $1.52/h → $1.52/h" in r.out, r.out
    manifests(tmp_path, "  instance: {type: ml.g5.2xlarge, count: 2}\n")
    r = cli("plan", str(m))
    assert "ml.g5.2xlarge × 1 → 2  $1.52/h → $3.03/h" in r.out, r.out
    assert cli("apply", str(m), "--auto-approve").code == 0
    r = cli("plan", str(m), "--prune")
    assert "Cost: $3.03/h → $3.03/h" in r.out
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0 and "ml.g5.2xlarge × 2 (deleted)  $3.03/h → $0/h" in r.out, r.out


def test_a_range_where_autoscaling_or_managed_scaling_moves_the_count(cli, tmp_path):
    m = manifests(tmp_path, SCALED, **{"ic.yaml": TO_ZERO})
    r = cli("plan", str(m))
    assert r.code == 0, r.text
    assert "Endpoint/cost-llm  ml.g5.2xlarge × 1–4  $0/h → $1.52–$6.06/h" in r.out, r.out
    assert "Endpoint/cost-ic   ml.g5.2xlarge × 0–4  $0/h → $0–$6.06/h" in r.out, r.out  # scale to zero
    assert "Cost: $0/h → $1.52–$12.12/h, $0 → $1,105.95–$8,847.60 a month (730 h)" in r.out


def test_a_type_the_table_has_no_price_for_is_price_unknown_not_an_error(cli, tmp_path):
    m = manifests(tmp_path, "  instance: {type: ml.g6e.2xlarge, count: 1}\n")
    r = cli("plan", str(m))
    assert r.code == 0, r.text
    assert "Endpoint/cost-llm  ml.g6e.2xlarge × 1  $0/h → price unknown" in r.out, r.out
    assert "Cost: $0/h → $0/h, $0 → $0 a month (730 h); price unknown for ml.g6e.2xlarge in us-east-1" in r.out
    costs = json.loads(cli("plan", str(m), "--format", "json").out)["costs"]
    assert costs["unknown"] == ["ml.g6e.2xlarge"] and costs["endpoints"][0]["after"]["usd_per_hour_max"] is None


def test_prices_update_reads_the_price_list_api_into_the_users_table(cli, moto_server, aws_env, tmp_path):
    moto_server.post("/reconcile-sandbox/pricing", {"region": "us-east-1", "instanceType": "ml.g6e.2xlarge",
                                                    "usd": 2.8})
    moto_server.post("/reconcile-sandbox/pricing", {"region": "us-east-1", "instanceType": "ml.g5.2xlarge",
                                                    "usd": 1.6})
    r = cli("prices", "update")
    assert r.code == 0, r.text
    assert "us-east-1: 6 hosting instance prices" in r.out
    cache = tmp_path / "reconcile-home" / "sagemaker-hosting-prices.json"
    assert f"Wrote {cache}" in r.out
    table = json.loads(cache.read_text())
    assert table["source"].startswith("AWS Price List API") and table["regions"]["us-east-1"]["prices"][
        "ml.g6e.2xlarge"] == 2.8
    m = manifests(tmp_path, "  instance: {type: ml.g6e.2xlarge, count: 1}\n",
                  **{"other.yaml": llm_endpoint("cost-two", f"{P}-exec", "org/model")})
    r = cli("plan", str(m))
    assert "ml.g6e.2xlarge × 1  $0/h → $2.80/h" in r.out and "ml.g5.2xlarge × 1   $0/h → $1.60/h" in r.out, r.out
    assert "from AWS Price List API" in r.out
    r = cli("prices", "update", "eu-west-1")  # the sandbox serves no prices there: nothing is written
    assert r.code == 1 and "no SageMaker hosting prices for eu-west-1" in r.err
    assert cli("prices", "update", "mars").code == 1


def test_a_quota_below_what_the_stack_needs_at_its_maximum_is_a_plan_problem(cli, moto_server, boto, tmp_path):
    moto_server.post(QUOTAS, {"service": "sagemaker", "name": "ml.g5.2xlarge for endpoint usage", "value": 3})
    m = manifests(tmp_path, SCALED)
    r = cli("plan", str(m))
    assert r.code == 1, r.text
    problem = next(line for line in r.out.splitlines() if "[quota]" in line)
    for said in (f"{m / 'llm.yaml'}:", "spec.autoscaling.maxCount", "'ml.g5.2xlarge for endpoint usage' is 3 in us-east-1",
                 "needs up to 4 at its maximum (Endpoint/cost-llm: 4 (autoscaling.maxCount))",
                 "aws service-quotas request-service-quota-increase --service-code sagemaker --quota-code L-",
                 "--desired-value 4"):
        assert said in problem, problem
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 1 and "refusing to apply" in r.err and "[quota]" not in r.err, r.text
    assert boto("sagemaker").list_endpoints()["Endpoints"] == []  # nothing was written (the audit checks all)
    moto_server.post(QUOTAS, {"service": "sagemaker", "name": "ml.g5.2xlarge for endpoint usage", "value": 4})
    assert cli("plan", str(m)).code == 0


def test_quotas_that_cannot_be_read_are_a_warning_and_the_plan_goes_on(cli, moto_server, tmp_path):
    moto_server.post(QUOTAS, {"service": "sagemaker", "accessDenied": True})
    r = cli("plan", str(manifests(tmp_path)), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert "warning: the SageMaker instance quotas were not checked" in r.out and "AccessDeniedException" in r.out
