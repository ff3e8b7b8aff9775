"""Names and tags of the parts behind one Endpoint: content-derived names, reconcile's own tags."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

ENDPOINT_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
COMPONENT_NAME = re.compile(r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$")
ENV_KEY = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$", re.ASCII)
HASH_LEN = 10
VARIANT = "AllTraffic"
ENDPOINT_TAG = "reconciler:endpoint"
#: on a component (and its models) made by the InferenceComponent kind: its name. Such a component is the
#: stack's but not its endpoint's part: the Endpoint neither changes nor deletes it
COMPONENT_TAG = "reconciler:inference-component"
PREVIOUS_CONFIG_TAG = "reconciler:previous-config"
PREVIOUS_MODEL_TAG = "reconciler:previous-model"
SECRET_TAG_PREFIX = "reconciler:secret:"
INTERNAL_TAGS = (PREVIOUS_CONFIG_TAG, PREVIOUS_MODEL_TAG)
#: what a model is made of: a change of any is a new model (its name derives from them)
MODEL_FIELDS = ("image", "environment", "weights", "executionRole")
#: desired-state fields that tell apply *how* to change the endpoint; not observable, never diffed
APPLY_ONLY = frozenset({"deployment", "smokeTest", "waitTimeoutSeconds"})


def content_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:HASH_LEN]


def prefix(endpoint: str) -> str:
    """The endpoint name cut so that ``<prefix>-<hash>`` fits AWS's 63 characters."""
    return endpoint[: 63 - HASH_LEN - 1].rstrip("-")


def derived_name(endpoint: str, content: Any) -> str:
    """``<endpoint>-<hash of content>``: valid as a model, endpoint-config and component name, at most 63 chars.

    Two endpoints never share a derived name: when the endpoint name is cut to fit, the hash covers the
    full endpoint name as well as the content (names of endpoints up to 52 characters, which are not cut,
    are what they always were). A derived name that exists already is used only when it carries this
    stack's tags and ``reconciler:endpoint = <this endpoint>`` (``ownership.check_existing``).
    """
    cut = prefix(endpoint)
    if cut == endpoint:
        return f"{endpoint}-{content_hash(content)}"
    return f"{cut}-{content_hash({'endpoint': endpoint, 'content': content})}"


def is_derived(endpoint: str, name: str) -> bool:
    return re.fullmatch(re.escape(prefix(endpoint)) + rf"-[0-9a-f]{{{HASH_LEN}}}", name) is not None


def default_ic_name(endpoint: str) -> str:
    """``<endpoint>-ic`` (the endpoint name itself when it ends in ``-ic`` already). An endpoint name too
    long for that is cut and followed by a hash of the full name, so endpoints sharing their first 60
    characters never share a component. (``X`` and ``X-ic`` would both derive ``X-ic``: validate refuses
    that within a DIR, and apply never uses a component that is not this endpoint's.)"""
    if endpoint.endswith("-ic"):
        return endpoint
    if len(endpoint) + 3 <= 63:
        return f"{endpoint}-ic"
    return f"{endpoint[: 63 - 3 - HASH_LEN - 1].rstrip('-')}-{content_hash(endpoint)}-ic"


def legacy_ic_name(endpoint: str) -> str:
    """The default component name releases before 2026-12 derived (``<endpoint>-ic``, the endpoint name cut
    to 60 characters): an endpoint they created keeps serving under it (``EndpointKind.keep_live_names``)."""
    return f"{endpoint[:60].rstrip('-')}-ic"


def ic_name(endpoint: str, desired: dict[str, Any]) -> str:
    return str((desired.get("inferenceComponent") or {}).get("name") or default_ic_name(endpoint))
