"""Operation.on_failure: what apply undoes when an operation fails with a known outcome (an update AWS rolled
back puts its rollback record back), shown in the plan and compared like every other part of it."""

from __future__ import annotations

import pytest

from reconciler import interpreter, ops
from reconciler.errors import AwsError, Unsettled
from reconciler.freshness import differences
from reconciler.kinds.base import ApplyContext
from reconciler.plan import Action, Operation, Plan, Step
from reconciler.render.common import operation_lines


def _note(n: str) -> Operation:
    return Operation(service="local", action="Note", target="x", request={"n": n})


def _step(fails: type[Exception] | None) -> Step:
    undo = (_note("undo-1"), Operation(service="local", action="Broken", target="x"), _note("undo-2"))
    failing = Operation(service="local", action="Boom" if fails else "Note", target="x",
                        request={"n": "update"}, on_failure=undo)
    return Step(kind="Endpoint", name="x", action=Action.update, reason="r",
                operations=(_note("before"), failing, _note("after")))


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    notes: list[str] = []
    monkeypatch.setitem(interpreter.LOCAL, "Note", lambda r: notes.append(r["n"]))
    monkeypatch.setitem(interpreter.LOCAL, "Broken", lambda r: (_ for _ in ()).throw(AwsError("Failed to put back")))
    return notes


def _ctx(log: list[str]) -> ApplyContext:
    return ApplyContext(aws=None, stack="s", account="1", region="r", progress=log.append)


@pytest.mark.parametrize("error", [AwsError, Unsettled])
def test_compensations_run_on_a_known_failure_only_then_the_step_stops(monkeypatch, seen, error):
    def boom(_request):  # type: ignore[no-untyped-def]
        raise error("Failed to update Endpoint/x: the update was rolled back")

    monkeypatch.setitem(interpreter.LOCAL, "Boom", boom)
    log: list[str] = []
    with pytest.raises(error, match="rolled back"):
        interpreter.run(_step(error), _ctx(log))
    if error is Unsettled:  # (a wait that timed out: AWS still works on it; nothing is undone)
        assert seen == ["before"]
    else:  # in order, best effort: one that fails is reported and the next still runs
        assert seen == ["before", "undo-1", "undo-2"]
        assert any("could not Broken x after the failure: Failed to put back" in x for x in log), log


def test_no_compensation_when_nothing_fails(seen):
    interpreter.run(_step(None), _ctx([]))
    assert seen == ["before", "update", "after"]


def test_the_plan_shows_them_and_a_saved_plan_compares_them():
    evidence = ops.by_tags({"reconciler:stack": "s"}, "2026-01-01T00:00:00+00:00")
    undo = ops.call("sagemaker", "AddTags", "x", {"Tags": [{"Key": "reconciler:previous-config", "Value": "c0"}]},
                    resource="arn:x", ownership=evidence)
    step = Step(kind="Endpoint", name="x", action=Action.update, reason="r", operations=(
        ops.call("sagemaker", "UpdateEndpoint", "x", {"EndpointName": "x"}, on_failure=(undo,)),))
    assert ("> ", "  if it fails: AddTags x") == (operation_lines(step)[1][0] + " ", operation_lines(step)[1][1])
    plan = Plan(stack="s", account="1", region="r", steps=(step,))

    def again(**change: object) -> Plan:
        u = undo.model_copy(update=change)
        return plan.model_copy(update={"steps": (step.model_copy(update={"operations": (
            step.operations[0].model_copy(update={"on_failure": (u,)}),)}),)})

    later = evidence.model_copy(update={"read_at": "2026-01-01T00:05:00+00:00"})
    assert differences(plan, again(ownership=later)) == []  # (when the evidence was read is not what the plan does)
    [found] = differences(plan, again(request={"Tags": [{"Key": "reconciler:previous-config", "Value": "c9"}]}))
    assert "on_failure differs" in found
