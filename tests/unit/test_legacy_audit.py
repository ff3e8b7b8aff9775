"""The legacy write-audit mapper (tests/support/legacy_audit.py), still used for the steps of kinds not yet
planned as operations: each write to its plan step by naming rules, violations named."""

from __future__ import annotations

import pytest

from tests.support.legacy_audit import Knowledge, _command, _option, check, check_only


def step(kind: str, name: str, action: str = "create", **extra):  # type: ignore[no-untyped-def]
    return {"kind": kind, "name": name, "action": action, **extra}


def write(service: str, operation: str, ids=None, tags=None, answer=None, seq=1, status=200):  # type: ignore[no-untyped-def]
    return {"seq": seq, "service": service, "operation": operation, "class": "write", "status": status,
            "ids": ids or {}, "tags": tags or {}, "answer": answer or {}}


def codes(violations) -> list[str]:  # type: ignore[no-untyped-def]
    return [v.code for v in violations]


def test_a_write_to_a_resource_the_plan_does_not_list_is_flagged():
    plan = {"steps": [step("Role", "app")]}
    writes = [write("iam", "CreateRole", {"RoleName": "app"}),
              write("iam", "DeleteRole", {"RoleName": "someone-elses"}, seq=2)]
    found = check(plan, writes, succeeded=True)
    assert codes(found) == ["unplanned"]
    assert "iam:DeleteRole(RoleName=someone-elses)" in str(found[0]) and "Role/app (create)" in str(found[0])


def test_a_noop_step_that_writes_is_flagged():
    plan = {"steps": [step("Role", "app", "noop"), step("Policy", "read", "update")]}
    writes = [write("iam", "CreatePolicyVersion", {"PolicyArn": "arn:aws:iam::1:policy/read"}),
              write("iam", "TagRole", {"RoleName": "app"}, seq=2)]
    found = check(plan, writes, succeeded=True)
    assert codes(found) == ["noop-wrote"]
    assert "Role/app, planned as no-op" in str(found[0])


def test_a_planned_step_that_wrote_nothing_is_flagged_only_when_the_command_succeeded():
    plan = {"steps": [step("Role", "app"), step("User", "ci")]}
    writes = [write("iam", "CreateRole", {"RoleName": "app"})]
    assert codes(check(plan, writes, succeeded=True)) == ["step-without-writes"]
    assert check(plan, writes, succeeded=False) == []


def test_no_plan_allows_only_the_lock():
    lock = write("dynamodb", "PutItem", {"TableName": "locks", "LockID": "s/acct"})
    assert check(None, [lock], succeeded=True) == []
    assert codes(check(None, [lock, write("iam", "CreateRole", {"RoleName": "x"}, seq=2)], succeeded=True)) == \
        ["unplanned"]


def test_children_belong_to_their_parent_step():
    plan = {"steps": [
        step("Role", "exec"), step("User", "ci", desired={"accessKey": "secretsManager:ci-key"}),
        step("Endpoint", "twin", "update"), step("HttpApi", "gen"), step("Function", "fn", "update"),
        step("Policy", "read", "delete", changes=[{"path": "x", "before": "y", "after": None}]),
    ]}
    know = Knowledge()
    writes = [
        write("iam", "PutRolePolicy", {"RoleName": "exec", "PolicyName": "inline"}),
        write("iam", "AttachRolePolicy", {"RoleName": "exec", "PolicyArn": "arn:aws:iam::1:policy/other"}),
        write("iam", "CreateAccessKey", {"UserName": "ci"}),
        write("secretsmanager", "CreateSecret", {"Name": "ci-key"}),
        write("secretsmanager", "PutSecretValue", {"SecretId": "arn:aws:secretsmanager:r:1:secret:ci-key-AbCdEf"}),
        write("sagemaker", "CreateModel", {"ModelName": "twin-0123456789"}, {"reconciler:endpoint": "twin"}),
        write("sagemaker", "DeleteEndpointConfig", {"EndpointConfigName": "twin-abcdefabcd"}),
        write("sagemaker", "CreateInferenceComponent", {"InferenceComponentName": "twin-ic", "EndpointName": "twin"}),
        write("sagemaker", "AddTags", {"ResourceArn": "arn:aws:sagemaker:r:1:endpoint/twin"}),
        write("apigatewayv2", "CreateApi", {"Name": "gen"}, answer={"ApiId": "a1b2c3"}),
        write("apigatewayv2", "CreateRoute", {"ApiId": "a1b2c3"}),
        write("lambda", "AddPermission", {"FunctionName": "arn:aws:lambda:r:1:function:other",
                                          "StatementId": "reconcile-a1b2c3-0123456789ab"}),
        write("lambda", "UpdateFunctionCode", {"FunctionName": "fn"}),
        write("lambda", "TagResource", {"Resource": "arn:aws:lambda:r:1:function:fn"}),
        write("iam", "DeletePolicy", {"PolicyArn": "arn:aws:iam::1:policy/path/read"}),
    ]
    assert check(plan, writes, succeeded=True, know=know) == []
    # a model of another endpoint, a secret no user stores its key in: not this plan's
    other = [write("sagemaker", "DeleteModel", {"ModelName": "twin2-0123456789"}),
             write("secretsmanager", "DeleteSecret", {"SecretId": "hf-token"})]
    assert codes(check(plan, writes + other, succeeded=True, know=Knowledge())) == ["unplanned", "unplanned"]


def test_step_operations_when_listed_are_matched_exactly():
    plan = {"steps": [step("Endpoint", "twin", "update",
                           operations=[{"service": "sagemaker", "action": "CreateEndpointConfig"},
                                       {"service": "sagemaker", "action": "UpdateEndpoint"}])]}
    ok = [write("sagemaker", "CreateEndpointConfig", {"EndpointConfigName": "twin-0123456789"}),
          write("sagemaker", "UpdateEndpoint", {"EndpointName": "twin"}, seq=2)]
    assert check(plan, ok, succeeded=True) == []
    extra = write("sagemaker", "DeleteModel", {"ModelName": "twin-0123456789"}, seq=3)
    assert codes(check(plan, [*ok, extra], succeeded=True)) == ["not-in-operations"]


def test_rollback_may_write_only_its_endpoint():
    assert check_only([write("sagemaker", "UpdateEndpoint", {"EndpointName": "llm"})], [("Endpoint", "llm")]) == []
    assert codes(check_only([write("sagemaker", "UpdateEndpoint", {"EndpointName": "other"})],
                            [("Endpoint", "llm")])) == ["unplanned"]


def test_rollback_of_one_component_may_write_only_that_component():
    arn = "arn:aws:sagemaker:us-east-1:123456789012:inference-component/chat"
    mine = [write("sagemaker", "AddTags", {"ResourceArn": arn}),
            write("sagemaker", "UpdateInferenceComponent", {"InferenceComponentName": "chat"}, seq=2)]
    assert check_only(mine, [("InferenceComponent", "chat")]) == []
    assert codes(check_only([write("sagemaker", "UpdateInferenceComponent", {"InferenceComponentName": "hand"})],
                            [("InferenceComponent", "chat")])) == ["unplanned"]
    assert codes(check_only([write("sagemaker", "UpdateEndpoint", {"EndpointName": "llm"})],
                            [("InferenceComponent", "chat")])) == ["unplanned"]
    args = ("rollback", "llm", "--inference-component", "chat", "-f", "m")
    assert _command(args) == ("rollback", ["llm"]) and _option(args, "--inference-component") == "chat"
    assert _option(("rollback", "llm", "--inference-component=chat"), "--inference-component") == "chat"
    assert _option(("rollback", "llm"), "--inference-component") is None


@pytest.mark.parametrize(("args", "command", "positional"), [
    (("apply", "m", "--auto-approve"), "apply", ["m"]),
    (("--concurrency", "1", "rollback", "llm", "-f", "m"), "rollback", ["llm"]),
    (("invoke", "llm", "--prompt", "apply"), "invoke", ["llm"]),
])
def test_the_command_is_found_among_options(args, command, positional):
    assert _command(args) == (command, positional)


def test_a_tags_only_update_may_only_tag():
    """Adopting a resource that already matches plans tags only: a redeploy under it is flagged."""
    tags = [{"path": "tags.reconciler:stack", "op": "add", "before": None, "after": "s"}]
    plan = {"steps": [step("Endpoint", "twin", "update", changes=tags)]}
    ok = [write("sagemaker", "AddTags", {"ResourceArn": "arn:aws:sagemaker:r:1:endpoint/twin"})]
    assert check(plan, ok, succeeded=True) == []
    redeploy = [write("sagemaker", "CreateModel", {"ModelName": "twin-0123456789"}, {"reconciler:endpoint": "twin"}),
                write("sagemaker", "UpdateEndpoint", {"EndpointName": "twin"}, seq=2)]
    assert codes(check(plan, ok + redeploy, succeeded=True)) == ["beyond-changes", "beyond-changes"]


def test_an_update_that_deletes_its_own_resource_is_a_replace_the_plan_did_not_show():
    plan = {"steps": [step("Endpoint", "twin", "update"), step("Role", "old", "delete")]}
    writes = [write("sagemaker", "DeleteEndpoint", {"EndpointName": "twin"}),
              write("sagemaker", "CreateEndpoint", {"EndpointName": "twin"}, seq=2),
              write("iam", "DeleteRole", {"RoleName": "old"}, seq=3)]
    assert codes(check(plan, writes, succeeded=True)) == ["action-not-planned"]
    replace = {"steps": [step("Endpoint", "twin", "replace"), step("Role", "old", "delete")]}
    assert check(replace, writes, succeeded=True) == []
    recreate = [write("iam", "CreateRole", {"RoleName": "old"})]
    assert codes(check({"steps": [step("Role", "old", "delete")]}, recreate, succeeded=True)) == ["action-not-planned"]


def test_a_failed_command_may_take_back_only_the_tags_it_wrote_itself():
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/twin"
    plan = {"steps": [step("Endpoint", "twin", "update",
                           operations=[{"service": "sagemaker", "action": "AddTags"},
                                       {"service": "sagemaker", "action": "UpdateEndpoint"}])]}
    tag = write("sagemaker", "AddTags", {"ResourceArn": arn})
    untag = write("sagemaker", "DeleteTags", {"ResourceArn": arn}, seq=3)
    update = write("sagemaker", "UpdateEndpoint", {"EndpointName": "twin"}, seq=2)
    # the update failed and the rollback record is put back: AWS is as the command found it
    assert check(plan, [tag, update, untag], succeeded=False) == []
    # the same DeleteTags without the command's own AddTags first, or in a run that succeeded, is not that
    assert codes(check(plan, [update, untag], succeeded=False)) == ["not-in-operations"]
    assert "not-in-operations" in codes(check(plan, [tag, update, untag], succeeded=True))


def test_scale_to_zero_alarms_and_scheduled_actions_belong_to_their_endpoint_and_no_other_alarm_does():
    ops = [{"service": s, "action": a} for s, a in (
        ("cloudwatch", "DeleteAlarms"), ("application-autoscaling", "DeregisterScalableTarget"),
        ("application-autoscaling", "PutScheduledAction"), ("cloudwatch", "PutMetricAlarm"))]
    plan = {"steps": [step("Endpoint", "twin", "update", operations=ops)]}
    rid = {"ServiceNamespace": "sagemaker", "ResourceId": "inference-component/twin-ic"}
    ok = [write("cloudwatch", "PutMetricAlarm", {"AlarmName": "reconciler-scale-from-zero-twin-ic"}),
          write("cloudwatch", "DeleteAlarms", {"AlarmNames": ["reconciler-scale-from-zero-twin-ic"]}, seq=2),
          write("application-autoscaling", "PutScheduledAction", {**rid, "ScheduledActionName": "reconciler-a"}, seq=3)]
    assert check(plan, ok, succeeded=True) == []
    similar = write("cloudwatch", "DeleteAlarms", {"AlarmNames": ["twin-ic-scale-from-zero"]}, seq=4)
    assert codes(check(plan, [*ok, similar], succeeded=True)) == ["unplanned"]
    unlisted = write("application-autoscaling", "DeleteScheduledAction", {**rid, "ScheduledActionName": "x"}, seq=5)
    assert codes(check(plan, [*ok, unlisted], succeeded=True)) == ["not-in-operations"]
