"""Crash safety of an endpoint apply: SIGKILL after each mutating request (IAM and SageMaker), then the
next apply finishes; never a second model, config or endpoint, never an untagged one."""

from __future__ import annotations

import re

from tests.e2e.test_crash import CREATES, PLAN_LINE, _kill_at, _tagged_at_creation
from tests.support.faults import proxied, record_figures, run_inprocess
from tests.support.manifests import llm_endpoint, sagemaker_stack, write


def _manifests(p: str) -> str:
    return sagemaker_stack(f"crash-{p}", p) + "---" + llm_endpoint(f"{p}-llm", f"{p}-exec", "org/model")


def _sagemaker_parts(boto, p: str, stack: str) -> None:
    sm = boto("sagemaker")
    models = [x for x in sm.list_models()["Models"] if x["ModelName"].startswith(f"{p}-")]
    configs = [x for x in sm.list_endpoint_configs()["EndpointConfigs"] if x["EndpointConfigName"].startswith(f"{p}-")]
    endpoints = [x for x in sm.list_endpoints()["Endpoints"] if x["EndpointName"].startswith(f"{p}-")]
    assert len(models) == 1 and len(configs) == 1 and len(endpoints) == 1, (models, configs, endpoints)
    for arn in (models[0]["ModelArn"], configs[0]["EndpointConfigArn"], endpoints[0]["EndpointArn"]):
        tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
        assert tags["reconciler:stack"] == stack, (arn, tags)
    assert endpoints[0]["EndpointStatus"] == "InService"
    roles = [r["RoleName"] for r in boto("iam").list_roles()["Roles"] if r["RoleName"].startswith(f"{p}-")]
    assert roles == [f"{p}-exec"]


def test_sigkill_at_every_mutating_request_of_an_endpoint_apply(cli, moto_server, boto, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config", {"create_seconds": 0.3, "update_seconds": 0.3,
                                                             "delete_seconds": 0.1})
    c, proxy = proxied(cli, moto_server)
    c.env["RECONCILE_POLL_SECONDS"] = "0.05"
    try:
        m = write(tmp_path / "e0", {"all.yaml": _manifests("e0")})
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve", "--concurrency", "1")
        assert r.code == 0, r.text
        ops = [q.op for q in proxy.ops(mutating=True)]
        assert ops[0] == "CreateRole" and {"CreateModel", "CreateEndpointConfig", "CreateEndpoint"} <= set(ops), ops
        print("endpoint apply mutating requests:", ops)
        _sagemaker_parts(boto, "e0", "crash-e0")
        for k in range(1, len(ops) + 1):
            p = f"e{k}"
            m = write(tmp_path / p, {"all.yaml": _manifests(p)})
            done = _kill_at(c, proxy, m, k)
            assert [q.op for q in done] == ops[:k]
            r = run_inprocess(c.env, "apply", str(m), "--auto-approve", "--concurrency", "1")
            assert r.code == 0, f"kill point {k} ({ops[k - 1]}): {r.text}"
            shown = {kind: sym for sym, kind, _ in PLAN_LINE.findall(r.out)}
            endpoint_made = "CreateEndpoint" in ops[:k]
            assert shown.get("Endpoint") != ("+" if endpoint_made else None), f"kill point {k}: {r.out}"
            assert "Role" not in shown, f"kill point {k}: the role was finished by its one request, the first"
            for q in proxy.ops(mutating=True):
                if q.op in CREATES:
                    assert _tagged_at_creation(q, f"crash-{p}"), q
            r = run_inprocess(c.env, "plan", str(m), "--detailed-exitcode")
            assert r.code == 0 and "No changes." in r.out, f"kill point {k}: {r.text}"
            _sagemaker_parts(boto, p, f"crash-{p}")
            assert not re.search(r"Traceback", r.text)
        record_figures("crash:endpoint", kill_points=len(ops), data_lost=0)
    finally:
        proxy.stop()
