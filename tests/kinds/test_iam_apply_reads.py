"""Apply reads only what it needs: what it just created is not read back before its next step; verify reads in bulk."""

from __future__ import annotations

import pytest

from reconciler import pipeline
from tests.kinds.test_iam_bulk import STACK

WRITES = ("create_", "attach_", "put_", "tag_", "update_", "delete_", "detach_", "untag_")
PER_ENTITY_READS = ("iam:list_attached_role_policies", "iam:list_role_policies", "iam:list_attached_user_policies",
                    "iam:list_user_policies", "iam:get_role", "iam:get_user", "iam:get_policy")


@pytest.mark.parametrize("bulk", ["always", "never"])
def test_cold_apply_does_not_read_back_what_it_just_created(stack, monkeypatch, bulk):
    monkeypatch.setenv("RECONCILE_IAM_BULK", bulk)
    stack.write({"s.yaml": STACK})
    p, t, m = pipeline.plan(stack.root, stack.opts)
    plan_calls = dict(t.aws.calls)
    t.aws.calls.clear()
    result = pipeline.apply(p, t, stack.opts, m.stack.name)
    assert result.outcome.ok and result.drift == []
    applied = dict(t.aws.calls)
    writes = sum(n for op, n in applied.items() if op.split(":", 1)[1].startswith(WRITES))
    if bulk == "always":
        # verify re-reads everything in one listing, as plan does: no per-entity reads at all
        assert {op: applied.get(op, 0) for op in PER_ENTITY_READS} == dict.fromkeys(PER_ENTITY_READS, 0)
        assert applied["iam:get_account_authorization_details"] == 1
    else:
        # verify reads one by one (once per entity); creates themselves read nothing back
        for op in ("iam:list_attached_role_policies", "iam:list_role_policies"):
            assert applied[op] == 2, (op, applied)  # two roles, verified once each
    # what a no-change plan reads now is "one plan's reads": apply (with verify) reads no more than that
    _, t2, _ = pipeline.plan(stack.root, stack.opts)
    plan_reads = sum(t2.aws.calls.values())
    reads = sum(applied.values()) - writes
    if bulk == "always":
        assert reads <= plan_reads, (applied, dict(t2.aws.calls))
        cold = sum(plan_calls.values()) + sum(applied.values())  # the whole `reconcile apply` command
        assert cold <= 1.15 * (writes + plan_reads), (plan_calls, applied, dict(t2.aws.calls))
