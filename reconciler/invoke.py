"""Call a deployed LLM endpoint (the Hugging Face LLM container's request shape) and return the text.

Request: ``{"inputs": PROMPT, "parameters": {max_new_tokens, temperature, top_p, repetition_penalty,
return_full_text, stop, …}}``; response ``[{"generated_text": "…"}]``. Inference-component-based
endpoints need ``InferenceComponentName``: when not given, the endpoint's only component is used.
Used by ``reconcile invoke`` and by ``spec.smokeTest`` after every create/update.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.errors import AwsError


def where(aws: Any) -> str:
    """'account 123456789012, region eu-west-1': where a command looked."""
    return f"account {aws.identity()['Account']}, region {aws.region}"


def not_found(verb: str, what: str, aws: Any) -> AwsError:
    """The "does not exist" error of a command addressing one resource: where it looked, how to look elsewhere."""
    return AwsError(f"Failed to {verb} {what}: it does not exist in {where(aws)}. If it lives in another region, "
                    "give --region REGION, or -f DIR for the region and account of the stack's manifests")


def payload(prompt: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"inputs": prompt, "parameters": {k: v for k, v in parameters.items() if v is not None}}


def component_for(aws: Any, endpoint: str) -> str | None:
    """The inference component to address on ``endpoint``: None for model-based endpoints."""
    from reconciler.aws import sagemaker as smx

    sm = aws.client("sagemaker")
    d = smx.describe_endpoint(sm, endpoint)
    if d is None:
        raise not_found("invoke", f"Endpoint/{endpoint}", aws)
    cfg_name = d.get("EndpointConfigName", "")
    cfg = sm.get("describe_endpoint_config", f"EndpointConfig/{cfg_name}", EndpointConfigName=cfg_name) or {}
    if all(v.get("ModelName") for v in cfg.get("ProductionVariants") or [{"ModelName": "?"}]):
        return None
    ics = [ic["InferenceComponentName"] for ic in smx.inference_components(sm, endpoint)]
    if len(ics) != 1:
        raise AwsError(f"Failed to invoke Endpoint/{endpoint}: it has {len(ics)} inference components "
                       f"({', '.join(ics) or 'none'}); name one with --inference-component")
    return ics[0]


def parse(body: bytes | str) -> str:
    """The generated text of a TGI-style answer (list or object); other JSON as text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if isinstance(data, list) and data and isinstance(data[0], dict) and "generated_text" in data[0]:
        return "\n".join(str(d.get("generated_text", "")) for d in data)
    if isinstance(data, dict) and "generated_text" in data:
        return str(data["generated_text"])
    return text


def generate(aws: Any, endpoint: str, prompt: str, parameters: dict[str, Any], component: str | None = None,
             auto_component: bool = True) -> str:
    """Send one request to ``endpoint`` and return the generated text (AwsError on any failure)."""
    if component is None and auto_component:
        component = component_for(aws, endpoint)
    kwargs: dict[str, Any] = {"EndpointName": endpoint, "ContentType": "application/json",
                              "Accept": "application/json", "Body": json.dumps(payload(prompt, parameters))}
    if component:
        kwargs["InferenceComponentName"] = component
    try:
        resp = aws.client("sagemaker-runtime").call("invoke_endpoint", f"Endpoint/{endpoint}", **kwargs)
    except AwsError as e:
        if f"Endpoint {endpoint} of account" in str(e) and "not found" in str(e):  # AWS's words for a missing one
            raise not_found("invoke", f"Endpoint/{endpoint}", aws) from e
        raise
    return parse(resp["Body"].read())
