"""The write audit (DESIGN.md house rule 12): what a reconcile run wrote equals what its plan listed.

Every reconcile process a test starts — through the ``cli`` fixture, ``run_inprocess``, a fork, ``Popen``,
the composite GitHub action, a kinds test's in-process pipeline — gets ``RECONCILE_AUDIT_DIR`` in its
environment and writes ``<run id>.json`` there (reconciler/runlog.py): the endpoint it talked to and every
plan it executed. The emulator records each write with the run id its User-Agent carries
(reconciler/sandbox/audit.py). ``compare`` then holds the two side by side:

- each recorded write is the next planned write of one step (service, operation and the identifiers the
  request names), in the step's order; steps of one layer may interleave, calls within a step may not;
- a call the emulator answered with an error and that was sent again (a retry of botocore's, a retried
  role-propagation refusal, a create whose answer was lost) is one call; the same call succeeding twice
  is two, and only one can be planned;
- a run that succeeded made every planned write (a planned step that writes nothing is a violation);
- a run that executed no plan (plan, validate, import, invoke …) writes nothing but its lock.

``Session`` (one per test, tests/conftest.py) compares every run of the test, and fails the test when the
emulator holds a write of a reconcile run that was never compared. There is no allow-list and no
guessing which step a write belongs to from naming rules: the plan names every call.

Steps of kinds not yet planned as operations (``Kind.program`` false) are checked by the older heuristic
audit (tests/support/legacy_audit.py) until every kind is converted.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.sandbox.audit import identifiers

AUDIT_ROUTE = "/reconcile-sandbox/audit"


class WriteViolation(AssertionError):
    """A run wrote what its plan did not list, or did not make a write its plan listed."""


@dataclass(frozen=True)
class Violation:
    code: str  # unplanned | out-of-order | extra | not-done | legacy codes (tests/support/legacy_audit.py)
    message: str
    record: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def fetch(url: str, since: int = 0, run: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """The emulator's records after ``since`` (of reconcile run ``run`` only, when given) and the next ``since``."""
    query = f"?since={since}" + (f"&run={run}" if run else "")
    with urllib.request.urlopen(f"{url}{AUDIT_ROUTE}{query}", timeout=30) as r:
        data = json.load(r)
    return data["records"], int(data["next"])


def describe(rec: dict[str, Any]) -> str:
    ids = ", ".join(f"{k}={v}" for k, v in rec.get("ids", {}).items())
    return f"#{rec.get('seq')} {rec.get('service')}:{rec.get('operation')}({ids}) -> {rec.get('status')}"


def is_lock(rec: dict[str, Any]) -> bool:
    """The stack lock's DynamoDB item belongs to the run, not to a step."""
    return rec.get("service") == "dynamodb" and "LockID" in rec.get("ids", {})


# --------------------------------------------------------------------------------------------------
# the comparison


@dataclass
class Planned:
    step: str
    n: int
    service: str
    action: str
    target: str
    ids: dict[str, Any]

    def matches(self, rec: dict[str, Any]) -> bool:
        if (rec.get("service"), rec.get("operation")) != (self.service, self.action):
            return False
        got = rec.get("ids") or {}
        return all(str(self.ids[k]) == str(got[k]) for k in self.ids.keys() & got.keys())

    def __str__(self) -> str:
        return f"{self.step} operation {self.n} ({self.action} {self.target})"


def _program(kind: str) -> bool:
    from reconciler.kinds import REGISTRY

    return bool(getattr(REGISTRY.get(kind), "program", False))


def _writes(op: dict[str, Any]) -> bool:
    return op["service"] != "local" and op["action"] not in ("Wait", "InvokeEndpoint")


def planned_writes(plan: dict[str, Any], compensations: list[Planned] | None = None) -> dict[str, deque[Planned]]:
    """Per step of a kind that plans its operations: its writes, in order (waits, checks and local files
    are not AWS writes). ``compensations`` collects each operation's ``on_failure`` writes, numbered as the
    operation they undo (what apply may run when that operation fails, before the run stops)."""
    out: dict[str, deque[Planned]] = {}
    for step in plan.get("steps") or ():
        if step.get("action") == "noop" or not _program(step["kind"]):
            continue
        sid = f"{step['kind']}/{step['name']}"
        queue: deque[Planned] = deque()
        for n, op in enumerate(step.get("operations") or (), 1):
            if compensations is not None:
                compensations += [Planned(sid, n, u["service"], u["action"], u["target"],
                                          identifiers(u.get("request") or {}))
                                  for u in op.get("on_failure") or () if _writes(u)]
            if _writes(op):
                queue.append(Planned(sid, n, op["service"], op["action"], op["target"],
                                     identifiers(op.get("request") or {})))
        out[sid] = queue
    return out


def _compensation(undo: list[Planned], queues: dict[str, deque[Planned]], rec: dict[str, Any]) -> Planned | None:
    """The ``on_failure`` write ``rec`` is, if any: of an operation the step has reached (every planned write
    before it done)."""
    for u in undo:
        q = queues.get(u.step)
        if u.matches(rec) and (not q or q[0].n > u.n):
            undo.remove(u)
            return u
    return None


def _failed(rec: dict[str, Any]) -> bool:
    return int(rec.get("status") or 0) >= 400


def compare(plans: list[dict[str, Any]], records: list[dict[str, Any]], succeeded: bool,
            context: list[dict[str, Any]] = ()) -> list[Violation]:  # type: ignore[assignment]
    """Violations of one run's ``records`` against the ``plans`` it executed (in order). ``context``: the
    test's other records (what the legacy audit learns AWS-chosen ids from)."""
    writes = [r for r in records if r.get("class") == "write" and not is_lock(r)]
    queues: dict[str, deque[Planned]] = {}
    undo: list[Planned] = []
    for plan in plans:
        for sid, q in planned_writes(plan, undo).items():
            queues.setdefault(sid, deque()).extend(q)
    last: dict[str, tuple[Planned, dict[str, Any]]] = {}
    legacy: list[dict[str, Any]] = []
    out: list[Violation] = []
    for rec in writes:
        step = next((sid for sid, q in queues.items() if q and q[0].matches(rec)), None)
        if step is not None:
            last[step] = (queues[step].popleft(), rec)
            continue
        again = next((sid for sid, (p, r) in last.items() if p.matches(rec) and (_failed(r) or _failed(rec))), None)
        if again is not None:  # the same call once more after a failed answer: one call
            p, r = last[again]
            last[again] = (p, r if _failed(rec) else rec)
            continue
        if not succeeded and _compensation(undo, queues, rec) is not None:  # (the run stops after it)
            continue
        later = next(((sid, p) for sid, q in queues.items() for p in q if p.matches(rec)), None)
        done = next((p for sid, (p, _r) in last.items() if p.matches(rec)), None)
        if later is not None:
            sid, p = later
            out.append(Violation("out-of-order", f"{describe(rec)} is {p}, but the step's next write is "
                                                 f"{queues[sid][0]}", rec))
            queues[sid].remove(p)
        elif done is not None:
            out.append(Violation("extra", f"{describe(rec)} repeats {done}, which the plan lists once", rec))
        else:
            legacy.append(rec)
    legacy_plans = [{**p, "steps": [s for s in p.get("steps") or () if not _program(s["kind"])]} for p in plans]
    if legacy and any(p["steps"] for p in legacy_plans):
        from tests.support.legacy_audit import Knowledge
        from tests.support.legacy_audit import check as legacy_check

        know = Knowledge()
        know.learn(list(context))
        for p in legacy_plans:
            out += legacy_check(p, legacy, succeeded=succeeded, know=know)
    else:
        out += [Violation("unplanned", f"{describe(r)} is no operation of the plan"
                          + (" (the run executed no plan: it may write nothing)" if not plans else ""), r)
                for r in legacy]
    if succeeded:
        out += [Violation("not-done", f"{p} was planned but the emulator recorded no such call")
                for q in queues.values() for p in q]
    return out


# --------------------------------------------------------------------------------------------------
# runs and the test's session


@dataclass
class Run:
    """One reconcile run, from its run file."""

    id: str
    endpoint: str | None
    plans: list[dict[str, Any]]
    argv: list[str]
    outcome: dict[str, Any] | None

    @classmethod
    def load(cls, path: Path) -> Run:
        data = json.loads(path.read_text())
        return cls(data["run"], data.get("endpoint"), data.get("plans") or [], data.get("argv") or [],
                   data.get("outcome"))


@dataclass
class Session:
    """The audit of one test: its run files' folder, and the emulator records it must account for."""

    folder: Path
    pid: int = field(default_factory=os.getpid)
    servers: list[str] = field(default_factory=list)
    since: dict[str, int] = field(default_factory=dict)
    compared: set[str] = field(default_factory=set)

    def watch(self, url: str) -> None:
        """Account for every write ``url`` records from now on."""
        if url not in self.since:
            self.servers.append(url)
            self.since[url] = fetch(url)[1]

    def runs(self) -> list[Run]:
        found = []
        for p in sorted(self.folder.glob("*.json"), key=lambda x: x.stat().st_mtime):
            try:
                found.append(Run.load(p))
            except (OSError, ValueError, KeyError):  # a run killed while writing: nothing to go on
                continue
        return found

    def records_of(self, run: Run) -> list[dict[str, Any]] | None:
        """What the emulators recorded under ``run``'s id, in order; asked from the emulators the test watches
        and from the run's own endpoint (a fault proxy in front of one, or an embedded sandbox). None when none
        of them answers."""
        sources = list(dict.fromkeys(self.servers + ([run.endpoint] if run.endpoint else [])))
        records: dict[tuple[int, float], dict[str, Any]] = {}  # (one server asked through a proxy too: once)
        asked = 0
        for url in sources:
            try:
                found_here, _ = fetch(url, 0, run.id)
            except (urllib.error.URLError, OSError, ValueError):
                continue
            asked += 1
            for r in found_here:
                records.setdefault((r["seq"], r.get("time", 0)), r)
        return sorted(records.values(), key=lambda r: (r.get("time", 0), r["seq"])) if asked else None

    def last(self) -> tuple[Run, list[dict[str, Any]]]:
        """The latest run that executed a plan, and the writes recorded under its id (for tests of the audit)."""
        run = [r for r in self.runs() if r.plans][-1]
        return run, [w for w in self.records_of(run) or [] if w.get("class") == "write"]

    def latest_writes(self) -> list[dict[str, Any]]:
        """The writes recorded under the latest run's id (whatever it was: plan, rollback, invoke …)."""
        runs = self.runs()
        return [w for w in (self.records_of(runs[-1]) or []) if w.get("class") == "write"] if runs else []

    def check(self, run: Run, succeeded: bool | None = None, output: str = "") -> None:
        """Compare one run now; WriteViolation names every violation."""
        self.compared.add(run.id)
        ordered = self.records_of(run)
        if ordered is None:
            if run.plans:
                raise WriteViolation(f"run {run.id} (`reconcile {' '.join(run.argv)}`) executed a plan, but no "
                                     f"emulator it used is there any more ({run.endpoint}): its writes cannot be compared")
            return
        ok = succeeded if succeeded is not None else bool((run.outcome or {}).get("ok"))
        context: list[dict[str, Any]] = []
        for url in self.servers:
            try:
                context += fetch(url, self.since[url])[0]
            except (urllib.error.URLError, OSError, ValueError):
                continue
        found = compare(run.plans, ordered, ok, context)
        if not run.plans and "rollback" in run.argv:  # (until rollback makes a plan: the legacy rule)
            from tests.support.legacy_audit import rollback_violations

            found = rollback_violations(run.argv, ordered)
        if found:
            shown = "\n  ".join(str(v) for v in found)
            raise WriteViolation(f"write audit of `reconcile {' '.join(run.argv)}` (run {run.id}):\n  {shown}"
                                 + (f"\noutput:\n{output[-3000:]}" if output else ""))

    def check_new(self, before: set[str], succeeded: bool | None, output: str = "") -> None:
        """Compare the runs that appeared since ``before`` (the run ids known then)."""
        for run in self.runs():
            if run.id not in before and run.id not in self.compared:
                self.check(run, succeeded, output)

    def finish(self) -> None:
        """Compare every run not compared yet; then every write of a reconcile run that the emulators
        recorded during the test must belong to a compared run."""
        for run in self.runs():
            if run.id not in self.compared:
                self.check(run)
        for url in self.servers:
            try:
                records, _ = fetch(url, self.since[url])
            except (urllib.error.URLError, OSError):
                continue
            stray = [r for r in records if r.get("class") == "write" and r.get("run") and r["run"] not in self.compared]
            if stray:
                raise WriteViolation("writes of reconcile runs that the audit never compared with a plan (their "
                                     "process had no RECONCILE_AUDIT_DIR):\n  "
                                     + "\n  ".join(describe(r) + f" run {r['run']}" for r in stray))


_current: Session | None = None


def current() -> Session | None:
    """The running test's audit session (None outside a test)."""
    return _current


def begin(folder: Path) -> Session:
    global _current
    _current = Session(folder)
    return _current


def end() -> None:
    global _current
    session, _current = _current, None
    if session is not None:
        session.finish()
