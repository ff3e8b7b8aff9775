"""The plan is the program, for endpoints (issue 22): apply does exactly what the plan lists, no more.

Two holes the issue names, each through the CLI against the sandbox:
- a Failed endpoint is replaced (DeleteEndpoint, wait until gone, create: interrupting serving) only where a
  plan listed it so; an apply whose plan only waited for the endpoint to come up never deletes it;
- after `reconcile rollback`, the plan back to the manifest lists no CreateModel for the model that exists,
  and its apply makes exactly the writes the plan lists.
"""

from __future__ import annotations

import json
import time

from tests.support.manifests import llm_endpoint, sagemaker_role, write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: prog}\n"


def _files(model: str) -> dict[str, str]:
    return {"stack.yaml": STACK, "iam.yaml": sagemaker_role("prog-exec"),
            "endpoint.yaml": llm_endpoint("prog-llm", "prog-exec", model)}


def _writes(cli) -> list[str]:  # type: ignore[no-untyped-def]
    """The AWS writes of the last command, in order (the stack lock's aside)."""
    from tests.support import audit

    return [r["operation"] for r in audit.current().latest_writes() if r.get("service") != "dynamodb"]


def _status(sm) -> str:  # type: ignore[no-untyped-def]
    return sm.describe_endpoint(EndpointName="prog-llm")["EndpointStatus"]


def test_a_failed_endpoint_is_replaced_only_where_a_plan_says_so(cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 12, "update_seconds": 0.2, "delete_seconds": 0.2})
    moto_server.post("/reconcile-sandbox/sagemaker/faults", {"endpoint": "prog-llm", "on": "create", "mode": "fail",
                                                             "reason": "CannotStartContainerError: out of memory"})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    sm = boto("sagemaker")
    m = write(tmp_path / "m", _files("org/model"))
    # the first apply stops waiting while the endpoint is still Creating (it will end Failed)
    r = cli("apply", str(m), "--auto-approve", env={"RECONCILE_WAIT_TIMEOUT": "1"})
    assert r.code == 1 and "still Creating" in r.err, r.text
    # the next apply plans a wait for it (nothing else); it ends Failed: the apply fails and deletes nothing
    r = cli("apply", str(m), "--auto-approve")
    assert "Wait EndpointInService prog-llm" in r.out and "DeleteEndpoint" not in r.out, r.text
    assert r.code == 1 and "endpoint is Failed: CannotStartContainerError: out of memory" in r.err, r.text
    assert "DeleteEndpoint" not in _writes(cli) and "CreateEndpoint" not in _writes(cli), _writes(cli)
    assert _status(sm) == "Failed"
    # now the plan says what it takes: a replace that interrupts serving
    moto_server.post("/reconcile-sandbox/sagemaker/config", {"create_seconds": 0.2})
    r = cli("plan", str(m), "--out", str(tmp_path / "replace.json"))
    assert r.code == 0, r.text
    assert "-/+ Endpoint/prog-llm" in r.out and "CannotStartContainerError" in r.out, r.out
    lines = r.out.splitlines()
    delete = next(x for x in lines if "! DeleteEndpoint prog-llm" in x)
    assert "[interrupts serving]" in delete, r.out
    order = [next(i for i, x in enumerate(lines) if what in x) for what in (
        "! DeleteEndpoint prog-llm", "> Wait EndpointDeleted prog-llm", "> CreateEndpoint prog-llm",
        "> Wait EndpointInService prog-llm")]
    assert order == sorted(order), r.out
    r = cli("apply", str(tmp_path / "replace.json"))
    assert r.code == 0, r.text
    assert _writes(cli) == ["DeleteEndpoint", "CreateEndpoint"], _writes(cli)  # the model and config are used again
    assert _status(sm) == "InService"
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text


def test_after_a_rollback_the_plan_creates_nothing_that_exists_and_apply_does_what_it_lists(
        cli, boto, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    sm = boto("sagemaker")
    m = write(tmp_path / "m", _files("org/model-v1"))
    assert cli("apply", str(m), "--auto-approve").code == 0
    first = sm.describe_endpoint(EndpointName="prog-llm")["EndpointConfigName"]
    (m / "endpoint.yaml").write_text(llm_endpoint("prog-llm", "prog-exec", "org/model-v2"))
    assert cli("apply", str(m), "--auto-approve").code == 0
    second = sm.describe_endpoint(EndpointName="prog-llm")["EndpointConfigName"]
    r = cli("rollback", "prog-llm", "--auto-approve", "-f", str(m))
    assert r.code == 0, r.text
    assert sm.describe_endpoint(EndpointName="prog-llm")["EndpointConfigName"] == first

    # the manifests still say v2, whose model and config exist (kept as the rollback point): none is created
    r = cli("plan", str(m), "--out", str(tmp_path / "forward.json"))
    assert r.code == 0, r.text
    assert "> UpdateEndpoint prog-llm" in r.out, r.out
    assert "CreateModel" not in r.out and "CreateEndpointConfig" not in r.out, r.out
    plan = json.loads((tmp_path / "forward.json").read_text())
    [step] = [s for s in plan["steps"] if s["kind"] == "Endpoint"]
    listed = [o["action"] for o in step["operations"] if o["action"] != "Wait"]
    r = cli("apply", str(tmp_path / "forward.json"))
    assert r.code == 0, r.text
    assert _writes(cli) == listed == ["AddTags", "UpdateEndpoint"], (_writes(cli), listed)
    d = sm.describe_endpoint(EndpointName="prog-llm")
    assert d["EndpointConfigName"] == second
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=d["EndpointArn"])["Tags"]}
    assert tags["reconciler:previous-config"] == first  # the rollback point swapped again
    for _ in range(40):  # (the sandbox's update is timed: plan once it settled)
        if _status(sm) == "InService":
            break
        time.sleep(0.05)
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
