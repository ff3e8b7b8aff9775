"""The write audit as a comparison (tests/support/audit.py): a run's recorded writes equal its plan's operations
— operation, target, count, and order within a step — with no guessing and no allow-list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import audit
from tests.support.audit import compare


@pytest.fixture(autouse=True)
def every_kind_plans_its_operations(monkeypatch):  # type: ignore[no-untyped-def]
    """(Until every kind is converted, steps of the others go to tests/support/legacy_audit.py.)"""
    monkeypatch.setattr(audit, "_program", lambda kind: True)


def op(action: str, target: str, service: str = "iam", **request: Any) -> dict[str, Any]:
    return {"service": service, "action": action, "target": target, "request": request}


def step(kind: str, name: str, *ops: dict[str, Any], action: str = "update") -> dict[str, Any]:
    return {"kind": kind, "name": name, "action": action, "operations": list(ops)}


def rec(operation: str, seq: int, status: int = 200, service: str = "iam", **ids: Any) -> dict[str, Any]:
    return {"seq": seq, "service": service, "operation": operation, "class": "write", "status": status, "ids": ids}


def codes(found) -> list[str]:  # type: ignore[no-untyped-def]
    return [v.code for v in found]


ROLE = step("Role", "app", op("CreateRole", "app", RoleName="app"), op("PutRolePolicy", "app/logs", RoleName="app",
            PolicyName="logs"), action="create")
ROLE_WRITES = [rec("CreateRole", 1, RoleName="app"), rec("PutRolePolicy", 2, RoleName="app", PolicyName="logs")]


def test_the_planned_writes_in_order_pass():
    assert compare([{"steps": [ROLE]}], ROLE_WRITES, succeeded=True) == []


def test_a_write_the_plan_does_not_list_is_unplanned():
    found = compare([{"steps": [ROLE]}], [*ROLE_WRITES, rec("DeleteRole", 3, RoleName="someone-elses")], True)
    assert codes(found) == ["unplanned"] and "iam:DeleteRole(RoleName=someone-elses)" in str(found[0])


def test_five_calls_against_one_planned_are_four_too_many():
    plan = {"steps": [step("Role", "app", op("UpdateRole", "app", RoleName="app"))]}
    writes = [rec("UpdateRole", n, RoleName="app") for n in range(1, 6)]
    assert codes(compare([plan], writes, succeeded=True)) == ["extra"] * 4


def test_a_planned_step_that_writes_nothing_fails_a_run_that_succeeded():
    assert codes(compare([{"steps": [ROLE]}], [], succeeded=True)) == ["not-done", "not-done"]
    assert compare([{"steps": [ROLE]}], ROLE_WRITES[:1], succeeded=False) == []  # a failed run stopped there


def test_the_order_within_a_step_is_the_plan_s():
    found = compare([{"steps": [ROLE]}], list(reversed([dict(r, seq=n) for n, r in enumerate(ROLE_WRITES, 1)])), True)
    assert codes(found) == ["out-of-order"] and "operation 2 (PutRolePolicy app/logs)" in str(found[0])


def test_steps_of_one_layer_may_interleave():
    user = step("User", "ci", op("CreateUser", "ci", UserName="ci"), op("TagUser", "ci", UserName="ci"),
                action="create")
    writes = [rec("CreateRole", 1, RoleName="app"), rec("CreateUser", 2, UserName="ci"),
              rec("PutRolePolicy", 3, RoleName="app", PolicyName="logs"), rec("TagUser", 4, UserName="ci")]
    assert compare([{"steps": [ROLE, user]}], writes, succeeded=True) == []


def test_a_call_sent_again_after_an_error_is_one_call():
    retried = [rec("CreateRole", 1, 500, RoleName="app"), rec("CreateRole", 2, RoleName="app"),
               rec("PutRolePolicy", 3, RoleName="app", PolicyName="logs")]
    assert compare([{"steps": [ROLE]}], retried, succeeded=True) == []
    lost_answer = [rec("CreateRole", 1, RoleName="app"), rec("CreateRole", 2, 409, RoleName="app"),
                   rec("PutRolePolicy", 3, RoleName="app", PolicyName="logs")]
    assert compare([{"steps": [ROLE]}], lost_answer, succeeded=True) == []


def test_a_run_without_a_plan_writes_nothing_but_its_lock():
    lock = {"seq": 1, "service": "dynamodb", "operation": "PutItem", "class": "write", "status": 200,
            "ids": {"TableName": "locks", "LockID": "stack"}}
    assert compare([], [lock], succeeded=True) == []
    found = compare([], [rec("TagRole", 2, RoleName="app")], succeeded=True)
    assert codes(found) == ["unplanned"] and "executed no plan" in str(found[0])


def test_waits_local_files_and_noop_steps_expect_no_write():
    plan = {"steps": [step("User", "ci", op("CreateAccessKey", "ci", UserName="ci"),
                           op("WriteSecretFile", "k.json", service="local", Path="k.json"),
                           {"service": "sagemaker", "action": "Wait", "target": "x", "request": {"for": "EndpointInService"}}),
                      step("Role", "app", action="noop")]}
    assert compare([plan], [rec("CreateAccessKey", 1, UserName="ci")], succeeded=True) == []
    assert codes(compare([plan], [rec("CreateAccessKey", 1, UserName="ci"), rec("TagRole", 2, RoleName="app")],
                         succeeded=True)) == ["unplanned"]


def test_a_value_known_only_at_apply_matches_whatever_aws_chose():
    api = step("HttpApi", "web", op("CreateApi", "web", service="apigatewayv2", Name="web"),
               op("CreateStage", "web/$default", service="apigatewayv2", ApiId={"$output": "api", "path": "ApiId"},
                  StageName="$default"), action="create")
    writes = [rec("CreateApi", 1, service="apigatewayv2", Name="web"),
              rec("CreateStage", 2, service="apigatewayv2", ApiId="a1b2c3", StageName="$default")]
    assert compare([{"steps": [api]}], writes, succeeded=True) == []
    wrong = [writes[0], rec("CreateStage", 2, service="apigatewayv2", ApiId="a1b2c3", StageName="prod")]
    assert codes(compare([{"steps": [api]}], wrong, succeeded=True)) == ["unplanned", "not-done"]


UPDATE = step("Endpoint", "llm", op("AddTags", "llm", "sagemaker", ResourceArn="arn:llm"),
              {**op("UpdateEndpoint", "llm", "sagemaker", EndpointName="llm"),
               "on_failure": [op("DeleteTags", "llm", "sagemaker", ResourceArn="arn:llm"),
                              op("DeleteEndpointConfig", "llm-2", "sagemaker", EndpointConfigName="llm-2")]},
              op("DeleteEndpointConfig", "llm-1", "sagemaker", EndpointConfigName="llm-1"))


def test_an_operation_s_on_failure_writes_belong_to_a_run_it_failed():
    """UpdateEndpoint failed: its compensations (in order) are planned writes; the step's later ones are not done."""
    failed = [rec("AddTags", 1, service="sagemaker", ResourceArn="arn:llm"),
              rec("UpdateEndpoint", 2, 400, service="sagemaker", EndpointName="llm"),
              rec("DeleteTags", 3, service="sagemaker", ResourceArn="arn:llm"),
              rec("DeleteEndpointConfig", 4, service="sagemaker", EndpointConfigName="llm-2")]
    assert compare([{"steps": [UPDATE]}], failed, succeeded=False) == []
    # …but not in a run that succeeded, nor before the operation they undo was reached, nor twice
    assert "unplanned" in codes(compare([{"steps": [UPDATE]}], failed, succeeded=True))
    early = [rec("DeleteTags", 1, service="sagemaker", ResourceArn="arn:llm")]
    assert codes(compare([{"steps": [UPDATE]}], early, succeeded=False)) == ["unplanned"]
    twice = [*failed, rec("DeleteTags", 5, service="sagemaker", ResourceArn="arn:llm")]
    assert codes(compare([{"steps": [UPDATE]}], twice, succeeded=False)) == ["unplanned"]
