"""Authentication in the sandbox: whether AWS accepts a request's credentials at all, before any policy is read.

In enforce mode (``iam_authorization``), a key of IAM's form (``AKIA``/``ASIA`` and 16 letters or digits) that no
user or role session holds active (deleted, deactivated, never issued) is refused as AWS refuses it:
``InvalidClientTokenId`` ("The security token included in the request is invalid.", HTTP 403) from the query
services, ``UnrecognizedClientException`` from the JSON ones, ``InvalidAccessKeyId`` from S3. A session's key
needs its session token (``X-Amz-Security-Token``) and is ``ExpiredToken`` once the session has expired. A user's
or session's request is signed again with the key's secret (botocore's SigV4 signer over the request as it came
in): another secret's signature is ``SignatureDoesNotMatch`` / ``InvalidSignatureException``. Keys outside IAM's
form (the sandbox's dummy ``sandbox``/``testing``) are the account's root, as before.

Not modelled: the ``Date`` header instead of ``X-Amz-Date`` (botocore always sends the latter), presigned URLs
(query-string authentication), and the clock skew AWS allows (a request's time is not checked).
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from reconciler.sandbox.extensions import request_target

#: an access key id as IAM and STS issue them (moto's too): what a user's or a session's key looks like
ISSUED = re.compile(r"(AKIA|ASIA)[A-Z0-9]{16}")
#: the one key moto's GetSessionToken and GetFederationToken hand out, held by no one it records: the root's, as
#: every key outside IAM's form (AWS: the permissions of the user who asked for it)
MOTO_TOKEN_KEY = "AKIAIOSFODNN7EXAMPLE"
INVALID_TOKEN = "The security token included in the request is invalid."


def holder(key: str) -> tuple[str, Any, Any, Any] | None:
    """(account, its IAM backend, the user or None, the role session or None) holding the active key ``key``, in
    any partition (None: no one holds it active)."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    for account in list(iam_backends):
        for partition, backend in list(iam_backends[account].items()):
            for user in list(backend.users.values()):
                if any(k.access_key_id == key and k.status == "Active" for k in user.access_keys):
                    return account, backend, user, None
            for session in list(sts_backends[account][partition].assumed_roles):
                if session.access_key_id == key:
                    return account, backend, None, session
    return None


#: how AWS words a refusal in each protocol: (code, message) for the query services (IAM, STS: HTTP 403) and the
#: JSON and rest-json ones (HTTP 400 / 403), (code, message, HTTP status) for S3's REST-XML
Refused = dict[str, tuple[Any, ...]]
EXPIRED = "The security token included in the request is expired"
UNKNOWN_KEY: Refused = {"query": ("InvalidClientTokenId", INVALID_TOKEN),
                        "json": ("UnrecognizedClientException", INVALID_TOKEN),
                        "s3": ("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.",
                               403)}
BAD_TOKEN: Refused = {**UNKNOWN_KEY, "s3": ("InvalidToken", "The provided token is malformed or otherwise invalid.", 400)}
EXPIRED_TOKEN: Refused = {"query": ("ExpiredToken", EXPIRED), "json": ("ExpiredTokenException", EXPIRED),
                          "s3": ("ExpiredToken", "The provided token has expired.", 400)}


def unauthenticated(environ: dict[str, Any], body: bytes, key: str, found: tuple[str, Any, Any, Any] | None
                    ) -> Refused | None:
    """Why AWS refuses the credentials of a request signed with ``key`` (``found``: ``holder(key)``) before any
    policy, or None. A session's key is valid only with its session token (X-Amz-Security-Token) and until it
    expires; any key's request must be signed with its secret."""
    if found is None:
        return UNKNOWN_KEY
    _, _, user, session = found
    if session is not None:
        secret = str(session.secret_access_key)
        if environ.get("HTTP_X_AMZ_SECURITY_TOKEN") != session.session_token:
            return BAD_TOKEN
        from moto.core.utils import utcnow

        if utcnow() >= session.expiration:
            return EXPIRED_TOKEN
    else:
        secret = str(next(k.secret_access_key for k in user.access_keys if k.access_key_id == key))
    if not signature_matches(environ, body, secret):
        return BAD_SIGNATURE
    return None


_SIGNATURE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
                        r"SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})")
_WSGI_HEADER = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}
SIGNATURE_WORDS = ("The request signature we calculated does not match the signature you provided. Check your AWS "
                   "Secret Access Key and signing method. Consult the service documentation for details.")
BAD_SIGNATURE: Refused = {"query": ("SignatureDoesNotMatch", SIGNATURE_WORDS),
                          "json": ("InvalidSignatureException", SIGNATURE_WORDS),
                          "s3": ("SignatureDoesNotMatch", "The request signature we calculated does not match the "
                                 "signature you provided. Check your key and signing method.", 403)}


def signature_matches(environ: dict[str, Any], body: bytes, secret: str) -> bool:
    """The request's SigV4 signature is the one ``secret`` makes of it (AWS recomputes it and refuses a request
    signed with another secret: SignatureDoesNotMatch). botocore's signer over the request as it came in: the
    signed headers, the path and query as sent, the body (or the x-amz-content-sha256 it signed)."""
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    found = _SIGNATURE.fullmatch((environ.get("HTTP_AUTHORIZATION") or "").strip())
    if found is None:
        return False
    key, _, region, service, signed, signature = found.groups()
    headers = {}
    for name in signed.split(";"):
        value = environ.get(_WSGI_HEADER.get(name, "HTTP_" + name.upper().replace("-", "_")))
        if value is None:
            return False
        headers[name] = value
    if "x-amz-date" not in headers:
        return False
    raw = request_target(environ)
    request = AWSRequest(method=environ.get("REQUEST_METHOD", "GET"), url=f"http://{headers.get('host', 'h')}{raw}",
                         data=body, headers=headers)
    request.context["timestamp"] = headers["x-amz-date"]
    auth = (S3SigV4Auth if service == "s3" else SigV4Auth)(Credentials(key, secret), service, region)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    return hmac.compare_digest(expected, signature)


