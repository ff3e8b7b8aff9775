"""policy.problems: the exact (field, message) of each structural problem, all reported at once."""

from __future__ import annotations

from reconciler import policy

V = "2012-10-17"
A = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
T = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}


def test_valid_documents_have_no_problems():
    assert policy.problems({"Version": V, "Statement": [A]}) == []
    assert policy.problems({"Version": "2008-10-17", "Id": "x", "Statement": A}) == []
    assert policy.problems({"Version": V, "Statement": [T]}, trust=True) == []


def test_not_json_and_not_a_mapping():
    assert policy.problems('{"a": ') == [("", "not valid JSON: Expecting value (line 1 column 7 of the document)")]
    assert policy.problems("[1]") == [("", "a policy document must be a mapping with Version and Statement")]


def test_top_level_keys_version_and_statement():
    assert policy.problems({"Version": V, "Statement": [A], "Zed": 1, "Extra": 2}) == [
        ("Extra", "unknown key(s) ['Extra', 'Zed']; allowed: Version, Id, Statement")]
    assert policy.problems({"Statement": [A]}) == [("Version", (
        'is missing; add Version: "2012-10-17" (AWS refuses a policy without it: '
        '"Policy document must be version 2012-10-17 or greater")'))]
    assert policy.problems({"Version": "2012-10-18", "Statement": [A]}) == [
        ("Version", "must be one of ['2012-10-17', '2008-10-17'], got '2012-10-18'")]
    assert policy.problems({"Version": V}) == [("Statement", "is required")]
    assert policy.problems({"Zed": 1}) == [
        ("Zed", "unknown key(s) ['Zed']; allowed: Version, Id, Statement"),
        ("Version", policy.problems({"Statement": [A]})[0][1]),
        ("Statement", "is required")]
    for bad in ([], "s3:*", 3):
        assert policy.problems({"Version": V, "Statement": bad}) == [
            ("Statement", "must be a statement or a non-empty list of statements")]


def test_statement_level_problems_are_all_reported_with_their_index():
    doc = {"Version": V, "Statement": [A, "x", {"Effect": "allow", "Action": "a", "NotAction": "b", "Resource": "*",
                                                 "Bogus": 1, "Other": 2}]}
    assert policy.problems(doc) == [
        ("Statement[1]", "each statement must be a mapping"),
        ("Statement[2]", "unknown key(s) ['Bogus', 'Other']; allowed: ['Action', 'Condition', 'Effect', 'NotAction', "
                         "'NotPrincipal', 'NotResource', 'Principal', 'Resource', 'Sid']"),
        ("Statement[2].Effect", "must be 'Allow' or 'Deny' (case matters), got 'allow'"),
        ("Statement[2]", "needs exactly one of Action or NotAction (e.g. Action: s3:GetObject); both are given"),
    ]


def test_effect_and_action_missing():
    assert policy.problems({"Version": V, "Statement": {"Resource": "*"}}) == [
        ("Statement[0]", "Effect is missing; every statement needs Effect: Allow or Effect: Deny"),
        ("Statement[0]", "needs exactly one of Action or NotAction (e.g. Action: s3:GetObject); neither is given"),
    ]
    assert policy.problems({"Version": V, "Statement": {**A, "Effect": "Deny"}}) == []


def test_action_and_resource_lists_must_be_non_empty_strings():
    msg = "must be a non-empty string or list of strings"
    for key in ("Action", "NotAction", "Resource", "NotResource"):
        st = {"Effect": "Allow", "Action": "a", "Resource": "*"}
        if key.startswith("Not"):
            st.pop(key[3:])
        for bad in ([], "", [""], ["a", 3], None, 3, False):
            assert (f"Statement[0].{key}", msg) in policy.problems({"Version": V, "Statement": [{**st, key: bad}]}), (key, bad)
        assert policy.problems({"Version": V, "Statement": [{**st, key: ["a", "b"]}]}) == []


def test_identity_policy_resource_and_principal():
    assert policy.problems({"Version": V, "Statement": {"Effect": "Allow", "Action": "a"}}) == [
        ("Statement[0]", "needs exactly one of Resource or NotResource (e.g. Resource: arn:aws:s3:::bucket/*); "
                         "neither is given")]
    assert policy.problems({"Version": V, "Statement": {**A, "NotResource": "x"}}) == [
        ("Statement[0]", "needs exactly one of Resource or NotResource (e.g. Resource: arn:aws:s3:::bucket/*); "
                         "both are given")]
    assert policy.problems({"Version": V, "Statement": {**A, "Principal": "*"}}) == [
        ("Statement[0]", "an identity policy must not have a Principal")]
    assert ("Statement[0]", "an identity policy must not have a Principal") in policy.problems(
        {"Version": V, "Statement": {**A, "NotPrincipal": {"AWS": "1"}}})


def test_trust_policy_needs_a_principal_and_no_resource():
    assert policy.problems({"Version": V, "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole"}}, trust=True) == [
        ("Statement[0]", "a trust policy statement needs a Principal (e.g. Principal: {Service: "
                         "sagemaker.amazonaws.com}) saying who may assume the role")]
    assert policy.problems({"Version": V, "Statement": {**T, "Principal": "*"}}, trust=True) == []
    # NotPrincipal answers "who" too: whatever else is said about it, not that a Principal is missing
    not_principal = {"Effect": "Allow", "Action": "sts:AssumeRole", "NotPrincipal": {"AWS": "123456789012"}}
    assert not any("needs a Principal" in m for _, m in policy.problems({"Version": V, "Statement": not_principal},
                                                                         trust=True))


def test_principal_and_condition_shapes():
    assert policy.problems({"Version": V, "Statement": {**T, "Principal": "someone"}}, trust=True) == [
        ("Statement[0].Principal", 'must be "*" or a mapping like {"Service": [...]} or {"AWS": [...]}')]
    assert policy.problems({"Version": V, "Statement": {**A, "Condition": "x"}}) == [
        ("Statement[0].Condition", "must be a mapping of operator to {key: value}")]
    assert policy.problems({"Version": V, "Statement": {**A, "Condition": {"StringEquals": {"k": "v"}}}}) == []


# ---- principals, condition operators and values, Sids ------------------------------------------------
def trust(principal):
    return policy.problems({"Version": V, "Statement": {"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": principal}}, trust=True)


def test_principal_types_and_values():
    shape = 'must be "*" or a mapping like {"Service": [...]} or {"AWS": [...]}'
    assert trust({}) == [("Statement[0].Principal", shape)]
    assert trust(["a"]) == [("Statement[0].Principal", shape)]
    assert trust({"Servic": "x", "AWS": "1"}) == [
        ("Statement[0].Principal.Servic", "unknown principal type 'Servic'; allowed: AWS, Service, Federated, CanonicalUser")]
    assert trust({"CanonicalUser": "c", "Federated": ["f"], "AWS": "*", "Service": "s"}) == []
    msg = "must be a non-empty string or a list of strings, got "
    for bad, got in (([], "an empty list"), (None, "null"), ({"a": 1}, "a mapping"), ("", "the string ''"),
                     (3, "the int 3"), ([1], "a list"), (["a", ""], "a list"), (True, "the bool True")):
        assert trust({"AWS": "1", "Service": bad}) == [("Statement[0].Principal.Service", msg + got)], bad


def test_not_principal_is_refused_in_a_trust_policy_only():
    st = {"Effect": "Allow", "Action": "sts:AssumeRole", "NotPrincipal": {"AWS": "123456789012"}}
    assert policy.problems({"Version": V, "Statement": st}, trust=True) == [
        ("Statement[0].NotPrincipal", "AWS does not allow NotPrincipal in a role's trust policy; name who may "
                                      "assume the role with Principal")]
    assert policy.problems({"Version": V, "Statement": {**st, "Principal": "*"}}, trust=True) == [
        ("Statement[0].NotPrincipal", "AWS does not allow NotPrincipal in a role's trust policy; name who may "
                                      "assume the role with Principal")]


def cond(c):
    return policy.problems({"Version": V, "Statement": {**A, "Condition": c}})


def test_condition_operators():
    assert cond({"StringEqual": {"k": "v"}}) == [("Statement[0].Condition.StringEqual", (
        "unknown condition operator 'StringEqual'; did you mean 'StringEquals'? (AWS refuses the policy)"))]
    assert cond({"Foo": {"k": "v"}}) == [("Statement[0].Condition.Foo", "unknown condition operator 'Foo' (AWS refuses the policy)")]
    assert cond({1: {"k": "v"}}) == [("Statement[0].Condition.1", "unknown condition operator 1 (AWS refuses the policy)")]
    assert cond({"ForAllValues:Bogus": {"k": "v"}}) == [
        ("Statement[0].Condition.ForAllValues:Bogus", "unknown condition operator 'ForAllValues:Bogus' (AWS refuses the policy)")]
    for ok in ("ForAllValues:StringLike", "ForAnyValue:StringEqualsIfExists", "StringEqualsIfExists", "Null",
               "DateLessThan", "IpAddress", "ArnLike", "BinaryEquals", "NumericGreaterThanEquals", "ForAnyValue:ArnEquals"):
        assert cond({ok: {"k": "v"}}) == [], ok
    # a prefix or suffix only counts where AWS has it
    for bad in ("ForSomeValues:StringLike", "StringLikeIfexists", "IfExists", "StringForAllValues:Like"):
        assert cond({bad: {"k": "v"}})[0][1].startswith(f"unknown condition operator {bad!r}"), bad


def test_null_takes_no_if_exists():
    """IAM: IfExists can be added to any condition operator except Null."""
    assert cond({"NullIfExists": {"k": "true"}}) == [
        ("Statement[0].Condition.NullIfExists", "unknown condition operator 'NullIfExists' (AWS refuses the policy)")]


def test_condition_values():
    keys = "must be a mapping of condition key to value(s), e.g. {aws:PrincipalTag/team: ml}; got "
    assert cond({"StringEquals": []}) == [("Statement[0].Condition.StringEquals", keys + "an empty list")]
    assert cond({"StringEquals": {}}) == [("Statement[0].Condition.StringEquals", keys + "a mapping")]
    assert cond({"StringEquals": "k"}) == [("Statement[0].Condition.StringEquals", keys + "the string 'k'")]
    vals = "must be a value or a list of values (strings, numbers, booleans), got "
    assert cond({"StringEquals": {"k": [], "j": "ok"}}) == [("Statement[0].Condition.StringEquals.k", vals + "an empty list")]
    assert cond({"StringEquals": {"k": None}}) == [("Statement[0].Condition.StringEquals.k", vals + "null")]
    assert cond({"StringEquals": {"k": {"a": 1}}}) == [("Statement[0].Condition.StringEquals.k", vals + "a mapping")]
    for holder in ([{"a": 1}], ["a", None], [[1]]):
        assert cond({"StringEquals": {"k": holder}}) == [
            ("Statement[0].Condition.StringEquals.k", vals + "a list holding a mapping, list or null")], holder
    assert cond({"NumericLessThan": {"k": [1, 2.5, True, "x"]}, "Bool": {"b": False}}) == []
    assert cond("x") == [("Statement[0].Condition", "must be a mapping of operator to {key: value}")]


def test_sid_format():
    def sid(value):
        return policy.problems({"Version": V, "Statement": {**A, "Sid": value}})
    assert sid("Ok1") == [] and sid("") == []
    allowed = "is not a valid Sid; allowed: ASCII letters and digits only (no spaces, hyphens or underscores)"
    for bad in ("a b", "a-b", "a_b", "é", "a\n"):
        assert sid(bad) == [("Statement[0].Sid", f"{bad!r} {allowed}")], bad
    assert sid(3) == [("Statement[0].Sid", f"3 {allowed}")]
    assert sid(None) == [("Statement[0].Sid", f"None {allowed}")]


def test_every_problem_of_a_statement_is_reported_together():
    """One statement wrong in several ways: each problem once, in field order, none hiding another."""
    st = {"Effect": "Allow", "Action": "sts:AssumeRole", "Bogus": 1,
          "Principal": {"Servic": "x", "AWS": ""}, "Condition": {"Foo": {"k": "v"}, "StringEquals": {}, "Bool": {"b": None}},
          "Sid": "a b"}
    assert [f for f, _ in policy.problems({"Version": V, "Statement": st}, trust=True)] == [
        "Statement[0]", "Statement[0].Principal.Servic", "Statement[0].Principal.AWS", "Statement[0].Condition.Foo",
        "Statement[0].Condition.StringEquals", "Statement[0].Condition.Bool.b", "Statement[0].Sid"]


def test_not_principal_in_an_identity_policy_is_only_the_identity_problem():
    assert policy.problems({"Version": V, "Statement": {**A, "NotPrincipal": {"AWS": "1"}}}) == [
        ("Statement[0]", "an identity policy must not have a Principal")]


def test_only_one_prefix_is_taken_off_an_operator():
    assert cond({"ForAllValues:StringLike:x": {"k": "v"}})[0][0] == "Statement[0].Condition.ForAllValues:StringLike:x"
    assert cond({"ForAnyValue:ForAllValues:StringLike": {"k": "v"}}) != []
