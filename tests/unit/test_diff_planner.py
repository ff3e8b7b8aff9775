"""diff and planner are pure: build live/desired by hand and check the plan."""

from __future__ import annotations

from reconciler.diff import diff
from reconciler.kinds.base import Observed, Resource
from reconciler.kinds.iam_role import RoleSpec
from reconciler.plan import Action, PlanMode
from reconciler.planner import plan

STACK = "s"
TAGS = {"reconciler:managed-by": "reconciler", "reconciler:stack": STACK}


def role(name="r", annotations=None):
    spec = RoleSpec.model_validate({"assumedBy": ["sagemaker.amazonaws.com"]})
    return Resource("Role", name, spec, {}, annotations or {}, "m.yaml", 1)


def state(**over):
    base = {"path": "/", "managedPolicies": [], "inlinePolicies": {}, "permissionsBoundary": None,
            "description": "", "maxSessionDuration": 3600, "trustPolicy": {}, "tags": dict(TAGS)}
    base.update(over)
    return base


def make(resources, desired, live, owned=(), **kw):
    layers = {(r.kind, r.name): 0 for r in resources}
    return plan(stack=STACK, account="123456789012", region="us-east-1", resources=resources, layers=layers,
                edges={}, desired=desired, live=live, owned=list(owned), **kw)


def test_diff_reports_field_paths_and_list_members():
    changes = diff({"a": 1, "l": ["x"], "d": {"k": 1}}, {"a": 2, "l": ["x", "y"], "d": {}})
    assert [(c.path, c.op) for c in changes] == [("a", "change"), ("d.k", "remove"), ("l", "add")]
    assert diff({"l": ["b", "a"]}, {"l": ["a", "b"]}) == []


def test_create_noop_update_replace():
    r = role()
    i = ("Role", "r")
    assert make([r], {i: state()}, {i: None}).steps[0].action == Action.create
    live = Observed("Role", "r", "arn:aws:iam::123456789012:role/r", state())
    p = make([r], {i: state()}, {i: live})
    assert p.steps[0].action == Action.noop and not p.has_changes
    p = make([r], {i: state(maxSessionDuration=7200)}, {i: live})
    assert p.steps[0].action == Action.update and p.steps[0].reason == "maxSessionDuration changed"
    p = make([r], {i: state(path="/x/")}, {i: live})
    assert p.steps[0].action == Action.replace
    assert p.steps[0].changes[0].forces_replacement
    assert p.summary() == "0 to create, 0 to update, 1 to replace, 0 to delete"


def test_unowned_resource_is_a_conflict_unless_adopted():
    i = ("Role", "r")
    live = Observed("Role", "r", "arn", state(tags={"team": "x"}))
    p = make([role()], {i: state()}, {i: live})
    assert not p.steps and p.problems[0].code == "conflict"
    other = Observed("Role", "r", "arn", state(tags={**TAGS, "reconciler:stack": "other"}))
    assert make([role()], {i: state()}, {i: other}).problems[0].code == "conflict"
    p = make([role(annotations={"reconciler/adopt": "true"})], {i: state()}, {i: live})
    assert not p.problems and p.steps[0].action == Action.update
    assert "adopt" in p.steps[0].reason


def test_adoption_never_replaces_what_is_not_ours_yet():
    i = ("Role", "r")
    live = Observed("Role", "r", "arn", state(tags={"team": "x"}, path="/old/"))
    p = make([role(annotations={"reconciler/adopt": "true"})], {i: state()}, {i: live})
    assert not p.steps and p.problems[0].code == "conflict" and "path" in p.problems[0].message


def test_prune_deletes_owned_undeclared_but_not_protected_or_in_use():
    gone = Observed("Role", "old", "arn:aws:iam::123456789012:role/old", state())
    prot = Observed("Role", "keep", "arn:aws:iam::123456789012:role/keep", state(tags={**TAGS, "reconciler:prevent-destroy": "true"}))
    pol = Observed("Policy", "p", "arn:aws:iam::123456789012:policy/p", {"tags": dict(TAGS)})
    i = ("Role", "r")
    live = Observed("Role", "r", "arn:r", state(managedPolicies=["arn:aws:iam::123456789012:policy/p"]))
    p = make([role()], {i: state(managedPolicies=["arn:aws:iam::123456789012:policy/p"])}, {i: live},
             owned=[gone, prot, pol], prune=True)
    assert [(s.id, s.action) for s in p.changes] == [("Role/old", Action.delete)]
    assert {(x.name, x.code) for x in p.problems} == {("keep", "protected"), ("p", "in-use")}


def test_plan_without_deletes_ignores_owned():
    gone = Observed("Role", "old", "arn", state())
    p = make([], {}, {}, owned=[gone])
    assert not p.steps


def test_deletes_come_after_creates_and_in_kind_order():
    pol = Observed("Policy", "p", "arn:p", {"tags": dict(TAGS)})
    rl = Observed("Role", "x", "arn:x", state())
    user = Observed("User", "u", "arn:u", {"tags": dict(TAGS)})
    i = ("Role", "r")
    p = make([role()], {i: state()}, {i: None}, owned=[pol, rl, user], prune=True)
    assert [s.id for s in p.steps] == ["Role/r", "User/u", "Role/x", "Policy/p"]


def test_destroy_deletes_declared_owned_resources_only():
    i, j = ("Role", "r"), ("Role", "theirs")
    mine = Observed("Role", "r", "arn:r", state())
    theirs = Observed("Role", "theirs", "arn:t", state(tags={}))
    p = make([role(), role("theirs")], {i: state(), j: state()}, {i: mine, j: theirs}, mode=PlanMode.destroy)
    assert [(s.id, s.action) for s in p.steps] == [("Role/r", Action.delete)]


def test_plain_text_secrets_of_a_live_environment_never_reach_the_plan():
    """A model made outside reconcile holds its token in plain text: the plan masks it, yet the change
    to a Secrets Manager reference is still detected."""
    from reconciler.kinds import REGISTRY

    live = {"environment": {"HF_MODEL_ID": "org/m", "HUGGING_FACE_HUB_TOKEN": "hf_live_plain_text"}}
    want = {"environment": {"HF_MODEL_ID": "org/m2",
                            "HUGGING_FACE_HUB_TOKEN": {"secretsManager": "hf", "version": "current"}}}
    for kind in ("Endpoint", "Function"):
        changes = [REGISTRY[kind].mask_change(c) for c in diff(live, want)]
        assert {c.path for c in changes} >= {"environment.HF_MODEL_ID"}
        assert any(c.path.startswith("environment.HUGGING_FACE_HUB_TOKEN") for c in changes)
        assert "hf_live_plain_text" not in repr(changes)
        assert any(c.after == "org/m2" for c in changes)  # ordinary values stay visible
    whole = [REGISTRY["Endpoint"].mask_change(c) for c in diff({}, live)]
    assert "hf_live_plain_text" not in repr(whole)
