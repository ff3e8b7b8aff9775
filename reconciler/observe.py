"""Read live state: the declared resources (concurrently) and, for prune/destroy, what the stack owns.

Reads run in one bounded thread pool per AWS service (``concurrency`` threads each), so IAM and
SageMaker reads overlap while each service sees at most ``concurrency`` requests in flight, plus its one bulk
listing where a kind reads ahead beside it (AWS rate limits are per service; botocore's adaptive retry slows a
throttled service down). A kind that can
read many resources at once (``read_many(aws, names, ctx, pmap)``: the IAM kinds, from
GetAccountAuthorizationDetails) does so, mapping its remaining per-resource calls with ``pmap`` on its
service's pool. What a command lists or reads once is kept in ``Aws.cached``, so the prune scan
(``owned``) reuses the declared reads instead of reading a resource twice.

The prune scan (``owned``) finds what the stack owns with one tagging listing (tag:GetResources, filtered on the
stack's ownership tags) for every kind AWS returns there, and IAM's from the account's bulk read: a plan of a stack
that declares only IAM resources calls IAM, STS and the tagging API, nothing else. A listing the credentials may
not make is said, not crashed on: plan warns, prune and destroy refuse (``require_complete``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from reconciler.errors import AwsError, ReconcileError
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Observed, PlanContext

if TYPE_CHECKING:
    from reconciler.aws import Aws
    from reconciler.aws.tagging import Listing

Id = tuple[str, str]
T = TypeVar("T")
R = TypeVar("R")


class Pools:
    """One bounded pool per AWS service; ``map`` on the calling thread when concurrency is 1."""

    def __init__(self, concurrency: int):
        self.concurrency = max(1, concurrency)
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()

    def pool(self, service: str) -> ThreadPoolExecutor:
        with self._lock:
            if service not in self._pools:
                self._pools[service] = ThreadPoolExecutor(max_workers=self.concurrency,
                                                          thread_name_prefix=f"observe-{service or 'any'}")
            return self._pools[service]

    def mapper(self, service: str) -> Mapper:
        return Mapper(self, service)

    def close(self) -> None:
        for p in self._pools.values():
            p.shutdown(wait=True)


class Mapper:
    """``pmap(fn, items)``: ``fn`` over ``items`` on one service's pool (in order; on the calling thread when
    concurrency is 1). ``submit(fn, *args)``: one call started on that pool, its Future (None at concurrency 1:
    the caller then does the work itself, in order)."""

    def __init__(self, pools: Pools, service: str):
        self._pools = pools
        self._service = service

    def __call__(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        items = list(items)
        if self._pools.concurrency <= 1 or len(items) <= 1:
            return [fn(i) for i in items]
        return list(self._pools.pool(self._service).map(fn, items))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future | None:
        if self._pools.concurrency <= 1:
            return None
        return self._pools.pool(self._service).submit(fn, *args)


def _each_kind(kinds: list[str], work: Callable[[str], T], concurrency: int) -> list[T]:
    """Run ``work`` per kind: one coordinating thread each (they only wait on the service pools)."""
    if concurrency <= 1 or len(kinds) <= 1:
        return [work(k) for k in kinds]
    with ThreadPoolExecutor(max_workers=len(kinds), thread_name_prefix="observe-kind") as coord:
        return list(coord.map(work, kinds))


def declared(aws: Aws, ids: list[Id], ctx: PlanContext, concurrency: int) -> dict[Id, Observed | None]:
    """Live state of each declared resource (None where it does not exist)."""
    by_kind: dict[str, list[str]] = {}
    for kind, name in ids:
        by_kind.setdefault(kind, []).append(name)
    pools = Pools(concurrency)

    def read_kind(kind_name: str) -> list[Observed | None]:
        kind = REGISTRY[kind_name]
        names = by_kind[kind_name]
        pmap = pools.mapper(kind.service)
        read_many: Any = getattr(kind, "read_many", None)
        if read_many is not None:
            return list(read_many(aws, names, ctx, pmap))
        return pmap(lambda n: kind.read(aws, n, ctx), names)

    try:
        kinds = list(by_kind)
        results = _each_kind(kinds, read_kind, concurrency)
    finally:
        pools.close()
    out: dict[Id, Observed | None] = {}
    for kind_name, observed in zip(kinds, results, strict=True):
        for name, obs in zip(by_kind[kind_name], observed, strict=True):
            out[(kind_name, name)] = obs
    return {i: out[i] for i in ids}


@dataclass
class Owned:
    """What the prune scan found, and what it could not look for (each: what, and the permission to grant)."""

    found: list[Observed]
    unchecked: list[str] = field(default_factory=list)


def _tagged(aws: Aws, stack: str, types: list[str]) -> tuple[Listing | None, bool]:
    """(the stack's tagging listing, or None; whether tag:GetResources was refused)."""
    from reconciler.aws import tagging

    if not types:
        return None, False
    try:
        return tagging.owned(aws, stack, types), False
    except AwsError as e:
        if not e.denied:
            raise
        return None, True


def owned(aws: Aws, stack: str, ctx: PlanContext, exclude: dict[str, set[str]], concurrency: int) -> Owned:
    """Every resource carrying this stack's ownership tags, except the names in ``exclude`` (per kind).

    One tagging listing finds the resources of every kind with ``tagged_types``; each kind reads in detail only
    what it returned (IAM kinds, which the listing does not return, use the account's bulk read). Where that
    listing is refused, each kind lists its own. A kind whose listing is refused as well is not an error here: it
    is a line of ``Owned.unchecked`` naming the permission that would let reconcile look.
    """
    from reconciler.aws import tagging

    types = sorted({t for k in REGISTRY.values() for t in k.tagged_types})
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="observe-tagging") as ex:
        listing = ex.submit(_tagged, aws, stack, types)  # beside the IAM kinds' scans

        def scan(kind_name: str) -> tuple[list[Observed], str | None]:
            kind = REGISTRY[kind_name]
            tagged, refused = listing.result() if kind.tagged_types else (None, False)
            try:
                return kind.list_owned(aws, stack, ctx, exclude=exclude.get(kind.kind, set()), tagged=tagged), None
            except AwsError as e:
                if not e.denied:
                    raise
                instead = f" or {tagging.PERMISSION}" if refused and e.permission in kind.listing_permissions else ""
                return [], f"orphaned {kind.plural} were not looked for: grant {e.permission}{instead}"

        results = _each_kind(list(REGISTRY), scan, concurrency)
    return Owned([o for group, _ in results for o in group], [note for _, note in results if note])


def require_complete(scan: Owned, command: str) -> None:
    """Refuse, before anything is changed, a command that deletes what the stack owns (prune, destroy, an apply
    that prunes) when the scan could not look everywhere: what it did not see it would silently leave behind."""
    if scan.unchecked:
        raise ReconcileError(f"refusing to {command}: it deletes what the stack owns, so it must see all of it, but "
                             f"{len(scan.unchecked)} listing(s) were refused (nothing was changed):\n"
                             + "\n".join(f"  {x}" for x in scan.unchecked))
