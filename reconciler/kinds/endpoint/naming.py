"""Names and tags of the parts behind one Endpoint: content-derived names, reconcile's own tags."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
COMPONENT_NAME = re.compile(r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$")
ENV_KEY = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
HASH_LEN = 10
VARIANT = "AllTraffic"
ENDPOINT_TAG = "reconciler:endpoint"
PREVIOUS_CONFIG_TAG = "reconciler:previous-config"
PREVIOUS_MODEL_TAG = "reconciler:previous-model"
SECRET_TAG_PREFIX = "reconciler:secret:"
INTERNAL_TAGS = (PREVIOUS_CONFIG_TAG, PREVIOUS_MODEL_TAG)
#: desired-state fields that tell apply *how* to change the endpoint; not observable, never diffed
APPLY_ONLY = frozenset({"deployment", "smokeTest", "waitTimeoutSeconds"})


def content_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:HASH_LEN]


def prefix(endpoint: str) -> str:
    """The endpoint name cut so that ``<prefix>-<hash>`` fits AWS's 63 characters."""
    return endpoint[: 63 - HASH_LEN - 1].rstrip("-")


def derived_name(endpoint: str, content: Any) -> str:
    """``<endpoint>-<hash of content>``: valid as a model, endpoint-config and component name, at most 63 chars."""
    return f"{prefix(endpoint)}-{content_hash(content)}"


def is_derived(endpoint: str, name: str) -> bool:
    return re.fullmatch(re.escape(prefix(endpoint)) + rf"-[0-9a-f]{{{HASH_LEN}}}", name) is not None


def ic_name(endpoint: str, desired: dict[str, Any]) -> str:
    base = endpoint[:60].rstrip("-")
    return str((desired.get("inferenceComponent") or {}).get("name") or (base if base.endswith("-ic") else f"{base}-ic"))
