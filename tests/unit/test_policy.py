"""Canonical policy documents: the perpetual-diff cases Terraform's AWS provider is known for."""

from __future__ import annotations

import json

from reconciler import policy


def doc(*statements, version="2012-10-17"):
    d = {"Statement": list(statements)}
    if version:
        d["Version"] = version
    return d


def test_string_and_one_element_list_are_equal():
    a = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    b = doc({"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]})
    assert policy.equal(a, b)


def test_order_inside_lists_and_of_statements_does_not_matter():
    s1 = {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}
    s2 = {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}
    a = doc(s1, s2)
    b = doc(s2, {**s1, "Action": ["s3:ListBucket", "s3:GetObject"]})
    assert policy.equal(a, b)


def test_duplicates_in_lists_collapse():
    assert policy.equal(doc({"Effect": "Allow", "Action": ["a:b", "a:b"], "Resource": "*"}),
                        doc({"Effect": "Allow", "Action": "a:b", "Resource": "*"}))


def test_principal_star_equals_aws_star():
    a = doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})
    b = doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    assert policy.equal(a, b)


def test_account_id_principal_equals_root_arn():
    a = doc({"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"})
    b = doc({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]}, "Action": "sts:AssumeRole"})
    assert policy.equal(a, b)


def test_condition_values_bool_int_and_string_are_equal():
    a = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"s3:max-keys": 10}}})
    b = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": ["true"]}, "NumericLessThan": {"s3:max-keys": "10"}}})
    assert policy.equal(a, b)


def test_json_text_equals_mapping():
    d = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    assert policy.equal(json.dumps(d, indent=4), d)


def test_missing_version_is_the_2008_default_and_differs_from_2012():
    s = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    assert policy.equal(doc(s, version=None), doc(s, version="2008-10-17"))
    assert not policy.equal(doc(s, version=None), doc(s))


def test_single_statement_mapping_equals_list():
    s = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    assert policy.equal({"Version": "2012-10-17", "Statement": s}, doc(s))


def test_empty_sid_is_ignored_but_real_sids_count():
    s = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    assert policy.equal(doc({**s, "Sid": ""}), doc(s))
    assert not policy.equal(doc({**s, "Sid": "A"}), doc(s))


def test_real_differences_are_kept():
    a = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    assert not policy.equal(a, doc({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}))
    assert not policy.equal(a, doc({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}))


def test_size_ignores_whitespace():
    d = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    assert policy.size(json.dumps(d, indent=8)) == policy.size(d) == len(json.dumps(d, separators=(",", ":")))


def test_problems_report_structure_errors():
    assert policy.problems(doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})) == []
    found = dict(policy.problems(doc({"Effect": "Maybe", "Resource": "*"})))
    assert "Statement[0].Effect" in found and "Statement[0]" in found
    assert policy.problems("{not json")[0][1].startswith("not valid JSON")
    trust = doc({"Effect": "Allow", "Action": "sts:AssumeRole"})
    assert any("Principal" in m for _, m in policy.problems(trust, trust=True))


def test_tags_drop_aws_prefixed_and_compare_as_dicts():
    live = [{"Key": "aws:cloudformation:stack-name", "Value": "x"}, {"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}]
    assert policy.normalize_tags(live) == {"a": "1", "b": "2"}
    to_set, to_remove = policy.tag_changes({"a": "1", "b": "2", "aws:x": "y"}, {"a": "9", "c": "3"})
    assert to_set == {"a": "9", "c": "3"} and to_remove == ["b"]


def test_account_principals_compare_equal_in_every_partition():
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        a = doc({"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"})
        b = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:{partition}:iam::123456789012:root"},
                 "Action": "sts:AssumeRole"})
        assert policy.equal(a, b)
    other = doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/x"}, "Action": "sts:AssumeRole"})
    assert not policy.equal(other, doc({"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}))


def test_a_linter_crash_is_a_warning_not_ours(monkeypatch) -> None:
    """parliament crashing on a document becomes 'lint could not check this document', never an internal error."""
    import parliament

    from reconciler import lint
    from reconciler.kinds.base import Resource

    def boom(_text: str) -> None:
        raise TypeError("expected string or bytes-like object, got 'ValueNotFoundNode'")

    monkeypatch.setattr(parliament, "analyze_policy_string", boom)
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    res = Resource("Policy", "p", None, {}, {}, "p.yaml", 1, {("spec", "document"): 5})
    [issue] = lint.document(res, ("spec", "document"), doc)
    assert issue.severity == "warning" and (issue.line, issue.field) == (5, "spec.document")
    assert issue.message.startswith("lint could not check this document: parliament failed with TypeError")
