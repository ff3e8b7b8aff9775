"""Kills at chosen moments of an endpoint update, destroy and prune (issue 17 items 6, 7): the rerun keeps the
rollback point, and removes every model and config the stack made, even for an endpoint that is gone."""

from __future__ import annotations

from tests.support.faults import Rule, kill_at_mutating_request, kill_when_held, proxied, run_inprocess
from tests.support.manifests import ONE_INSTANCE, llm_endpoint, sagemaker_stack, write


def _manifests(p: str, model: str, instance: str = ONE_INSTANCE) -> str:
    return sagemaker_stack(f"kill-{p}", p) + "---" + llm_endpoint(f"{p}-llm", f"{p}-exec", f"org/{model}", instance)


def _start(cli, moto_server):  # type: ignore[no-untyped-def]
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.3, "update_seconds": 0.3, "delete_seconds": 0.2})
    c, proxy = proxied(cli, moto_server)
    c.env["RECONCILE_POLL_SECONDS"] = "0.05"
    return c, proxy


def _kill_after(c, proxy, op: str, *args: str) -> None:  # type: ignore[no-untyped-def]
    """Run the CLI in a process; SIGKILL it once AWS did ``op`` (its answer held, never delivered)."""
    kill_when_held(c.env, proxy, Rule("hold", match=f"sagemaker:{op}", times=1), *args, waiting_for=f"called {op}")


def _parts(boto, p: str) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    sm = boto("sagemaker")
    return (sorted(x["ModelName"] for x in sm.list_models()["Models"] if x["ModelName"].startswith(p)),
            sorted(x["EndpointConfigName"] for x in sm.list_endpoint_configs()["EndpointConfigs"]
                   if x["EndpointConfigName"].startswith(p)))


def test_a_kill_during_an_update_keeps_the_rollback_point(cli, moto_server, boto, tmp_path):
    c, proxy = _start(cli, moto_server)
    sm = boto("sagemaker")
    try:
        m = write(tmp_path / "u", {"all.yaml": _manifests("u", "v1")})
        assert run_inprocess(c.env, "apply", str(m), "--auto-approve").code == 0
        first = sm.describe_endpoint(EndpointName="u-llm")["EndpointConfigName"]
        (m / "all.yaml").write_text(_manifests("u", "v2"))
        _kill_after(c, proxy, "UpdateEndpoint", "apply", str(m), "--auto-approve")
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
        d = sm.describe_endpoint(EndpointName="u-llm")
        assert d["EndpointConfigName"] != first
        tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=d["EndpointArn"])["Tags"]}
        assert tags.get("reconciler:previous-config") == first, tags
        assert sm.describe_endpoint_config(EndpointConfigName=first)
        r = run_inprocess(c.env, "plan", str(m), "--detailed-exitcode")
        assert r.code == 0 and "No changes." in r.out, r.text
        r = run_inprocess(c.env, "rollback", "u-llm", "--auto-approve")
        assert r.code == 0, r.text
        assert sm.describe_endpoint(EndpointName="u-llm")["EndpointConfigName"] == first
    finally:
        proxy.stop()


def test_a_destroy_killed_after_delete_endpoint_is_finished_by_the_rerun(cli, moto_server, boto, tmp_path):
    c, proxy = _start(cli, moto_server)
    try:
        m = write(tmp_path / "d", {"all.yaml": _manifests("d", "v1")})
        assert run_inprocess(c.env, "apply", str(m), "--auto-approve").code == 0
        (m / "all.yaml").write_text(_manifests("d", "v2"))  # a kept previous config too
        assert run_inprocess(c.env, "apply", str(m), "--auto-approve").code == 0
        assert _parts(boto, "d-") != ([], [])
        _kill_after(c, proxy, "DeleteEndpoint", "destroy", str(m), "--auto-approve")
        r = run_inprocess(c.env, "destroy", str(m), "--auto-approve")
        assert r.code == 0, r.text
        assert _parts(boto, "d-") == ([], [])
        assert not boto("sagemaker").list_endpoints()["Endpoints"]
        assert not [x for x in boto("iam").list_roles()["Roles"] if x["RoleName"] == "d-exec"]
    finally:
        proxy.stop()


def test_a_prune_killed_after_delete_endpoint_is_finished_by_the_rerun(cli, moto_server, boto, tmp_path):
    c, proxy = _start(cli, moto_server)
    try:
        m = write(tmp_path / "p", {"all.yaml": _manifests("p", "v1")})
        assert run_inprocess(c.env, "apply", str(m), "--auto-approve").code == 0
        (m / "all.yaml").write_text(_manifests("p", "v2"))
        assert run_inprocess(c.env, "apply", str(m), "--auto-approve").code == 0
        (m / "all.yaml").write_text(sagemaker_stack("kill-p", "p"))
        _kill_after(c, proxy, "DeleteEndpoint", "prune", str(m), "--auto-approve")
        r = run_inprocess(c.env, "prune", str(m), "--auto-approve")
        assert r.code == 0, r.text
        assert _parts(boto, "p-") == ([], [])
        r = run_inprocess(c.env, "plan", str(m), "--detailed-exitcode", "--prune")
        assert r.code == 0, r.text
    finally:
        proxy.stop()


IC_INSTANCE = """  type: inference-component-based
  instance: {type: ml.g5.12xlarge}
  inferenceComponent: {copies: 1, acceleratorDevices: 1, memoryMb: 1024}
"""


def test_a_kill_during_a_component_update_keeps_the_previous_model(cli, moto_server, boto, tmp_path):
    c, proxy = _start(cli, moto_server)
    sm = boto("sagemaker")
    try:
        m = write(tmp_path / "i", {"all.yaml": _manifests("i", "v1", IC_INSTANCE)})
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
        first = sm.describe_inference_component(InferenceComponentName="i-llm-ic")["Specification"]["ModelName"]
        (m / "all.yaml").write_text(_manifests("i", "v2", IC_INSTANCE))
        _kill_after(c, proxy, "UpdateInferenceComponent", "apply", str(m), "--auto-approve")
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
        arn = sm.describe_endpoint(EndpointName="i-llm")["EndpointArn"]
        tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
        assert tags.get("reconciler:previous-model") == first, tags
        assert sm.describe_model(ModelName=first)
        r = run_inprocess(c.env, "rollback", "i-llm", "--auto-approve")
        assert r.code == 0, r.text
        assert sm.describe_inference_component(InferenceComponentName="i-llm-ic")["Specification"]["ModelName"] == first
    finally:
        proxy.stop()


def _left(boto, p: str) -> list[str]:  # type: ignore[no-untyped-def]
    sm = boto("sagemaker")
    models, configs = _parts(boto, f"{p}-")
    endpoints = [x["EndpointName"] for x in sm.list_endpoints()["Endpoints"] if x["EndpointName"].startswith(f"{p}-")]
    roles = [r["RoleName"] for r in boto("iam").list_roles()["Roles"] if r["RoleName"].startswith(f"{p}-")]
    return models + configs + endpoints + roles


def test_destroy_killed_at_every_mutating_request_is_finished_by_the_rerun(cli, moto_server, boto, tmp_path):
    c, proxy = _start(cli, moto_server)
    try:
        # the reference destroy: its sequence of mutating requests (an endpoint with a kept previous config)
        def deployed(p: str):  # type: ignore[no-untyped-def]
            m = write(tmp_path / p, {"all.yaml": _manifests(p, "v1")})
            assert run_inprocess(c.env, "apply", str(m), "--auto-approve").code == 0
            (m / "all.yaml").write_text(_manifests(p, "v2"))
            assert run_inprocess(c.env, "apply", str(m), "--auto-approve").code == 0
            return m

        m = deployed("x0")
        proxy.reset_counts()
        r = run_inprocess(c.env, "destroy", str(m), "--auto-approve")
        assert r.code == 0 and _left(boto, "x0") == [], r.text
        ops = [q.op for q in proxy.ops(mutating=True)]
        assert "DeleteEndpoint" in ops and ops.count("DeleteModel") == 2, ops
        for k in range(1, len(ops) + 1):
            p = f"x{k}"
            m = deployed(p)
            done = kill_at_mutating_request(c.env, proxy, k, "destroy", str(m), "--auto-approve")
            assert [q.op for q in done] == ops[:k]
            r = run_inprocess(c.env, "destroy", str(m), "--auto-approve")
            assert r.code == 0, f"kill point {k} ({ops[k - 1]}): {r.text}"
            assert _left(boto, p) == [], f"kill point {k} ({ops[k - 1]})"
    finally:
        proxy.stop()
