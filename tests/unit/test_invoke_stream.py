"""Streaming invoke's reading of server-sent events from PayloadPart bytes (reconciler/invoke.py, Lines):
lines split across parts are put back together, TGI's special tokens and final event add nothing, an error
event stops the stream."""

from __future__ import annotations

import json

import pytest

from reconciler.invoke import Lines, ModelSaid

EVENTS = [{"index": 1, "token": {"id": 1, "text": "Grüße", "special": False}, "generated_text": None},
          {"index": 2, "token": {"id": 2, "text": " aus", "special": False}, "generated_text": None},
          {"index": 3, "token": {"id": 3, "text": "</s>", "special": True}, "generated_text": "Grüße aus"}]


def read(chunks: list[bytes]) -> str:
    lines = Lines()
    out = []
    for chunk in chunks:
        for line in lines.add(chunk):
            out += list(lines.text(line))
    out += list(lines.finish())
    return "".join(out)


def sse(events: list[dict]) -> bytes:
    return b"".join(f"data:{json.dumps(e)}\n\n".encode() for e in events)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
def test_lines_split_anywhere_across_parts_are_reassembled(size: int) -> None:
    body = sse(EVENTS)  # "ü" is two bytes: size 1 and 3 cut through it too
    assert read([body[i:i + size] for i in range(0, len(body), size)]) == "Grüße aus"


def test_crlf_lines_comments_and_a_last_line_without_newline() -> None:
    body = b": keep-alive\r\n" + sse(EVENTS[:2]).replace(b"\n", b"\r\n") + b'data:{"token": {"text": "!"}}'
    assert read([body]) == "Grüße aus!"


def test_a_container_that_did_not_stream_answers_its_json_in_one_part() -> None:
    assert read([b'[{"generated_text": "whole answer"}]']) == "whole answer"


def test_tgi_error_event_stops_the_stream() -> None:
    with pytest.raises(ModelSaid, match="CUDA out of memory"):
        read([sse(EVENTS[:1]) + b'data:{"error": "CUDA out of memory", "error_type": "generation"}\n\n'])
