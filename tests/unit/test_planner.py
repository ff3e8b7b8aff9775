"""The planner as a pure function: desired + live states in, the exact Plan out. No AWS, no emulator.

A fake kind (registered for the test only) makes every hook of the Kind contract the planner calls
observable: replace fields, apply-only and observed-only fields, masking, its own reasons and
warnings, the ARNs it needs and its delete order.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from reconciler.diff import digest
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Check, Kind, Observed, Resource
from reconciler.plan import Action, FieldChange, Operation, Orphan, PlanMode, Problem
from reconciler.planner import plan

STACK = "s"
OURS = {"reconciler:managed-by": "reconciler", "reconciler:stack": STACK}


class Fake(Kind):
    kind = "Fake"
    replace_fields = frozenset({"path", "shape"})
    delete_order = 60
    apply_only_fields = frozenset({"how"})
    observed_only_fields = frozenset({"extra"})

    def arn(self, name, spec, ctx):  # pragma: no cover - not called by the planner
        return f"arn:fake:{name}"

    def desired(self, res, ctx):  # pragma: no cover
        return {}

    def read(self, aws, name, ctx):  # pragma: no cover
        return None

    def list_owned(self, aws, stack, ctx, exclude=frozenset()):  # pragma: no cover
        return []

    def depends_on_arns(self, state: dict[str, Any]) -> list[str]:
        return list(state.get("needs", []))

    def mask_change(self, change: Any) -> Any:
        if change.path.startswith("secret"):
            return change.model_copy(update={"before": "***" if change.before is not None else None,
                                             "after": "***" if change.after is not None else None})
        return change

    def plan_warnings(self, live: dict[str, Any], desired: dict[str, Any]) -> list[str]:
        return [f"warns about {live['warn']}"] if live.get("warn") and "warn" not in desired else []

    def plan_reason(self, action: str, fields: list[str], live: dict[str, Any] | None,
                    operations: tuple[Operation, ...] = ()) -> str | None:
        if live and live.get("own-reason"):
            return f"own {action} reason for {'+'.join(fields)}" + "".join(f" via {o.action}" for o in operations)
        return None

    def problems(self, live: Observed, action: str, desired=None) -> list[str]:
        return [f"{action} would take {x} along" for x in live.state.get("block", [])]

    def operations(self, name: str, desired: dict[str, Any] | None, observed: Observed | None,
                   ctx=None) -> list[Operation]:
        verb = "Create" if observed is None else "Delete" if desired is None else "Update"
        return [Operation(service="fake", action=f"{verb}Fake", target=name)]


class Early(Fake):
    kind = "Early"
    delete_order = 10


@pytest.fixture(autouse=True)
def fake_kinds(monkeypatch):
    monkeypatch.setitem(REGISTRY, "Fake", Fake())
    monkeypatch.setitem(REGISTRY, "Early", Early())


def res(name="a", kind="Fake", annotations=None, lines=None):
    return Resource(kind, name, None, {}, annotations or {}, "m.yaml", 3, lines or {})


def st(**over):
    return {"size": 1, "tags": dict(OURS), **over}


def obs(name="a", kind="Fake", tags=None, **over):
    state = st(**over)
    if tags is not None:
        state["tags"] = tags
    return Observed(kind, name, f"arn:fake:{name}", state)


def make(resources, desired, live, owned=(), layers=None, edges=None, **kw):
    if layers is None:
        layers = {(r.kind, r.name): 0 for r in resources}
    return plan(stack=STACK, account="123456789012", region="eu-west-1", resources=resources, layers=layers,
                edges=edges or {}, desired=desired, live=live, owned=list(owned), **kw)


def one(resource, want, live):
    i = (resource.kind, resource.name)
    return make([resource], {i: want}, {i: live})


# ---- create / noop / update / replace ----------------------------------------------------------
def test_create_lists_every_desired_field_as_added():
    p = one(res(), st(size=2), None)
    (s,) = p.steps
    assert (s.kind, s.name, s.action, s.reason) == ("Fake", "a", Action.create, "does not exist")
    assert s.desired == st(size=2) and s.live_digest is None and s.layer == 0 and s.depends_on == ()
    assert s.changes == (
        FieldChange(path="size", op="add", before=None, after=2),
        FieldChange(path="tags", op="add", before=None, after=OURS),
    )
    assert not p.problems and not p.orphans and p.warnings == ()


def test_create_changes_are_masked_by_the_kind():
    (s,) = one(res(), st(secret="hunter2"), None).steps
    assert [c for c in s.changes if c.path == "secret"] == [FieldChange(path="secret", op="add", after="***")]


def test_noop_when_live_equals_desired_and_it_records_the_live_digest():
    live = obs(size=1)
    (s,) = one(res(), st(), live).steps
    assert (s.action, s.reason, s.changes) == (Action.noop, "up to date", ())
    assert s.live_digest == digest(live.state) and s.desired == st()


def test_update_reason_names_the_changed_top_level_fields_sorted():
    live = obs(size=1, labels={"a": "1"}, zone=["x"])
    (s,) = one(res(), st(size=2, labels={"a": "2"}, zone=["x", "y"]), live).steps
    assert s.action == Action.update
    assert s.reason == "labels, size, zone changed"
    assert s.changes == (
        FieldChange(path="labels.a", op="change", before="1", after="2"),
        FieldChange(path="size", op="change", before=1, after=2),
        FieldChange(path="zone", op="add", after="y"),
    )
    assert s.live_digest == digest(live.state)


def test_update_of_list_items_names_the_field_not_the_index():
    live = obs(items=[{"x": 1}])
    (s,) = one(res(), st(items=[{"x": 2}]), live).steps
    assert s.changes[0].path == "items[0].x" and s.reason == "items changed"


def test_replace_when_a_replace_field_differs_with_the_default_reason():
    live = obs(path="/a/", shape={"k": 1}, size=1)
    (s,) = one(res(), st(path="/b/", shape={"k": 2}, size=5), live).steps
    assert s.action == Action.replace
    assert s.reason == "path, shape cannot be changed in place"
    assert [(c.path, c.forces_replacement) for c in s.changes] == [("path", True), ("shape.k", True), ("size", False)]
    assert s.live_digest == digest(live.state)


def test_replace_and_update_use_the_kinds_own_reason_when_it_has_one():
    (s,) = one(res(), st(path="/b/", size=3), obs(path="/a/", **{"own-reason": 1})).steps
    assert (s.action, s.reason) == (Action.replace, "own replace reason for path via DeleteFake via CreateFake")
    (s,) = one(res(), st(size=3, zone=1, **{"own-reason": 1}), obs(**{"own-reason": 1})).steps
    assert (s.action, s.reason) == (Action.update, "own update reason for size+zone via UpdateFake")


def test_apply_only_fields_are_never_diffed_but_stay_in_desired():
    (s,) = one(res(), st(how="blue-green"), obs()).steps
    assert s.action == Action.noop and s.desired["how"] == "blue-green"


def test_observed_only_fields_count_only_when_desired_has_them():
    assert one(res(), st(), obs(extra=["k1"])).steps[0].action == Action.noop
    (s,) = one(res(), st(extra=[]), obs(extra=["k1"])).steps
    assert (s.action, s.reason) == (Action.update, "extra changed")


def test_plan_warnings_of_a_kind_join_the_plan_warnings_after_the_given_ones():
    p = make([res()], {("Fake", "a"): st()}, {("Fake", "a"): obs(warn="x")}, warnings=("first",))
    assert p.warnings == ("first", "Fake/a warns about x")


def test_warnings_of_every_resource_are_kept_and_the_kind_sees_the_desired_state():
    ids = [("Fake", "a"), ("Fake", "b"), ("Fake", "c")]
    p = make([res("a"), res("b"), res("c")], {ids[0]: st(), ids[1]: st(), ids[2]: st(warn="y")},
             {ids[0]: obs("a", warn="x"), ids[1]: obs("b", warn="z"), ids[2]: obs("c", warn="y")})
    assert p.warnings == ("Fake/a warns about x", "Fake/b warns about z")  # c asks for what it has: no warning


def test_layer_and_depends_on_come_from_the_graph():
    a, b, c = res("a"), res("b"), res("c")
    ids = {r.name: (r.kind, r.name) for r in (a, b, c)}
    p = make([a, b, c], {i: st() for i in ids.values()}, {i: None for i in ids.values()},
             layers={ids["a"]: 1, ids["b"]: 0},
             edges={ids["a"]: {ids["c"], ids["b"], ("Early", "z")}})
    by = {s.name: s for s in p.steps}
    assert by["a"].layer == 1 and by["b"].layer == 0 and by["c"].layer == 0  # c: not in layers -> 0
    assert by["a"].depends_on == ("Early/z", "Fake/b", "Fake/c") and by["b"].depends_on == ()


# ---- ownership and adoption --------------------------------------------------------------------
def test_a_resource_owned_by_nobody_is_a_conflict_with_the_exact_message():
    p = one(res(), st(), obs(tags={"team": "x"}))
    assert p.steps == ()
    assert p.problems == (Problem(kind="Fake", name="a", code="conflict", message=(
        "exists in AWS but is owned by no reconcile stack; reconcile will not modify it. "
        'Rename it in the manifest, or add the annotation reconciler/adopt: "true" to adopt it')),)


def test_a_resource_of_another_stack_is_a_conflict_naming_that_stack():
    p = one(res(), st(), obs(tags={**OURS, "reconciler:stack": "other"}))
    assert p.steps == () and p.problems[0].message.startswith("exists in AWS but is owned by stack 'other';")


def test_adoption_is_an_update_even_when_nothing_else_differs():
    live = obs(tags={"team": "x"})
    p = one(res(annotations={"reconciler/adopt": "true"}), st(tags={"team": "x"}), live)
    (s,) = p.steps
    assert (s.action, s.reason, s.changes) == (Action.update, "adopt existing resource (owned by no reconcile stack)", ())
    assert s.live_digest == digest(live.state) and not p.problems


def test_adoption_never_takes_a_resource_another_stack_owns():
    """Issue 17: the adopt annotation takes only what no reconcile stack owns (another environment's resource
    in a shared account would be stolen); the problem names the resource, the owner and the annotation's line."""
    live = obs(tags={**OURS, "reconciler:stack": "old"})
    r = res(annotations={"reconciler/adopt": "TRUE"}, lines={("metadata", "annotations", "reconciler/adopt"): 7})
    p = one(r, st(size=4), live)
    assert p.steps == ()
    (pr,) = p.problems
    assert (pr.kind, pr.name, pr.code, pr.file, pr.line) == ("Fake", "a", "conflict", "m.yaml", 7)
    assert pr.message.startswith("m.yaml:7: metadata.annotations.reconciler/adopt: cannot adopt: Fake/a is owned "
                                 "by reconcile stack 'old' (its ownership tags)"), pr.message


def test_a_resource_stripped_of_managed_by_is_not_owned_and_can_be_adopted():
    """Releasing a resource from its stack (removing reconciler:managed-by) makes it adoptable."""
    live = obs(tags={"reconciler:stack": "old"})
    (s,) = one(res(annotations={"reconciler/adopt": "true"}), st(), live).steps
    assert s.reason == "adopt existing resource (owned by no reconcile stack)"


def test_adoption_never_takes_a_part_another_stack_owns(monkeypatch):
    """The kind names parts adopting would take (an endpoint's component or model): another stack's block it."""
    monkeypatch.setattr(Fake, "owned_by_others", lambda self, live, stack: {"Part/p1": "dev"}, raising=False)
    p = one(res(annotations={"reconciler/adopt": "true"}), st(), obs(tags={}))
    assert p.steps == ()
    assert "cannot adopt: Part/p1 is owned by reconcile stack 'dev'" in p.problems[0].message


def test_adoption_that_would_replace_is_refused():
    p = one(res(annotations={"reconciler/adopt": "true"}), st(path="/b/", shape=2), obs(tags={}, path="/a/", shape=1))
    assert p.steps == ()
    assert p.problems == (Problem(kind="Fake", name="a", code="conflict", message=(
        "cannot be adopted as declared: path, shape differ from the live resource and cannot be changed "
        "in place; declare the live values to adopt it, then change them")),)


# ---- read-only check failures ------------------------------------------------------------------
def test_check_failures_are_problems_with_file_line_and_field():
    r = res(lines={("spec", "secret"): 9})
    checks = [(r, Check("secret", "hf", ("spec", "secret", "name")), "secret hf does not exist"),
              (res("b"), Check("role", "arn", ("spec", "role")), "role is missing")]
    p = make([], {}, {}, check_failures=checks)
    assert p.problems == (
        Problem(kind="Fake", name="a", code="check", file="m.yaml", line=9,
                message="m.yaml:9: spec.secret.name: secret hf does not exist"),
        Problem(kind="Fake", name="b", code="check", file="m.yaml", line=3,
                message="m.yaml:3: spec.role: role is missing"),
    )


# ---- orphans, prune, destroy -------------------------------------------------------------------
def test_without_prune_an_owned_undeclared_resource_is_an_orphan_left_in_place():
    p = make([], {}, {}, owned=[obs("old")])
    assert p.steps == () and p.problems == ()
    assert p.orphans == (Orphan(kind="Fake", name="old", protected=False, used_by=(), deleted=False),)
    assert p.orphans[0].reason == "owned by this stack, no longer declared"


def test_prune_deletes_an_orphan_with_its_state_as_removed_fields():
    gone = obs("old", size=7, secret="s3cr3t")
    p = make([], {}, {}, owned=[gone], layers={("Fake", "x"): 2}, prune=True)
    (s,) = p.steps
    assert (s.kind, s.name, s.action, s.reason) == ("Fake", "old", Action.delete, "owned by this stack, no longer declared")
    assert s.layer == 3 + 60  # after every declared layer (0..2), in the kind's delete order
    assert s.live_digest == digest(gone.state) and s.desired is None
    assert s.changes == (
        FieldChange(path="secret", op="remove", before="***"),
        FieldChange(path="size", op="remove", before=7),
        FieldChange(path="tags", op="remove", before=OURS),
    )
    assert p.orphans == (Orphan(kind="Fake", name="old", deleted=True),)


def test_delete_layer_without_any_declared_layer_is_the_delete_order():
    (s,) = make([], {}, {}, owned=[obs("old", kind="Early")], layers={}, prune=True).steps
    assert s.layer == 10


def test_prune_refuses_protected_and_in_use_orphans_as_problems():
    prot = obs("keep", tags={**OURS, "reconciler:prevent-destroy": "True"})
    used = obs("lib")
    i = ("Fake", "app")
    p = make([res("app")], {i: st(needs=["arn:fake:lib"])}, {i: obs("app", needs=["arn:fake:lib"])},
             owned=[used, prot], prune=True)
    assert [s.action for s in p.steps] == [Action.noop]
    assert p.problems == (
        Problem(kind="Fake", name="keep", code="protected", message=(
            "is protected by reconciler/prevent-destroy; apply the manifest with the annotation removed "
            'or "false" to lift it before deleting')),
        Problem(kind="Fake", name="lib", code="in-use", message="is no longer declared but Fake/app still uses it"),
    )
    assert p.orphans == (Orphan(kind="Fake", name="keep", protected=True),
                         Orphan(kind="Fake", name="lib", used_by=("Fake/app",)))


def test_in_use_lists_every_user_sorted():
    ids = [("Fake", "b"), ("Early", "a")]
    p = make([res("b"), res("a", kind="Early")], {i: st(needs=["arn:fake:lib"]) for i in ids}, {i: None for i in ids},
             owned=[obs("lib")], prune=True)
    assert p.problems[0].message == "is no longer declared but Early/a, Fake/b still uses it"
    assert p.orphans[0].used_by == ("Early/a", "Fake/b")


def test_auto_prune_deletes_what_it_can_and_lists_the_rest_without_problems():
    prot = obs("keep", tags={**OURS, "reconciler:prevent-destroy": "true"})
    i = ("Fake", "app")
    p = make([res("app")], {i: st(needs=["arn:fake:lib"])}, {i: None}, owned=[obs("lib"), prot, obs("old")],
             auto_prune=True)
    assert p.problems == ()
    assert [(s.name, s.action) for s in p.steps] == [("app", Action.create), ("old", Action.delete)]
    assert [(o.name, o.protected, o.used_by, o.deleted) for o in p.orphans] == [
        ("keep", True, (), False), ("lib", False, ("Fake/app",), False), ("old", False, (), True)]
    assert p.summary() == "1 to create, 0 to update, 0 to replace, 1 to delete, 2 orphaned (not declared; " \
                          "`reconcile prune` deletes)"


def test_orphans_are_listed_in_delete_order_then_kind_then_name():
    owned = [obs("b"), obs("z", kind="Early"), obs("a"), obs("c", kind="Early")]
    p = make([], {}, {}, owned=owned)
    assert [(o.kind, o.name) for o in p.orphans] == [("Early", "c"), ("Early", "z"), ("Fake", "a"), ("Fake", "b")]


def test_prune_with_nothing_owned_plans_nothing():
    p = make([], {}, {}, prune=True)
    assert p.steps == () and p.orphans == () and p.problems == ()


def test_destroy_deletes_declared_resources_of_this_stack_only_and_lists_no_orphans():
    mine, theirs, missing = res("mine"), res("theirs"), res("missing")
    ids = {r.name: (r.kind, r.name) for r in (mine, theirs, missing)}
    live = {ids["mine"]: obs("mine", needs=["arn:fake:lib"]), ids["theirs"]: obs("theirs", tags={}),
            ids["missing"]: None, ("Fake", "undeclared"): obs("undeclared")}
    p = make([mine, theirs, missing], {i: st(needs=["arn:fake:lib"]) for i in ids.values()}, live,
             owned=[obs("lib")], mode=PlanMode.destroy)
    assert [(s.name, s.action, s.reason) for s in p.steps] == [
        ("lib", Action.delete, "destroy"), ("mine", Action.delete, "destroy")]
    assert p.orphans == () and p.problems == ()  # nothing is kept, so nothing is in use


def test_destroy_refuses_a_protected_resource():
    i = ("Fake", "a")
    p = make([res()], {i: st()}, {i: obs(tags={**OURS, "reconciler:prevent-destroy": "true"})}, mode=PlanMode.destroy)
    assert p.steps == () and [x.code for x in p.problems] == ["protected"]


def test_prune_mode_plans_only_the_deletes():
    i = ("Fake", "a")
    p = make([res()], {i: st(size=9)}, {i: obs()}, owned=[obs("old")], mode=PlanMode.prune)
    assert [(s.name, s.action) for s in p.steps] == [("old", Action.delete)]


# ---- re-link and order -------------------------------------------------------------------------
def test_a_noop_that_uses_a_replaced_resource_is_updated_to_relink():
    lib, app, other = res("lib"), res("app"), res("other")
    ids = {r.name: (r.kind, r.name) for r in (lib, app, other)}
    p = make([lib, app, other], {ids["lib"]: st(path="/new/"), ids["app"]: st(), ids["other"]: st(size=2)},
             {ids["lib"]: obs("lib", path="/old/"), ids["app"]: obs("app"), ids["other"]: obs("other")},
             layers={ids["lib"]: 0, ids["app"]: 1, ids["other"]: 1},
             edges={ids["app"]: {ids["lib"]}, ids["other"]: {ids["lib"]}})
    assert [(s.name, s.action, s.reason) for s in p.steps] == [
        ("lib", Action.replace, "path cannot be changed in place"),
        ("app", Action.update, "re-link to Fake/lib, which is replaced"),
        ("other", Action.update, "size changed"),
    ]
    assert p.steps[1].changes == () and p.steps[1].live_digest == digest(obs("app").state)


def test_a_noop_that_uses_nothing_replaced_stays_a_noop():
    lib, app = res("lib"), res("app")
    ids = {r.name: (r.kind, r.name) for r in (lib, app)}
    p = make([lib, app], {ids["lib"]: st(size=2), ids["app"]: st()},
             {ids["lib"]: obs("lib"), ids["app"]: obs("app")}, edges={ids["app"]: {ids["lib"]}})
    assert [(s.name, s.action) for s in p.steps] == [("lib", Action.update), ("app", Action.noop)]


def test_steps_are_ordered_by_layer_then_action_then_kind_then_name():
    names = ["cr", "up", "no", "re", "cr2"]
    rs = [res(n) for n in names] + [res("e", kind="Early")]
    ids = [(r.kind, r.name) for r in rs]
    desired = {i: st() for i in ids}
    desired[("Fake", "up")] = st(size=2)
    desired[("Fake", "re")] = st(path="/n/")
    live = {("Fake", "up"): obs("up"), ("Fake", "no"): obs("no"), ("Fake", "re"): obs("re", path="/o/"),
            ("Fake", "cr"): None, ("Fake", "cr2"): None, ("Early", "e"): None}
    layers = {i: 1 for i in ids}
    layers[("Fake", "cr2")] = 0
    p = make(rs, desired, live, layers=layers, owned=[obs("gone")], prune=True)
    assert [(s.layer, s.action.value, s.id) for s in p.steps] == [
        (0, "create", "Fake/cr2"),
        (1, "replace", "Fake/re"),
        (1, "create", "Early/e"),
        (1, "create", "Fake/cr"),
        (1, "update", "Fake/up"),
        (1, "noop", "Fake/no"),
        (2 + 60, "delete", "Fake/gone"),
    ]
    assert p.counts() == {"create": 3, "update": 1, "replace": 1, "delete": 1, "noop": 1}
    assert p.summary() == "3 to create, 1 to update, 1 to replace, 1 to delete"


def test_plan_metadata_is_carried_through():
    p = make([], {}, {}, command="destroy", sandbox=True, manifests_digest="abc", manifests_path="m/")
    assert (p.command, p.stack, p.account, p.region, p.sandbox, p.manifests_digest, p.manifests_path) == (
        "destroy", "s", "123456789012", "eu-west-1", True, "abc", "m/")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", p.created_at)
    d = make([], {}, {})
    assert (d.command, d.sandbox, d.manifests_digest, d.manifests_path) == ("plan", False, None, None)


# ---- the AWS calls a kind says apply makes ---------------------------------------------------------
def op(verb, name="a"):
    return Operation(service="fake", action=f"{verb}Fake", target=name)


def test_each_step_carries_the_operations_of_its_kind():
    i, j, k, n = ("Fake", "new"), ("Fake", "chg"), ("Fake", "rep"), ("Fake", "same")
    rs = [res("new"), res("chg"), res("rep"), res("same")]
    p = make(rs, {i: st(ops=1), j: st(ops=1, size=2), k: st(ops=1, path="/n/"), n: st(ops=1)},
             {i: None, j: obs("chg", ops=1), k: obs("rep", ops=1, path="/o/"), n: obs("same", ops=1)},
             owned=[obs("old", ops=1)], prune=True)
    by = {s.name: s for s in p.steps}
    assert by["new"].operations == (op("Create", "new"),)
    assert by["chg"].operations == (op("Update", "chg"),)
    assert by["rep"].operations == (op("Delete", "rep"), op("Create", "rep"))  # a replace: the delete, the create
    assert by["same"].operations == ()  # a noop calls nothing
    assert by["old"].operations == (op("Delete", "old"),)


def test_the_kinds_reason_sees_the_operations():
    (s,) = one(res(), st(ops=1, size=2, **{"own-reason": 1}), obs(ops=1, **{"own-reason": 1})).steps
    assert s.reason == "own update reason for size via UpdateFake"
    (s,) = one(res(), st(ops=1, path="/n/"), obs(ops=1, path="/o/", **{"own-reason": 1})).steps
    assert s.reason == "own replace reason for path via DeleteFake via CreateFake"


def test_adopting_says_what_else_apply_does_when_the_kind_names_operations():
    (s,) = one(res(annotations={"reconciler/adopt": "true"}), st(ops=1, size=2, **{"own-reason": 1}),
               obs(tags={}, ops=1, **{"own-reason": 1})).steps
    assert s.reason == ("adopt existing resource (owned by no reconcile stack); "
                        "own update reason for size+tags via UpdateFake")
    # operations but no wording of the kind: the adoption reason alone
    (s,) = one(res(annotations={"reconciler/adopt": "true"}), st(size=2, ops=1), obs(tags={}, ops=1)).steps
    assert s.reason == "adopt existing resource (owned by no reconcile stack)"


# ---- one resource's outcome never hides the next one's ---------------------------------------------
def test_a_conflict_does_not_stop_planning_the_resources_after_it():
    first, second, third = res("a"), res("b", annotations={"reconciler/adopt": "true"}), res("c")
    ids = [(r.kind, r.name) for r in (first, second, third)]
    p = make([first, second, third], {ids[0]: st(), ids[1]: st(path="/n/"), ids[2]: st()},
             {ids[0]: obs("a", tags={}), ids[1]: obs("b", tags={}, path="/o/"), ids[2]: None})
    assert [(x.name, x.code) for x in p.problems] == [("a", "conflict"), ("b", "conflict")]
    assert [(s.name, s.action) for s in p.steps] == [("c", Action.create)]


def test_a_refused_orphan_does_not_stop_pruning_the_ones_after_it():
    i = ("Fake", "app")
    p = make([res("app")], {i: st(needs=["arn:fake:a-lib"])}, {i: None},
             owned=[obs("a-lib"), obs("b-keep", tags={**OURS, "reconciler:prevent-destroy": "true"}), obs("c-old")],
             prune=True)
    assert [(x.name, x.code) for x in p.problems] == [("a-lib", "in-use"), ("b-keep", "protected")]
    assert [(s.name, s.action) for s in p.steps] == [("app", Action.create), ("c-old", Action.delete)]


def test_a_replace_field_inside_a_list_is_named_without_its_index():
    (s,) = one(res(), st(shape=[{"k": 2}]), obs(shape=[{"k": 1}])).steps
    assert s.changes[0].path == "shape[0].k"
    assert (s.action, s.reason) == (Action.replace, "shape cannot be changed in place")


def test_relink_names_every_replaced_dependency():
    lib, base, app = res("lib"), res("base"), res("app")
    ids = {r.name: (r.kind, r.name) for r in (lib, base, app)}
    p = make([lib, base, app], {ids["lib"]: st(path="/n/"), ids["base"]: st(path="/n/"), ids["app"]: st()},
             {ids["lib"]: obs("lib", path="/o/"), ids["base"]: obs("base", path="/o/"), ids["app"]: obs("app")},
             layers={ids["lib"]: 0, ids["base"]: 0, ids["app"]: 1}, edges={ids["app"]: {ids["lib"], ids["base"]}})
    assert p.steps[-1].reason == "re-link to Fake/base, Fake/lib, which is replaced"


# ---- what a kind says must not be touched -----------------------------------------------------------
def test_a_kind_can_block_an_update_or_a_replace_of_its_own_resource():
    p = one(res(), st(size=2, block=["x"]), obs(block=["x"]))
    assert p.steps == () and p.problems == (
        Problem(kind="Fake", name="a", code="conflict", message="update would take x along"),)
    p = one(res(), st(path="/n/", block=["x", "y"]), obs(path="/o/", block=["x", "y"]))
    assert p.steps == () and [x.message for x in p.problems] == ["replace would take x along", "replace would take y along"]
    assert one(res(), st(block=["x"]), obs(block=["x"])).steps[0].action == Action.noop  # nothing to do: no problem


def test_a_kind_can_block_deleting_an_orphan():
    blocked, free = obs("a-blocked", block=["x"]), obs("b-free")
    p = make([], {}, {}, owned=[blocked, free], prune=True)
    assert p.problems == (Problem(kind="Fake", name="a-blocked", code="conflict", message="delete would take x along"),)
    assert [(s.name, s.action) for s in p.steps] == [("b-free", Action.delete)]
    assert [(o.name, o.deleted) for o in p.orphans] == [("a-blocked", False), ("b-free", True)]
    p = make([], {}, {}, owned=[blocked, free], auto_prune=True)
    assert p.problems == () and [o.deleted for o in p.orphans] == [False, True]


def test_a_blocked_resource_does_not_stop_planning_the_ones_after_it():
    ids = [("Fake", "a"), ("Fake", "b")]
    p = make([res("a"), res("b")], {ids[0]: st(size=2, block=["x"]), ids[1]: st()}, {ids[0]: obs(block=["x"]), ids[1]: None})
    assert [x.name for x in p.problems] == ["a"] and [(s.name, s.action) for s in p.steps] == [("b", Action.create)]
