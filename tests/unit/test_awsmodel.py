"""reconciler/awsmodel: constraints read from botocore's models, and the walk of a request against them."""

from __future__ import annotations

import re

import botocore.loaders
import pytest

from reconciler import awsmodel
from reconciler.awsmodel.patterns import Untranslatable, matcher, try_matcher


def test_constraints_come_from_the_installed_model() -> None:
    data = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")  # the raw JSON
    raw = data["shapes"]["EndpointName"]
    c = awsmodel.constraints("sagemaker", "CreateEndpoint.EndpointName")
    assert (c.max_length, c.pattern) == (raw["max"], raw["pattern"])
    enum = awsmodel.constraints("sagemaker", "ProductionVariantInstanceType").enum
    assert enum == tuple(data["shapes"]["ProductionVariantInstanceType"]["enum"]) and "ml.g5.2xlarge" in enum
    assert awsmodel.constraints("iam", "CreateRole.MaxSessionDuration").type == "integer"
    role = awsmodel.constraints("iam", "CreateRole.MaxSessionDuration")
    assert (role.min_value, role.max_value) == (3600, 43200)
    tags = awsmodel.constraints("sagemaker", "CreateEndpoint.Tags")
    assert (tags.min_items, tags.max_items) == (0, 50)
    assert awsmodel.constraints("lambda", "CreateFunction.Environment.Variables.key").shape == "EnvironmentVariableName"


def test_unknown_member_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="no member 'EndpointNam'"):
        awsmodel.constraints("sagemaker", "CreateEndpoint.EndpointNam")


def test_patterns_are_full_matched() -> None:
    # the model's pattern is unanchored; '-a' contains a match but is not one
    ok = matcher(awsmodel.constraints("sagemaker", "EndpointName").pattern)
    assert ok("my-endpoint") and not ok("-my-endpoint") and not ok("my-endpoint-") and not ok("a b")
    assert awsmodel.check_value("sagemaker", "EndpointName", "bad_name")[0].rule == "pattern"


def test_java_word_class_is_ascii() -> None:
    assert not matcher(r"[\w+=,.@-]+")("rôle")
    assert matcher(r"[\w+=,.@-]+")("role_1+=,.@-")


def test_unicode_category_classes_are_translated() -> None:
    tag = matcher(awsmodel.constraints("sagemaker", "TagKey").pattern)
    assert tag("Équipe data 2") and tag("a:b/c=d+e-f@g_h.i")
    assert not tag("no!") and not tag("tab\there-is-Cc")
    iam = matcher(awsmodel.constraints("iam", "TagRole.Tags.member.Key").pattern)  # '+': one or more
    assert iam("k") and not iam("")
    alnum = matcher(r"arn:[\p{Alnum}\-]+:lambda:[\p{Alnum}\-]+:[0-9]{12}:function:.*")
    assert alnum("arn:aws:lambda:us-east-1:123456789012:function:f") and not alnum("arn:a_b:lambda:x:1:function:f")


def test_utf16_surrogate_ranges_become_code_point_ranges() -> None:
    m = matcher(r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*")
    assert m("plain text\twith tab") and m("emoji \U0001F600")
    assert not m("\x01") and not m("line\nbreak")


def test_untranslatable_patterns_are_skipped_with_a_note(caplog: pytest.LogCaptureFixture) -> None:
    weird = r"([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)${1,128}"  # sagemaker CustomerMetadataKey: a quantifier after '$'
    with pytest.raises(Untranslatable):
        matcher(weird)
    with pytest.raises(Untranslatable):
        matcher(r"a\p{L}b[\p{N}]")
    # the note is logged once per pattern and process (try_matcher is cached): start from an empty cache so
    # that the test does not depend on what ran before it (mutmut runs the suite twice in one process)
    try_matcher.cache_clear()
    with caplog.at_level("INFO", logger="reconciler.awsmodel.patterns"):
        assert try_matcher(r"x\p{Lu}y") is None
    assert "not checked" in caplog.text
    # a value of a shape with such a pattern is still checked for its length, never guessed at
    assert awsmodel.check_value("sagemaker", "CustomerMetadataKey", "anything!") == []
    assert awsmodel.check_value("sagemaker", "CustomerMetadataKey", "k" * 129)[0].rule == "length"


def test_every_pattern_of_the_services_we_use_translates_or_is_refused_cleanly() -> None:
    for service in ("sagemaker", "iam", "lambda", "apigatewayv2", "secretsmanager"):
        model = awsmodel.service_model(service)
        for name in model.shape_names:
            p = model.shape_for(name).metadata.get("pattern")
            if p:
                try:
                    matcher(p)
                except Untranslatable:
                    assert r"\p{" in p or "${" in p, (service, name, p)


def test_enum_with_did_you_mean() -> None:
    [v] = awsmodel.check_value("sagemaker", "ProductionVariantInstanceType", "ml.g5.2xlarg")
    assert v.rule == "enum" and "did you mean ml.g5.2xlarge?" in v.allowed
    assert v.aws.startswith("Member must satisfy enum value set: [ml.t2.medium, ")
    assert awsmodel.check_value("sagemaker", "ProductionVariantInstanceType", "ml.g5.2xlarge") == []


def test_numeric_ranges() -> None:
    [low] = awsmodel.check_value("lambda", "CreateFunction.MemorySize", 64)
    assert low.rule == "range" and low.aws == "Member must have value greater than or equal to 128"
    [high] = awsmodel.check_value("iam", "CreateRole.MaxSessionDuration", 50000)
    assert high.aws == "Member must have value less than or equal to 43200" and "at most 43200" in high.allowed
    assert awsmodel.check_value("lambda", "CreateFunction.Timeout", 900) == []


def test_nested_request_lists_and_maps() -> None:
    params = {
        "EndpointConfigName": "cfg",
        "ProductionVariants": [{"VariantName": "AllTraffic", "InstanceType": "ml.nope"}],
        "Tags": [{"Key": "ok", "Value": "v"}, {"Key": "k" * 129, "Value": "v"}],
    }
    got = {(v.aws_path, v.rule) for v in awsmodel.check("sagemaker", "CreateEndpointConfig", params)}
    assert got == {("productionVariants.1.member.instanceType", "enum"), ("tags.2.member.key", "length")}
    env = {"FunctionName": "f", "Role": "arn:aws:iam::123456789012:role/r", "Code": {},
           "Environment": {"Variables": {"9LIVES": "x", "OK_KEY": "y"}}}
    [v] = awsmodel.check("lambda", "CreateFunction", env)
    assert v.where == "key" and v.aws_path == "environment.variables"
    assert v.aws_message().startswith("Value '9LIVES' at 'environment.variables' failed to satisfy constraint: "
                                      "Map keys must satisfy constraint: [Member must satisfy regular expression")
    too_many = {"ModelName": "m", "PrimaryContainer": {"Environment": {f"K{i}": "v" for i in range(101)}}}
    [size] = awsmodel.check("sagemaker", "CreateModel", too_many)
    assert size.rule == "size" and size.aws_path == "primaryContainer.environment"


def test_required_members_and_aws_message_shape() -> None:
    name = "ee" + "-e" * 31  # 64 characters that match the pattern
    vs = awsmodel.check("sagemaker", "CreateEndpoint", {"EndpointName": name})
    assert awsmodel.aws_summary(vs) == (
        "2 validation errors detected: "
        f"Value '{name}' at 'endpointName' failed to satisfy constraint: Member must have length less than or equal to 63; "
        "Value null at 'endpointConfigName' failed to satisfy constraint: Member must not be null")


def test_a_68_character_endpoint_name_with_dashes_matches_the_pattern_but_not_the_length() -> None:
    name = "-".join(["ab"] * 22)[:68].rstrip("-") + "x" * (68 - len("-".join(["ab"] * 22)[:68].rstrip("-")))
    assert len(name) == 68 and re.fullmatch(awsmodel.constraints("sagemaker", "EndpointName").pattern, name)
    [v] = awsmodel.check_value("sagemaker", "CreateEndpoint.EndpointName", name)
    assert v.rule == "length"


def test_models_load_once() -> None:
    assert awsmodel.service_model("sagemaker") is awsmodel.service_model("sagemaker")


def test_a_surrogate_pair_is_its_exact_code_point() -> None:
    from reconciler.awsmodel.patterns import _pair, _surrogates

    assert _pair("D800", "DC00") == 0x10000 and _pair("DBFF", "DFFF") == 0x10FFFF
    assert _pair("D83D", "DE00") == 0x1F600 and _pair("d83d", "de00") == 0x1F600  # 😀, any case
    assert _surrogates(r"[a\uD800\uDC00-\uDBFF\uDFFF]") == r"[a\U00010000-\U0010FFFF]"
    assert _surrogates(r"\uD83D\uDE00-\uD83D\uDE4F") == r"\U0001F600-\U0001F64F"


def test_list_size_limits_are_exact_and_summarised_as_aws_does() -> None:
    from reconciler.awsmodel.check import _num

    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert awsmodel.check_value("iam", "TagRole.Tags", tags[:50]) == []  # the limit itself is allowed
    [v] = awsmodel.check_value("iam", "TagRole.Tags", tags)
    assert (v.rule, v.allowed) == ("size", "at most 50 items, got 51")
    assert v.aws_message().endswith("failed to satisfy constraint: Member must have length less than or equal to 50")
    assert awsmodel.aws_summary([v]).startswith("1 validation error detected: Value '[{Key=k0")
    assert awsmodel.aws_summary([v, v]).startswith("2 validation errors detected: ")
    assert (_num(3.0), _num(2.5), _num(7)) == ("3", "2.5", "7")
