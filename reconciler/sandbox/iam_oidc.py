"""moto 5.2 lacks AddClientIDToOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider: add them.

AWS: adding a client id that is already registered, or removing one that is not, succeeds and
changes nothing; an unknown provider ARN is NoSuchEntity (moto's get_open_id_connect_provider).
"""

from __future__ import annotations

from typing import Any


def install() -> None:
    """Teach this process's moto the two calls (idempotent)."""
    from moto.core.responses import EmptyResult
    from moto.iam.responses import IamResponse

    if hasattr(IamResponse, "add_client_id_to_open_id_connect_provider"):
        return

    def _provider(self: Any) -> Any:
        return self.backend.get_open_id_connect_provider(self._get_param("OpenIDConnectProviderArn"))

    def add_client_id_to_open_id_connect_provider(self: Any) -> Any:
        provider, client_id = _provider(self), self._get_param("ClientID")
        if client_id not in provider.client_id_list:
            provider.client_id_list.append(client_id)
        return EmptyResult()

    def remove_client_id_from_open_id_connect_provider(self: Any) -> Any:
        provider, client_id = _provider(self), self._get_param("ClientID")
        if client_id in provider.client_id_list:
            provider.client_id_list.remove(client_id)
        return EmptyResult()

    IamResponse.add_client_id_to_open_id_connect_provider = add_client_id_to_open_id_connect_provider  # type: ignore[attr-defined]
    IamResponse.remove_client_id_from_open_id_connect_provider = remove_client_id_from_open_id_connect_provider  # type: ignore[attr-defined]
