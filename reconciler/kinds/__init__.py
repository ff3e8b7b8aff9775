"""REGISTRY: every resource kind, one line each. Nothing else imports a concrete kind."""

from __future__ import annotations

from reconciler.kinds.base import Kind
from reconciler.kinds.endpoint import KIND as ENDPOINT
from reconciler.kinds.http_api import KIND as HTTP_API
from reconciler.kinds.iam_oidc_provider import KIND as OIDC_PROVIDER
from reconciler.kinds.iam_policy import KIND as POLICY
from reconciler.kinds.iam_role import KIND as ROLE
from reconciler.kinds.iam_user import KIND as USER
from reconciler.kinds.inference_component import KIND as INFERENCE_COMPONENT
from reconciler.kinds.lambda_function import KIND as FUNCTION

REGISTRY: dict[str, Kind] = {
    POLICY.kind: POLICY,
    OIDC_PROVIDER.kind: OIDC_PROVIDER,
    ROLE.kind: ROLE,
    USER.kind: USER,
    ENDPOINT.kind: ENDPOINT,
    INFERENCE_COMPONENT.kind: INFERENCE_COMPONENT,
    FUNCTION.kind: FUNCTION,
    HTTP_API.kind: HTTP_API,
}
