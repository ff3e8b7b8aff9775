"""The shape walker (tests/support/shapes.py) catches what it must: a checker that cannot fail proves nothing."""

from __future__ import annotations

import json

import botocore.session
import pytest

from tests.support.shapes import problems

SM = botocore.session.get_session().get_service_model("sagemaker")
IAM = botocore.session.get_session().get_service_model("iam")
GOOD = {"ModelName": "m", "ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m", "CreationTime": 1.7e9,
        "PrimaryContainer": {"Image": "img:1", "Environment": {"A": "b"}}}


def test_a_good_answer_has_no_problems() -> None:
    assert problems(SM, "DescribeModel", json.dumps(GOOD)) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"VpcConfig": {}}, "$.VpcConfig.SecurityGroupIds: required"),
    ({"Surprise": 1}, "Surprise: not a member"),
    ({"CreationTime": "yesterday"}, "does not parse"),
    ({"EnableNetworkIsolation": "false"}, "expected a boolean"),
    ({"PrimaryContainer": {"Image": "img:1", "Mode": "Sideways"}}, "is not one of"),
    ({"PrimaryContainer": {"Image": "x" * 300}}, "> max 255"),
    ({"Containers": {}}, "expected a list"),
])
def test_each_kind_of_disagreement_is_caught(change: dict, expected: str) -> None:
    body = json.dumps({**GOOD, **change})
    found = problems(SM, "DescribeModel", body)
    assert any(expected.replace("$", "DescribeModel") in p for p in found), found


def test_a_missing_required_member_is_caught() -> None:
    body = {k: v for k, v in GOOD.items() if k != "ModelArn"}
    assert problems(SM, "DescribeModel", json.dumps(body)) == ["DescribeModel.ModelArn: required by "
                                                                "DescribeModelOutput but missing"]


def test_xml_answers_are_walked_too() -> None:
    body = ("<GetUserResponse><GetUserResult><User><Path>/</Path><UserName>u</UserName><UserId>AIDAXXXXXXXXXXXXXXXX"
            "</UserId><Arn>arn:aws:iam::123456789012:user/u</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>"
            "<Colour>blue</Colour></User></GetUserResult></GetUserResponse>")
    assert problems(IAM, "GetUser", body) == ["GetUser.User.Colour: not a member of User (botocore does not model it)"]
