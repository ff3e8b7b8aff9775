"""policy.py's pure helpers pinned exactly: the canonical form's shape and key order, stringified,
size, the trust document, tag normalisation and ownership (the survivors of `make mutation`)."""

from __future__ import annotations

import json

import pytest

from reconciler import policy

A = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


# ---- canonical -----------------------------------------------------------------------------------
def test_canonical_shape_and_key_order_are_exact():
    doc = {"Statement": {**A, "Sid": "", "Principal": {"Service": "b", "AWS": ["arn:aws:iam::123456789012:root", "*"]},
                         "Condition": {"StringLike": {"k2": ["b", "a"], "k1": True}, "Bool": {"x": False}}},
           "Id": "doc"}
    got = policy.canonical(doc)
    assert got == {"Id": "doc", "Version": "2008-10-17", "Statement": [{
        "Action": ["s3:GetObject"], "Effect": "Allow", "Resource": ["*"],
        "Condition": {"Bool": {"x": ["false"]}, "StringLike": {"k1": ["true"], "k2": ["a", "b"]}},
        "Principal": {"AWS": ["*", "123456789012"], "Service": ["b"]}}]}
    # the order of keys is part of the form (plans and saved plans show it): sorted at every level
    assert list(got) == ["Id", "Statement", "Version"]
    st = got["Statement"][0]
    assert list(st) == ["Action", "Condition", "Effect", "Principal", "Resource"]
    assert list(st["Condition"]) == ["Bool", "StringLike"] and list(st["Condition"]["StringLike"]) == ["k1", "k2"]
    assert list(st["Principal"]) == ["AWS", "Service"]


def test_keys_after_the_statement_are_kept():
    got = policy.canonical({"Version": "2012-10-17", "Statement": [A], "Id": "after"})
    assert got["Id"] == "after" and got["Version"] == "2012-10-17"


def test_canonical_of_what_is_not_a_mapping_is_returned_as_is():
    assert policy.canonical("[1, 2]") == [1, 2]
    assert policy.canonical(None) is None


def test_a_document_without_statement_has_an_empty_statement_list():
    assert policy.canonical({}) == {"Statement": [], "Version": "2008-10-17"}
    assert policy.canonical({"Version": "2012-10-17"}) == {"Statement": [], "Version": "2012-10-17"}


def test_a_statement_that_is_not_a_mapping_is_kept_as_is():
    assert policy.canonical({"Statement": ["x", A]})["Statement"] == [
        "x", {"Action": ["s3:GetObject"], "Effect": "Allow", "Resource": ["*"]}]


def test_statements_are_sorted_by_their_canonical_json():
    deny = {**A, "Effect": "Deny"}
    got = policy.canonical({"Statement": [deny, A]})["Statement"]
    assert [s["Effect"] for s in got] == ["Allow", "Deny"]


def test_duplicate_statements_collapse_even_with_nested_unknown_keys_in_another_order():
    one = {**A, "Extra": {"b": 1, "a": 2}}
    two = {**A, "Extra": {"a": 2, "b": 1}}
    assert len(policy.canonical({"Statement": [one, two]})["Statement"]) == 1


def test_numbers_become_their_text_floats_included():
    cond = {"NumericLessThan": {"n": [15, 2.5, "7"]}}
    got = policy.canonical({"Statement": [{**A, "Condition": cond}]})["Statement"][0]["Condition"]
    assert got == {"NumericLessThan": {"n": ["15", "2.5", "7"]}}
    assert policy.canonical({"Statement": [{**A, "Condition": {"Bool": {"b": [True, False]}}}]})[
        "Statement"][0]["Condition"] == {"Bool": {"b": ["false", "true"]}}


def test_principal_forms():
    def p(value):
        return policy.canonical({"Statement": [{**A, "Principal": value}]})["Statement"][0]["Principal"]
    assert p("*") == {"AWS": ["*"]}
    assert p({"AWS": "arn:aws-cn:iam::123456789012:root"}) == {"AWS": ["123456789012"]}
    assert p({"AWS": 123456789012}) == {"AWS": ["123456789012"]}
    assert p({"AWS": ["arn:aws:iam::123456789012:role/x", "arn:aws:iam::123456789012:root"]}) == {
        "AWS": ["123456789012", "arn:aws:iam::123456789012:role/x"]}
    # only AWS principals are account ids: another type keeps the ARN as written
    assert p({"Federated": "arn:aws:iam::123456789012:root"}) == {"Federated": ["arn:aws:iam::123456789012:root"]}
    assert p({"AWS": "arn:aws:iam::123456789012:rootx"}) == {"AWS": ["arn:aws:iam::123456789012:rootx"]}
    # an empty or null principal names no one, as a missing one does (awspolicyequivalence's cases 22-25)
    for empty in (None, {}, {"AWS": []}, {"Service": [], "AWS": []}):
        assert "Principal" not in policy.canonical({"Statement": [{**A, "Principal": empty}]})["Statement"][0]
    # a lone string other than "*" is an AWS principal (IAM refuses it; validate says so)
    assert p("arn:aws:iam::123456789012:root") == {"AWS": ["123456789012"]}


def test_conditions_with_empty_or_null_parts():
    def c(value):
        return policy.canonical({"Statement": [{**A, "Condition": value}]})["Statement"][0]["Condition"]
    assert c(None) == {} and c({"Null": None}) == {"Null": {}}
    assert c({"StringEquals": {"k": "v"}}) == {"StringEquals": {"k": ["v"]}}


def test_canonical_tolerates_a_null_in_a_list():
    """A YAML `- ~` in an Action list is a validation problem, but canonical (also run on what lint and
    plan show) sorts it with the strings instead of raising."""
    got = policy.canonical({"Statement": [{**A, "Action": ["s3:GetObject", None, "iam:PassRole"]}]})
    assert got["Statement"][0]["Action"] == ["iam:PassRole", None, "s3:GetObject"]  # None sorts as "null"


def test_a_real_sid_is_kept():
    assert policy.canonical({"Statement": [{**A, "Sid": "Read"}]})["Statement"][0]["Sid"] == "Read"
    assert "Sid" not in policy.canonical({"Statement": [{**A, "Sid": None}]})["Statement"][0]


def test_equal():
    assert policy.equal(json.dumps({"Statement": [A]}), {"Statement": A})
    assert not policy.equal({"Statement": [A]}, {"Statement": [{**A, "Effect": "Deny"}]})


# ---- stringified -----------------------------------------------------------------------------------
def test_stringified_turns_condition_numbers_and_bools_into_text():
    doc = {"Version": "2012-10-17",
           "Statement": {**A, "Condition": {"Bool": {"a": True, "f": False, "b": [1, 2.5, "x"]}, "Weird": "s"}}}
    assert policy.stringified(doc) == {"Version": "2012-10-17", "Statement": {
        **A, "Condition": {"Bool": {"a": "true", "f": "false", "b": ["1", "2.5", "x"]}, "Weird": "s"}}}
    listed = policy.stringified(json.dumps({"Statement": [A, {**A, "Condition": {"NumericEquals": {"n": 3}}}, "x"]}))
    assert listed == {"Statement": [A, {**A, "Condition": {"NumericEquals": {"n": "3"}}}, "x"]}


def test_stringified_leaves_other_shapes_alone():
    assert policy.stringified([1]) == [1]
    assert policy.stringified({"Version": "1"}) == {"Version": "1"}
    assert policy.stringified({"Statement": "x"}) == {"Statement": "x"}
    assert policy.stringified({"Statement": [{**A, "Condition": "c"}]}) == {"Statement": [{**A, "Condition": "c"}]}


# ---- size ------------------------------------------------------------------------------------------
def test_size_counts_characters_without_any_whitespace():
    assert policy.size({"a": "b c"}) == len('{"a":"bc"}')
    assert policy.size('{"a": 1}') == len('{"a":1}')
    assert policy.size({"Statement": [A]}) == len(json.dumps({"Statement": [A]}).replace(" ", ""))


# ---- trust document --------------------------------------------------------------------------------
def test_assume_role_document_is_exact():
    assert policy.assume_role_document(["sagemaker.amazonaws.com", "lambda.amazonaws.com", "lambda.amazonaws.com"]) == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com", "sagemaker.amazonaws.com"]},
                       "Action": "sts:AssumeRole"}],
    }
    assert policy.assume_role_document([])["Statement"][0]["Principal"] == {"Service": []}


# ---- tags ------------------------------------------------------------------------------------------
def test_normalize_tags_from_a_list_or_a_dict():
    got = policy.normalize_tags([{"Key": "b", "Value": "2"}, {"Key": "a"}, {"Key": "aws:cloudformation:x", "Value": "1"},
                                 {"Key": "AWS:Other", "Value": "1"}])
    assert got == {"a": "", "b": "2"} and list(got) == ["a", "b"]
    assert policy.normalize_tags({"z": "1", "y": "2", "aws:x": "3"}) == {"y": "2", "z": "1"}
    assert list(policy.normalize_tags({"z": "1", "y": "2"})) == ["y", "z"]
    assert policy.normalize_tags(None) == {} and policy.normalize_tags([]) == {}
    assert policy.normalize_tags({"awsome": "1"}) == {"awsome": "1"}


def test_tag_list_is_sorted_key_value_pairs():
    assert policy.tag_list({"b": "2", "a": "1"}) == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]


def test_tag_changes_sets_new_and_changed_and_removes_the_rest_but_aws_tags():
    to_set, to_remove = policy.tag_changes({"keep": "1", "chg": "old", "gone": "x", "AWS:sys": "y", "aws:z": "q"},
                                           {"keep": "1", "chg": "new", "add": ""})
    assert to_set == {"chg": "new", "add": ""}
    assert to_remove == ["gone"]
    assert policy.tag_changes({}, {}) == ({}, [])


@pytest.mark.parametrize(("tags", "owner"), [
    ({"reconciler:managed-by": "reconciler", "reconciler:stack": "s"}, "s"),
    ([{"Key": "reconciler:managed-by", "Value": "reconciler"}, {"Key": "reconciler:stack", "Value": "t"}], "t"),
    ({"reconciler:managed-by": "reconciler"}, None),
    ({"reconciler:managed-by": "someone", "reconciler:stack": "s"}, None),
    ({"reconciler:stack": "s"}, None),
    (None, None),
])
def test_owner_of(tags, owner):
    assert policy.owner_of(tags) == owner
