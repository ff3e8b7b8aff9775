"""Faults and timing controls of the SageMaker emulator: delays, injected faults, and the
``/reconcile-sandbox/sagemaker/{config,faults}`` HTTP routes that set them.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from reconciler.sandbox.extensions import request_body

ROUTE_PREFIX = "/reconcile-sandbox/sagemaker/"
ENV_PREFIX = "RECONCILE_SANDBOX_SAGEMAKER_"
# role_propagation_seconds: a role younger than this is not yet assumable by SageMaker or Lambda (IAM's
# eventual consistency; 0 = at once). Env: RECONCILE_SANDBOX_SAGEMAKER_ROLE_SECONDS.
# token_seconds: the pause between two tokens of a streamed answer (InvokeEndpointWithResponseStream).
DEFAULTS = {"create_seconds": 3.0, "update_seconds": 3.0, "delete_seconds": 1.0, "role_propagation_seconds": 0.0,
            "token_seconds": 0.0}

_lock = threading.RLock()
_config: dict[str, float] = {}
_faults: list[dict[str, Any]] = []

# Statuses in which an endpoint serves traffic (a previous deployment keeps serving during an update).
SERVING = {"InService", "Updating", "SystemUpdating", "RollingBack"}


# --------------------------------------------------------------------------------------------------
# extension state: delays and faults


def env_config() -> dict[str, float]:
    out = {}
    for key, default in DEFAULTS.items():
        raw = os.environ.get(ENV_PREFIX + key.split("_")[0].upper() + "_SECONDS")
        try:
            out[key] = float(raw) if raw not in (None, "") else default
        except ValueError:
            out[key] = default
    return out


def reset_state() -> None:
    """Faults gone, delays back to the environment's (or built-in) defaults."""
    with _lock:
        _config.clear()
        _config.update(env_config())
        _faults.clear()


def get_config() -> dict[str, float]:
    with _lock:
        if not _config:
            _config.update(env_config())
        return dict(_config)


def set_config(values: dict[str, Any]) -> dict[str, float]:
    with _lock:
        get_config()
        for key, value in values.items():
            if key not in DEFAULTS:
                raise ValueError(f"unknown setting {key!r} (known: {', '.join(DEFAULTS)})")
            value = float(value)
            if value < 0:
                raise ValueError(f"{key} must be >= 0")
            _config[key] = value
        return dict(_config)


FAULT_TARGETS = ("endpoint", "inferenceComponent", "role")


def add_fault(fault: dict[str, Any]) -> dict[str, Any]:
    """Validate and store one fault; see the module's docs and the README of the sandbox routes."""
    targets = [k for k in FAULT_TARGETS if k in fault]
    if len(targets) != 1:
        raise ValueError(f"a fault names exactly one of {', '.join(FAULT_TARGETS)}")
    target = targets[0]
    f = dict(fault)
    if target == "role":
        f.setdefault("on", "create-model")
        if f["on"] != "create-model":
            raise ValueError("a role fault applies on 'create-model'")
        f.setdefault("seconds", 60.0)
        f["seconds"] = float(f["seconds"])
        f.setdefault("times", None)  # persistent: applies while the role is younger than `seconds`
    else:
        if f.get("on") not in ("create", "update", "stream"):
            raise ValueError("'on' must be 'create', 'update' or 'stream'")
        if f["on"] == "stream":
            f.setdefault("errorCode", "StreamBroken")
            if f["errorCode"] not in STREAM_ERRORS:
                raise ValueError(f"'errorCode' must be one of {', '.join(STREAM_ERRORS)}")
            f["afterTokens"] = int(f.get("afterTokens", 1))
            if f["afterTokens"] < 0:
                raise ValueError("'afterTokens' must be >= 0")
        else:
            f.setdefault("mode", "fail")
            if f["mode"] not in ("fail", "rollback", "rollback-failed"):
                raise ValueError("'mode' must be 'fail', 'rollback' or 'rollback-failed'")
        f.setdefault("times", 1)
    f.setdefault("reason", _default_reason(f))
    with _lock:
        _faults.append(f)
    return f


#: ModelStreamError's ErrorCode values (botocore's sagemaker-runtime docs) and the sandbox's message for each
STREAM_ERRORS = {
    "ModelInvocationTimeExceeded": "Your invocation timed out while waiting for a response from container "
                                   "primary. Review the latency metrics for each container in Amazon CloudWatch, "
                                   "resolve the issue, and try again.",
    "StreamBroken": "The stream from container primary was broken before the response was complete.",
}


def _default_reason(f: dict[str, Any]) -> str:
    if "role" in f:
        return ""
    if f["on"] == "stream":
        return STREAM_ERRORS[f["errorCode"]]
    if f["on"] == "create":
        return "The primary container for production variant AllTraffic did not pass the ping health check. " \
               "Please check CloudWatch logs for this endpoint."
    return "Request to service failed. If failure persists after retry, contact customer support."


def list_faults() -> list[dict[str, Any]]:
    with _lock:
        return [dict(f) for f in _faults]


def clear_faults() -> None:
    with _lock:
        _faults.clear()


def _take_fault(kind: str, name: str, on: str) -> dict[str, Any] | None:
    """The first matching fault for a create/update of ``name`` (consumed when one-shot)."""
    with _lock:
        for f in _faults:
            if f.get(kind) in (name, "*") and f.get("on") == on:
                if f.get("times") is not None:
                    f["times"] -= 1
                    if f["times"] <= 0:
                        _faults.remove(f)
                return dict(f)
    return None



# --------------------------------------------------------------------------------------------------
# HTTP routes of the sandbox


def handle_route(method: str, path: str, body: bytes) -> tuple[int, dict[str, Any] | list[Any]]:
    """``/reconcile-sandbox/sagemaker/{config,faults}``: (status, JSON answer)."""
    sub = path[len(ROUTE_PREFIX):].strip("/")
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return 400, {"error": "the body must be JSON"}
    try:
        if sub == "config":
            if method == "GET":
                return 200, get_config()
            if method == "POST":
                if not isinstance(payload, dict):
                    raise ValueError("the body must be a JSON object")
                return 200, set_config(payload)
            if method == "DELETE":
                reset_config = env_config()
                with _lock:
                    _config.clear()
                    _config.update(reset_config)
                return 200, get_config()
        elif sub == "faults":
            if method == "GET":
                return 200, {"faults": list_faults()}
            if method == "POST":
                items = payload if isinstance(payload, list) else [payload]
                added = [add_fault(f) for f in items if isinstance(f, dict)]
                if not added:
                    raise ValueError("the body must be a fault object or a list of them")
                return 200, {"faults": list_faults(), "added": added}
            if method == "DELETE":
                clear_faults()
                return 200, {"faults": []}
        elif sub == "autoscaler" and method == "POST":
            from reconciler.sandbox.sagemaker.autoscaler import move

            return 200, move(payload if isinstance(payload, dict) else {})
        else:
            return 404, {"error": f"unknown route {path}; known: {ROUTE_PREFIX}config, {ROUTE_PREFIX}faults, "
                                  f"{ROUTE_PREFIX}autoscaler"}
    except (ValueError, TypeError) as e:
        return 400, {"error": str(e)}
    return 405, {"error": f"{method} not allowed on {path}"}


def wsgi_middleware(app: Any) -> Any:
    """Answer the sandbox's own routes; pass everything else to ``app``."""

    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(ROUTE_PREFIX.rstrip("/")):
            return app(environ, start_response)
        body = request_body(environ)
        status, answer = handle_route(environ.get("REQUEST_METHOD", "GET"), path, body)
        data = json.dumps(answer).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}[status]
        start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return middleware
