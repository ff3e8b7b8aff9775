"""Each kind's operations as data (as the ACK controllers test theirs): given live and desired, these calls.

A scenario is a YAML file under ``tests/kinds/scenarios/<Kind>/``:

- ``manifests``: the documents of the stack (``Stack`` test is added), the resource under test among them;
  ``files``: other files of the manifests folder (a Function's code), by path; ``"@sha256:PATH"`` anywhere stands
  for the Lambda digest (CodeSha256) of the code at PATH in that folder, as reconcile zips it;
- ``resource``: ``Kind/name`` of the resource under test;
- ``live``: its live state as reconcile reads it (``arn``, ``state``, ``meta``; absent or null: it does not
  exist), ``facts``: what ``Kind.plan_facts`` read;
- ``mode``: ``normal`` (default), ``prune`` (the resource is an orphan: left out of ``manifests``) or ``destroy``;
- ``expect``: the step's ``action`` and its ``operations``, each ``[service, action, target, request]`` (the
  request exactly; ``{$output: …}`` and the other references as the plan holds them), followed, for an
  operation with ``on_failure``, by the list of those (each ``[service, action, target, request]``), optionally
  ``interrupts`` (the operations that interrupt serving, as ``"Action target"``) and the
  ``evidence`` bases its operations rely on (tags, created, adopt, parent), and ``warning``: a text a plan
  warning contains — or ``problem``: a text a plan problem contains (and then the resource's step changes
  nothing). Every operation that is not a create
  must carry ownership evidence.

The runner goes through the real planner (a pure function: no AWS), so a replace is the delete's calls and
then the create's, a refusal a problem. A newcomer adds a kind's case by adding a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler import manifests
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Observed, PlanContext
from reconciler.plan import PlanMode
from reconciler.planner import plan
from tests.support.manifests import write

ROOT = Path(__file__).parent / "scenarios"
CASES = sorted(ROOT.glob("*/*.yaml"))
ACCOUNT, REGION = "123456789012", "us-east-1"
STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: test}\n"


def _plan(case: dict[str, Any], tmp_path: Path) -> Any:
    folder = write(tmp_path / "m", {"stack.yaml": STACK, "resources.yaml": case.get("manifests") or ""})
    if not (case.get("manifests") or "").strip():
        (folder / "resources.yaml").unlink()
    m = manifests.load(folder)
    kind, name = case["resource"].split("/", 1)
    ctx = PlanContext(stack="test", account=ACCOUNT, region=REGION, resources=m.by_id())
    desired = {(r.kind, r.name): REGISTRY[r.kind].desired(r, ctx) for r in m.resources}
    live_doc = case.get("live")
    obs = None if not live_doc else Observed(kind, name, live_doc["arn"], live_doc["state"], live_doc.get("meta") or {},
                                            "2026-12-06T00:00:00+00:00")
    mode = PlanMode(case.get("mode", "normal"))
    declared = {(r.kind, r.name) for r in m.resources}
    live: dict[Any, Observed | None] = {i: None for i in declared}
    owned = []
    if (kind, name) in declared:
        live[(kind, name)] = obs
    elif obs is not None:
        owned.append(obs)
    from reconciler.graph import build

    graph = build(m)
    return plan(stack="test", account=ACCOUNT, region=REGION, resources=m.resources, layers=graph.layer_of(),
                edges=graph.edges, desired=desired, live=live, owned=owned, mode=mode,
                facts={(kind, name): case.get("facts") or {}})


def _digests(value: Any, folder: Path) -> Any:
    """``value`` with each "@sha256:PATH" replaced by the Lambda digest of the code at ``folder/PATH``."""
    if isinstance(value, dict):
        return {k: _digests(v, folder) for k, v in value.items()}
    if isinstance(value, list):
        return [_digests(v, folder) for v in value]
    if isinstance(value, str) and value.startswith("@sha256:"):
        from reconciler.artifacts import sha256_b64
        from reconciler.kinds._code import package

        return sha256_b64(package(folder / value.removeprefix("@sha256:")))
    return value


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_scenario(path: Path, tmp_path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    if case.get("files"):
        write(tmp_path / "m", case["files"])
        case = _digests(case, tmp_path / "m")
    p = _plan(case, tmp_path)
    expect = case["expect"]
    if "problem" in expect:
        assert [x.message for x in p.problems if expect["problem"] in x.message], p.problems
        assert not [s for s in p.changes if s.id == case["resource"]]
        return
    assert not p.problems, p.problems
    [step] = [s for s in p.steps if s.id == case["resource"]]
    assert step.action.value == expect["action"], step.reason
    got = [[o.service, o.action, o.target, o.request] + ([[[u.service, u.action, u.target, u.request]
                                                            for u in o.on_failure]] if o.on_failure else [])
           for o in step.operations]
    assert got == expect["operations"], "\n".join(str(g) for g in got)
    for o in [o for op in step.operations for o in (op, *op.on_failure)]:  # what changes or deletes something
        assert o.ownership is not None or o.action.startswith("Create") or not o.writes, o  # that exists: why ours
    if "interrupts" in expect:  # the operations that stop the endpoint serving, as "Action target"
        assert [f"{o.action} {o.target}" for o in step.operations if o.interrupts_serving] == expect["interrupts"]
    if "warning" in expect:
        assert [w for w in p.warnings if expect["warning"] in w], p.warnings
    if "evidence" in expect:
        assert sorted({o.ownership.basis for o in step.operations if o.ownership}) == sorted(expect["evidence"])


def test_every_kind_has_scenarios() -> None:
    assert set(REGISTRY) <= {p.parent.name for p in CASES}, set(REGISTRY) - {p.parent.name for p in CASES}
