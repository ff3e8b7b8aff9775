"""InferenceComponent: one model placed on an inference-component-based Endpoint, so that several models
share its instances (each with its own accelerators, memory and copies).

What one manifest becomes in AWS: Model ``<component>-<hash of content and secret versions>`` ->
InferenceComponent ``<name>`` on ``spec.endpoint``'s variant. The model is created before the component
and deleted after it moved off it (or after the component is deleted). Both carry the stack's ownership
tags and ``reconciler:inference-component = <name>`` (not ``reconciler:endpoint``: the Endpoint kind never
takes them as its own, and a component nobody declared is never touched).

Order: an Endpoint in the manifests is a reference (created first); ``delete_order`` 35 < the Endpoint's 40,
so components go before their endpoint. Capacity (``capacity``) is checked at validate from the instance
table. Updates: UpdateInferenceComponent for a new model/compute/startup (rolling when deployment says
so), UpdateInferenceComponentRuntimeConfig for copies alone.
"""

from __future__ import annotations

from reconciler.kinds.inference_component.kind import KIND, InferenceComponentKind

__all__ = ["KIND", "InferenceComponentKind"]
