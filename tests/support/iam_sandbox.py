"""Clients of the enforcing sandbox (RECONCILE_SANDBOX_IAM=enforce) for its authentication and authorization
tests: the account's root (the dummy key, unrestricted) and new IAM users holding given statements."""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.support.server import MotoServer

REGION, ACCOUNT = "us-east-1", "123456789012"


def root(server: MotoServer, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=server.url, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def user(server: MotoServer, *statements: dict[str, Any], name: str = "ci") -> Any:
    """A client factory for a new user whose one inline policy holds ``statements``."""
    iam = root(server, "iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return lambda service: boto3.client(service, region_name=REGION, endpoint_url=server.url,
                                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])


def allow(actions: str | list[str], resources: str | list[str] = "*", **condition: Any) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        st["Condition"] = condition
    return st
