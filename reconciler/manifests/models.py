"""What manifests load into: the Stack's settings and every resource's metadata (pydantic models, which the
JSON Schemas come from), the tag rules, and Manifests, the loaded folder."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler import ACCOUNT_ID
from reconciler.errors import Issue
from reconciler.kinds.base import Resource
from reconciler.lock import LockSpec

RESERVED_TAG_PREFIXES = ("aws:", "reconciler:")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$")


def region_name(v: str | None) -> str | None:
    """``v`` when it is an AWS region name (or None); else ValueError (for a Stack's or Environment's spec.region)."""
    if v is not None and not _REGION.match(v):
        raise ValueError(f"{v!r} is not an AWS region name (like us-east-1)")
    return v


class Metadata(BaseModel):
    """Identity of a resource: its AWS name, extra tags, and reconcile annotations."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="The AWS name of the resource.")
    tags: dict[str, str] = Field(default_factory=dict, description="Extra tags, merged with the ownership tags.")
    annotations: dict[str, str] = Field(
        default_factory=dict,
        description='reconcile annotations, e.g. reconciler/prevent-destroy: "true" or reconciler/adopt: "true".',
    )

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        problems = tag_problems(tags)
        if problems:
            raise ValueError(problems[0][1])
        return tags


MAX_USER_TAGS = 47


def tag_problems(tags: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(tag key or None for the whole map, message) for every tag AWS or reconcile would refuse."""
    out: list[tuple[str | None, str]] = []
    if len(tags) > MAX_USER_TAGS:
        out.append((None, f"{len(tags)} tags; at most {MAX_USER_TAGS} are allowed "
                          "(AWS allows 50 per resource and reconcile adds up to 3 of its own)"))
    for k, v in tags.items():
        k = str(k)
        if not 1 <= len(k) <= 128:
            out.append((k, f"tag key is {len(k)} characters; allowed: 1-128"))
        if k.lower().startswith(RESERVED_TAG_PREFIXES):
            out.append((k, f"tag key {k!r} uses a reserved prefix; keys starting with 'aws:' or 'reconciler:' "
                           "are set by AWS and reconcile, not in manifests"))
        if isinstance(v, str) and len(v) > 256:
            out.append((k, f"tag value is {len(v)} characters; allowed: 0-256"))
    return out


class StackSpec(BaseModel):
    """Settings of the whole stack."""

    model_config = ConfigDict(extra="forbid")
    region: str | None = Field(None, description="AWS region of every resource in the stack, e.g. eu-west-1.")
    accountId: str | None = Field(
        None, description="When set, every command refuses to touch any other AWS account.", pattern=ACCOUNT_ID
    )
    prune: bool = Field(
        False, description="Make apply delete what this stack owns (by its tags) that the manifests no longer "
                           "declare, like Flux's prune: true. Off by default: plan lists such orphans and "
                           "`reconcile prune` deletes them. Resources annotated reconciler/prevent-destroy, or "
                           "still used by a declared one, are kept and listed."
    )
    lock: LockSpec | None = Field(
        None, description="Lock that keeps applies, prunes and destroys of this stack from overlapping across "
                          "machines: {dynamodbTable: NAME} (see docs/locking.md). Without it, runs on one machine "
                          "are kept apart by a local lock file."
    )

    @field_validator("region")
    @classmethod
    def _region(cls, v: str | None) -> str | None:
        return region_name(v)


@dataclass
class Stack:
    name: str
    spec: StackSpec
    file: str | None = None
    line: int | None = None


@dataclass
class Manifests:
    """Everything declared under one folder."""

    root: Path
    stack: Stack
    resources: list[Resource]
    warnings: list[Issue] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: files under the folder that are not manifests (not *.yaml / *.yml): listed, never read
    skipped: list[Path] = field(default_factory=list)
    environment: str | None = None  # the environment composed (kind: Environment), if any
    composition: Any = None  # reconciler.environments.Composition

    def by_id(self) -> dict[tuple[str, str], Resource]:
        return {(r.kind, r.name): r for r in self.resources}
