"""Desired state + live state + graph -> an ordered Plan. Pure: no AWS, no printing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconciler import ADOPT_ANNOTATION
from reconciler.diff import diff, digest
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Check, Observed, Resource
from reconciler.plan import Action, Orphan, Plan, Problem, Step

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
    command: str = "plan",
    include_declared: bool = True,
    include_deletes: bool = False,
    auto_prune: bool = False,
    destroy: bool = False,
    sandbox: bool = False,
    manifests_digest: str | None = None,
    manifests_path: str | None = None,
    warnings: tuple[str, ...] = (),
    check_failures: list[tuple[Resource, Check, str]] = (),  # type: ignore[assignment]
) -> Plan:
    steps: list[Step] = []
    problems: list[Problem] = []
    notes: list[str] = []
    # read-only checks (secrets exist, outside roles exist and trust their service): each failure blocks apply
    for res, check, why in check_failures:
        line = res.line_of(*check.field)
        where = ".".join(str(x) for x in check.field)
        problems.append(Problem(kind=res.kind, name=res.name, code="check", file=res.file, line=line,
                                message=f"{res.file}:{line}: {where}: {why}"))
    n_layers = max(layers.values(), default=-1) + 1

    if include_declared and not destroy:
        for res in resources:
            i = (res.kind, res.name)
            kind = REGISTRY[res.kind]
            want = desired[i]
            obs = live.get(i)
            deps = tuple(sorted(f"{k}/{n}" for k, n in edges.get(i, set())))
            common: dict[str, Any] = {"kind": res.kind, "name": res.name, "desired": want, "layer": layers.get(i, 0), "depends_on": deps}
            if obs is None:
                steps.append(Step(action=Action.create, reason="does not exist", **common,
                                  changes=tuple(kind.mask_change(c) for c in diff({}, want)),
                                  operations=tuple(kind.operations(res.name, want, None))))
                continue
            cmp = kind.comparable(want)
            changes = [kind.mask_change(c) for c in diff(kind.live_comparable(obs.state, cmp), cmp, kind.replace_fields)]
            notes += [f"{res.kind}/{res.name} {w}" for w in kind.plan_warnings(obs.state, want)]
            live_digest = digest(obs.state)
            if obs.stack != stack:
                owner = f"stack {obs.stack!r}" if obs.stack else "no reconcile stack"
                if not res.annotated(ADOPT_ANNOTATION):
                    problems.append(Problem(kind=res.kind, name=res.name, code="conflict", message=(
                        f"exists in AWS but is owned by {owner}; reconcile will not modify it. "
                        f'Rename it in the manifest, or add the annotation {ADOPT_ANNOTATION}: "true" to adopt it')))
                    continue
                taken = adoption_takes(res, obs, stack)
                if taken:
                    problems.append(taken)
                    continue
                reason = f"adopt existing resource (owned by {owner})"
            elif not changes:
                steps.append(Step(action=Action.noop, reason="up to date", live_digest=live_digest, **common))
                continue
            else:
                reason = ""
            forced = sorted({c.path.split(".")[0].split("[")[0] for c in changes if c.forces_replacement})
            if forced and obs.stack != stack:
                # adopting must not replace (delete!) what is not ours yet
                problems.append(Problem(kind=res.kind, name=res.name, code="conflict", message=(
                    f"cannot be adopted as declared: {', '.join(forced)} differ from the live resource and "
                    "cannot be changed in place; declare the live values to adopt it, then change them")))
                continue
            blocked = kind.problems(obs, "replace" if forced else "update")
            if blocked:
                problems.extend(Problem(kind=res.kind, name=res.name, code="conflict", message=m) for m in blocked)
                continue
            common["operations"] = tuple(kind.operations(res.name, want, obs))
            if forced:
                steps.append(Step(action=Action.replace, changes=tuple(changes), live_digest=live_digest,
                                  reason=kind.plan_reason("replace", forced, obs.state, common["operations"])
                                  or f"{', '.join(forced)} cannot be changed in place", **common))
            else:
                fields = sorted({c.path.split(".")[0].split("[")[0] for c in changes})
                why = kind.plan_reason("update", fields, obs.state, common["operations"])
                if reason and why and common["operations"]:  # adopting: say what else apply does
                    reason = f"{reason}; {why}"
                steps.append(Step(action=Action.update, changes=tuple(changes), live_digest=live_digest,
                                  reason=reason or why or f"{', '.join(fields)} changed", **common))

    orphans: list[Orphan] = []
    if include_deletes or destroy or owned:
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
        # explicit (--prune, `reconcile prune`, destroy): what cannot be deleted is a problem;
        # Stack spec.prune (every apply): it is left in place and listed, so a protected leftover
        # does not block every apply of the stack
        deleting = include_deletes or destroy or auto_prune
        explicit = include_deletes or destroy
        for obs in sorted(candidates, key=lambda o: (REGISTRY[o.kind].delete_order, o.kind, o.name)):
            users = tuple(sorted(kept_needs.get(obs.arn, ())))
            blocked = REGISTRY[obs.kind].problems(obs, "delete")  # something not ours would go with it
            deletable = deleting and not obs.protected and not users and not blocked
            if not destroy:
                orphans.append(Orphan(kind=obs.kind, name=obs.name, protected=obs.protected, used_by=users,
                                      deleted=deletable))
            if obs.protected and explicit:
                problems.append(Problem(kind=obs.kind, name=obs.name, code="protected", message=(
                    "is protected by reconciler/prevent-destroy; apply the manifest with the annotation removed "
                    'or "false" to lift it before deleting')))
                continue
            if blocked and explicit:
                problems.extend(Problem(kind=obs.kind, name=obs.name, code="conflict", message=m) for m in blocked)
                continue
            if users and explicit:
                problems.append(Problem(kind=obs.kind, name=obs.name, code="in-use", message=(
                    f"is no longer declared but {', '.join(users)} still uses it")))
                continue
            if not deletable:
                continue
            steps.append(Step(
                kind=obs.kind, name=obs.name, action=Action.delete,
                reason="destroy" if destroy else "owned by this stack, no longer declared",
                changes=tuple(REGISTRY[obs.kind].mask_change(c) for c in diff(obs.state, {})),
                live_digest=digest(obs.state),
                layer=n_layers + REGISTRY[obs.kind].delete_order,
                operations=tuple(REGISTRY[obs.kind].operations(obs.name, None, obs)),
            ))

    # a replaced resource is deleted and created again: whatever uses it (a role attaching a replaced
    # policy) loses the link in between, so it is converged again even when its own state is unchanged
    replaced = {s.id for s in steps if s.action == Action.replace}
    for n, st in enumerate(steps):
        gone = sorted(set(st.depends_on) & replaced)
        if st.action == Action.noop and gone:
            steps[n] = st.model_copy(update={"action": Action.update,
                                             "reason": f"re-link to {', '.join(gone)}, which is replaced"})

    order = {a: n for n, a in enumerate([Action.replace, Action.create, Action.update, Action.noop, Action.delete])}
    steps.sort(key=lambda s: (s.layer, order[s.action], s.kind, s.name))
    return Plan(
        command=command, stack=stack, account=account, region=region, sandbox=sandbox,
        manifests_digest=manifests_digest, manifests_path=manifests_path,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        steps=tuple(steps), problems=tuple(problems), warnings=tuple(warnings) + tuple(notes), orphans=tuple(orphans),
    )
