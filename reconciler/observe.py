"""Read live state: the declared resources (concurrently) and, for prune/destroy, what the stack owns."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Observed, PlanContext

if TYPE_CHECKING:
    from reconciler.aws import Aws

Id = tuple[str, str]


def declared(aws: Aws, ids: list[Id], ctx: PlanContext, concurrency: int) -> dict[Id, Observed | None]:
    """Live state of each declared resource (None where it does not exist)."""

    def read(i: Id) -> Observed | None:
        return REGISTRY[i[0]].read(aws, i[1], ctx)

    if concurrency <= 1:
        return {i: read(i) for i in ids}
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="observe") as pool:
        return dict(zip(ids, pool.map(read, ids), strict=True))


def owned(aws: Aws, stack: str, ctx: PlanContext, exclude: dict[str, set[str]], concurrency: int) -> list[Observed]:
    """Every resource carrying this stack's ownership tags, except the names in ``exclude`` (per kind)."""
    kinds = list(REGISTRY.values())

    def scan(kind) -> list[Observed]:  # type: ignore[no-untyped-def]
        return kind.list_owned(aws, stack, ctx, exclude=exclude.get(kind.kind, set()))

    if concurrency <= 1:
        results = [scan(k) for k in kinds]
    else:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(kinds)), thread_name_prefix="owned") as pool:
            results = list(pool.map(scan, kinds))
    return [o for group in results for o in group]
