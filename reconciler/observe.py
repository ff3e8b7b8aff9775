"""Read live state: the declared resources (concurrently) and, for prune/destroy, what the stack owns.

Reads run in one bounded thread pool per AWS service (``concurrency`` threads each), so IAM and
SageMaker reads overlap while each service sees at most ``concurrency`` requests in flight (AWS rate
limits are per service; botocore's adaptive retry slows a throttled service down). A kind that can
read many resources at once (``read_many(aws, names, ctx, pmap)``: the IAM kinds, from
GetAccountAuthorizationDetails) does so, mapping its remaining per-resource calls with ``pmap`` on its
service's pool. What a command lists or reads once is kept in ``Aws.cached``, so the prune scan
(``owned``) reuses the declared reads instead of reading a resource twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Observed, PlanContext

if TYPE_CHECKING:
    from reconciler.aws import Aws

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

    def mapper(self, service: str) -> Callable[[Callable[[T], R], Iterable[T]], list[R]]:
        def pmap(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
            items = list(items)
            if self.concurrency <= 1 or len(items) <= 1:
                return [fn(i) for i in items]
            return list(self.pool(service).map(fn, items))

        return pmap

    def close(self) -> None:
        for p in self._pools.values():
            p.shutdown(wait=True)


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


def owned(aws: Aws, stack: str, ctx: PlanContext, exclude: dict[str, set[str]], concurrency: int) -> list[Observed]:
    """Every resource carrying this stack's ownership tags, except the names in ``exclude`` (per kind)."""
    kinds = list(REGISTRY)

    def scan(kind_name: str) -> list[Observed]:
        kind = REGISTRY[kind_name]
        return kind.list_owned(aws, stack, ctx, exclude=exclude.get(kind.kind, set()))

    return [o for group in _each_kind(kinds, scan, concurrency) for o in group]
