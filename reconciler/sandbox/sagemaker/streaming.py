"""sagemaker-runtime InvokeEndpointWithResponseStream (moto 5.2 has none), answering as TGI streams.

The answer is an ``application/vnd.amazon.eventstream`` body in AWS's binary event-stream framing (prelude
with lengths and CRC32, string headers, payload, message CRC32; what botocore's ``eventstream`` parser
reads), written as it is produced:

- the request asks TGI to stream (``"stream": true``): the container's server-sent events, ``data:{"index",
  "token": {"id", "text", "logprob", "special"}, "generated_text", "details"}`` and a blank line each, the last
  one with the whole ``generated_text``; each event is cut in two ``PayloadPart`` events (so a line arrives
  split across parts, as it can from AWS), ``token_seconds`` (sandbox config) apart;
- without ``"stream": true``: TGI's JSON answer in one ``PayloadPart``;
- a fault ``{"endpoint"|"inferenceComponent": NAME|"*", "on": "stream", "errorCode":
  "ModelInvocationTimeExceeded"|"StreamBroken", "afterTokens": N}`` ends the stream after N tokens with a
  ``ModelStreamError`` exception event (``{"Message", "ErrorCode"}``).

Before the stream starts, the endpoint and component are checked as InvokeEndpoint checks them
(``runtime.serving``) and a request TGI refuses is a ModelError (424): plain rest-json error answers.
"""

from __future__ import annotations

import json
import re
import time
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from reconciler.sandbox.extensions import answer_json, request_body

from .controls import _take_fault, get_config
from .runtime import model_error, serving, tgi_generate

PATH = re.compile(r"^/endpoints/([^/]+)/invocations-response-stream$")
_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: string headers (type 7) and ``payload``, with both CRC32s."""
    head = b"".join(len(k).to_bytes(1, "big") + k.encode() + b"\x07" + len(v.encode()).to_bytes(2, "big") + v.encode()
                    for k, v in headers.items())
    total = 12 + len(head) + len(payload) + 4
    prelude = total.to_bytes(4, "big") + len(head).to_bytes(4, "big")
    message = prelude + zlib.crc32(prelude).to_bytes(4, "big") + head + payload
    return message + zlib.crc32(message).to_bytes(4, "big")


def payload_part(data: bytes) -> bytes:
    return frame({":event-type": "PayloadPart", ":content-type": "application/octet-stream",
                  ":message-type": "event"}, data)


def model_stream_error(message: str, code: str) -> bytes:
    return frame({":exception-type": "ModelStreamError", ":content-type": "application/json",
                  ":message-type": "exception"}, json.dumps({"Message": message, "ErrorCode": code}).encode())


def sse_events(payload: dict[str, Any], label: str, model_id: str | None) -> list[bytes]:
    """TGI's server-sent events for one streamed request: one per token, the last with generated_text."""
    quiet = {**payload, "parameters": {**(payload.get("parameters") or {}), "return_full_text": False}}
    text = tgi_generate(quiet, label, model_id)[0]["generated_text"]
    full = tgi_generate(payload, label, model_id)[0]["generated_text"]
    tokens = re.findall(r"\s*\S+", text) or [""]
    out = []
    for i, token in enumerate(tokens, 1):
        last = i == len(tokens)
        event = {"index": i, "token": {"id": i, "text": token, "logprob": 0.0, "special": False},
                 "generated_text": full if last else None,
                 "details": {"finish_reason": "length", "generated_tokens": len(tokens), "seed": None} if last else None}
        out.append(f"data:{json.dumps(event, separators=(',', ':'))}\n\n".encode())
    return out


def _caller(environ: dict[str, Any]) -> tuple[str, str]:
    """(account, region) of the signed request, as moto tells the account from the access key."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from

    m = _SCOPE.search(environ.get("HTTP_AUTHORIZATION") or "")
    if m is None:
        return DEFAULT_ACCOUNT_ID, "us-east-1"
    return get_account_id_from(m.group(1)), m.group(2)


def _error(start_response: Any, e: Any) -> list[bytes]:
    import botocore.session

    shape = botocore.session.get_session().get_service_model("sagemaker-runtime").shape_for(e.code)
    body: dict[str, Any] = {"message": e.message}
    for extra in ("OriginalStatusCode", "OriginalMessage"):
        if hasattr(e, extra):
            body[extra] = getattr(e, extra)
    return answer_json(start_response, int(shape.metadata["error"]["httpStatusCode"]), body,
                       headers=(("x-amzn-ErrorType", e.code),))


def _stream(parts: list[bytes], fault: dict[str, Any] | None, pause: float, split: bool) -> Iterator[bytes]:
    for i, event in enumerate(parts):
        if fault is not None and i >= int(fault["afterTokens"]):
            yield model_stream_error(fault["reason"], fault["errorCode"])
            return
        if i and pause:
            time.sleep(pause)
        half = max(1, len(event) // 2) if split else len(event)
        yield payload_part(event[:half])
        if event[half:]:
            yield payload_part(event[half:])


def wsgi_middleware(app: Any) -> Any:
    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        m = PATH.match(environ.get("PATH_INFO", ""))
        if m is None or environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        from moto.core.exceptions import ServiceException

        account, region = _caller(environ)
        name = unquote(m.group(1))
        ic_name = environ.get("HTTP_X_AMZN_SAGEMAKER_INFERENCE_COMPONENT")
        try:
            label, model_id, variant = serving(account, region, name, ic_name)
            try:
                payload = json.loads(request_body(environ) or b"null")
                if not isinstance(payload, dict):
                    raise ValueError('the request must be a JSON object with a string "inputs"')
                parts = (sse_events(payload, label, model_id) if payload.get("stream") is True
                         else [json.dumps(tgi_generate(payload, label, model_id)).encode()])
            except (ValueError, TypeError) as e:
                raise model_error(e, name, account, region) from None
        except ServiceException as e:
            return _error(start_response, e)
        fault = _take_fault("inferenceComponent", ic_name, "stream") if ic_name else None
        fault = fault or _take_fault("endpoint", name, "stream")
        sse = payload.get("stream") is True
        start_response("200 OK", [("Content-Type", "application/vnd.amazon.eventstream"),
                                  ("X-Amzn-SageMaker-Content-Type", "text/event-stream" if sse else "application/json"),
                                  ("x-Amzn-Invoked-Production-Variant", variant)])
        return _stream(parts, fault, get_config()["token_seconds"], split=sse)

    return middleware
