"""AWS_ENDPOINT_URL at a local address (the sandbox, a moto server, LocalStack …) where nothing answers: refused at
once, naming the variable, instead of botocore's retries ending ~20 s later in "Could not connect to the endpoint URL"
(typically a shell that ran `eval "$(reconcile sandbox env)"` before `reconcile sandbox stop`)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from reconciler.errors import UsageError

LOCAL_NAMES = frozenset({"localhost", "::1", "0.0.0.0"})


def is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in LOCAL_NAMES or host.startswith("127.") or host.endswith(".localhost")


def answers(url: str, timeout: float = 1.0) -> bool:
    """Something accepts connections at ``url``'s host and port."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname or "localhost", port), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def refuse_if_silent(url: str) -> None:
    """Raise when ``url`` (AWS_ENDPOINT_URL) is a local address where nothing answers."""
    if is_local(url) and not answers(url):
        raise UsageError(
            f"AWS_ENDPOINT_URL points at {url}, a local address where nothing answers (a stopped sandbox? a shell "
            "that ran `eval \"$(reconcile sandbox env)\"` keeps pointing there after `reconcile sandbox stop`). "
            "Run `eval \"$(reconcile sandbox env)\"` again for a running sandbox, or `unset AWS_ENDPOINT_URL "
            "AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY` to use your AWS credentials; nothing was changed")
