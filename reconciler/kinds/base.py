"""The Kind contract: what every resource kind declares and implements.

A kind is metadata (spec model, identity rules, references, immutable fields, delete order)
plus four operations against AWS (read, create, update, delete) and ownership discovery for prune.
Nothing outside ``reconciler/kinds`` imports a concrete kind: everything goes through ``REGISTRY``.
"""

from __future__ import annotations

import re
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from reconciler import MANAGED_BY_TAG, MANAGED_BY_VALUE, PREVENT_DESTROY_TAG, STACK_TAG
from reconciler.errors import Issue, line_of

if TYPE_CHECKING:
    from reconciler.aws import Aws
    from reconciler.aws.tagging import Listing
    from reconciler.permissions.grants import Grant, Scope
    from reconciler.plan import Operation


class Spec(BaseModel):
    """Base of every kind's spec: camelCase keys, unknown keys rejected.

    No booleans for numbers: YAML 1.1 reads yes/no/on/off as booleans, and pydantic would take
    ``count: yes`` as 1 and ``timeout: on`` as one second; a boolean where a number is expected is
    refused with a file:line error (a quoted number, "7200", stays accepted)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, v: Any, info: ValidationInfo) -> Any:
        if isinstance(v, bool) and info.field_name:
            ann = cls.model_fields[info.field_name].annotation
            kinds = set(typing.get_args(ann)) | {ann}
            if bool not in kinds and kinds & {int, float}:
                raise ValueError(f"must be a number, got the boolean {str(v).lower()} (YAML reads yes/no/on/off as "
                                 "booleans)")
        return v


@dataclass(frozen=True)
class Resource:
    """One manifest document, validated."""

    kind: str
    name: str
    spec: Any  # the kind's Spec model instance
    tags: dict[str, str]
    annotations: dict[str, str]
    file: str
    line: int
    lines: dict[tuple, int] = field(default_factory=dict, compare=False, repr=False)
    #: the folder the manifests were loaded from (files a resource reads must stay in its repository)
    root: str | None = field(default=None, compare=False, repr=False)

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.name}"

    def line_of(self, *path: Any) -> int:
        """Line of the deepest known prefix of ``path`` (e.g. ('spec', 'document'))."""
        return line_of(self.lines, tuple(path), self.line)

    def issue(self, path: tuple, message: str, severity: str = "error", code: str = "") -> Issue:
        return Issue(self.file, self.line_of(*path), ".".join(str(x) for x in path), message, severity, code)

    def annotated(self, key: str) -> bool:
        """True when annotation ``key`` is set to "true"."""
        return str(self.annotations.get(key, "")).lower() == "true"


@dataclass(frozen=True)
class Reference:
    """``field`` of a resource names another resource in the manifests."""

    field: tuple
    kind: str
    name: str


def now() -> str:
    """The time a read is made (ISO 8601 UTC): the "read at" of ownership evidence."""
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Observed:
    """Live state of one resource, normalised to the same shape as the desired state."""

    kind: str
    name: str
    arn: str
    state: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)  # kind-private facts (ids, versions, statuses)
    read_at: str = field(default_factory=now, compare=False)

    @property
    def tags(self) -> dict[str, str]:
        return self.state.get("tags", {})

    @property
    def stack(self) -> str | None:
        from reconciler.policy import owner_of

        return owner_of(self.tags)

    @property
    def protected(self) -> bool:
        return self.tags.get(PREVENT_DESTROY_TAG, "").lower() == "true"


@dataclass(frozen=True)
class Check:
    """A read-only fact about AWS that plan verifies before any write (declared by ``Kind.plan_checks``).

    ``what``: "secret" (the secret ``target`` exists; its value is never read), "role" (the role
    ARN ``target`` exists and trusts ``service`` to assume it) or "s3" (the S3 prefix or object ``target``
    exists: model weights). ``field``: where the manifest names it.
    """

    what: str
    target: str
    field: tuple
    service: str = ""


@dataclass(frozen=True)
class Fleet:
    """The hosting instances a resource runs (from its state): what they cost and what quota they use."""

    instance_type: str
    min_count: int
    max_count: int
    max_field: str  # the spec field that sets max_count: "instance.count", "autoscaling.maxCount", …


@dataclass(frozen=True)
class PlanContext:
    """What the planner knows when it turns manifests into concrete desired state."""

    stack: str
    account: str
    region: str
    partition: str = "aws"
    resources: dict[tuple[str, str], Resource] = field(default_factory=dict)
    #: the desired state of resources that exist by now (verify: what apply just created or changed): a kind
    #: reading in bulk may start their per-resource reads beside its account listing instead of after it
    expected: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def likely(self, kind: str, name: str) -> dict[str, Any] | None:
        """What a read may bet exists, to start its per-resource calls beside a listing: the desired state of a
        resource apply just made (``expected``), else of a declared one (a plan; every plan but a new stack's
        finds what it declares). None: neither."""
        if (kind, name) in self.expected:
            return self.expected[(kind, name)]
        res = self.resources.get((kind, name))
        return res.spec.model_dump() if res is not None else None

    def arn_of(self, kind: str, name: str) -> str:
        from reconciler.kinds import REGISTRY

        res = self.resources[(kind, name)]
        return REGISTRY[kind].arn(name, res.spec, self)


class Refusal(Exception):
    """Raised by a kind's pure ``operations()``: what the manifest asks cannot be done to the live resource
    (AWS would refuse it, or it would touch what is not ours). The planner makes it a plan problem."""

    def __init__(self, message: str, code: str = "conflict"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class OpContext:
    """What a kind's pure ``operations()`` may know besides live and desired state."""

    stack: str
    account: str
    region: str
    partition: str = "aws"
    #: file:line of the manifest's ``reconciler/adopt`` annotation when it adopts a resource no stack owns
    adopt: str | None = None
    #: what ``Kind.plan_facts`` read for this resource
    facts: dict[str, Any] = field(default_factory=dict)
    #: (kind, name) of what this plan deletes in earlier layers (a policy's delete need not detach it from a role
    #: whose own delete, before it, detaches it)
    deleted_before: frozenset[tuple[str, str]] = frozenset()

    def evidence(self, live: Observed) -> Any:
        """The ownership evidence for changing ``live``: its tags (this stack's), or the adopt annotation."""
        from reconciler import ops

        if live.stack == self.stack:
            return ops.by_tags(live.tags, live.read_at)
        return ops.adopting(live.tags, live.read_at, self.adopt or "")


@dataclass
class ApplyContext:
    """What a kind needs while it changes AWS."""

    aws: Aws
    stack: str
    account: str
    region: str
    partition: str = "aws"
    progress: Callable[[str], None] = lambda _msg: None
    options: dict[str, Any] = field(default_factory=dict)


def ownership_tags(stack: str, user_tags: dict[str, str], protected: bool) -> dict[str, str]:
    tags = dict(user_tags)
    tags[MANAGED_BY_TAG] = MANAGED_BY_VALUE
    tags[STACK_TAG] = stack
    if protected:
        tags[PREVENT_DESTROY_TAG] = "true"
    return tags


class Kind(ABC):
    """The contract every resource kind fulfils."""

    kind: ClassVar[str]
    spec_model: ClassVar[type[Spec]]
    description: ClassVar[str] = ""
    #: AWS naming rule for metadata.name
    name_pattern: ClassVar[re.Pattern[str]]
    name_rule: ClassVar[str]
    #: names compared case-insensitively by AWS (IAM)
    case_insensitive_names: ClassVar[bool] = False
    #: top-level state fields whose change forces delete + create
    replace_fields: ClassVar[frozenset[str]] = frozenset()
    #: deletes run in ascending order of this number (endpoints before the roles they run as)
    delete_order: ClassVar[int] = 50
    #: create/update mostly wait (minutes of polling): apply runs these beside --concurrency busy steps
    long_running: ClassVar[bool] = False
    #: AWS service whose client this kind uses for its reads (for bounded pools / metrics)
    service: ClassVar[str] = ""
    #: what this kind's resources are called, plural, in sentences ("inference components")
    plural: ClassVar[str] = ""
    #: the Resource Groups Tagging API types (``service:resourceType``, as in the ARN) under which tag:GetResources
    #: returns this kind's resources, or the parts its orphan scan looks for; () when it does not (IAM)
    tagged_types: ClassVar[tuple[str, ...]] = ()
    #: the permissions of the kind's own listing that the tagging listing stands in for (named when it is refused)
    listing_permissions: ClassVar[tuple[str, ...]] = ()
    #: desired-state fields that tell apply *how* to change the resource (rollout strategy, timeouts);
    #: they cannot be read back from AWS, so plan and verify never diff them
    apply_only_fields: ClassVar[frozenset[str]] = frozenset()
    #: live-state fields compared only when the desired state has them (facts read from AWS that the
    #: manifest may leave alone, e.g. a user's access keys reconcile did not create)
    observed_only_fields: ClassVar[frozenset[str]] = frozenset()
    #: desired-state fields that are bookkeeping, not something a reviewer asked for (dotted paths, e.g.
    #: ``status``, ``inferenceComponent.status``): a create does not list them. Fields starting with ``_``
    #: (apply inputs such as a code path) are never listed either. Changes to them still show.
    hidden_fields: ClassVar[frozenset[str]] = frozenset()

    # ---- static (no AWS) -------------------------------------------------------------------
    def check(self, res: Resource) -> list[Issue]:
        """Checks beyond the spec model (limits that need the whole document)."""
        return []

    def files_used(self, res: Resource) -> list[Path]:
        """Files or folders under DIR that ``res`` reads (a Function's code): not listed as skipped files."""
        return []

    def check_all(self, resources: list[Resource]) -> list[Issue]:
        """Static checks across all of this kind's resources in DIR (e.g. names they derive); no AWS."""
        return []

    def check_stack(self, resources: list[Resource]) -> list[Issue]:
        """Static checks needing other kinds' resources in DIR too (e.g. components fit their endpoint); no AWS."""
        return []

    def lint(self, res: Resource) -> list[Issue]:
        """Policy lint findings (errors and warnings); run by validate and plan."""
        return []

    def references(self, res: Resource, names: dict[str, set[str]]) -> list[Reference]:
        """References to other resources in the manifests. ``names`` maps kind -> declared names."""
        return []

    @abstractmethod
    def arn(self, name: str, spec: Any, ctx: PlanContext) -> str: ...

    @abstractmethod
    def desired(self, res: Resource, ctx: PlanContext) -> dict[str, Any]:
        """Concrete, normalised desired state (references resolved to ARNs, tags included)."""

    def keep_live_names(self, res: Resource, desired: dict[str, Any], live: Observed | None) -> dict[str, Any]:
        """``desired`` with a name the manifest leaves to reconcile set to the one the live resource already
        uses, when an older release derived it differently (so an upgrade changes nothing). Default: as is."""
        return desired

    def depends_on_arns(self, state: dict[str, Any]) -> list[str]:
        """ARNs of other resources this state needs (to refuse pruning what a kept resource uses)."""
        return []

    def display(self, state: dict[str, Any]) -> dict[str, Any]:
        """State as shown to people (secrets masked). Default: as is."""
        return state

    def mask_change(self, change: Any) -> Any:
        """A FieldChange as it may be recorded in a plan and shown (secrets masked). Default: as is."""
        return change

    def comparable(self, state: dict[str, Any]) -> dict[str, Any]:
        """The part of a desired state that is diffed against live state (without apply_only_fields)."""
        if not self.apply_only_fields:
            return state
        return {k: v for k, v in state.items() if k not in self.apply_only_fields}

    def live_comparable(self, live: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
        """The part of a live state that is diffed against ``desired`` (observed_only_fields it omits dropped)."""
        if not self.observed_only_fields:
            return live
        return {k: v for k, v in live.items() if k not in self.observed_only_fields or k in desired}

    def plan_warnings(self, live: dict[str, Any], desired: dict[str, Any]) -> list[str]:
        """Things a reviewer should know about this resource that are not changes (shown with the plan)."""
        return []

    def fleet(self, state: dict[str, Any]) -> Fleet | None:
        """The instances a desired or live ``state`` runs (cost in the plan, quota check); None: none."""
        return None

    def plan_checks(self, res: Resource, desired: dict[str, Any], ctx: PlanContext) -> list[Check]:
        """Read-only checks plan runs (concurrently with the reads) before anything is written:
        referenced secrets exist, role ARNs from outside the manifests exist and trust their service."""
        return []

    def plan_reason(self, action: str, fields: list[str], live: dict[str, Any] | None,
                    operations: tuple[Operation, ...] = ()) -> str | None:
        """This kind's wording of why ``action`` is planned for changed top-level ``fields`` (None: default);
        ``operations``: what ``operations()`` said apply will do, so the wording can match it."""
        return None

    def owned_by_others(self, live: Observed, stack: str) -> dict[str, str]:
        """{"Kind/name": owning stack} of the parts around ``live`` (not ``live`` itself: the planner reads
        its tags) that adopting it would take although another reconcile stack owns them, e.g. an endpoint's
        component or model. Each makes the adoption a plan problem. Default: none."""
        return {}

    def problems(self, live: Observed, action: str, desired: dict[str, Any] | None = None) -> list[str]:
        """Why ``action`` (update | replace | delete) must not touch ``live`` although it is this stack's
        (e.g. something not ours would go with it, or AWS would refuse it): each becomes a plan problem,
        which apply refuses. ``desired``: the state an update or replace goes to."""
        return []

    #: True where ``plan_facts`` matter only to a step that changes something: they are read after the first
    #: plan, for those steps only (a no-change plan of the kind makes no such read)
    facts_when_changing: ClassVar[bool] = False

    def plan_facts(self, aws: Aws, res: Resource, desired: dict[str, Any], ctx: PlanContext) -> dict[str, Any]:
        """Read-only facts about AWS besides the resource itself that its operations depend on (e.g. whether
        the secret a user's access key goes to exists), read at plan time; ``OpContext.facts`` in operations()."""
        return {}

    def operations(self, name: str, desired: dict[str, Any] | None, observed: Observed | None,
                   ctx: OpContext) -> list[Operation]:
        """The operations apply runs to take ``observed`` (None: absent) to ``desired`` (None: delete).

        Pure (no AWS): computed at plan time into ``Step.operations``, each AWS call with its parameters, each
        change or delete of something that exists with its ownership evidence (``ctx.evidence``). Apply
        re-derives them and runs exactly these. Default: none.
        """
        return []

    def replace_operations(self, name: str, desired: dict[str, Any], observed: Observed,
                           ctx: OpContext) -> list[Operation]:
        """A replace: the delete's operations, then the create's. A kind whose create would reuse parts the
        delete removes (an endpoint's model and config) composes its own."""
        return self.operations(name, None, observed, ctx) + self.operations(name, desired, None, ctx)

    def permissions(self, res: Resource | None, need: str, scope: Scope) -> list[Grant]:
        """The IAM permissions that ``need`` of ``res`` takes (``reconcile permissions``; reconciler/permissions/):
        ``read`` (plan and drift read it), ``write`` (apply creates, changes or replaces it), ``delete`` (prune and
        destroy delete it). ``res`` None: this kind's resources the manifests do not name, which the orphan scan
        finds by their tags. Every AWS call the kind's reads and operations may make, nothing more. Default: none."""
        return []

    def applied(self, step: Any, outputs: dict[str, Any], ctx: ApplyContext) -> None:
        """Once apply ran ``step``'s operations (``outputs``: what those with an id answered): what to tell
        people, e.g. where an API now answers. Writes nothing. Default: nothing."""
        return None

    def read_details(self, aws: Aws, live: Observed, action: str, ctx: PlanContext) -> Observed:
        """``live`` with the facts an ``action`` (update | replace | delete) of it needs beyond the plain read
        (e.g. a policy's versions, a role's instance profiles), read only for the steps that change it."""
        return live

    def unlinked(self, state: dict[str, Any], gone: set[str]) -> dict[str, Any]:
        """``state`` as it is once the resources with ARNs ``gone`` are deleted (a replaced policy is detached
        from everything it was attached to): what the re-link of a dependent starts from. Default: as is."""
        return state

    # ---- AWS -----------------------------------------------------------------------------------
    @abstractmethod
    def read(self, aws: Aws, name: str, ctx: PlanContext) -> Observed | None: ...

    @abstractmethod
    def list_owned(self, aws: Aws, stack: str, ctx: PlanContext, exclude: set[str] = frozenset(),  # type: ignore[assignment]
                   tagged: Listing | None = None) -> list[Observed]:
        """Every live resource of this kind carrying this stack's ownership tags (names in ``exclude`` skipped).

        ``tagged``: this stack's resources of ``tagged_types``, from the one tagging listing (tag:GetResources) the
        scan made: read in detail only those. None when the kind has no ``tagged_types`` or that listing was
        refused: the kind finds them with its own listing."""

