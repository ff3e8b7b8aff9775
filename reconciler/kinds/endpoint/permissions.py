"""What an Endpoint's reads and operations call, as IAM grants (``reconcile permissions``; ``Kind.permissions``).

Names: the endpoint's own; its models and configs are ``<endpoint>-<hash>`` (``naming.derived_name``), granted as
``model/<endpoint>-*`` and ``endpoint-config/<endpoint>-*``; its inline component's name is known. An adopted
endpoint runs on a model and config of any name until its first change, so it reads and tags ``model/*`` and
``endpoint-config/*``. Scalable targets and scaling policies have ids AWS chooses: ``scalable-target/*``, only
for SageMaker (``application-autoscaling:service-namespace``), changed or deleted only when tagged as the stack's.
The InferenceComponent kind (its own package) uses the same pieces.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds._secrets import secret_names
from reconciler.kinds.base import Resource
from reconciler.kinds.endpoint import naming, weights
from reconciler.kinds.endpoint.scale_to_zero import alarm_name, wanted
from reconciler.permissions.grants import (
    READ,
    WRITE,
    Grant,
    Scope,
    grant,
    pass_role,
    role_check,
    secret_reads,
    secret_values,
    weights_check,
)

SAGEMAKER = "sagemaker.amazonaws.com"
LISTS = ("sagemaker:ListModels", "sagemaker:ListEndpointConfigs", "sagemaker:ListInferenceComponents")
SCALING_READS = ("application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies",
                 "application-autoscaling:DescribeScheduledActions")
#: what taking autoscaling away deletes (and the ownership re-check reads), on a target tagged as the stack's
SCALING_DELETES = ("application-autoscaling:ListTagsForResource", "application-autoscaling:DeleteScalingPolicy",
                   "application-autoscaling:DeleteScheduledAction", "application-autoscaling:DeregisterScalableTarget")
#: what changing it takes besides
SCALING_CHANGES = ("application-autoscaling:RegisterScalableTarget", "application-autoscaling:PutScalingPolicy",
                   "application-autoscaling:PutScheduledAction", "application-autoscaling:TagResource",
                   "application-autoscaling:UntagResource")
#: Application Auto Scaling makes its service-linked role for SageMaker on the first RegisterScalableTarget
SCALING_ROLE = ("role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
                "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint")


def sagemaker(scope: Scope, kind: str, name: str) -> str:
    return scope.arn("sagemaker", f"{kind}/{name}")


def secrets_of(model: Any) -> list[str]:
    """The Secrets Manager secrets a model's environment names."""
    return secret_names(model.environment if model is not None else None)


def scaling(scope: Scope, need: str, alarms: list[str], register: bool = False) -> list[Grant]:
    """Application Auto Scaling of a variant or component (``register``: the manifests ask for it), and the
    scale-to-zero alarms (named ``alarms``; none named: any alarm tagged as the stack's, to delete)."""
    targets = scope.arn("application-autoscaling", "scalable-target/*")
    namespace = (("StringEquals", "application-autoscaling:service-namespace", ("sagemaker",)),)
    alarm_arns = [scope.arn("cloudwatch", f"alarm:{a}") for a in alarms] or [scope.arn("cloudwatch", "alarm:*")]
    out = [grant(SCALING_READS),
           # (a target is the stack's only by its own tags: plan reads them on every target it finds)
           grant("application-autoscaling:ListTagsForResource", targets),
           grant(("cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"), scope.arn("cloudwatch", "alarm:*"))]
    if need == READ:
        return out
    out += [grant(SCALING_DELETES, targets, owned=True, conditions=namespace),
            grant("cloudwatch:DeleteAlarms", *alarm_arns, owned=True)]
    if need == WRITE and register:  # a new target has no tags yet: registering (and tagging) it is not conditioned
        out += [grant(SCALING_CHANGES, targets, owned=True, conditions=namespace),
                grant(("application-autoscaling:RegisterScalableTarget", "application-autoscaling:TagResource"),
                      targets, conditions=namespace),
                grant("iam:CreateServiceLinkedRole", scope.iam(SCALING_ROLE), conditions=(
                    ("StringEquals", "iam:AWSServiceName", ("sagemaker.application-autoscaling.amazonaws.com",)),))]
        if alarms:
            out.append(grant(("cloudwatch:PutMetricAlarm", "cloudwatch:TagResource"), *alarm_arns))
    return out


def parts(scope: Scope, need: str, owned: bool, endpoint: str, models: list[str], configs: list[str],
          components: list[str]) -> list[Grant]:
    """Reads, and for write/delete the changes, of an endpoint's (or a component's) SageMaker resources."""
    arns = [sagemaker(scope, "endpoint", endpoint)] if endpoint else []
    arns += [sagemaker(scope, "model", m) for m in models] + [sagemaker(scope, "endpoint-config", c) for c in configs]
    ics = [sagemaker(scope, "inference-component", c) for c in components]
    describe = ["sagemaker:ListTags"]
    describe += ["sagemaker:DescribeEndpoint"] if endpoint else []
    describe += ["sagemaker:DescribeModel"] if models else []
    describe += ["sagemaker:DescribeEndpointConfig"] if configs else []
    out = [grant(LISTS)]
    if need == READ:
        out.append(grant(describe, *arns, owned=owned))
        if ics:
            out.append(grant(("sagemaker:DescribeInferenceComponent", "sagemaker:ListTags"), *ics, owned=owned))
        return out
    tagging = ["sagemaker:DeleteTags", "sagemaker:AddTags"] if need == WRITE else []  # (rollback points are tags)
    deletes = tagging + (["sagemaker:DeleteEndpoint"] if endpoint else [])
    deletes += ["sagemaker:DeleteModel"] if models else []
    deletes += ["sagemaker:DeleteEndpointConfig"] if configs else []
    out += [grant(describe + deletes, *arns, owned=owned)]
    if ics:
        out.append(grant(("sagemaker:DescribeInferenceComponent", "sagemaker:ListTags",
                          "sagemaker:DeleteInferenceComponent", *tagging), *ics, owned=owned))
    return out


def permissions(self: Any, res: Resource | None, need: str, scope: Scope) -> list[Grant]:
    """``Kind.permissions`` of the Endpoint kind."""
    if res is None:  # the stack's endpoints the manifests no longer declare, and their parts: found by their tags
        return (parts(scope, need, True, "*", ["*"], ["*"], ["*"])
                + scaling(scope, need, []))
    spec, name, adopted = res.spec, res.name, scope.adopts(res)
    derived = [f"{naming.prefix(name)}-*"]
    live = ["*"] if adopted else derived  # what it may run on now
    component = [naming.ic_name(name, {"inferenceComponent": spec.inferenceComponent.model_dump()})] \
        if spec.inferenceComponent else []
    secrets = secrets_of(spec.model)
    if need == READ:  # plan also reads what runs on it (a component someone else put there is a conflict)
        return [*parts(scope, READ, False, name, live, live, ["*"]), *scaling(scope, READ, []),
                *role_check(scope, spec.executionRole), *secret_reads(scope, secrets),
                *weights_check(scope, [c.target for c in weights.checks(spec.model)]),
                grant("servicequotas:ListServiceQuotas")]  # (the instance quotas, checked at plan)
    autoscaling = spec.autoscaling.model_dump() if spec.autoscaling is not None else None
    alarms = [alarm_name(c) for c in component if wanted(spec.type, autoscaling, c)]
    out = [*parts(scope, need, not adopted, name, live, live, component),
           *scaling(scope, need, alarms, register=spec.autoscaling is not None)]
    if need == WRITE:
        endpoint, configs = sagemaker(scope, "endpoint", name), sagemaker(scope, "endpoint-config", derived[0])
        models = sagemaker(scope, "model", derived[0])
        ics = [sagemaker(scope, "inference-component", c) for c in component]
        out += [grant(("sagemaker:CreateModel", "sagemaker:AddTags"), models),
                grant(("sagemaker:CreateEndpointConfig", "sagemaker:AddTags"), configs),
                grant(("sagemaker:CreateEndpoint", "sagemaker:AddTags"), endpoint, configs),
                grant("sagemaker:UpdateEndpoint", endpoint, configs, owned=not adopted),
                grant("sagemaker:InvokeEndpoint", endpoint, *ics),  # the smoke test
                *pass_role(scope, [spec.executionRole], SAGEMAKER), *secret_values(scope, secrets)]
        if ics:
            out += [grant(("sagemaker:CreateInferenceComponent", "sagemaker:AddTags"), endpoint, *ics),
                    grant(("sagemaker:UpdateInferenceComponent", "sagemaker:UpdateInferenceComponentRuntimeConfig"),
                          *ics, owned=not adopted)]
    return out
