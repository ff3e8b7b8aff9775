"""A saved plan is applied only while it still follows from its manifests and the live state.

``check`` finds the manifests the plan was made from (from any folder: the plan records the folder as
given, absolute, and relative to its git checkout), re-derives the plan with the same pure functions from
a fresh read of AWS, and refuses (nothing changed) when the two differ in any way: the target, the
manifests, a resource changed, created or deleted in AWS since (stale), or a plan that does not follow
from either (edited by hand). Every reason is reported at once.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from reconciler.errors import ManifestError, StalePlanError
from reconciler.plan import PLAN_FORMAT_VERSION, Plan, Step


def repo_top(folder: Path) -> Path | None:
    """The top of the git checkout holding ``folder`` (None outside one)."""
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def where(path: str) -> dict[str, str | None]:
    """What a plan records of its manifests folder ``path``: as given, absolute, relative to its checkout."""
    folder = Path(path).resolve()
    base = folder if folder.is_dir() else folder.parent
    top = repo_top(base)
    rel = folder.relative_to(top).as_posix() if top and folder.is_relative_to(top) else None
    return {"manifests_path": path, "manifests_dir": str(folder), "manifests_in_repo": rel}


def candidates(p: Plan, plan_file: str | None) -> list[Path]:
    """Where the manifests may be, in order: as given (from here), the same folder in the checkout holding the
    plan file, in the checkout holding the current folder, then the absolute folder the plan was made in (a
    Function's code is read from the checkout the manifests are found in: the plan's own checkout first)."""
    out: list[Path] = []
    if p.manifests_path:
        out.append(Path(p.manifests_path))
    if p.manifests_in_repo is not None:
        for start in ([Path(plan_file).resolve().parent] if plan_file else []) + [Path.cwd()]:
            top = repo_top(start)
            if top is not None:
                out.append(top / p.manifests_in_repo)
    if p.manifests_dir:
        out.append(Path(p.manifests_dir))
    seen: dict[str, Path] = {}
    for c in out:
        seen.setdefault(str(c.resolve()), c)
    return list(seen.values())


def check(p: Plan, t: Any, opts: Any, plan_file: str | None = None) -> None:
    """Refuse ``p`` unless re-deriving it now gives exactly ``p`` (see the module's docstring)."""
    from reconciler import manifests as mf
    from reconciler import pipeline

    if p.format_version != PLAN_FORMAT_VERSION:
        raise StalePlanError(f"the plan has format_version {p.format_version}; this reconcile applies only "
                             f"format_version {PLAN_FORMAT_VERSION} (see docs/plan-format.md). Run `reconcile plan` again.")
    wrong = _target(p, t)
    places = candidates(p, plan_file)
    existing = [c for c in places if c.exists()]
    if not existing:
        looked = ", ".join(str(c) for c in places) or "nowhere (the plan records no folder)"
        raise StalePlanError(f"refusing to apply: the manifests the plan was made from ({p.manifests_path}) are not "
                             f"there; looked in {looked}. Run apply in a checkout of the same commit; nothing was changed")
    loaded, stale = None, []
    for folder in existing:
        try:
            m = mf.load(folder, p.environment)
        except ManifestError:
            continue
        if pipeline.manifests_digest(m) == p.manifests_digest:
            loaded = (folder, m)
            break
    if loaded is None:
        folder = existing[0]
        try:
            m = mf.load(folder, p.environment)
        except ManifestError:
            raise StalePlanError(f"refusing to apply a stale plan: the manifests in {folder} changed (and no longer "
                                 "validate); nothing was changed") from None
        stale.append(f"the manifests in {folder} changed since the plan was made")
    else:
        folder, m = loaded
    opts.progress(f"checking the plan is fresh: manifests read from {folder}")
    opts.manifests = str(Path(folder).resolve())
    if m.stack.name != p.stack:
        wrong.append(f"the plan is for stack {p.stack!r}, the manifests in {folder} declare stack {m.stack.name!r}")
    if m.stack.spec.region and m.stack.spec.region != p.region:
        wrong.append(f"the plan was made for region {p.region}, stack {m.stack.name!r} is in region "
                     f"{m.stack.spec.region} (Stack spec.region)")
    if m.stack.spec.accountId and m.stack.spec.accountId != t.account:
        wrong.append(f"stack {m.stack.name!r} is pinned to account {m.stack.spec.accountId} "
                     f"(Stack spec.accountId), the credentials are for account {t.account}")
    if wrong:
        raise StalePlanError("refusing to apply the plan to a different target (nothing was changed):\n" +
                             "\n".join(f"  {x}" for x in wrong))
    opts.progress(f"checking the plan is fresh: re-reading {len(p.steps)} planned resource(s) …")
    graph = pipeline.build(m)
    fresh = pipeline.derive(m, graph, t, opts, p.command, p.mode, p.prune, p.manifests_path or str(folder))
    stale += differences(p, fresh)
    if stale:
        raise StalePlanError("refusing to apply a stale plan (nothing was changed):\n" +
                             "\n".join(f"  {x}" for x in stale) + "\nRun `reconcile plan` again and review the new plan.")


def _target(p: Plan, t: Any) -> list[str]:
    wrong = []
    if p.account != t.account:
        wrong.append(f"the plan was made for account {p.account}, the credentials are for account {t.account}")
    if p.region != t.region:
        wrong.append(f"the plan was made for region {p.region}, this run uses region {t.region}")
    if p.sandbox != t.sandbox:
        made, now = ("the sandbox", "AWS") if p.sandbox else ("AWS", "the sandbox")
        wrong.append(f"the plan was made against {made}, this run uses {now}")
    return wrong


def differences(saved: Plan, fresh: Plan) -> list[str]:
    """Why ``saved`` is not what planning now gives (``fresh``): one line per resource, empty when identical."""
    out = []
    old = {s.id: s for s in saved.steps}
    new = {s.id: s for s in fresh.steps}
    for sid in sorted(old.keys() | new.keys(), key=lambda i: (i not in old, i)):
        a, b = old.get(sid), new.get(sid)
        if a is None:
            out.append(f"{sid} is in the plan now but not in the saved one ({b.action.value})")  # type: ignore[union-attr]
        elif b is None:
            out.append(f"{sid} is no longer in the plan ({a.action.value} planned)")
        elif a.live_digest != b.live_digest:
            out.append(_changed_in_aws(a, b))
        elif _canonical(a) != _canonical(b):
            out.append(f"{sid}: the saved plan does not follow from the manifests and the live state: "
                       f"{_first_difference(a, b)} (was the plan edited, or made by another version of reconcile? "
                       "Make it again)")
    if not out:
        for what in ("problems", "orphans"):
            if _dump(getattr(saved, what)) != _dump(getattr(fresh, what)):
                out.append(f"the plan's {what} are not what planning now finds")
    return out


def _changed_in_aws(a: Step, b: Step) -> str:
    if a.live_digest is None:
        return f"{a.id} was created in AWS since the plan was made"
    if b.live_digest is None:
        return f"{a.id} was deleted from AWS since the plan was made"
    before = {c.path: c.before for c in a.changes}
    now = {c.path: c.before for c in b.changes}
    missing = object()
    fields = sorted(k for k in before.keys() | now.keys() if before.get(k, missing) != now.get(k, missing))
    return f"{a.id} changed in AWS since the plan was made" + (f" ({', '.join(fields)})" if fields else "")


def _canonical(step: Step) -> str:
    data = step.model_dump(mode="json", exclude={"reason"})
    _forget_read_at(data["operations"])
    return json.dumps(data, sort_keys=True)


def _forget_read_at(operations: list[dict[str, Any]]) -> None:
    """When evidence was read is not part of what a plan does (compensations' evidence included)."""
    for op in operations:
        if op.get("ownership"):
            op["ownership"]["read_at"] = None
        _forget_read_at(op.get("on_failure") or [])


def _dump(value: Any) -> str:
    return json.dumps([x.model_dump(mode="json") for x in value], sort_keys=True)


def _first_difference(a: Step, b: Step) -> str:
    if a.action != b.action:
        return f"action is {a.action.value} in the plan, {b.action.value} when planned again"
    ops_a = [json.loads(_canonical_op(o)) for o in a.operations]
    ops_b = [json.loads(_canonical_op(o)) for o in b.operations]
    for n, (x, y) in enumerate(zip(ops_a, ops_b, strict=False), 1):
        if x != y:
            field = next((k for k in sorted(x.keys() | y.keys()) if x.get(k) != y.get(k)), "")
            if field == "request":
                keys = sorted(x["request"].keys() | y["request"].keys())
                key = next(k for k in keys if x["request"].get(k) != y["request"].get(k))
                return (f"operation {n} ({x['action']} {x['target']}): {key} is {_short(x['request'].get(key))} in "
                        f"the plan, {_short(y['request'].get(key))} when planned again")
            return f"operation {n} ({x['action']} {x['target']}): {field} differs"
    if len(ops_a) != len(ops_b):
        return f"{len(ops_a)} operation(s) in the plan, {len(ops_b)} when planned again"
    for field in ("desired", "changes", "layer", "depends_on"):
        if _dump_field(a, field) != _dump_field(b, field):
            return f"its {field} differ"
    return "it differs"


def _canonical_op(op: Any) -> str:
    data = op.model_dump(mode="json")
    _forget_read_at([data])
    return json.dumps(data, sort_keys=True)


def _dump_field(step: Step, field: str) -> str:
    return json.dumps(step.model_dump(mode="json")[field], sort_keys=True)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
