"""Orphans are never silent (issue 10, point 5): every plan lists owned resources the manifests no
longer declare, counts them, and --detailed-exitcode exits 2 while any exist; Stack spec.prune: true
makes apply delete them."""

from __future__ import annotations

import json

from tests.support.manifests import LLM_EXEC_ROLE, TWIN_ENDPOINT, write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: orph}\n"
ROLE = LLM_EXEC_ROLE


def _fast(cli, moto_server):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.1, "update_seconds": 0.1, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"


def test_renamed_endpoint_is_listed_counted_and_exits_2(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    m = write(tmp_path / "m", {"stack.yaml": STACK, "iam.yaml": ROLE,
                               "endpoint.yaml": TWIN_ENDPOINT})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text

    (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text().replace("name: twin", "name: twin-renamed"))
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert "will be deleted by `reconcile prune`" in r.out and "Endpoint/twin\n" in r.out + "\n"
    assert "1 to create" in r.out and "1 orphaned" in r.out, r.out

    # prune is off: a saved plan lists the orphan but holds no delete; applying it creates the new endpoint only
    r = cli("plan", str(m), "--out", str(tmp_path / "plan.json"))
    assert r.code == 0, r.text
    saved = json.loads((tmp_path / "plan.json").read_text())
    assert [s["action"] for s in saved["steps"] if s["action"] != "noop"] == ["create"]
    r = cli("apply", str(tmp_path / "plan.json"), "--auto-approve")
    assert r.code == 0 and "Apply complete: 1 created." in r.out, r.text
    assert boto("sagemaker").describe_endpoint(EndpointName="twin")["EndpointStatus"] == "InService"

    # the next plan does not say "No changes": the old endpoint is listed, counted, exit 2
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert "No changes. Live AWS matches" not in r.out
    assert "1 orphaned" in r.out and "Endpoint/twin" in r.out
    r = cli("plan", str(m), "--format", "markdown")
    assert r.code == 0 and "will be deleted by `reconcile prune`" in r.out and "`Endpoint/twin`" in r.out, r.out
    r = cli("plan", str(m), "--format", "json")
    orphans = json.loads(r.out)["orphans"]
    assert [(o["kind"], o["name"], o["deleted"]) for o in orphans] == [("Endpoint", "twin", False)]


def test_stack_spec_prune_makes_apply_delete_orphans(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    m = write(tmp_path / "m", {"stack.yaml": STACK, "iam.yaml": ROLE,
                               "endpoint.yaml": TWIN_ENDPOINT,
                               "extra.yaml": ROLE.replace("llm-exec", "left-over")})
    assert cli("apply", str(m), "--auto-approve").code == 0
    (m / "extra.yaml").unlink()
    (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text().replace("name: twin", "name: twin2"))
    (m / "stack.yaml").write_text(STACK + "spec: {prune: true}\n")

    # the plan shows the deletes as steps (what apply will do), saved and applied as is
    plan_file = tmp_path / "plan.json"
    r = cli("plan", str(m), "--out", str(plan_file), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert "- Endpoint/twin" in r.out and "- Role/left-over" in r.out, r.out
    assert "1 to create" in r.out and "2 to delete" in r.out and "orphaned" not in r.out, r.out
    r = cli("apply", str(plan_file), "--auto-approve")
    assert r.code == 0, r.text
    assert "Apply complete: 1 created, 2 deleted." in r.out, r.out
    names = [e["EndpointName"] for e in boto("sagemaker").list_endpoints()["Endpoints"]]
    assert names == ["twin2"]
    roles = [x["RoleName"] for x in boto("iam").list_roles()["Roles"]]
    assert "left-over" not in roles and "llm-exec" in roles
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text


def test_spec_prune_keeps_a_protected_orphan_and_lists_it(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    keep = ROLE.replace("llm-exec", "guarded").replace(
        "metadata: {name: guarded}", "metadata: {name: guarded, annotations: {reconciler/prevent-destroy: \"true\"}}")
    m = write(tmp_path / "m", {"stack.yaml": STACK + "spec: {prune: true}\n", "iam.yaml": ROLE, "keep.yaml": keep})
    assert cli("apply", str(m), "--auto-approve").code == 0
    (m / "keep.yaml").unlink()
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "Role/guarded" in r.out and "prevent-destroy" in r.out
    assert "guarded" in [x["RoleName"] for x in boto("iam").list_roles()["Roles"]]
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 2 and "1 orphaned" in r.out, r.text


def test_a_pruned_policy_is_not_detached_again_from_the_role_and_user_pruned_before_it(cli, boto, tmp_path):
    """Roles and users are deleted a layer before policies, each detaching its own policies first: the policy's
    delete plans no detach from them (AWS would answer NoSuchEntity), only from what stays. The write audit
    compares the run's writes with the plan's operations."""
    from tests.support.manifests import reader_role_user

    kept = ("apiVersion: reconciler/v1\nkind: Role\nmetadata: {name: pr-kept}\nspec:\n"
            "  assumedBy: [sagemaker.amazonaws.com]\n  managedPolicies: [pr-read]\n")
    m = write(tmp_path / "m", {"stack.yaml": STACK, "iam.yaml": reader_role_user("pr"), "kept.yaml": kept})
    assert cli("apply", str(m), "--auto-approve").code == 0
    (m / "iam.yaml").unlink()  # the policy, the role and the user leave; pr-kept stays, without the policy
    (m / "kept.yaml").write_text(kept.replace("  managedPolicies: [pr-read]\n", ""))
    assert cli("apply", str(m), "--auto-approve").code == 0  # (pr-kept lets go of the policy)
    boto("iam").attach_role_policy(RoleName="pr-kept", PolicyArn="arn:aws:iam::123456789012:policy/pr-read")
    r = cli("plan", str(m), "--prune", "--format", "json")  # … which someone attached again by hand
    assert r.code == 0, r.text
    steps = {f"{s['kind']}/{s['name']}": s for s in json.loads(r.out)["steps"] if s["action"] == "delete"}
    assert set(steps) == {"Policy/pr-read", "Role/pr-exec", "User/pr-deployer"}, steps
    assert steps["Role/pr-exec"]["layer"] < steps["Policy/pr-read"]["layer"] > steps["User/pr-deployer"]["layer"]
    assert [o["action"] for o in steps["Role/pr-exec"]["operations"]].count("DetachRolePolicy") == 1
    assert [(o["action"], o["target"]) for o in steps["Policy/pr-read"]["operations"]
            if o["action"].startswith("Detach")] == [("DetachRolePolicy", "pr-kept/pr-read")]
    r = cli("prune", str(m), "--auto-approve")
    assert r.code == 0, r.text
    iam = boto("iam")
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]] == []
    assert [x["RoleName"] for x in iam.list_roles()["Roles"]] == ["pr-kept"]
    assert iam.list_attached_role_policies(RoleName="pr-kept")["AttachedPolicies"] == []
