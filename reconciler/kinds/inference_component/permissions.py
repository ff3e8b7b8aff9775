"""What an InferenceComponent's reads and operations call, as IAM grants (``reconcile permissions``).

Its own name, its models ``<component>-<hash>`` (``model/<component>-*``), the endpoint it is placed on (named in
CreateInferenceComponent and in the smoke test's InvokeEndpoint), its execution role (passed with CreateModel),
and the Application Auto Scaling and scale-to-zero pieces the Endpoint kind uses too.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import Resource
from reconciler.kinds.endpoint import naming, weights
from reconciler.kinds.endpoint.permissions import SAGEMAKER, parts, sagemaker, scaling, secrets_of
from reconciler.kinds.endpoint.scale_to_zero import alarm_name
from reconciler.permissions import grants as g


def permissions(self: Any, res: Resource | None, need: str, scope: g.Scope) -> list[g.Grant]:
    """``Kind.permissions`` of the InferenceComponent kind."""
    if res is None:  # the stack's components the manifests no longer declare, and their models
        return parts(scope, need, True, "", ["*"], [], ["*"]) + scaling(scope, need, [])
    spec, name, owned = res.spec, res.name, not scope.adopts(res)
    models = ["*"] if scope.adopts(res) else [f"{naming.prefix(name)}-*"]
    secrets, role = secrets_of(spec.model), spec.executionRole or _endpoint_role(res, scope)
    if need == g.READ:
        return [*parts(scope, g.READ, False, "", models, [], [name]), *scaling(scope, g.READ, []),
                *(g.role_check(scope, role) if role else []), *g.secret_reads(scope, secrets),
                *g.weights_check(scope, [c.target for c in weights.checks(spec.model)])]
    alarms = [alarm_name(name)] if spec.autoscaling is not None and spec.autoscaling.minCount == 0 else []
    out = [*parts(scope, need, owned, "", models, [], [name]),
           *scaling(scope, need, alarms, register=spec.autoscaling is not None)]
    if need == g.WRITE:
        endpoint, ic = sagemaker(scope, "endpoint", spec.endpoint), sagemaker(scope, "inference-component", name)
        out += [g.grant(("sagemaker:CreateModel", "sagemaker:AddTags"), sagemaker(scope, "model", models[0])),
                g.grant(("sagemaker:CreateInferenceComponent", "sagemaker:AddTags"), endpoint, ic),
                g.grant(("sagemaker:UpdateInferenceComponent", "sagemaker:UpdateInferenceComponentRuntimeConfig"), ic,
                        owned=owned),
                g.grant("sagemaker:InvokeEndpoint", endpoint, ic),  # the smoke test
                *(g.pass_role(scope, [role], SAGEMAKER) if role else []), *g.secret_values(scope, secrets)]
    return out


def _endpoint_role(res: Resource, scope: g.Scope) -> str | None:
    """The execution role of the component's endpoint when the manifests declare it (its models run as it)."""
    endpoint = scope.resources.get(("Endpoint", res.spec.endpoint))
    return endpoint.spec.executionRole if endpoint is not None else None
