"""Page sizes honoured wherever botocore models them (issue 24, item 7).

moto ignores the page size of many paginated reads (DescribeAlarms ``MaxRecords``, Lambda ``ListFunctions
MaxItems``, most IAM lists, API Gateway v2's ``Get*``, …): every item comes back with no token. For every
paginated read of botocore's ``paginators-1.json`` that moto answers, ``install()`` wraps moto's response
method once, driven by the paginator's ``limit_key``, ``input_token``, ``output_token``, ``more_results`` and
``result_key``:

- no page size and no token of ours: moto's answer, untouched;
- moto honoured the page size (the page holds no more than asked): moto's answer and moto's token;
- moto ignored it: the items (of every result key, in order, as one sequence) are cut to the page size and
  the answer carries a token of ours (``rx-page-…``, an offset); a request with such a token is answered
  from moto's full list again (the token hidden from moto), from that offset.

A token that looks like ours but is not one is refused as the service refuses an invalid token. Nothing here
is specific to one operation; the property is pinned by tests/sandbox/test_paging.py.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

PREFIX = "rx-page-"
#: moto pages these before it filters (ListEntitiesForPolicy pages IAM's roles, then keeps those with the
#: policy): the page size is hidden from moto, and the pages are cut here
PAGED_BEFORE_FILTERED = {("iam", "ListEntitiesForPolicy")}
#: what each service answers for a token it did not issue (botocore's documented error, else ValidationException)
INVALID_TOKEN = {"cloudwatch": "InvalidNextToken", "secretsmanager": "InvalidNextTokenException",
                 "iam": "ValidationError", "lambda": "InvalidParameterValueException",
                 "apigatewayv2": "BadRequestException"}


def token(offset: int) -> str:
    return PREFIX + base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def offset_of(value: Any) -> int | None:
    """The offset a token of ours carries; None for no token or moto's own; ValueError for a broken one of ours."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return None
    raw = value[len(PREFIX):]
    try:
        offset = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValueError(value) from None
    if not isinstance(offset, int) or offset < 0:
        raise ValueError(value)
    return offset


def _invalid(service: str, value: str) -> Exception:
    from moto.core.exceptions import ServiceException

    return ServiceException(INVALID_TOKEN.get(service, "ValidationException"), f"Invalid pagination token because \"{value}\".")


class _Names:
    """A paginator's members as the request and the answer spell them (rest-json: locationName)."""

    def __init__(self, operation: Any, config: dict[str, Any]) -> None:
        self.operation = operation.name
        keys = config["result_key"]
        self.results = [keys] if isinstance(keys, str) else list(keys)
        self.limit, self.input, self.output = config["limit_key"], config["input_token"], config["output_token"]
        self.more = config.get("more_results")
        inp, out = operation.input_shape, operation.output_shape

        def wire(shape: Any, name: str) -> str:
            member = shape.members.get(name) if shape is not None else None
            return str(member.serialization.get("name") or name) if member is not None else name

        self.wire_limit, self.wire_input = wire(inp, self.limit), wire(inp, self.input)
        self.wire_results = {k: wire(out, k) for k in self.results}
        self.wire_output = wire(out, self.output)


def _param(response: Any, *names: str) -> Any:
    for name in names:
        value = response._get_param(name)
        if value is None and isinstance(getattr(response, "querystring", None), dict):
            value = (response.querystring.get(name) or [None])[0]
        if value is not None:
            return value
    return None


def _hide(response: Any, *names: str) -> None:
    """Take parameters out of the request moto's method is about to read (the token it did not issue)."""
    if isinstance(getattr(response, "params", None), dict):
        response.params = {k: v for k, v in response.params.items() if k not in names}
    if isinstance(getattr(response, "querystring", None), dict):
        for name in names:
            response.querystring.pop(name, None)
    body = getattr(response, "body", None)
    if body:
        try:
            decoded = json.loads(body)
        except (ValueError, TypeError):
            return
        if isinstance(decoded, dict):
            response.body = json.dumps({k: v for k, v in decoded.items() if k not in names})


def _open(answer: Any) -> tuple[dict[str, Any] | None, Callable[[dict[str, Any]], Any], bool]:
    """(the answer's members, how to rebuild the answer from them, are they wire names?)."""
    from moto.core.responses import ActionResult

    if isinstance(answer, ActionResult) and isinstance(answer.result, dict):
        return dict(answer.result), ActionResult, False
    if isinstance(answer, str):
        try:
            body = json.loads(answer)
        except ValueError:
            return None, lambda b: answer, True
        return (body if isinstance(body, dict) else None), json.dumps, True
    if isinstance(answer, tuple) and len(answer) == 3 and isinstance(answer[2], str):
        status, headers, text = answer
        try:
            body = json.loads(text)
        except ValueError:
            return None, lambda b: answer, True
        return (body if isinstance(body, dict) else None), lambda b: (status, headers, json.dumps(b)), True
    return None, lambda b: answer, False


def paged(service: str, method: Callable[[Any], Any], names: _Names) -> Callable[[Any], Any]:
    def read(self: Any) -> Any:
        limit = _param(self, names.limit, names.wire_limit)
        given = _param(self, names.input, names.wire_input)
        try:
            offset = offset_of(given)
        except ValueError:
            raise _invalid(service, str(given)) from None
        if offset is None and limit is None:
            return method(self)
        if offset is not None:
            _hide(self, names.input, names.wire_input)
        if (service, names.operation) in PAGED_BEFORE_FILTERED:
            _hide(self, names.limit, names.wire_limit)
        answer = method(self)
        body, rebuild, wire = _open(answer)
        if body is None:
            return answer
        keys = {k: names.wire_results[k] if wire else k for k in names.results}
        out_key = names.wire_output if wire else names.output
        items = [(k, item) for k in names.results for item in body.get(keys[k]) or []]
        size = int(limit) if limit is not None else len(items)
        if offset is None and (len(items) <= size or body.get(out_key)):
            return answer  # moto honoured the page size (or paged by its own token)
        start = offset or 0
        page = items[start:start + size]
        for k in names.results:
            if keys[k] in body:
                body[keys[k]] = [item for key, item in page if key == k]
        body.pop(out_key, None)
        more = start + size < len(items)
        if more:
            body[out_key] = token(start + size)
        if names.more:
            body[names.more] = more
        return rebuild(body)

    read.rx_paged = True  # type: ignore[attr-defined]
    return read


def install() -> None:
    """Wrap every paginated read (botocore's paginators with a page size) of the services the sandbox serves."""
    import importlib

    import botocore.session
    from moto.core.utils import camelcase_to_underscores

    from reconciler.sandbox.coverage import RESPONSES

    session = botocore.session.get_session()
    for service, where in RESPONSES.items():
        try:
            config = session.get_paginator_model(service)._paginator_config
        except Exception:  # no paginators (STS, sagemaker-runtime)
            continue
        module, cls_name = where.split(":")
        cls = getattr(importlib.import_module(module), cls_name)
        model = session.get_service_model(service)
        for op, pag in config.items():
            method = getattr(cls, camelcase_to_underscores(op), None)
            if method is None or "limit_key" not in pag or getattr(method, "rx_paged", False):
                continue
            setattr(cls, camelcase_to_underscores(op), paged(service, method, _Names(model.operation_model(op), pag)))
