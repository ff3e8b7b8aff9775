"""Carry out exactly a Plan: layer by layer (steps of a layer concurrently), stop on the first failure.

Ctrl-C (or SIGTERM) lets the steps in flight finish, starts no new one, and reports what was done.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from reconciler import interpreter
from reconciler.aws import DEFAULT_CONCURRENCY
from reconciler.errors import ReconcileError
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import ApplyContext
from reconciler.plan import Action, Plan, Step


@dataclass
class Outcome:
    done: list[Step] = field(default_factory=list)
    failed: list[tuple[Step, BaseException]] = field(default_factory=list)
    skipped: list[Step] = field(default_factory=list)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted and not self.skipped


#: at most this many long-waiting steps (endpoints) run at once beyond --concurrency
MAX_WAITERS = 64

def run_step(step: Step, ctx: ApplyContext) -> None:
    """The step's operations are the program: run exactly them (reconciler/interpreter.py), then let the kind
    note what they made (e.g. a user's new access key)."""
    REGISTRY[step.kind].applied(step, interpreter.run(step, ctx), ctx)


def execute(plan: Plan, ctx: ApplyContext, concurrency: int = DEFAULT_CONCURRENCY) -> Outcome:
    """Run the plan's steps; SIGTERM (CI cancelling a job) is handled like Ctrl-C while this runs."""
    previous = _sigterm_as_interrupt()
    try:
        return _execute(plan, ctx, concurrency)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _sigterm_as_interrupt() -> Any:
    """Make SIGTERM raise KeyboardInterrupt in the main thread; the previous handler (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def _execute(plan: Plan, ctx: ApplyContext, concurrency: int) -> Outcome:
    out = Outcome()
    stop = threading.Event()
    todo = [s for s in plan.steps if s.action != Action.noop]
    # --concurrency bounds the steps that keep AWS busy; steps of kinds that mostly wait (an endpoint
    # is InService after minutes, polled every few seconds) run beside them, so 20 endpoints are
    # created and waited for together rather than in waves of --concurrency
    busy = threading.BoundedSemaphore(max(1, concurrency))
    waiting = sum(1 for s in todo if REGISTRY[s.kind].long_running)

    lock = ctx.options.get("lock")

    def guarded(step: Step) -> None:
        if stop.is_set():
            raise _Skipped()
        if getattr(lock, "lost", False):
            raise ReconcileError(f"not starting {step.id}: this run's lock on the stack was taken away "
                                 "(force-unlock); another run may be changing it")
        started = time.monotonic()
        ctx.progress(f"{_verb(step.action)} {step.id} …")
        if REGISTRY[step.kind].long_running and concurrency > 1:
            run_step(step, ctx)
        else:
            with busy:
                if stop.is_set():
                    raise _Skipped()
                run_step(step, ctx)
        ctx.progress(f"{_past(step.action)} {step.id} ({time.monotonic() - started:.1f}s)")

    workers = max(1, concurrency) + (min(waiting, MAX_WAITERS) if concurrency > 1 else 0)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apply") as pool:
        for _, layer_steps in groupby(todo, key=lambda s: s.layer):
            batch = list(layer_steps)
            if stop.is_set():
                out.skipped += batch
                continue
            futures: dict[Future, Step] = {pool.submit(guarded, s): s for s in batch}
            pending = set(futures)
            while pending:
                try:
                    finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    if out.interrupted:  # the second Ctrl-C: leave now, like a kill (apply again finishes)
                        ctx.progress("forced: stopping now; a step in flight may be half done. "
                                     "Run apply again: it continues from the live state.")
                        sys.stderr.flush()
                        os._exit(130)
                    if not out.interrupted:
                        ctx.progress("interrupted: finishing the steps in flight, starting no new ones (Ctrl-C again to force)")
                    out.interrupted = True
                    stop.set()
                    continue
                for f in finished:
                    step = futures[f]
                    err = f.exception()
                    if err is None:
                        out.done.append(step)
                    elif isinstance(err, _Skipped):
                        out.skipped.append(step)
                    else:
                        out.failed.append((step, err))
                        stop.set()
    return out


class _Skipped(Exception):
    pass


def _verb(a: Action) -> str:
    return {"create": "creating", "update": "updating", "replace": "replacing", "delete": "deleting"}[a.value]


def _past(a: Action) -> str:
    return {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}[a.value]


def describe_failure(step: Step, err: BaseException) -> str:
    """One line: "Failed to <verb> <kind>/<name>: <AWS message>" (the step is named once)."""
    if isinstance(err, ReconcileError):
        text = str(err)
        return text if step.id in text else f"{step.id}: {text}"
    return f"{step.id}: unexpected {type(err).__name__}: {err}"
