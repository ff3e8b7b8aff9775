"""apply runs long-waiting steps (endpoints) beside --concurrency busy ones, never more busy ones."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from reconciler import apply as apply_mod
from reconciler.kinds.base import ApplyContext
from reconciler.plan import Action, Plan, Step


class _Probe:
    """A kind whose steps have no operations: apply's only work is ``applied``, which counts who runs at once."""

    def __init__(self, long_running: bool, pause: float, together: int = 0):
        self.long_running = long_running
        self.pause = pause
        self.now = 0
        self.peak = 0
        self.lock = threading.Lock()
        # waiters meet at a barrier: it opens only if `together` of them run at the same time
        self.barrier = threading.Barrier(together, timeout=20) if together else None

    def applied(self, step: Step, outputs: dict[str, Any], ctx: ApplyContext) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        if self.barrier is not None:
            self.barrier.wait()
        else:
            time.sleep(self.pause)
        with self.lock:
            self.now -= 1


@pytest.fixture
def kinds(monkeypatch):
    waiter, busy = _Probe(True, 0, together=20), _Probe(False, 0.05)
    monkeypatch.setitem(apply_mod.REGISTRY, "Waiter", waiter)
    monkeypatch.setitem(apply_mod.REGISTRY, "Busy", busy)
    return waiter, busy


def _plan(n_wait: int, n_busy: int) -> Plan:
    steps = [Step(kind="Waiter", name=f"w{i}", action=Action.create, reason="", desired={}) for i in range(n_wait)]
    steps += [Step(kind="Busy", name=f"b{i}", action=Action.create, reason="", desired={}) for i in range(n_busy)]
    return Plan(stack="s", account="1", region="r", steps=tuple(steps))


def test_waiting_steps_run_together_busy_ones_stay_bounded(kinds):
    waiter, busy = kinds
    ctx = ApplyContext(aws=None, stack="s", account="1", region="r")  # type: ignore[arg-type]
    out = apply_mod.execute(_plan(20, 12), ctx, concurrency=3)
    assert out.ok and len(out.done) == 32
    assert waiter.peak == 20  # all twenty waited together, not in waves of three
    assert busy.peak <= 3


def test_concurrency_one_is_fully_serial(kinds):
    waiter, busy = kinds
    waiter.barrier = None
    ctx = ApplyContext(aws=None, stack="s", account="1", region="r")  # type: ignore[arg-type]
    out = apply_mod.execute(_plan(3, 3), ctx, concurrency=1)
    assert out.ok and waiter.peak == 1 and busy.peak == 1


def test_a_lock_taken_away_stops_the_apply_before_the_next_step(kinds):
    waiter, busy = kinds

    class Lock:
        lost = False

    lock = Lock()
    ctx = ApplyContext(aws=None, stack="s", account="1", region="r", options={"lock": lock})  # type: ignore[arg-type]
    steps = [Step(kind="Busy", name=f"b{i}", action=Action.create, reason="", desired={}, layer=i) for i in range(3)]
    original = busy.applied

    def run_then_lose(step, outputs, c):  # type: ignore[no-untyped-def]
        original(step, outputs, c)
        lock.lost = True  # force-unlocked by someone while b0 ran

    busy.applied = run_then_lose
    out = apply_mod.execute(Plan(stack="s", account="1", region="r", steps=tuple(steps)), ctx, concurrency=2)
    assert [s.name for s in out.done] == ["b0"]
    [(step, err)] = out.failed
    assert step.name == "b1" and "lock on the stack was taken away" in str(err)
    assert [s.name for s in out.skipped] == ["b2"]
