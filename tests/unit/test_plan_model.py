"""The Plan model's derived views: changes, counts, summary wording, pending orphans."""

from __future__ import annotations

from reconciler.plan import Action, Orphan, Plan, Step


def step(name, action):
    return Step(kind="Role", name=name, action=action, reason="r")


def mk(*actions, orphans=()):
    return Plan(stack="s", account="1", region="r", steps=tuple(step(f"n{i}", a) for i, a in enumerate(actions)),
                orphans=tuple(orphans))


def test_counts_every_action_including_zero_ones():
    p = mk(Action.create, Action.create, Action.update, Action.replace, Action.noop, Action.delete, Action.delete)
    assert p.counts() == {"create": 2, "update": 1, "replace": 1, "delete": 2, "noop": 1}
    assert mk().counts() == {"create": 0, "update": 0, "replace": 0, "delete": 0, "noop": 0}


def test_summary_wording():
    p = mk(Action.create, Action.update, Action.update, Action.replace, Action.replace, Action.replace,
           Action.delete, Action.delete, Action.delete, Action.delete, Action.noop)
    assert p.summary() == "1 to create, 2 to update, 3 to replace, 4 to delete"
    assert mk().summary() == "0 to create, 0 to update, 0 to replace, 0 to delete"


def test_summary_counts_only_orphans_left_in_place():
    left = [Orphan(kind="Role", name="a"), Orphan(kind="Role", name="b", protected=True)]
    gone = Orphan(kind="Role", name="c", deleted=True)
    p = mk(Action.delete, orphans=[*left, gone])
    assert p.pending_orphans == left
    assert p.summary() == ("0 to create, 0 to update, 0 to replace, 1 to delete, "
                           "2 orphaned (not declared; `reconcile prune` deletes)")
    assert mk(Action.delete, orphans=[gone]).summary() == "0 to create, 0 to update, 0 to replace, 1 to delete"


def test_changes_and_pending():
    p = mk(Action.noop, Action.update, Action.noop)
    assert [s.name for s in p.changes] == ["n1"] and p.has_changes and p.pending
    quiet = mk(Action.noop)
    assert quiet.changes == [] and not quiet.has_changes and not quiet.pending
    assert mk(Action.noop, orphans=[Orphan(kind="Role", name="x")]).pending
    assert not mk(Action.noop, orphans=[Orphan(kind="Role", name="x", deleted=True)]).pending


def test_step_id_and_defaults():
    s = step("web", Action.create)
    assert s.id == "Role/web"
    assert (s.changes, s.desired, s.live_digest, s.layer, s.depends_on) == ((), None, None, 0, ())
    o = Orphan(kind="Role", name="x")
    assert (o.reason, o.protected, o.used_by, o.deleted) == ("owned by this stack, no longer declared", False, (), False)
    p = Plan(stack="s", account="1", region="r")
    assert (p.format_version, p.command, p.sandbox, p.created_at, p.steps, p.problems, p.warnings, p.orphans) == (
        2, "plan", False, "", (), (), (), ())


def test_a_step_interrupts_serving_when_any_of_its_operations_does():
    from reconciler.plan import Operation

    calm = Operation(service="sagemaker", action="UpdateEndpoint", target="e")
    down = Operation(service="sagemaker", action="DeleteEndpoint", target="e", interrupts_serving=True)
    assert not step("a", Action.update).interrupts_serving
    assert not Step(kind="Endpoint", name="e", action=Action.update, reason="r", operations=(calm,)).interrupts_serving
    assert Step(kind="Endpoint", name="e", action=Action.update, reason="r", operations=(calm, down)).interrupts_serving
