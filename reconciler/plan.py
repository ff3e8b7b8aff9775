"""The plan as data: frozen pydantic models. Saved plans are these, as versioned JSON."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PLAN_FORMAT_VERSION = 2


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


class Ownership(BaseModel):
    """The evidence that an operation changes or deletes something this stack owns.

    ``basis``: ``tags`` (the resource carried this stack's ownership tags when read at ``read_at``),
    ``created`` (an earlier operation of the same step, ``op``, created it), ``adopt`` (the manifest adopts
    it with the ``reconciler/adopt`` annotation at ``annotation``; it carried no other stack's tags when read),
    ``parent`` (a part that lives and dies with a resource that carries the tags: ``resource``).
    Apply re-checks ``tags``, ``adopt`` and ``parent`` evidence right before the call.
    """

    model_config = ConfigDict(frozen=True)
    basis: str = Field(description="tags | created | adopt | parent")
    tags: dict[str, str] = Field(default_factory=dict, description="The ownership tags read (tags, adopt)")
    read_at: str | None = Field(None, description="When they were read (ISO 8601 UTC)")
    op: str | None = Field(None, description="created: the id of the operation that created it")
    annotation: str | None = Field(None, description="adopt: file:line of the adopt annotation")
    resource: str | None = Field(None, description="parent: the ARN whose tags are the evidence")


class Operation(BaseModel):
    """One thing apply does for a step, as data: an AWS call with its parameters, or a wait.

    ``request`` holds the call's parameters as botocore names them. A value apply fills in is a reference
    (a one-key mapping, documented in docs/plan-format.md): ``{"$output": ID, "path": …}`` (what an earlier
    operation of the step answered), ``{"$secret": NAME, "version": …}`` (a Secrets Manager value, read at
    apply only), ``{"$zip": FOLDER, "sha256": …}`` (a Function's code, built at apply and checked against the
    digest), ``{"$json": VALUE}`` (VALUE, references inside it filled in, as JSON text). Waits have
    ``action: Wait`` and ``request.for`` (``EndpointInService`` …).
    """

    model_config = ConfigDict(frozen=True)
    service: str = Field(description="AWS service, as botocore names it (iam, sagemaker …), or local")
    action: str = Field(description="AWS operation name (CreateRole, UpdateEndpoint …), or Wait")
    target: str = Field(description="Name of the resource the call acts on (role/inline-policy for a part)")
    request: dict[str, Any] = Field(default_factory=dict, description="The call's parameters (references allowed)")
    id: str | None = Field(None, description="Names the operation for references to its output")
    resource: str | None = Field(None, description="ARN of the resource it acts on, where known at plan time")
    ownership: Ownership | None = Field(None, description="Why changing or deleting it is this stack's to do")
    detail: str | None = Field(None, description="For people: deployment strategy, why, what it replaces")
    interrupts_serving: bool = Field(False, description="True where the endpoint stops serving while this runs")
    on_failure: tuple[Operation, ...] = Field((), description=(
        "What apply does (in order, best effort) when this operation fails with a known outcome, before the run "
        "stops: e.g. put back a rollback record written before an update AWS rolled back. Not run when the "
        "outcome is unknown (a wait that timed out, an interrupt): the rerun continues from the live state"))

    @property
    def writes(self) -> bool:
        """True for a call that changes AWS (not a wait, a check or a local file)."""
        return self.action not in READ_ACTIONS and self.service != "local"


#: actions that change nothing in AWS: waits and the smoke test's invocation
READ_ACTIONS = frozenset({"Wait", "InvokeEndpoint"})


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
    operations: tuple[Operation, ...] = Field((), description="The AWS calls apply makes, in order (kinds that say)")

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def interrupts_serving(self) -> bool:
        return any(o.interrupts_serving for o in self.operations)


class Problem(BaseModel):
    """Something that makes the plan unsafe to apply (apply refuses while any exists)."""

    model_config = ConfigDict(frozen=True)
    kind: str
    name: str
    code: str = Field(description="conflict | protected | in-use | account | check | quota")
    message: str
    file: str | None = Field(None, description="Manifest file that names what failed (check problems)")
    line: int | None = None


class Orphan(BaseModel):
    """A resource this stack owns (by its tags) that the manifests no longer declare."""

    model_config = ConfigDict(frozen=True)
    kind: str
    name: str
    reason: str = "owned by this stack, no longer declared"
    protected: bool = Field(False, description="Carries reconciler/prevent-destroy: prune refuses it")
    used_by: tuple[str, ...] = Field((), description="Declared resources that still use it: prune refuses it")
    deleted: bool = Field(False, description="This plan deletes it (a delete step): --prune, `reconcile prune` "
                                             "or Stack spec.prune")


class PlanMode(StrEnum):
    """What a plan is for (Terraform's plan modes): re-deriving a saved plan plans in the same mode."""

    normal = "normal"  # the declared resources (``prune``: and the orphans' deletes)
    prune = "prune"  # only delete the owned resources the manifests no longer declare
    destroy = "destroy"  # delete everything the stack owns
    rollback = "rollback"  # put an endpoint (or component) back on what it ran before its last update


class InstanceCost(BaseModel):
    """One endpoint's hosting instances and their on-demand price per hour (a range where the count can move)."""

    model_config = ConfigDict(frozen=True)
    instance_type: str
    min_count: int
    max_count: int = Field(description="Equal to min_count unless autoscaling or managed scaling lets it move")
    usd_per_hour_min: float | None = Field(None, description="min_count instances; null: price unknown")
    usd_per_hour_max: float | None = Field(None, description="max_count instances; null: price unknown")
    price_source: str | None = Field(None, description="The price table the price comes from, and its date")


class EndpointCost(BaseModel):
    """What one resource's instances cost before the plan and after it (null: none run)."""

    model_config = ConfigDict(frozen=True)
    kind: str
    name: str
    before: InstanceCost | None = None
    after: InstanceCost | None = None


class UsdRange(BaseModel):
    model_config = ConfigDict(frozen=True)
    min: float
    max: float


class Costs(BaseModel):
    """The stack's hosting instances: what they cost per hour and per month, before and after the plan."""

    model_config = ConfigDict(frozen=True)
    region: str
    currency: str = "USD"
    hours_per_month: int = 730
    endpoints: tuple[EndpointCost, ...] = ()
    before_per_hour: UsdRange
    after_per_hour: UsdRange
    before_per_month: UsdRange
    after_per_month: UsdRange
    unknown: tuple[str, ...] = Field((), description="Instance types the price table has no price for in the "
                                                     "region: left out of the totals")


class Plan(BaseModel):
    model_config = ConfigDict(frozen=True)
    format_version: int = PLAN_FORMAT_VERSION
    command: str = "plan"
    mode: PlanMode = PlanMode.normal
    prune: bool = Field(False, description="normal mode: the plan also deletes orphans (--prune or spec.prune)")
    stack: str
    account: str
    region: str
    sandbox: bool = False
    manifests_digest: str | None = None
    manifests_path: str | None = Field(None, description="The manifests folder as given to the command")
    manifests_dir: str | None = Field(None, description="The same folder, absolute (apply PLAN from any folder)")
    manifests_in_repo: str | None = Field(None, description="The same folder relative to its git checkout's top "
                                                            "(found again in another checkout of the repository)")
    environment: str | None = None  # the environment (kind: Environment) the plan was made for
    created_at: str = ""
    steps: tuple[Step, ...] = ()
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    orphans: tuple[Orphan, ...] = Field((), description="Owned resources no longer declared (deleted or not)")
    costs: Costs | None = Field(None, description="What the stack's hosting instances cost before and after "
                                                  "(null: it runs none)")

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.action != Action.noop]

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def pending_orphans(self) -> list[Orphan]:
        """Orphans this plan leaves in place: `reconcile prune` (or Stack spec.prune) deletes them."""
        return [o for o in self.orphans if not o.deleted]

    @property
    def pending(self) -> bool:
        """Anything for --detailed-exitcode to report: changes, or orphans left in place."""
        return self.has_changes or bool(self.pending_orphans)

    def counts(self) -> dict[str, int]:
        out = {a.value: 0 for a in Action}
        for s in self.steps:
            out[s.action.value] += 1
        return out

    def summary(self) -> str:
        c = self.counts()
        out = (f"{c['create']} to create, {c['update']} to update, "
               f"{c['replace']} to replace, {c['delete']} to delete")
        if self.pending_orphans:
            out += f", {len(self.pending_orphans)} orphaned (not declared; `reconcile prune` deletes)"
        return out
