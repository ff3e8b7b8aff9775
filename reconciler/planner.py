"""Desired state + live state + graph -> an ordered Plan whose steps hold the operations apply runs.

Pure: no AWS, no printing. Each step's operations come from its kind's pure ``operations()``; a replace
is the delete's operations followed by the create's; a resource whose dependency is replaced is re-linked
(its operations start from its live state without the replaced resource). What a kind refuses
(``Refusal``) and what must not be touched become problems, which apply refuses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler import ADOPT_ANNOTATION
from reconciler.diff import diff, digest
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Check, Observed, OpContext, Refusal, Resource
from reconciler.plan import Action, Operation, Orphan, Plan, PlanMode, Problem, Step

Id = tuple[str, str]


def adoption_takes(res: Resource, obs: Observed, stack: str) -> Problem | None:
    """Adoption takes only what no reconcile stack owns: the resource, or a part adopting it would tag
    (``Kind.owned_by_others``), owned by another stack (another environment's, in a shared account) is a
    problem naming each and the owning stack, at the adopt annotation's file:line."""
    others = {f"{res.kind}/{res.name}": obs.stack} if obs.stack and obs.stack != stack else {}
    others.update(REGISTRY[res.kind].owned_by_others(obs, stack))
    if not others:
        return None
    path = ("metadata", "annotations", ADOPT_ANNOTATION)
    line = res.line_of(*path)
    owned = "; ".join(f"{what} is owned by reconcile stack {owner!r}" for what, owner in sorted(others.items()))
    return Problem(kind=res.kind, name=res.name, code="conflict", file=res.file, line=line, message=(
        f"{res.file}:{line}: {'.'.join(path)}: cannot adopt: {owned} (its ownership tags). Adoption takes only "
        f"what no reconcile stack owns: taking it would retag it as stack {stack!r}'s, whose prune or destroy "
        "would then delete it from under its owner. Give it another name here (e.g. an environment patch of "
        "metadata.name), or release it from that stack first (remove its reconciler:managed-by tag, then its "
        "document there)"))


class _Planner:
    """One plan's worth of state: the steps and problems found so far."""

    def __init__(self, stack: str, account: str, region: str, partition: str, facts: dict[Id, dict[str, Any]]):
        self.ctx = OpContext(stack=stack, account=account, region=region, partition=partition)
        self.facts = facts
        self.steps: list[Step] = []
        self.problems: list[Problem] = []
        self.deleted: dict[tuple[str, str], int] = {}  # (kind, name) of each delete step -> its layer

    def context(self, res: Resource | None, kind: str, name: str, layer: int | None = None) -> OpContext:
        adopt = None
        if res is not None and res.annotated(ADOPT_ANNOTATION):
            adopt = f"{res.file}:{res.line_of('metadata', 'annotations', ADOPT_ANNOTATION)}"
        before = frozenset(i for i, at in self.deleted.items() if layer is not None and at < layer)
        return OpContext(stack=self.ctx.stack, account=self.ctx.account, region=self.ctx.region,
                         partition=self.ctx.partition, adopt=adopt, facts=self.facts.get((kind, name), {}),
                         deleted_before=before)

    def operations(self, res: Resource | None, kind: str, name: str, want: dict[str, Any] | None,
                   obs: Observed | None, action: Action, layer: int | None = None) -> tuple[Operation, ...] | None:
        """The step's operations; None (and a problem) where the kind refuses. ``layer``: a delete's, which sees
        the deletes planned in earlier layers (``OpContext.deleted_before``)."""
        k, ctx = REGISTRY[kind], self.context(res, kind, name, layer)
        try:
            if action == Action.replace:
                return tuple(k.replace_operations(name, want, obs, ctx))
            return tuple(k.operations(name, want, obs, ctx))
        except Refusal as e:
            self.problems.append(Problem(kind=kind, name=name, code=e.code, message=str(e)))
            return None


def plan(
    *,
    stack: str,
    account: str,
    region: str,
    resources: list[Resource],
    layers: dict[Id, int],
    edges: dict[Id, set[Id]],
    desired: dict[Id, dict[str, Any]],
    live: dict[Id, Observed | None],
    owned: list[Observed],
    mode: PlanMode = PlanMode.normal,
    prune: bool = False,
    auto_prune: bool = False,
    command: str = "plan",
    partition: str = "aws",
    facts: dict[Id, dict[str, Any]] | None = None,
    sandbox: bool = False,
    manifests_digest: str | None = None,
    manifests_path: str | None = None,
    warnings: tuple[str, ...] = (),
    check_failures: list[tuple[Resource, Check, str]] = (),  # type: ignore[assignment]
) -> Plan:
    """``mode``: normal (the declared resources; ``prune``: also delete orphans, as ``auto_prune`` does
    with Stack spec.prune), prune (only the orphans' deletes) or destroy (everything the stack owns)."""
    pl = _Planner(stack, account, region, partition, facts or {})
    notes: list[str] = []
    # read-only checks (secrets exist, outside roles exist and trust their service): each failure blocks apply
    for res, check, why in check_failures:
        line = res.line_of(*check.field)
        where = ".".join(str(x) for x in check.field)
        pl.problems.append(Problem(kind=res.kind, name=res.name, code="check", file=res.file, line=line,
                                   message=f"{res.file}:{line}: {where}: {why}"))
    n_layers = max(layers.values(), default=-1) + 1
    observed: dict[str, Observed] = {}  # step id -> what it was planned against (for re-links)

    if mode == PlanMode.normal:
        for res in resources:
            i = (res.kind, res.name)
            obs = live.get(i)
            if obs is not None:
                observed[f"{res.kind}/{res.name}"] = obs
            notes += _declared(pl, res, desired[i], obs, layers.get(i, 0),
                               tuple(sorted(f"{k}/{n}" for k, n in edges.get(i, set()))), stack)

    orphans = _deletes(pl, mode, prune, auto_prune, resources, desired, live, owned, n_layers, stack)
    _relink(pl, observed, {r.id: r for r in resources}, desired)
    order = {a: n for n, a in enumerate([Action.replace, Action.create, Action.update, Action.noop, Action.delete])}
    steps = sorted(pl.steps, key=lambda s: (s.layer, order[s.action], s.kind, s.name))
    command_mode = {"prune": PlanMode.prune, "destroy": PlanMode.destroy}
    return Plan(
        command=command, mode=command_mode.get(command, mode), prune=prune, stack=stack, account=account,
        region=region, sandbox=sandbox, manifests_digest=manifests_digest, manifests_path=manifests_path,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        steps=tuple(steps), problems=tuple(pl.problems), warnings=tuple(warnings) + tuple(notes),
        orphans=tuple(orphans),
    )


def _declared(pl: _Planner, res: Resource, want: dict[str, Any], obs: Observed | None, layer: int,
              deps: tuple[str, ...], stack: str) -> list[str]:
    """The step of one declared resource (or its problem); the warnings to show with the plan."""
    kind = REGISTRY[res.kind]
    common: dict[str, Any] = {"kind": res.kind, "name": res.name, "desired": want, "layer": layer, "depends_on": deps}
    if obs is None:
        found = pl.operations(res, res.kind, res.name, want, None, Action.create)
        if found is not None:
            pl.steps.append(Step(action=Action.create, reason="does not exist", operations=found,
                                 changes=tuple(kind.mask_change(c) for c in diff({}, want)), **common))
        return []
    cmp = kind.comparable(want)
    changes = [kind.mask_change(c) for c in diff(kind.live_comparable(obs.state, cmp), cmp, kind.replace_fields)]
    notes = [f"{res.kind}/{res.name} {w}" for w in kind.plan_warnings(obs.state, want)]
    live_digest = digest(obs.state)
    if obs.stack != stack:
        owner = f"stack {obs.stack!r}" if obs.stack else "no reconcile stack"
        if not res.annotated(ADOPT_ANNOTATION):
            pl.problems.append(Problem(kind=res.kind, name=res.name, code="conflict", message=(
                f"exists in AWS but is owned by {owner}; reconcile will not modify it. "
                f'Rename it in the manifest, or add the annotation {ADOPT_ANNOTATION}: "true" to adopt it')))
            return notes
        taken = adoption_takes(res, obs, stack)
        if taken:
            pl.problems.append(taken)
            return notes
        reason = f"adopt existing resource (owned by {owner})"
    elif not changes:
        pl.steps.append(Step(action=Action.noop, reason="up to date", live_digest=live_digest, **common))
        return notes
    else:
        reason = ""
    forced = sorted({c.path.split(".")[0].split("[")[0] for c in changes if c.forces_replacement})
    if forced and obs.stack != stack:
        # adopting must not replace (delete!) what is not ours yet
        pl.problems.append(Problem(kind=res.kind, name=res.name, code="conflict", message=(
            f"cannot be adopted as declared: {', '.join(forced)} differ from the live resource and "
            "cannot be changed in place; declare the live values to adopt it, then change them")))
        return notes
    action = Action.replace if forced else Action.update
    blocked = kind.problems(obs, action.value, want)
    if blocked:
        pl.problems.extend(Problem(kind=res.kind, name=res.name, code="conflict", message=m) for m in blocked)
        return notes
    found = pl.operations(res, res.kind, res.name, want, obs, action)
    if found is None:
        return notes
    common["operations"] = found
    if forced:
        pl.steps.append(Step(action=Action.replace, changes=tuple(changes), live_digest=live_digest,
                             reason=kind.plan_reason("replace", forced, obs.state, found)
                             or f"{', '.join(forced)} cannot be changed in place", **common))
        return notes
    fields = sorted({c.path.split(".")[0].split("[")[0] for c in changes})
    why = kind.plan_reason("update", fields, obs.state, found)
    if reason and why and found:  # adopting: say what else apply does
        reason = f"{reason}; {why}"
    if changes and not any(o.writes or o.action == "Wait" for o in found):  # (a status: waited)
        pl.problems.append(Problem(kind=res.kind, name=res.name, code="internal", message=(
            f"{', '.join(fields)} differ from the live resource but reconcile knows no call that changes "
            "them; this is a bug in reconcile (please report it), and apply refuses the plan")))
        return notes
    pl.steps.append(Step(action=Action.update, changes=tuple(changes), live_digest=live_digest,
                         reason=reason or why or f"{', '.join(fields)} changed", **common))
    return notes


def _deletes(pl: _Planner, mode: PlanMode, prune: bool, auto_prune: bool, resources: list[Resource],
             desired: dict[Id, dict[str, Any]], live: dict[Id, Observed | None], owned: list[Observed],
             n_layers: int, stack: str) -> list[Orphan]:
    """Delete steps for owned resources no longer declared (or all of them: destroy); the orphans listed."""
    destroy = mode == PlanMode.destroy
    explicit = prune or mode != PlanMode.normal  # --prune, `reconcile prune`, destroy
    if not (explicit or owned):
        return []
    declared_ids = {(r.kind, r.name) for r in resources}
    candidates = list(owned)
    if destroy:
        found = {(o.kind, o.name) for o in candidates}
        candidates += [o for i, o in live.items() if o is not None and i in declared_ids and o.stack == stack
                       and (o.kind, o.name) not in found]
    kept_needs: dict[str, list[str]] = {}
    if not destroy:
        for i, want in desired.items():
            for arn in REGISTRY[i[0]].depends_on_arns(want):
                kept_needs.setdefault(arn, []).append(f"{i[0]}/{i[1]}")
    # explicit: what cannot be deleted is a problem; Stack spec.prune (every apply): it is left in place and
    # listed, so a protected leftover does not block every apply of the stack
    deleting = explicit or auto_prune
    orphans = []
    for obs in sorted(candidates, key=lambda o: (REGISTRY[o.kind].delete_order, o.kind, o.name)):
        users = tuple(sorted(kept_needs.get(obs.arn, ())))
        blocked = REGISTRY[obs.kind].problems(obs, "delete")  # something not ours would go with it
        deletable = deleting and not obs.protected and not users and not blocked
        if not destroy:
            orphans.append(Orphan(kind=obs.kind, name=obs.name, protected=obs.protected, used_by=users,
                                  deleted=deletable))
        if obs.protected and explicit:
            pl.problems.append(Problem(kind=obs.kind, name=obs.name, code="protected", message=(
                "is protected by reconciler/prevent-destroy; apply the manifest with the annotation removed "
                'or "false" to lift it before deleting')))
            continue
        if blocked and explicit:
            pl.problems.extend(Problem(kind=obs.kind, name=obs.name, code="conflict", message=m) for m in blocked)
            continue
        if users and explicit:
            pl.problems.append(Problem(kind=obs.kind, name=obs.name, code="in-use", message=(
                f"is no longer declared but {', '.join(users)} still uses it")))
            continue
        if not deletable:
            continue
        layer = n_layers + REGISTRY[obs.kind].delete_order
        found = pl.operations(None, obs.kind, obs.name, None, obs, Action.delete, layer)
        if found is None:
            continue
        pl.deleted[(obs.kind, obs.name)] = layer
        pl.steps.append(Step(
            kind=obs.kind, name=obs.name, action=Action.delete,
            reason="destroy" if destroy else "owned by this stack, no longer declared",
            changes=tuple(REGISTRY[obs.kind].mask_change(c) for c in diff(obs.state, {})),
            live_digest=digest(obs.state), layer=layer, operations=found,
        ))
    return orphans


def _relink(pl: _Planner, observed: dict[str, Observed], resources: dict[str, Resource],
            desired: dict[Id, dict[str, Any]]) -> None:
    """A replaced resource is deleted and created again: whatever uses it (a role attaching a replaced policy)
    loses the link in between, so its operations start from its live state without the replaced resources."""
    replaced = {s.id: observed[s.id].arn for s in pl.steps if s.action == Action.replace and s.id in observed}
    for n, st in enumerate(pl.steps):
        gone = sorted(set(st.depends_on) & set(replaced))
        if not gone or st.action not in (Action.noop, Action.update) or st.id not in observed:
            continue
        kind, obs = REGISTRY[st.kind], observed[st.id]
        state = kind.unlinked(obs.state, {replaced[g] for g in gone})
        again = Observed(obs.kind, obs.name, obs.arn, state, obs.meta, obs.read_at)
        found = pl.operations(resources.get(st.id), st.kind, st.name, desired[(st.kind, st.name)], again,
                              Action.update)
        if found is None:
            pl.steps[n] = st.model_copy(update={"action": Action.noop, "operations": ()})
            continue
        update: dict[str, Any] = {"operations": found}
        if st.action == Action.noop:
            update.update(action=Action.update, reason=f"re-link to {', '.join(gone)}, which is replaced")
        pl.steps[n] = st.model_copy(update=update)
