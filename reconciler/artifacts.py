"""What apply builds from a plan's references, checked: a Function's code zip and a value's fingerprint.

``built_zip(folder, sha256, manifests)`` (a ``$zip`` reference) zips the code again from the repository, exactly
as plan did (reproducibly: sorted entries, fixed timestamps and modes), under the same reading rules
(``reconciler.kinds._code``: regular files only, inside the repository holding the manifests, Lambda's size caps),
and refuses, uploading nothing, when the result is not the zip the plan was made with. ``folder`` is relative to
that repository (the git work tree holding the manifests folder, else that folder), so a saved plan applies from
any folder and in another checkout of the same commit.

``fingerprint(value, salt)`` (a ``$fingerprint`` reference) is the short scrypt digest a Function records of
a secret-backed environment value in its marker tag.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from reconciler.errors import ReconcileError

#: the fingerprint's scheme prefix (scrypt); an older release's marks have none (a fast HMAC)
FINGERPRINT_SCHEME = "s1:"


def sha256_b64(data: bytes) -> str:
    """Lambda's CodeSha256: the base64 of the zip's SHA-256 digest (what a ``$zip`` reference's sha256 is)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def built_zip(folder: str, sha256: str, manifests: str | None = None) -> bytes:
    """The deployment zip of ``folder`` (a folder or a .zip file, relative to the repository holding the
    ``manifests`` folder this run read; without one, to the working directory), whose digest must be
    ``sha256``; ReconcileError (nothing uploaded) otherwise."""
    from reconciler.kinds import _code

    root = _code.repository(Path(manifests)) if manifests else None
    path = root / folder if root else Path(folder)
    if not path.exists() and not path.is_symlink():
        raise ReconcileError(f"the code {folder} is not there (in {root or Path.cwd()}); nothing was uploaded")
    try:
        data = _code.package(path, root)
    except _code.CodeError as e:
        raise ReconcileError(f"the code {folder} cannot be read: {e}. Nothing was uploaded") from None
    got = sha256_b64(data)
    if got != sha256:
        raise ReconcileError(f"the code in {folder} changed since the plan was made (its zip's SHA-256 is {got}, "
                             f"the plan's {sha256}); nothing was uploaded. Run plan again and review it")
    return data


def fingerprint(value: str, salt: str) -> str:
    """A short, slow digest of ``value``: scrypt (about 16 MiB and tens of ms per guess) salted with ``salt``,
    cut to 64 bits. It tells a changed value; guessing a weak value from it costs a brute force at scrypt's
    price per try (tags that carry it are readable with less access than the value)."""
    digest = hashlib.scrypt(value.encode(), salt=salt.encode(), n=2**14, r=8, p=1, dklen=8)
    return FINGERPRINT_SCHEME + digest.hex()
