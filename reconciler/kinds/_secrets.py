"""The secret reference shared by kinds whose environment may hold secrets (Endpoint, Function)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from reconciler.kinds.base import Spec

SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,180}$")


class SecretRef(Spec):
    """A value read from AWS Secrets Manager at apply time only; shown as (secret), never planned or logged."""

    secretsManager: str = Field(min_length=1, max_length=180,
                                description="Name of the Secrets Manager secret holding the value.")

    @field_validator("secretsManager")
    @classmethod
    def _name(cls, v: str) -> str:
        if not SECRET_NAME.match(v):
            raise ValueError("secret names are 1-180 characters of letters, digits and /_+=.@-")
        return v
