"""The sandbox's write audit (reconciler/sandbox/audit.py), over real HTTP, as boto3 makes the calls."""

from __future__ import annotations

import json
import urllib.request
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.audit import classify
from tests.support.audit import fetch
from tests.support.server import MotoServer

REGION = "us-east-1"


@pytest.fixture
def client(moto_server: MotoServer):  # type: ignore[no-untyped-def]
    def make(service: str):  # type: ignore[no-untyped-def]
        return boto3.client(service, region_name=REGION, endpoint_url=moto_server.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    return make


def since_now(server: MotoServer) -> int:
    return fetch(server.url, 10**12)[1]


@pytest.mark.parametrize(("operation", "kind"), [
    ("CreateModel", "write"), ("DescribeEndpoint", "read"), ("ListTags", "read"), ("GetRole", "read"),
    ("GetCallerIdentity", "read"), ("AssumeRoleWithWebIdentity", "read"), ("InvokeEndpoint", "data"),
    ("Invoke", "data"), ("TagResource", "write"), ("PutItem", "write"), ("Query", "read"),
    ("SomethingNew", "write"),
])
def test_classification_by_operation_name(operation, kind):
    assert classify(operation) == kind


def test_each_protocol_is_recorded_with_its_resource_and_no_secret(moto_server, client):
    n = uuid.uuid4().hex[:8]
    start = since_now(moto_server)
    iam, sm, lam, gw = client("iam"), client("secretsmanager"), client("lambda"), client("apigatewayv2")
    iam.create_role(RoleName=f"r-{n}", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
                    Tags=[{"Key": "team", "Value": "ml"}])  # query protocol
    iam.get_role(RoleName=f"r-{n}")  # a read: not recorded
    sm.create_secret(Name=f"s-{n}", SecretString="TOP-SECRET-VALUE")  # JSON protocol
    api = gw.create_api(Name=f"a-{n}", ProtocolType="HTTP")  # rest-json, AWS picks the id
    gw.create_stage(ApiId=api["ApiId"], StageName="$default")
    with pytest.raises(ClientError):
        lam.delete_function(FunctionName=f"f-{n}")  # rest-json, refused: recorded with its status
    records, nxt = fetch(moto_server.url, start)
    got = [(r["service"], r["operation"], r["status"] // 100) for r in records]
    assert got == [("iam", "CreateRole", 2), ("secretsmanager", "CreateSecret", 2),
                   ("apigatewayv2", "CreateApi", 2), ("apigatewayv2", "CreateStage", 2),
                   ("lambda", "DeleteFunction", 4)]
    assert records[4]["status"] == 404
    assert records[0]["ids"] == {"RoleName": f"r-{n}"} and records[0]["tags"] == {"team": "ml"}
    assert records[1]["ids"] == {"Name": f"s-{n}"}
    assert records[2]["answer"]["ApiId"] == api["ApiId"]
    assert records[3]["ids"] == {"ApiId": api["ApiId"], "StageName": "$default"}
    assert records[4]["ids"] == {"FunctionName": f"f-{n}"}
    assert [r["seq"] for r in records] == sorted(r["seq"] for r in records) and nxt == records[-1]["seq"]
    assert "TOP-SECRET-VALUE" not in json.dumps(records)
    assert fetch(moto_server.url, nxt) == ([], nxt)


def test_s3_reads_that_share_a_path_with_a_write_are_told_apart_by_their_query(moto_server, client):
    """ListObjectsV2 (GET /{Bucket}?list-type=2) and CreateSession (GET /{Bucket}?session) share their path: the
    plan's weights check lists a prefix, a read, which must not be recorded as a write."""
    s3, n = client("s3"), uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=f"b-{n}")
    s3.put_object(Bucket=f"b-{n}", Key="w/model.safetensors", Body=b"x")
    start = since_now(moto_server)
    s3.list_objects_v2(Bucket=f"b-{n}", Prefix="w/", MaxKeys=1)
    s3.head_object(Bucket=f"b-{n}", Key="w/model.safetensors")
    s3.delete_bucket_tagging(Bucket=f"b-{n}")  # (DELETE /{Bucket}?tagging: a write, still found by its query)
    records, _ = fetch(moto_server.url, start)
    assert [(r["service"], r["operation"]) for r in records] == [("s3", "DeleteBucketTagging")]


def test_reset_forgets_the_records_and_keeps_counting(moto_server, client):
    client("iam").create_user(UserName=f"u-{uuid.uuid4().hex[:8]}")
    before = since_now(moto_server)
    assert fetch(moto_server.url, before - 1)[0], "the write is recorded"
    urllib.request.urlopen(urllib.request.Request(f"{moto_server.url}/reconcile-sandbox/audit/reset", method="POST"))
    assert fetch(moto_server.url, 0) == ([], before)
    client("iam").create_user(UserName=f"u-{uuid.uuid4().hex[:8]}")
    records, nxt = fetch(moto_server.url, before)
    assert [r["seq"] for r in records] == [before + 1] and nxt == before + 1
