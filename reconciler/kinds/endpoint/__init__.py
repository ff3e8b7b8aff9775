"""Endpoint: one SageMaker real-time endpoint serving an LLM, and everything behind it.

What one manifest becomes in AWS
- ``model-based``: Model -> EndpointConfig (one variant ``AllTraffic`` serving the model) -> Endpoint.
- ``inference-component-based``: EndpointConfig (variant without a model, with ExecutionRoleArn,
  ManagedInstanceScaling, RoutingConfig) -> Endpoint -> Model -> InferenceComponent.

Update semantics (AWS-FACTS.md), decided at plan time (``operations``: every call with its request, every
wait; apply runs exactly them)
- Content, not names, decides: a live model or config that holds what the manifest says is kept whatever
  its name (an adopted, SDK-made endpoint is only tagged); a config or model deleted by hand is recreated,
  never the endpoint; one that exists already (kept for rollback, left by an interrupted run) is used.
- Models and endpoint configs are immutable: the ones reconcile makes get content-derived names,
  ``<endpoint>-<hash>``, so an unchanged spec maps to the same names and a changed one to new ones. A change
  creates the new model/config, records the config it leaves on the endpoint (``reconciler:previous-config``,
  the rollback point), then ``UpdateEndpoint`` (RetainAllVariantProperties, DeploymentConfig from
  spec.deployment) and a wait that it is InService on the new config with no new FailureReason; if AWS rolls
  it back, the record is put back and the unused new parts deleted (``on_failure``). Only then is the config
  before last deleted; the one it ran before is kept for ``reconcile rollback``.
- Inference components are updated in place: UpdateInferenceComponent for a new model or compute
  requirements (the model it leaves recorded as ``reconciler:previous-model`` first),
  UpdateInferenceComponentRuntimeConfig when only the copy count changes.
- An inference component that must be replaced (renamed) is created before the old one is deleted
  when managed instance scaling has room; otherwise the old one goes first and the plan says it
  interrupts serving.
- A Failed endpoint is replaced (delete, wait until gone, create). Deletion order: inference
  components -> endpoint (waited until gone) -> endpoint configs -> models.

Ownership: the endpoint, its configs, models and inference components all carry the stack's ownership
tags plus ``reconciler:endpoint = <name>``, set in the create calls, so prune finds leftovers of an
interrupted apply too, and destroy/prune find them when the endpoint is already gone. Leftovers of a
declared endpoint show in its plan (``leftovers``) and are deleted by the next apply. Only parts with
all of these tags are the endpoint's (``ownership``): a component someone else put on the endpoint is
never read, changed or deleted, and the endpoint is not deleted under it (a plan problem). Derived
names hash the full endpoint name whenever it is cut, and an existing derived name is used only when it
is this endpoint's own (a derived name held by another is refused at plan). The rollback point is tagged
before the call that moves away from it.

Secrets: ``environment: {KEY: {secretsManager: NAME}}`` is resolved at apply time only. The state
(and so every plan, saved plan and log) holds ``{"secretsManager": NAME, "version": "current"}``; the
model carries a tag ``reconciler:secret:KEY = <secret version id>:<NAME>``, so a new secret value shows
as ``version: previous -> current`` and rolls out a new model. The value itself is never stored by reconcile.
"""

from __future__ import annotations

from reconciler.kinds.endpoint.kind import KIND, EndpointKind
from reconciler.kinds.endpoint.naming import derived_name, is_derived
from reconciler.kinds.endpoint.shapes import deployment_config, ic_deployment_config

__all__ = ["KIND", "EndpointKind", "deployment_config", "derived_name", "ic_deployment_config", "is_derived"]
