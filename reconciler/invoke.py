"""Call a deployed LLM endpoint (the Hugging Face LLM container's request shape) and return the text.

Request: ``{"inputs": PROMPT, "parameters": {max_new_tokens, temperature, top_p, repetition_penalty,
return_full_text, stop, …}}``; response ``[{"generated_text": "…"}]``. Inference-component-based
endpoints need ``InferenceComponentName``: when not given, the endpoint's only component is used.
Used by ``reconcile invoke`` and by ``spec.smokeTest`` after every create/update.

Streaming (``reconcile invoke --stream``): ``InvokeEndpointWithResponseStream`` with TGI's ``"stream": true``
answers an event stream of ``PayloadPart`` events whose bytes, joined, are server-sent events
(``data:{"token": {"text": …}, …}`` lines). A line can be split across parts, so the bytes are buffered up to
each ``\n`` (as the SageMaker SDK's LineIterator does); a ``ModelStreamError`` (or TGI's ``data:{"error": …}``)
ends the stream with an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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


def _call(aws: Any, operation: str, endpoint: str, body: dict[str, Any], component: str | None,
          auto_component: bool) -> dict[str, Any]:
    if component is None and auto_component:
        component = component_for(aws, endpoint)
    kwargs: dict[str, Any] = {"EndpointName": endpoint, "ContentType": "application/json",
                              "Accept": "application/json", "Body": json.dumps(body)}
    if component:
        kwargs["InferenceComponentName"] = component
    try:
        return aws.client("sagemaker-runtime").call(operation, f"Endpoint/{endpoint}", **kwargs)
    except AwsError as e:
        if f"Endpoint {endpoint} of account" in str(e) and "not found" in str(e):  # AWS's words for a missing one
            raise not_found("invoke", f"Endpoint/{endpoint}", aws) from e
        raise


def generate(aws: Any, endpoint: str, prompt: str, parameters: dict[str, Any], component: str | None = None,
             auto_component: bool = True) -> str:
    """Send one request to ``endpoint`` and return the generated text (AwsError on any failure)."""
    resp = _call(aws, "invoke_endpoint", endpoint, payload(prompt, parameters), component, auto_component)
    return parse(resp["Body"].read())


def stream(aws: Any, endpoint: str, prompt: str, parameters: dict[str, Any], component: str | None = None,
           auto_component: bool = True) -> Iterator[str]:
    """The generated text piece by piece, as the endpoint streams it (AwsError on any failure, mid-stream too)."""
    from botocore.exceptions import BotoCoreError, EventStreamError

    body = {**payload(prompt, parameters), "stream": True}
    resp = _call(aws, "invoke_endpoint_with_response_stream", endpoint, body, component, auto_component)
    lines = Lines()
    try:
        for event in resp["Body"]:
            for line in lines.add((event.get("PayloadPart") or {}).get("Bytes") or b""):
                yield from lines.text(line)
        yield from lines.finish()
    except ModelSaid as e:
        raise AwsError(f"Failed to invoke Endpoint/{endpoint}: the model stopped part-way with an error: {e}") from None
    except EventStreamError as e:
        err = e.response.get("Error", {})
        raise AwsError(f"Failed to invoke Endpoint/{endpoint}: the answer stopped part-way with {err.get('Code')}: "
                       f"{err.get('Message')}", code=str(err.get("Code", ""))) from None
    except BotoCoreError as e:
        raise AwsError(f"Failed to invoke Endpoint/{endpoint}: the answer stopped part-way: {e}") from None


class ModelSaid(Exception):
    """The container's own error event in the stream (TGI: ``data:{"error": …, "error_type": …}``)."""


class Lines:
    """Server-sent events from a stream of byte chunks: complete lines only, whatever the chunks' boundaries."""

    def __init__(self) -> None:
        self.buffer = b""
        self.other: list[str] = []  # lines that are not SSE data: a container that did not stream
        self.streamed = False

    def add(self, chunk: bytes) -> list[str]:
        self.buffer += chunk
        *done, self.buffer = self.buffer.split(b"\n")
        return [line.decode("utf-8", "replace").rstrip("\r") for line in done]

    def text(self, line: str) -> Iterator[str]:
        """The text one line adds: a token's text; nothing for blank lines, comments and special tokens."""
        if not line.startswith("data:"):
            if line.strip():
                self.other.append(line)
            return
        self.streamed = True
        data = line[len("data:"):].strip()
        try:
            event = json.loads(data)
        except ValueError:
            yield data  # plain-text server-sent events
            return
        if isinstance(event, dict) and event.get("error"):
            raise ModelSaid(str(event["error"]))
        token = event.get("token") if isinstance(event, dict) else None
        if isinstance(token, dict):
            if not token.get("special"):
                yield str(token.get("text", ""))
        elif not isinstance(event, dict) or "generated_text" not in event:
            yield data

    def finish(self) -> Iterator[str]:
        rest = self.buffer.decode("utf-8", "replace").rstrip("\r")
        self.buffer = b""
        if rest:
            yield from self.text(rest)
        if not self.streamed and self.other:  # one JSON answer: the container did not stream
            yield parse("\n".join(self.other))
