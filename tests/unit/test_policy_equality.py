"""Plan and apply share one notion of policy equality (issue 10, point 8).

The planner diffs canonical documents with deepdiff (order-insensitive); apply compares canonical
documents with ``==`` (policy.equal) before writing a new version. On every pair of documents of the
corpus both must say the same, or apply could write a version the plan never showed (or miss one).
A hypothesis property checks the same agreement on generated documents and their equivalent
spellings and meaning changes (issue 18, point 1).
"""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler import lint, policy
from reconciler.diff import diff
from reconciler.kinds.base import Resource

from .test_policy_properties import MEANING_CHANGES, document, equivalent

A = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
B = {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
MFA_STR = {**A, "Condition": {"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "15"}}}
MFA_INT = {**A, "Condition": {"NumericLessThanEquals": {"aws:MultiFactorAuthAge": 15}}}
MFA_FLOAT = {**A, "Condition": {"NumericLessThanEquals": {"aws:MultiFactorAuthAge": 15.5}}}
TLS_BOOL = {**A, "Condition": {"Bool": {"aws:SecureTransport": True}}}
TLS_STR = {**A, "Condition": {"Bool": {"aws:SecureTransport": ["true"]}}}
V = "2012-10-17"

CORPUS = [
    {"Version": V, "Statement": [A]},
    {"Version": V, "Statement": A},
    {"Version": V, "Statement": [A, A]},                      # a duplicated statement
    {"Version": V, "Statement": [A, B]},
    {"Version": V, "Statement": [B, A, B]},
    {"Version": V, "Statement": [{**A, "Action": ["s3:GetObject", "s3:GetObject"]}]},
    {"Version": V, "Statement": [{**A, "Sid": "One"}]},
    {"Version": V, "Statement": [{**A, "Sid": "One"}, {**A, "Sid": "Two"}]},
    {"Version": V, "Statement": [{**A, "Effect": "Deny"}]},
    {"Version": V, "Statement": [MFA_STR]},
    {"Version": V, "Statement": [MFA_INT]},
    {"Version": V, "Statement": [MFA_INT, MFA_STR]},
    {"Version": V, "Statement": [MFA_FLOAT]},
    {"Version": V, "Statement": [TLS_BOOL]},
    {"Version": V, "Statement": [TLS_STR]},
    {"Version": "2008-10-17", "Statement": [A]},
    {"Statement": [A]},
]


def planner_equal(a, b) -> bool:
    """What the planner concludes: no field change between the canonical documents."""
    return not diff({"document": policy.canonical(a)}, {"document": policy.canonical(b)})


@pytest.mark.parametrize(("i", "j"), list(itertools.combinations_with_replacement(range(len(CORPUS)), 2)))
def test_planner_and_apply_agree(i, j):
    a, b = CORPUS[i], CORPUS[j]
    assert planner_equal(a, b) == policy.equal(a, b) == (policy.canonical(a) == policy.canonical(b)), (a, b)


def test_the_corpus_has_both_answers():
    answers = {policy.equal(a, b) for a, b in itertools.combinations(CORPUS, 2)}
    assert answers == {True, False}


def test_a_duplicated_statement_is_equal_to_one_copy():
    assert policy.equal({"Version": V, "Statement": [A, A]}, {"Version": V, "Statement": [A]})
    assert policy.equal({"Version": V, "Statement": [B, A, B]}, {"Version": V, "Statement": [A, B]})


def test_numbers_and_booleans_equal_their_strings():
    assert policy.equal({"Version": V, "Statement": [MFA_INT]}, {"Version": V, "Statement": [MFA_STR]})
    assert policy.equal({"Version": V, "Statement": [TLS_BOOL]}, {"Version": V, "Statement": [TLS_STR]})
    assert not policy.equal({"Version": V, "Statement": [MFA_FLOAT]}, {"Version": V, "Statement": [MFA_STR]})


def test_lint_accepts_numbers_and_booleans_and_finds_the_same_as_for_strings():
    res = Resource(kind="Policy", name="p", spec=None, tags={}, annotations={}, file="p.yaml", line=1)
    mfa_float_str = {**A, "Condition": {"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "15.5"}}}
    for typed, text in ((MFA_INT, MFA_STR), (TLS_BOOL, TLS_STR), (MFA_FLOAT, mfa_float_str)):
        found = lint.document(res, ("spec", "document"), {"Version": V, "Statement": [typed]})
        same = lint.document(res, ("spec", "document"), {"Version": V, "Statement": [text]})
        assert [(i.severity, i.message) for i in found] == [(i.severity, i.message) for i in same]


def test_a_document_without_version_is_an_error_saying_what_to_add():
    found = policy.problems({"Statement": [A]})
    assert found == [("Version", found[0][1])] and 'add Version: "2012-10-17"' in found[0][1]


# ---- the same agreement as a property over generated documents -------------------------------------


@given(st.data(), document())
def test_planner_and_apply_agree_on_equivalent_spellings(data: st.DataObject, doc: dict) -> None:
    other = data.draw(equivalent(doc))
    assert planner_equal(other, doc) and policy.equal(other, doc)


@given(document(), st.sampled_from(MEANING_CHANGES), st.integers(min_value=0, max_value=3))
def test_planner_and_apply_agree_on_meaning_changes(doc: dict, change, i: int) -> None:  # type: ignore[no-untyped-def]
    changed = change(json.loads(json.dumps(doc)), i % len(doc["Statement"]))
    if changed is None:
        return
    assert not planner_equal(changed, doc) and not policy.equal(changed, doc)
