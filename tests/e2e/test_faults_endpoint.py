"""Faults around a SageMaker endpoint: IAM eventual consistency ("Could not assume role" for a freshly
created role), SageMaker's JSON throttling and 5xx while creating and waiting. The apply succeeds and a
re-run converges."""

from __future__ import annotations

from tests.support.faults import Rule, proxied, record_figures, run_inprocess
from tests.support.manifests import llm_endpoint, sagemaker_role, write

FILES = {
    "stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: fep}\n",
    "all.yaml": sagemaker_role("fep-exec") + "---" + llm_endpoint("fep-llm", "fep-exec", "org/model"),
}
FAST = {"create_seconds": 0.3, "update_seconds": 0.3, "delete_seconds": 0.1}


def test_new_role_not_yet_assumable_and_sagemaker_throttling_are_survived(cli, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config", FAST)
    moto_server.post("/reconcile-sandbox/sagemaker/faults", {"role": "*", "seconds": 2})  # IAM propagation lag
    c, proxy = proxied(cli, moto_server)
    env = {**c.env, "RECONCILE_POLL_SECONDS": "0.05"}
    m = write(tmp_path / "m", FILES)
    try:
        rules = [proxy.add(Rule("throttle", match="sagemaker:CreateEndpointConfig", times=2)),
                 # then the config is made but the answer lost: the retry meets "already existing", which is fine
                 proxy.add(Rule("drop-after", match="sagemaker:CreateEndpointConfig", times=1)),
                 proxy.add(Rule("status", match="sagemaker:DescribeEndpoint", status=503,
                                code="ServiceUnavailable", message="Service Unavailable", times=2)),
                 proxy.add(Rule("drop", match="sagemaker:CreateEndpoint", times=1))]
        r = run_inprocess(env, "apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
        assert "SageMaker cannot assume the execution role yet" in r.err
        models = proxy.ops("sagemaker:CreateModel")
        assert len(models) >= 2 and models[0].outcome == "400" and models[-1].outcome == "200", models
        for rule in rules:
            assert rule.injected == rule.times
        assert len(proxy.ops("sagemaker:CreateEndpoint")) == 2  # dropped once, sent again
        assert [q.outcome for q in proxy.ops("sagemaker:CreateEndpointConfig")] == \
            ["throttle", "throttle", "drop-after", "400"]
        r = run_inprocess(env, "plan", str(m), "--detailed-exitcode")
        assert r.code == 0 and "No changes." in r.out, r.text
        lag = len(models) - 1
        record_figures("faults:endpoint", injected=proxy.total_injected + lag, survived=proxy.total_injected + lag)
    finally:
        proxy.stop()
