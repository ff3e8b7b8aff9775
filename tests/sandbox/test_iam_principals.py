"""The sandbox stores a trust policy's account-id principal as IAM does: as the account's root ARN
(reconciler/sandbox/iam_principals.py; AWS-FACTS.md, IAM)."""

from __future__ import annotations

import json
import uuid

import boto3

from reconciler.sandbox.iam_principals import as_stored
from tests.support.server import MotoServer


def _trust(principal: object) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": principal}]})


def _principal(doc: dict) -> object:
    return doc["Statement"][0]["Principal"]


def test_create_and_update_store_an_account_id_as_its_root_arn(moto_server: MotoServer) -> None:
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=moto_server.url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    name = f"cross-{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust({"AWS": "111122223333"}))
    got = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    assert _principal(got) == {"AWS": "arn:aws:iam::111122223333:root"}  # a lone id stays a lone string

    iam.update_assume_role_policy(RoleName=name, PolicyDocument=_trust(
        {"AWS": ["444455556666", "arn:aws:iam::111122223333:role/ci"], "Service": "sagemaker.amazonaws.com"}))
    want = {"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:role/ci"],
            "Service": "sagemaker.amazonaws.com"}
    assert _principal(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]) == want
    details = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    assert _principal(next(r for r in details if r["RoleName"] == name)["AssumeRolePolicyDocument"]) == want
    iam.delete_role(RoleName=name)


def test_what_names_no_account_is_kept_as_written() -> None:
    text = _trust({"Service": "sagemaker.amazonaws.com"})
    assert as_stored(text, "aws") is text
    assert as_stored("not json", "aws") == "not json"
    assert as_stored(_trust({"AWS": "12345678901"}), "aws") == _trust({"AWS": "12345678901"})  # 11 digits
    assert json.loads(as_stored(_trust({"AWS": "123456789012"}), "aws-cn"))["Statement"][0]["Principal"] == {
        "AWS": "arn:aws-cn:iam::123456789012:root"}
