"""The plan as data: frozen pydantic models. Saved plans are these, as versioned JSON."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PLAN_FORMAT_VERSION = 1


class Action(StrEnum):
    create = "create"
    update = "update"
    replace = "replace"  # type: ignore[assignment]  # (shadows str.replace; never called on an Action)
    delete = "delete"
    noop = "noop"


class FieldChange(BaseModel):
    """One field that differs: ``path`` in the resource's state, the live and the desired value."""

    model_config = ConfigDict(frozen=True)
    path: str
    op: str = Field(description="add | remove | change")
    before: Any = None
    after: Any = None
    forces_replacement: bool = False


class Step(BaseModel):
    """One resource and what apply will do to it."""

    model_config = ConfigDict(frozen=True)
    kind: str
    name: str
    action: Action
    reason: str
    changes: tuple[FieldChange, ...] = ()
    desired: dict[str, Any] | None = Field(None, description="The state apply converges to (secrets by reference only)")
    live_digest: str | None = Field(None, description="Fingerprint of the live state planned against (stale-plan check)")
    layer: int = 0
    depends_on: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.name}"


class Problem(BaseModel):
    """Something that makes the plan unsafe to apply (apply refuses while any exists)."""

    model_config = ConfigDict(frozen=True)
    kind: str
    name: str
    code: str = Field(description="conflict | protected | in-use | account")
    message: str


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True)
    format_version: int = PLAN_FORMAT_VERSION
    command: str = "plan"
    stack: str
    account: str
    region: str
    sandbox: bool = False
    manifests_digest: str | None = None
    manifests_path: str | None = None
    environment: str | None = None  # the environment (kind: Environment) the plan was made for
    created_at: str = ""
    steps: tuple[Step, ...] = ()
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.action != Action.noop]

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, int]:
        out = {a.value: 0 for a in Action}
        for s in self.steps:
            out[s.action.value] += 1
        return out

    def summary(self) -> str:
        c = self.counts()
        return (f"{c['create']} to create, {c['update']} to update, "
                f"{c['replace']} to replace, {c['delete']} to delete")
