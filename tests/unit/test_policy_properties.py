"""Properties of the canonical IAM policy form (hypothesis).

Generated documents (Action/NotAction, Resource/NotResource, every Principal form, Conditions with
string, number and bool values) are put through transformations:

- ones AWS treats as equivalent (reordering, a string vs a one-element list, ``*`` vs ``{"AWS": "*"}``,
  an account id vs its root ARN in any partition, bool/number vs string, duplicates in a list, an empty
  Sid, JSON text vs a mapping) must keep ``canonical`` equal;
- ones that change meaning (effect flipped, an action added or removed, a condition value or operator
  changed, a principal changed, Action turned into NotAction) must make it differ.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import policy

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "iam:PassRole", "sagemaker:InvokeEndpoint",
           "sagemaker:CreateModel", "logs:PutLogEvents", "logs:*", "sts:AssumeRole"]
RESOURCES = ["*", "arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*", "arn:aws:iam::123456789012:role/exec",
             "arn:aws:sagemaker:us-east-1:123456789012:endpoint/twin"]
ACCOUNTS = ["123456789012", "210987654321", "111122223333"]
SERVICES = ["sagemaker.amazonaws.com", "lambda.amazonaws.com", "apigateway.amazonaws.com"]
OPERATORS = ["StringEquals", "StringLike", "Bool", "NumericLessThan", "NumericLessThanEquals", "ArnLike"]
KEYS = ["aws:SecureTransport", "aws:MultiFactorAuthAge", "s3:prefix", "aws:SourceAccount", "aws:PrincipalTag/team"]
PARTITIONS = ["aws", "aws-cn", "aws-us-gov"]

settings.register_profile("reconcile", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("reconcile")


def _nonempty_subset(values: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=4, unique=True)


scalar_value = st.one_of(
    st.sampled_from(["true", "false", "team-a", "home/*", "123456789012"]),
    st.booleans(),
    st.integers(min_value=0, max_value=10_000),
)
condition = st.dictionaries(
    st.sampled_from(OPERATORS),
    st.dictionaries(st.sampled_from(KEYS), st.lists(scalar_value, min_size=1, max_size=3), min_size=1, max_size=2),
    min_size=1, max_size=2,
)
principal = st.one_of(
    st.just("*"),
    st.fixed_dictionaries({"AWS": _nonempty_subset(ACCOUNTS)}),
    st.fixed_dictionaries({"Service": _nonempty_subset(SERVICES)}),
    st.fixed_dictionaries({"Federated": st.just(["arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"])}),
)


@st.composite
def statement(draw: st.DrawFn, trust: bool = False) -> dict:
    s: dict = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    s["NotAction" if draw(st.booleans()) and not trust else "Action"] = draw(_nonempty_subset(ACTIONS))
    if trust:
        s["Principal"] = draw(principal)
    else:
        s["NotResource" if draw(st.booleans()) else "Resource"] = draw(_nonempty_subset(RESOURCES))
    if draw(st.booleans()):
        s["Condition"] = draw(condition)
    if draw(st.booleans()):
        s["Sid"] = draw(st.sampled_from(["Read", "Write", "S1"]))
    return s


@st.composite
def document(draw: st.DrawFn) -> dict:
    trust = draw(st.booleans())
    statements = draw(st.lists(statement(trust=trust), min_size=1, max_size=4))
    # statements that differ only in what a transformation could touch make "changed" checks ambiguous
    unique = {json.dumps(policy.canonical({"Statement": [s]}), sort_keys=True): s for s in statements}
    return {"Version": "2012-10-17", "Statement": list(unique.values())}


# ---- equivalences ------------------------------------------------------------------------------------
def _spell_scalar(draw: st.DrawFn, v: object) -> object:
    """A condition value as AWS may hand it back: bool/number <-> string."""
    if isinstance(v, bool):
        return draw(st.sampled_from([v, "true" if v else "false"]))
    if isinstance(v, int):
        return draw(st.sampled_from([v, str(v)]))
    if v in ("true", "false"):
        return draw(st.sampled_from([v, v == "true"]))
    if isinstance(v, str) and v.isdigit() and len(v) < 6:
        return draw(st.sampled_from([v, int(v)]))
    return v


def _spell_list(draw: st.DrawFn, items: list, spell=lambda d, v: v) -> object:
    items = [spell(draw, v) for v in items]
    items = draw(st.permutations(items))
    if draw(st.booleans()) and items:
        items = items + [items[0]]  # a duplicate collapses
    if len(set(map(str, items))) == 1 and draw(st.booleans()):
        return items[0]
    return list(items)


def _spell_principal(draw: st.DrawFn, p: object) -> object:
    if p == "*":
        return draw(st.sampled_from(["*", {"AWS": "*"}, {"AWS": ["*"]}]))
    out = {}
    for ptype, ids in draw(st.permutations(list(p.items()))):
        if ptype == "AWS":
            ids = [draw(st.sampled_from([a, f"arn:{draw(st.sampled_from(PARTITIONS))}:iam::{a}:root"])) for a in ids]
        out[ptype] = _spell_list(draw, ids)
    return out


@st.composite
def equivalent(draw: st.DrawFn, doc: dict) -> object:
    statements = []
    for s in doc["Statement"]:
        t: dict = {}
        for k in draw(st.permutations(list(s))):
            v = s[k]
            if k in policy.LIST_KEYS:
                v = _spell_list(draw, v)
            elif k == "Principal":
                v = _spell_principal(draw, v)
            elif k == "Condition":
                v = {op: {key: _spell_list(draw, vals, _spell_scalar) for key, vals in kv.items()}
                     for op, kv in v.items()}
            t[k] = v
        if "Sid" not in t and draw(st.booleans()):
            t["Sid"] = ""  # an empty Sid is no Sid
        statements.append(t)
    statements = draw(st.permutations(statements))
    out: dict = {"Version": doc["Version"]}
    out["Statement"] = statements[0] if len(statements) == 1 and draw(st.booleans()) else list(statements)
    if draw(st.booleans()):
        return json.dumps(out, indent=draw(st.sampled_from([None, 2, 4])))
    return out


@given(st.data(), document())
def test_equivalent_spellings_are_equal(data: st.DataObject, doc: dict) -> None:
    other = data.draw(equivalent(doc))
    assert policy.canonical(other) == policy.canonical(doc)
    assert policy.equal(other, doc)


@given(document())
def test_canonical_is_idempotent(doc: dict) -> None:
    once = policy.canonical(doc)
    assert policy.canonical(once) == once


# ---- meaning changes ---------------------------------------------------------------------------------
def _flip_effect(doc: dict, i: int) -> dict:
    s = doc["Statement"][i]
    s["Effect"] = "Deny" if s["Effect"] == "Allow" else "Allow"
    return doc


def _add_action(doc: dict, i: int) -> dict | None:
    s = doc["Statement"][i]
    key = "Action" if "Action" in s else "NotAction"
    missing = [a for a in ACTIONS if a not in s[key]]
    if not missing:
        return None
    s[key] = s[key] + [missing[0]]
    return doc


def _remove_action(doc: dict, i: int) -> dict | None:
    s = doc["Statement"][i]
    key = "Action" if "Action" in s else "NotAction"
    if len(s[key]) < 2:
        return None
    s[key] = s[key][1:]
    return doc


def _action_to_not_action(doc: dict, i: int) -> dict | None:
    s = doc["Statement"][i]
    if "Action" not in s:
        return None
    s["NotAction"] = s.pop("Action")
    return doc


def _change_condition_value(doc: dict, i: int) -> dict | None:
    s = doc["Statement"][i]
    if "Condition" not in s:
        return None
    op = sorted(s["Condition"])[0]
    key = sorted(s["Condition"][op])[0]
    old = {str(v).lower() for v in s["Condition"][op][key]}
    # one value whose canonical spelling was not there; a lone true becomes false and the other way round
    new = {frozenset({"true"}): False, frozenset({"false"}): True}.get(frozenset(old), "value-changed")
    s["Condition"][op][key] = [new]
    return doc


def _change_condition_operator(doc: dict, i: int) -> dict | None:
    s = doc["Statement"][i]
    if "Condition" not in s:
        return None
    op = sorted(s["Condition"])[0]
    free = [o for o in OPERATORS + ["StringNotEquals"] if o not in s["Condition"]]
    s["Condition"][free[0]] = s["Condition"].pop(op)
    return doc


def _change_principal(doc: dict, i: int) -> dict | None:
    s = doc["Statement"][i]
    if "Principal" not in s:
        return None
    p = s["Principal"]
    if p == "*":
        s["Principal"] = {"AWS": [ACCOUNTS[0]]}
    elif "AWS" in p:
        missing = [a for a in ACCOUNTS if a not in p["AWS"]]
        p["AWS"] = p["AWS"] + missing[:1] if missing else p["AWS"][1:] or ["*"]
    elif "Service" in p:
        s["Principal"] = {"AWS": p["Service"] and [ACCOUNTS[0]]}
    else:
        s["Principal"] = "*"
    return doc


MEANING_CHANGES = [_flip_effect, _add_action, _remove_action, _action_to_not_action, _change_condition_value,
                   _change_condition_operator, _change_principal]


@given(document(), st.sampled_from(MEANING_CHANGES), st.integers(min_value=0, max_value=3))
def test_meaning_changes_are_not_equal(doc: dict, change, i: int) -> None:  # type: ignore[no-untyped-def]
    i %= len(doc["Statement"])
    changed = change(json.loads(json.dumps(doc)), i)
    if changed is None:
        return
    assert policy.canonical(changed) != policy.canonical(doc), change.__name__
    assert not policy.equal(changed, doc)


def test_bool_false_and_true_differ() -> None:
    """The survivor mutmut found: nothing pinned `false` vs `true` in a Bool condition."""
    def doc(v: object) -> dict:
        return {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                                         "Condition": {"Bool": {"aws:SecureTransport": v}}}]}
    assert not policy.equal(doc(False), doc(True))
    assert not policy.equal(doc(False), doc("true"))
    assert policy.equal(doc(False), doc("false"))
    assert policy.equal(doc(True), doc(["true"]))


@given(document(), st.integers(min_value=0, max_value=3))
def test_a_sid_change_is_a_change(doc: dict, i: int) -> None:
    """A Sid carries no meaning for AWS's evaluation, but AWS stores it: renaming it must show in a plan."""
    i %= len(doc["Statement"])
    changed = json.loads(json.dumps(doc))
    changed["Statement"][i]["Sid"] = changed["Statement"][i].get("Sid", "") + "Renamed"
    assert policy.canonical(changed) != policy.canonical(doc)


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["Version", "Statement", "Effect", "Action", "NotAction", "Resource", "Principal",
                         "NotPrincipal", "Condition", "Sid", "AWS", "Service", "StringEquals", "x"]), inner, max_size=4),
    max_leaves=20,
)


@given(json_value)
def test_canonical_never_raises_whatever_the_document(doc: object) -> None:
    """Malformed documents (validate refuses them) never raise inside the canonical form, nor its text."""
    once = policy.canonical(doc)
    policy.canonical(json.dumps(doc))
    if not isinstance(doc, str):  # (text is parsed once: JSON text of JSON text is not idempotent)
        assert policy.canonical(once) == once
