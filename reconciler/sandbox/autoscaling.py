"""Application Auto Scaling where moto 5.2 is not AWS (AWS-FACTS.md: Autoscaling; the API reference's errors).

- moto knows the scalable dimension ``sagemaker:variant:DesiredInstanceCount`` but not
  ``sagemaker:inference-component:DesiredCopyCount`` (ResourceId ``inference-component/NAME``), so
  RegisterScalableTarget, DescribeScalableTargets, PutScalingPolicy, … refused it: added.
- DeregisterScalableTarget deletes the target's scaling policies and scheduled actions (moto kept them).
- PutScalingPolicy and PutScheduledAction need a registered target (ObjectNotFoundException); a
  StepScaling policy needs StepScalingPolicyConfiguration and a TargetTrackingScaling policy its
  configuration (ValidationException); putting an existing policy again keeps its ARN (moto made a new one,
  which would orphan the CloudWatch alarms that name it).
- PutScheduledAction refuses a schedule that is not ``at(…)``, ``rate(…)`` or ``cron(…)`` with six fields.
- DeleteScalingPolicy / DeleteScheduledAction of one that does not exist: ObjectNotFoundException (moto
  answered ValidationException, or nothing).
- A SageMaker target-tracking policy gets its CloudWatch alarms (``autoscaling_alarms``); targets: tags,
  existence of the resource, deregistration with it, activities (``autoscaling_targets``).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

EXTRA_DIMENSIONS = ("sagemaker:inference-component:DesiredCopyCount",)
SERVICE_LINKED_ROLES = {
    "sagemaker": "arn:aws:iam::{account}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
                 "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
}


class _Dimensions:
    """moto's ScalableDimensionValueSet enum plus the dimensions it lacks (iteration yields ``.value``s)."""

    def __init__(self, enum: Any) -> None:
        self._enum = enum

    def __iter__(self) -> Iterator[Any]:
        yield from self._enum
        for value in EXTRA_DIMENSIONS:
            yield SimpleNamespace(value=value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._enum, name)


def install() -> None:
    """Teach this process's moto the inference-component dimension (idempotent)."""
    from moto.applicationautoscaling import models, responses

    if isinstance(models.ScalableDimensionValueSet, _Dimensions):
        return
    backend = models.ApplicationAutoscalingBackend
    original_register = backend.register_scalable_target

    def register_scalable_target(self: Any, namespace: str, r_id: str, dimension: str, min_capacity: Any,
                                 max_capacity: Any, role_arn: str, *args: Any, **kwargs: Any) -> Any:
        # AWS answers with the service-linked role it uses when the request names none (RoleARN is required)
        role_arn = role_arn or SERVICE_LINKED_ROLES.get(namespace, "").format(account=self.account_id)
        return original_register(self, namespace, r_id, dimension, min_capacity, max_capacity, role_arn,
                                 *args, **kwargs)

    backend.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    _install_rules(backend)
    from reconciler.sandbox import autoscaling_targets

    autoscaling_targets.install_backend(backend)
    autoscaling_targets.install_actions(responses.ApplicationAutoScalingResponse)
    models.ScalableDimensionValueSet = _Dimensions(models.ScalableDimensionValueSet)  # type: ignore[misc,assignment]
    responses.ScalableDimensionValueSet = models.ScalableDimensionValueSet  # type: ignore[attr-defined]


def not_found(message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("ObjectNotFoundException", message)


def schedule_problem(expr: str | None) -> str | None:
    """AWS's refusal of a malformed Schedule (at(yyyy-mm-ddThh:mm:ss), rate(N unit), cron(6 fields))."""
    import re

    expr = expr or ""
    ok = (re.fullmatch(r"at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)", expr)
          or re.fullmatch(r"rate\([1-9]\d* (minute|minutes|hour|hours|day|days)\)", expr)
          or (re.fullmatch(r"cron\((.*)\)", expr) and len(expr[5:-1].split()) == 6))
    return None if ok else f"Unsupported schedule expression: {expr}"


def _install_rules(backend: Any) -> None:
    from moto.applicationautoscaling.exceptions import AWSValidationException

    from reconciler.sandbox.autoscaling_alarms import create_alarms

    def target_or_refuse(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        if not self._scalable_target_exists(r_id, dimension):
            raise not_found(f"No scalable target registered for service namespace: {namespace}, resource ID: "
                             f"{r_id}, scalable dimension: {dimension}")

    original_deregister = backend.deregister_scalable_target

    def deregister_scalable_target(self: Any, namespace: str, r_id: str, dimension: str) -> None:
        original_deregister(self, namespace, r_id, dimension)
        for key, policy in list(self.policies.items()):
            if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
                policy.delete_alarms(self.account_id, self.region_name)
                del self.policies[key]
        self.scheduled_actions = [a for a in self.scheduled_actions if (a.service_namespace, a.resource_id,
                                  a.scalable_dimension) != (namespace, r_id, dimension)]

    original_put_policy = backend.put_scaling_policy

    def put_scaling_policy(self: Any, policy_name: str, service_namespace: str, resource_id: str,
                           scalable_dimension: str, policy_body: Any, policy_type: str | None) -> Any:
        target_or_refuse(self, service_namespace, resource_id, scalable_dimension)
        needs = {"StepScaling": "StepScalingPolicyConfiguration",
                 "TargetTrackingScaling": "TargetTrackingScalingPolicyConfiguration"}.get(policy_type or "")
        tracking = isinstance(policy_body, dict) and "TargetValue" in policy_body
        if needs and (not policy_body or tracking != (policy_type == "TargetTrackingScaling")):
            raise AWSValidationException(f"{needs} is required for a policy of type {policy_type}")
        from moto.applicationautoscaling.models import FakeApplicationAutoscalingPolicy

        key = FakeApplicationAutoscalingPolicy.formulate_key(service_namespace, resource_id, scalable_dimension,
                                                             policy_name)
        old = self.policies.get(key)
        policy = original_put_policy(self, policy_name, service_namespace, resource_id, scalable_dimension,
                                     policy_body, policy_type)
        if old is not None:  # an update: same policy, same ARN, same creation time
            policy._guid, policy.policy_arn, policy.creation_time = old._guid, old.policy_arn, old.creation_time
        create_alarms(policy, old)
        return policy

    original_delete_policy = backend.delete_scaling_policy

    def delete_scaling_policy(self: Any, policy_name: str, service_namespace: str, resource_id: str,
                              scalable_dimension: str) -> None:
        from moto.applicationautoscaling.models import FakeApplicationAutoscalingPolicy

        key = FakeApplicationAutoscalingPolicy.formulate_key(service_namespace, resource_id, scalable_dimension,
                                                             policy_name)
        if key not in self.policies:
            raise not_found(f"No scaling policy found for service namespace: {service_namespace}, resource ID: "
                             f"{resource_id}, scalable dimension: {scalable_dimension}, policy name: {policy_name}")
        original_delete_policy(self, policy_name, service_namespace, resource_id, scalable_dimension)

    original_put_scheduled = backend.put_scheduled_action

    def put_scheduled_action(self: Any, service_namespace: str, schedule: str, timezone: str,
                             scheduled_action_name: str, resource_id: str, scalable_dimension: str,
                             *args: Any, **kwargs: Any) -> None:
        target_or_refuse(self, service_namespace, resource_id, scalable_dimension)
        exists = any((a.service_namespace, a.scheduled_action_name, a.resource_id, a.scalable_dimension)
                     == (service_namespace, scheduled_action_name, resource_id, scalable_dimension)
                     for a in self.scheduled_actions)
        if not exists or schedule:
            problem = schedule_problem(schedule)
            if problem:
                raise AWSValidationException(problem)
        original_put_scheduled(self, service_namespace, schedule, timezone, scheduled_action_name, resource_id,
                               scalable_dimension, *args, **kwargs)

    original_delete_scheduled = backend.delete_scheduled_action

    def delete_scheduled_action(self: Any, service_namespace: str, scheduled_action_name: str, resource_id: str,
                                scalable_dimension: str) -> None:
        if not any((a.service_namespace, a.scheduled_action_name, a.resource_id, a.scalable_dimension)
                   == (service_namespace, scheduled_action_name, resource_id, scalable_dimension)
                   for a in self.scheduled_actions):
            raise not_found(f"No scheduled action found for service namespace: {service_namespace}, resource ID: "
                             f"{resource_id}, scalable dimension: {scalable_dimension}, scheduled action name: "
                             f"{scheduled_action_name}")
        original_delete_scheduled(self, service_namespace, scheduled_action_name, resource_id, scalable_dimension)

    backend.deregister_scalable_target = deregister_scalable_target
    backend.put_scaling_policy = put_scaling_policy
    backend.delete_scaling_policy = delete_scaling_policy
    backend.put_scheduled_action = put_scheduled_action
    backend.delete_scheduled_action = delete_scheduled_action
