"""sagemaker-runtime InvokeEndpoint: only on a serving endpoint, answering in the Hugging Face TGI shape."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from .common import _ics
from .components import _advance_ic
from .controls import SERVING, _lock
from .endpoints import _advance_endpoint, _config_is_ic_based

# --------------------------------------------------------------------------------------------------
# sagemaker-runtime


CANNED = (
    "Here is a short answer from the reconcile sandbox, an emulated SageMaker endpoint serving a "
    "Hugging Face LLM container. A real model would continue the text with its own words, but this one "
    "repeats a fixed and deterministic continuation so that tests and demos can rely on it."
)


def tgi_generate(payload: Any, label: str, model_id: str | None = None) -> list[dict[str, str]]:
    """The Hugging Face TGI answer for one request: deterministic, bounded by max_new_tokens (in words)."""
    if isinstance(payload, list):
        return [tgi_generate(p, label, model_id)[0] for p in payload]
    if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), str):
        raise ValueError('the request must be a JSON object with a string "inputs"')
    params = payload.get("parameters") or {}
    if not isinstance(params, dict):
        raise ValueError('"parameters" must be an object')
    prompt = payload["inputs"]
    max_new = params.get("max_new_tokens", 20)
    try:
        max_new = int(max_new)
    except (TypeError, ValueError):
        raise ValueError("max_new_tokens must be an integer") from None
    if max_new < 1:
        raise ValueError("`max_new_tokens` must be strictly positive")
    words = CANNED.split()  # (no leading space, no "[label hash]" tag: a user reads this answer)
    if model_id:  # an inference component answers for its own model: its first words name it
        words = [model_id, "here."] + words
    text = " ".join(words[:max_new])
    for stop in params.get("stop") or []:
        if isinstance(stop, str) and stop and stop in text:
            text = text[: text.index(stop) + len(stop)]
    if params.get("return_full_text"):
        text = f"{prompt} {text}"
    return [{"generated_text": text}]


def _errors() -> tuple[type[Exception], type[Exception]]:
    from moto.core.exceptions import ServiceException

    class RuntimeValidationError(ServiceException):
        code = "ValidationError"

    class ModelError(ServiceException):
        code = "ModelError"

    return RuntimeValidationError, ModelError


def serving(account: str, region: str, name: str, ic_name: str | None) -> tuple[str, str | None, str]:
    """(label, the component's HF_MODEL_ID, the variant) of a serving endpoint (and component) to invoke;
    ValidationError as AWS answers when it is missing, not serving, or needs the component header."""
    from moto.sagemaker.models import sagemaker_backends

    invalid = _errors()[0]
    backend = sagemaker_backends[account][region]
    with _lock:
        ep = backend.endpoints.get(name)
        if ep is not None:
            ep = _advance_endpoint(backend, ep)
        if ep is None or ep.endpoint_status not in SERVING:
            raise invalid(f"Endpoint {name} of account {account} not found.")
        cfg = backend.endpoint_configs.get(ep.endpoint_config_name)
        ic_based = cfg is not None and _config_is_ic_based(cfg)
        label = name
        model_id = None
        if ic_name:
            ic = _ics(backend).get(ic_name)
            if ic is not None:
                ic = _advance_ic(backend, ic)
            if ic is None or ic.endpoint_name != name:
                raise invalid(f"Inference Component {ic_name} not found for endpoint {name} of account {account}.")
            if ic.status not in ("InService", "Updating") or ic.current_copy_count < 1:
                raise invalid(f"Inference Component {ic_name} is not in service (status {ic.status}, "
                              f"{ic.current_copy_count} copies).")
            label = f"{name}/{ic_name}"
            model = backend._models.get((ic.specification or {}).get("ModelName") or "")
            env = ((getattr(model, "primary_container", None) or {}).get("Environment") or {}) if model else {}
            model_id = env.get("HF_MODEL_ID")
        elif ic_based:
            raise invalid(
                "Inference Component Name header is required for endpoints to which you plan to deploy inference "
                "components. Please include Inference Component Name header or consider using SageMaker models.")
        variant = ep.production_variants[0]["VariantName"] if ep.production_variants else "AllTraffic"
    return label, model_id, variant


def model_error(problem: Exception, name: str, account: str, region: str) -> Exception:
    """The ModelError (HTTP 424) AWS answers when the container refused the request with a 422."""
    err = _errors()[1](f"Received client error (422) from primary with message \"{problem}\". See "
                       f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
                       f"#logEventViewer:group=/aws/sagemaker/Endpoints/{name} in account {account} for more "
                       "information.")
    err.OriginalStatusCode = 422  # type: ignore[attr-defined]
    err.OriginalMessage = json.dumps({"error": str(problem), "error_type": "validation"})  # type: ignore[attr-defined]
    return err


def _invoke_endpoint(self: Any, original: Any) -> Any:
    parts = self.path.split("?")[0].split("/")
    name = unquote(parts[2]) if len(parts) > 2 else ""
    label, model_id, variant = serving(self.current_account, self.region, name,
                                       self.headers.get("X-Amzn-SageMaker-Inference-Component"))
    if self.sagemakerruntime_backend.results_queue:  # moto's canned results, when a test queued some
        return original(self)
    raw = self.body if isinstance(self.body, (bytes, str)) else b""
    try:
        payload = json.loads(raw or b"null")
        generated = tgi_generate(payload, label, model_id)
    except (ValueError, TypeError) as e:
        raise model_error(e, name, self.current_account, self.region) from None
    headers = {"Content-Type": "application/json", "x-Amzn-Invoked-Production-Variant": variant}
    return 200, headers, json.dumps(generated)
