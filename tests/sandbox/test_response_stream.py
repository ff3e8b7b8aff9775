"""InvokeEndpointWithResponseStream in the sandbox (reconciler/sandbox/sagemaker/streaming.py), parsed by
botocore's own event-stream parser: TGI's server-sent events in PayloadParts that split lines, written as
they are produced, a ModelStreamError that ends the stream, and the same refusals as InvokeEndpoint."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError, EventStreamError

from tests.sandbox.test_sagemaker_emulator import CONFIG, FAULTS, N, error, http, serving_endpoint
from tests.support.server import MotoServer


def request(tokens: int = 4, stream: bool = True) -> str:
    return json.dumps({"inputs": "hi", "parameters": {"max_new_tokens": tokens}, "stream": stream})


def test_tgi_events_come_in_payload_parts_that_split_lines(sm: Any, rt: Any) -> None:
    serving_endpoint(sm)
    r = rt.invoke_endpoint_with_response_stream(EndpointName=N("llm"), ContentType="application/json",
                                                Body=request(4))
    assert r["ContentType"] == "text/event-stream" and r["InvokedProductionVariant"] == "AllTraffic"
    parts = [e["PayloadPart"]["Bytes"] for e in r["Body"]]
    assert len(parts) == 8 and not parts[0].endswith(b"\n")  # each event cut in two: a line spans two parts
    events = [json.loads(line[len("data:"):]) for line in b"".join(parts).decode().split("\n\n") if line]
    tokens = "".join(e["token"]["text"] for e in events)
    assert events[-1]["generated_text"] == tokens and all(e["generated_text"] is None for e in events[:-1])
    plain = json.loads(rt.invoke_endpoint(EndpointName=N("llm"), Body=request(4, stream=False))["Body"].read())
    assert plain == [{"generated_text": tokens}]


def test_parts_arrive_as_they_are_produced(server: MotoServer, sm: Any, rt: Any) -> None:
    serving_endpoint(sm)
    server.post(CONFIG, {"token_seconds": 0.25})
    try:
        start = time.monotonic()
        r = rt.invoke_endpoint_with_response_stream(EndpointName=N("llm"), Body=request(4))
        seen = [time.monotonic() - start for _ in r["Body"]]
    finally:
        server.post(CONFIG, {"token_seconds": 0})
    assert seen[0] < 0.5 and seen[-1] > 0.7  # the first token long before the last


def test_without_stream_true_the_answer_is_one_part(sm: Any, rt: Any) -> None:
    serving_endpoint(sm)
    r = rt.invoke_endpoint_with_response_stream(EndpointName=N("llm"), Body=request(3, stream=False))
    [part] = [e["PayloadPart"]["Bytes"] for e in r["Body"]]
    assert json.loads(part)[0]["generated_text"] and r["ContentType"] == "application/json"


def test_a_stream_fault_ends_with_model_stream_error(server: MotoServer, sm: Any, rt: Any) -> None:
    serving_endpoint(sm)
    server.post(FAULTS, {"endpoint": N("llm"), "on": "stream", "errorCode": "ModelInvocationTimeExceeded",
                         "afterTokens": 2})
    r = rt.invoke_endpoint_with_response_stream(EndpointName=N("llm"), Body=request(5))
    got = []
    with pytest.raises(EventStreamError) as e:
        for event in r["Body"]:
            got.append(event)
    assert len(got) == 4 and e.value.response["Error"]["Code"] == "ModelStreamError"
    assert "timed out" in e.value.response["Error"]["Message"]
    assert http(server, "POST", FAULTS, {"endpoint": "x", "on": "stream", "errorCode": "Nope"})[0] == 400


def test_refusals_before_the_stream_are_invoke_endpoints(sm: Any, rt: Any) -> None:
    with pytest.raises(ClientError) as e:
        rt.invoke_endpoint_with_response_stream(EndpointName=N("missing"), Body=request())
    assert error(e)[0] == "ValidationError" and "not found" in error(e)[1]
    serving_endpoint(sm)
    with pytest.raises(ClientError) as e:
        rt.invoke_endpoint_with_response_stream(EndpointName=N("llm"), Body=b'{"inputs": 1, "stream": true}')
    assert error(e)[0] == "ModelError" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert e.value.response["OriginalStatusCode"] == 422
