"""Scale to zero for inference components (AWS: "Scale an endpoint to zero instances").

With ``autoscaling.minCount: 0`` on an inference-component-based endpoint the target tracking policy can
take the component to 0 copies, and managed instance scaling (``instance.managedScaling.minCount: 0``) then
removes the instances. Target tracking cannot scale out from 0 (there is no traffic per copy to track), so
AWS needs, besides the scalable target registered with MinCapacity 0:

- a step-scaling policy ``reconciler-scale-from-zero`` on the component's target (ResourceId
  ``inference-component/NAME``, dimension ``sagemaker:inference-component:DesiredCopyCount``):
  ChangeInCapacity +1, Cooldown 60 s, MetricAggregationType Maximum;
- a CloudWatch alarm ``reconciler-scale-from-zero-<component>`` on ``AWS/SageMaker``
  ``NoCapacityInvocationFailures`` (dimension InferenceComponentName), Maximum over 30 s >= 1, whose
  AlarmActions is the step policy's ARN. A request while there is no copy fails with that metric, the alarm
  fires, the policy adds a copy (and managed scaling an instance).

Ownership: the alarm is created with the stack's ownership tags and ``reconciler:endpoint``; an alarm with
that name but without this stack's tags is never changed or deleted (the plan names the conflict). The
step policy is found by its name on the stack's (tagged) target. Order: the alarm is deleted before its
target is deregistered (AWS deletes the target's policies, not the alarms that name them) and before the
component or endpoint is deleted; it is put after the step policy, whose ARN it names.
"""

from __future__ import annotations

from typing import Any

from reconciler import ops
from reconciler import policy as ownership_policy
from reconciler.aws import cloudwatch as cw
from reconciler.plan import Operation

STEP_POLICY = "reconciler-scale-from-zero"
ALARM_PREFIX = "reconciler-scale-from-zero-"
METRIC, NAMESPACE, DIMENSION = "NoCapacityInvocationFailures", "AWS/SageMaker", "InferenceComponentName"
STEP_CONFIG = {"AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Maximum", "Cooldown": 60,
               "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}
ALARM = {"Namespace": NAMESPACE, "MetricName": METRIC, "Statistic": "Maximum", "Period": 30, "EvaluationPeriods": 1,
         "DatapointsToAlarm": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
         "TreatMissingData": "missing"}


def alarm_name(component: str) -> str:
    return ALARM_PREFIX + component


def wanted(endpoint_type: str, autoscaling: dict[str, Any] | None, component: str | None) -> dict[str, Any] | None:
    """What the plan shows and compares: the step policy and the alarm, or None (no scale to zero)."""
    if endpoint_type != "inference-component-based" or not autoscaling or autoscaling.get("minCount") != 0 \
            or not component:
        return None
    return {"stepPolicy": STEP_POLICY, "alarm": alarm_name(component)}


def alarm_request(component: str, policy_arn: Any, tags: dict[str, str]) -> dict[str, Any]:
    """PutMetricAlarm's request (``policy_arn``: the step policy's ARN, or a reference to the call that puts it)."""
    return {"AlarmName": alarm_name(component), "AlarmDescription": "reconcile: scale inference component "
            f"{component} out from zero copies when a request finds no capacity",
            "Dimensions": [{"Name": DIMENSION, "Value": component}], "AlarmActions": [policy_arn], **ALARM,
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}


def _step_ok(p: dict[str, Any] | None) -> bool:
    cfg = (p or {}).get("StepScalingPolicyConfiguration") or {}
    return p is not None and p.get("PolicyType") == "StepScaling" and all(
        cfg.get(k) == v for k, v in STEP_CONFIG.items() if k != "StepAdjustments") and [
        (float(s.get("MetricIntervalLowerBound", -1)), s.get("ScalingAdjustment")) for s in
        cfg.get("StepAdjustments") or []] == [(0.0, 1)]


def _alarm_ok(a: dict[str, Any], component: str, policy_arn: str | None) -> bool:
    return (policy_arn is not None and a.get("AlarmActions") == [policy_arn]
            and a.get("Dimensions") == [{"Name": DIMENSION, "Value": component}]
            and all(a.get(k) == v for k, v in ALARM.items()))


def read(aws: Any, rid: str, components: list[str], policies: list[dict[str, Any]], stack: str | None
         ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the state the plan compares, facts for the operations). ``policies``: the live policies of ``rid``.
    Facts: ``alarms`` ({name: {arn, tags}}: this stack's alarms of the endpoint's components), ``alarmConflict``
    (an alarm with the derived name that is not this stack's), ``stepPolicyArn`` (its ARN when it is as
    reconcile makes it)."""
    step = next((p for p in policies if p.get("PolicyName") == STEP_POLICY and p.get("ResourceId") == rid), None)
    facts: dict[str, Any] = {"alarms": {}, "alarmConflict": None, "stepPolicyArn": None,
                             "stepPolicyLive": step is not None, "alarmOk": False}
    if step is not None and _step_ok(step):
        facts["stepPolicyArn"] = step.get("PolicyARN")
    if not components:
        return ({"stepPolicy": STEP_POLICY, "alarm": None} if step else None), facts
    c = cw.client(aws)
    main = rid.partition("/")[2]
    alarm_state = None
    for a in cw.alarms(c, [alarm_name(n) for n in components]):
        tags = cw.tags(c, a["AlarmArn"], a["AlarmName"])
        if ownership_policy.owner_of(tags) != stack or stack is None:
            if a["AlarmName"] == alarm_name(main):
                facts["alarmConflict"] = a["AlarmName"]
            continue
        facts["alarms"][a["AlarmName"]] = {"arn": a["AlarmArn"], "tags": tags}
        if a["AlarmName"] == alarm_name(main):
            facts["alarmOk"] = _alarm_ok(a, main, facts["stepPolicyArn"])
            alarm_state = a["AlarmName"] if facts["alarmOk"] else f"{a['AlarmName']} (differs)"
    if step is None and alarm_state is None:
        return None, facts
    return {"stepPolicy": STEP_POLICY if facts["stepPolicyArn"] else ("differs" if step else None),
            "alarm": alarm_state}, facts


def operations(target: Any, want: dict[str, Any] | None, facts: dict[str, Any], target_new: bool) -> list[Operation]:
    """After the target is registered: put the step policy (when missing or changed) and the alarm (when
    missing, changed, or its policy is put again); remove the policy when scale to zero is no longer declared.
    ``target``: the scaling target's calls (``autoscaling.Target``)."""
    out: list[Operation] = []
    component = target.rid.partition("/")[2]
    if want is None:
        if facts.get("stepPolicyLive") and not target_new:
            out.append(target.call("DeleteScalingPolicy", STEP_POLICY, {"PolicyName": STEP_POLICY},
                                   "scale to zero no longer declared"))
        return out
    if facts.get("alarmConflict"):
        return out  # the plan reports the conflict; nothing is put next to someone else's alarm
    put_step = target_new or not facts.get("stepPolicyArn")
    policy_arn: Any = facts.get("stepPolicyArn")
    if put_step:
        out.append(target.call("PutScalingPolicy", STEP_POLICY, {
            "PolicyName": STEP_POLICY, "PolicyType": "StepScaling", "StepScalingPolicyConfiguration": dict(STEP_CONFIG)},
            "step scaling: +1 copy when a request finds no capacity (scale out from zero)", op_id="step-policy"))
        policy_arn = ops.output("step-policy", "PolicyARN")
    if put_step or not facts.get("alarmOk"):
        name = alarm_name(component)
        live = (facts.get("alarms") or {}).get(name)
        evidence = ops.by_tags(live["tags"], target.read_at) if live else target.evidence
        out.append(ops.call(cw.SERVICE, "PutMetricAlarm", name, alarm_request(component, policy_arn, target.tags),
                            resource=live["arn"] if live else None, ownership=evidence,
                            detail=f"{NAMESPACE} {METRIC} >= 1 over 30 s -> {STEP_POLICY}"))
    return out


def alarm_deletions(facts: dict[str, Any], keep: str | None, read_at: str | None) -> list[Operation]:
    """This stack's alarms that go (all but ``keep``), before targets are deregistered and components deleted."""
    return [ops.call(cw.SERVICE, "DeleteAlarms", n, {"AlarmNames": [n]}, resource=a["arn"],
                     ownership=ops.by_tags(a["tags"], read_at), detail="before its scaling target and component go")
            for n, a in sorted((facts.get("alarms") or {}).items()) if n != keep]
