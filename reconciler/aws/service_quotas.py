"""Service Quotas: the account's quotas of one service (read-only; plan's quota check, reconciler/quotas.py)."""

from __future__ import annotations

from typing import Any

SERVICE = "service-quotas"


def quotas(aws: Any, service_code: str) -> list[dict[str, Any]]:
    """Every quota of ``service_code`` in the region (AwsError when they cannot be read, e.g. AccessDenied)."""
    return list(aws.client("service-quotas").paginate("list_service_quotas", "Quotas", f"for {service_code}",
                                                      ServiceCode=service_code))
