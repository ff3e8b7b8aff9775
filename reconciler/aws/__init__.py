"""Thin adapters over boto3: one place for sessions, retries, endpoints, not-found and error wording.

Every AWS call in reconcile goes through ``Aws.client(service)``, a ``Client`` that
- retries with botocore's adaptive mode (backoff + jitter, client-side rate limiting on throttling;
  ``AWS_MAX_ATTEMPTS`` / ``AWS_RETRY_MODE`` override the defaults, see ``retry_settings``),
- turns the service's not-found answers into ``None`` (``get``),
- turns every other failure into ``AwsError("Failed to <verb> <what>: <AWS message>")``, naming the IAM action
  the call needs (``AwsError.permission``: a refusal says which permission is missing),
- fails at once, unretried, on an answer that is not the service's protocol (an HTML error page),
- paginates, and counts calls (for ``--debug`` and the benchmarks).
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from reconciler.errors import CREDENTIALS_REFUSED, AwsError, ReconcileError

# Error codes (or message fragments) meaning "does not exist", per service.
NOT_FOUND: dict[str, tuple[str, ...]] = {
    "iam": ("NoSuchEntity",),
    "secretsmanager": ("ResourceNotFoundException",),
    "sagemaker": ("ValidationException:Could not find", "ResourceNotFound"),
    "lambda": ("ResourceNotFoundException",),
    "apigatewayv2": ("NotFoundException",),
    "s3": ("NoSuchKey", "NoSuchBucket", "404"),
    "dynamodb": ("ResourceNotFoundException",),
    "application-autoscaling": ("ObjectNotFoundException",),
    "cloudwatch": ("ResourceNotFound", "ResourceNotFoundException"),
}


def _is_not_found(service: str, code: str, message: str) -> bool:
    for pattern in NOT_FOUND.get(service, ()):
        if ":" in pattern:
            pcode, fragment = pattern.split(":", 1)
            if code == pcode and fragment.lower() in message.lower():
                return True
        elif code == pattern:
            return True
    return False


def _verb(op: str) -> str:
    """'create_role' -> 'create role'."""
    return op.replace("_", " ")


#: IAM's service prefix where it is not botocore's signing name
IAM_PREFIX = {"tagging": "tag", "monitoring": "cloudwatch"}
_AUTHORIZED = re.compile(r"not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)")


def iam_action(raw: Any, operation: str) -> str:
    """The IAM action an API operation needs: ``sagemaker:ListModels``, ``tag:GetResources``; API Gateway's
    (HTTP APIs included) are its HTTP methods on the resource path (``apigateway:GET``)."""
    model = raw.meta.service_model
    prefix = model.signing_name or model.endpoint_prefix
    if prefix == "apigateway":
        return f"apigateway:{model.operation_model(operation).http.get('method', 'GET')}"
    if prefix == "s3":
        from reconciler.awsmodel.iam_reference import s3_action

        return s3_action(operation)
    return f"{IAM_PREFIX.get(prefix, prefix)}:{operation}"


class NotProtocolAnswer(Exception):
    """The answer is an HTML page (a proxy's, a firewall's, an emulator's error page), not the service's API."""

    def __init__(self, status: int):
        self.status = status
        super().__init__(f"HTTP {status}")


def _is_page(response: Any = None, operation: Any = None, **_: Any) -> None:
    """botocore ``needs-retry`` hook, run before its retry handler: an HTML page is not the service speaking,
    and asking again does not change that (botocore would retry a 500 page ten times, 10-19 s): fail now."""
    if not response:
        return None
    http = response[0]
    if http.status_code < 300 and operation is not None and (operation.has_streaming_output
                                                              or operation.has_event_stream_output):
        return None  # a payload (a model's answer) may be anything; reading it here would consume the stream
    head = bytes(http.content[:64] or b"").lstrip().lower()  # (by content: emulators label JSON text/html)
    if head.startswith((b"<!doctype html", b"<html")):
        raise NotProtocolAnswer(http.status_code)
    return None


#: where botocore found the credentials (``Credentials.method``), as a user would name it
_SOURCES = {"env": "environment variables (AWS_ACCESS_KEY_ID)",
            "shared-credentials-file": "the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials)",
            "config-file": "the AWS config file (AWS_CONFIG_FILE, ~/.aws/config)",
            "assume-role": "a role a profile assumes (role_arn)",
            "assume-role-with-web-identity": "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)",
            "sso": "IAM Identity Center (aws sso login)", "iam-role": "the instance's role (instance metadata)",
            "container-role": "the container's role"}


def _credential_source(raw: Any) -> str:
    """Where the credentials ``raw`` signs with came from (never the key or the secret)."""
    method = getattr(getattr(getattr(raw, "_request_signer", None), "_credentials", None), "method", None)
    return _SOURCES.get(str(method), f"botocore's {method!r} provider" if method else "an unknown source")


class Client:
    """A boto3 client wrapped with reconcile's error handling."""

    def __init__(self, service: str, raw: Any, counter: Counter, lock: threading.Lock):
        self.service = service
        self.raw = raw
        self._counter = counter
        self._lock = lock
        # botocore loads a client's paginator model on first use, through a cache that is not thread-safe:
        # threads paginating at once each listed every service model folder (~450 listdirs apiece)
        self._paginator_lock = threading.Lock()
        self._paginators: dict[str, Any] = {}

    def _count(self, op: str) -> None:
        with self._lock:
            self._counter[f"{self.service}:{op}"] += 1

    def call(self, op: str, what: str = "", **kwargs: Any) -> dict[str, Any]:
        """Call ``op``; any failure becomes an AwsError naming ``what`` (e.g. 'Role/x')."""
        self._count(op)
        try:
            return getattr(self.raw, op)(**kwargs)
        except Exception as e:
            err = self._error(op, what, e)
            if err is e:
                raise
            raise err from e

    def _error(self, op: str, what: str, e: Exception) -> Exception:
        """``e`` as the AwsError the user reads (any other exception as it is)."""
        from botocore.exceptions import BotoCoreError, ClientError

        target = f" {what}" if what else ""
        api = self.raw.meta.method_to_api_mapping.get(op, op)
        if isinstance(e, ClientError):
            err = e.response.get("Error", {})
            code, msg = str(err.get("Code", "")), str(err.get("Message", e))
            if code in CREDENTIALS_REFUSED:
                return AwsError(f"AWS refused the credentials when reconcile called {self.service} {api} ({code}: "
                                f"{msg}): the access key is unknown, deleted or inactive, its secret is wrong, or its "
                                f"session has expired; no permission changes that. They came from "
                                f"{_credential_source(self.raw)}: renew them there (`aws sts get-caller-identity` "
                                "checks them)", code=code)
            said = _AUTHORIZED.search(msg)
            return AwsError(f"Failed to {_verb(op)}{target}: {code}: {msg}", code=code,
                            permission=said.group(1) if said else iam_action(self.raw, api))
        if isinstance(e, NotProtocolAnswer):
            where = f" at {self.raw.meta.endpoint_url}" if os.environ.get("AWS_ENDPOINT_URL") else ""
            return AwsError(f"Failed to {_verb(op)}{target}: {self.service} {api} was answered{where} with an "
                            f"HTML page (HTTP {e.status}), not the {self.service} API: a proxy, firewall or emulator "
                            "in the way does not serve this call")
        if isinstance(e, BotoCoreError):
            return AwsError(f"Failed to {_verb(op)}{target}: {e}")
        return e

    def get(self, op: str, what: str = "", **kwargs: Any) -> dict[str, Any] | None:
        """Like ``call``, but a not-found answer is ``None``."""
        try:
            return self.call(op, what, **kwargs)
        except AwsError as e:
            cause = e.__cause__
            from botocore.exceptions import ClientError

            if isinstance(cause, ClientError):
                err = cause.response.get("Error", {})
                if _is_not_found(self.service, str(err.get("Code", "")), str(err.get("Message", ""))):
                    return None
            raise

    def ignore_missing(self, op: str, what: str = "", **kwargs: Any) -> None:
        """Call ``op`` (typically a delete/detach) treating not-found as done."""
        self.get(op, what, **kwargs)

    def paginate(self, op: str, key: str, what: str = "", **kwargs: Any) -> Iterator[Any]:
        """Yield the items under ``key`` of every page of ``op``."""
        from botocore.exceptions import ClientError

        with self._paginator_lock:
            paginator = self._paginators.get(op)
            if paginator is None:  # (botocore builds a new paginator class on every call: one per operation)
                paginator = self._paginators[op] = self.raw.get_paginator(op)
        try:
            for page in paginator.paginate(**kwargs):
                self._count(op)
                yield from page.get(key, [])
        except Exception as e:
            if isinstance(e, ClientError):
                err = e.response.get("Error", {})
                if _is_not_found(self.service, str(err.get("Code", "")), str(err.get("Message", ""))):
                    return
            mine = self._error(op, what, e)
            if mine is e:
                raise
            raise mine from e


#: ``--concurrency``'s default: requests in flight per AWS service (reads) and steps at once (apply). AWS publishes no
#: request rates for IAM or STS (token buckets per API and account, refilled every second); Terraform keeps 10
#: resources in flight. 16 halves a 250-resource plan's per-resource reads against 8 while staying within what
#: botocore's adaptive retry slows down to when a service throttles (benchmarks/README.md).
DEFAULT_CONCURRENCY = 16

DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_RETRY_MODE = "adaptive"


def retry_settings(max_attempts: int | None = None, mode: str | None = None) -> tuple[int, str]:
    """botocore retry settings: adaptive mode, 10 attempts in all, unless AWS_MAX_ATTEMPTS / AWS_RETRY_MODE say otherwise.

    Both modes retry throttling (400 Throttling/ThrottlingException, 429), 5xx and dropped connections
    with exponential backoff and full jitter (at most 20 s between attempts); adaptive mode also slows
    this client down while AWS throttles it. Everything else fails at once.
    """
    if max_attempts is None:
        raw = os.environ.get("AWS_MAX_ATTEMPTS", "")
        max_attempts = int(raw) if raw.isdigit() and int(raw) >= 1 else DEFAULT_MAX_ATTEMPTS
    if mode is None:
        raw = os.environ.get("AWS_RETRY_MODE", "")
        mode = raw if raw in ("standard", "adaptive", "legacy") else DEFAULT_RETRY_MODE
    return max_attempts, mode


def _timestamp(value: Any) -> Any:
    """botocore's timestamp parser, with a fast path for ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (the same datetime)."""
    if isinstance(value, str) and value.endswith("Z"):
        from datetime import datetime

        from dateutil.tz import tzutc

        try:
            return datetime.fromisoformat(value[:-1]).replace(tzinfo=tzutc())
        except ValueError:
            pass
    from botocore.utils import parse_timestamp

    return parse_timestamp(value)


class Aws:
    """Sessions and clients for one command run (thread-safe: clients are created once, under a lock)."""

    def __init__(
        self,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        max_pool: int = 16,
        max_attempts: int | None = None,
        retry_mode: str | None = None,
    ):
        import botocore.session
        from botocore.config import Config

        from reconciler import __version__, runlog

        max_attempts, retry_mode = retry_settings(max_attempts, retry_mode)
        # botocore's session, not boto3's: reconcile uses no boto3 resources, and boto3 imports s3transfer and
        # multiprocessing on the way (~15 ms of every command's start)
        self.session = core = botocore.session.Session(profile=profile)
        if region:
            core.set_config_variable("region", region)
        _require_profile(core)
        if not core.get_config_variable("data_path"):  # (AWS_DATA_PATH: botocore's own loader, searching there)
            from reconciler.awsmodel.shapes import loader

            core.register_component("data_loader", loader())  # the service models validation already parsed
        # botocore parses every timestamp with dateutil; ISO 8601 UTC, what the query and XML protocols return,
        # is read directly (anything else still by botocore's parser)
        core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_timestamp)
        self.region = region or core.get_config_variable("region") or "us-east-1"
        self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        #: this run's id: in every call's User-Agent (CloudTrail shows it) and in the run log (reconciler/runlog.py)
        self.run_id = runlog.new_id()
        runlog.started(self.run_id, self.endpoint_url)
        self._config = Config(
            user_agent_extra=f"reconcile/{__version__} reconcile-run/{self.run_id}",
            retries={"mode": retry_mode, "total_max_attempts": max_attempts},
            max_pool_connections=max_pool,
            connect_timeout=10,
            read_timeout=70,
        )
        self._clients: dict[str, Client] = {}
        self._lock = threading.Lock()
        self.calls: Counter = Counter()
        self._count_lock = threading.Lock()
        self._identity: dict[str, str] | None = None
        self._cache: dict[str, Any] = {}
        self._cache_lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def cached(self, key: str, fetch: Callable[[], Any]) -> Any:
        """A value read once per command (e.g. a list call several reads share).

        One lock per key: threads wanting the same value wait for the one fetching it, while other
        keys (another service's list) are fetched at the same time.
        """
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            with self._cache_lock:
                if key in self._cache:
                    return self._cache[key]
            value = fetch()
            with self._cache_lock:
                self._cache[key] = value
            return value

    def keep(self, key: str, value: Any) -> None:
        """Store a value read ahead (``cached`` then returns it), unless one is stored already."""
        with self._cache_lock:
            self._cache.setdefault(key, value)

    def is_cached(self, key: str) -> bool:
        with self._cache_lock:
            return key in self._cache

    def invalidate(self) -> None:
        """Forget cached reads (after changes, before re-observing)."""
        with self._cache_lock:
            self._cache.clear()

    def client(self, service: str, region: str | None = None) -> Client:
        """The service's client in this run's region (``region``: another one, for APIs that answer only in a
        few regions, such as the Price List API)."""
        key = service if region in (None, self.region) else f"{service}@{region}"
        with self._lock:
            if key not in self._clients:
                kwargs: dict[str, Any] = {"region_name": region or self.region, "config": self._config}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                raw = self.session.create_client(service, **kwargs)
                raw.meta.events.register_first("needs-retry", _is_page)
                self._clients[key] = Client(service, raw, self.calls, self._count_lock)
            return self._clients[key]

    def identity(self) -> dict[str, str]:
        """STS GetCallerIdentity (cached): Account, Arn, UserId."""
        if self._identity is None:
            resp = self.client("sts").call("get_caller_identity")
            self._identity = {k: resp[k] for k in ("Account", "Arn", "UserId")}
        return self._identity

    @property
    def partition(self) -> str:
        return partition_of(self.region)


#: the partitions other than ``aws``, by their regions' prefix (botocore's endpoints.json, regionRegex)
_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"), ("us-isof-", "aws-iso-f"),
               ("us-iso-", "aws-iso"), ("eu-isoe-", "aws-iso-e"), ("eusc-", "aws-eusc"))


def partition_of(region: str) -> str:
    """The partition ARNs in ``region`` name: ``aws``, ``aws-cn``, ``aws-us-gov`` …"""
    return next((p for prefix, p in _PARTITIONS if region.startswith(prefix)), "aws")


def _require_profile(core: Any) -> None:
    """A named profile (--profile, AWS_PROFILE) that no AWS config file has is an error said in words, here."""
    from botocore.exceptions import ProfileNotFound

    try:
        core.get_scoped_config()
    except ProfileNotFound as e:
        files = " or ".join(os.path.expanduser(core.get_config_variable(v)) for v in ("config_file", "credentials_file"))
        known = ", ".join(sorted(core.available_profiles)) or "none"
        raise ReconcileError(f"the AWS profile {e.kwargs.get('profile')!r} (--profile or AWS_PROFILE) is not in {files} "
                             f"(profiles there: {known}); name one of them, or configure it with "
                             "`aws configure --profile NAME`") from None


def has_credentials() -> bool:
    """True when botocore can find credentials (env, profile, SSO, instance role …)."""
    try:
        import botocore.session

        return botocore.session.Session().get_credentials() is not None
    except Exception:  # a broken profile is the user's to see when they use it
        return True


Progress = Callable[[str], None]
