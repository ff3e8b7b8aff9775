"""The sandbox's authentication (reconciler/sandbox/iam_authentication.py): in enforce mode, the credentials of a
request are checked before any policy, as AWS checks them, and refused in each protocol's words.

AWS: a deleted, deactivated or never-issued key is InvalidClientTokenId ("The security token included in the
request is invalid.", HTTP 403) from IAM and STS, UnrecognizedClientException from the JSON and rest-json
services, InvalidAccessKeyId from S3; a signature made with another secret is SignatureDoesNotMatch /
InvalidSignatureException; a session key without its token is InvalidClientTokenId (S3: InvalidToken), and an
expired one ExpiredToken.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.iam_sandbox import ACCOUNT, REGION, allow, root, user
from tests.support.server import MotoServer


def test_a_key_aws_does_not_hold_active_is_an_invalid_token_in_each_protocol(iam_server):  # type: ignore[no-untyped-def]
    """AWS answers a request signed with a deleted, deactivated or never-issued access key InvalidClientTokenId
    (query services, HTTP 403) or UnrecognizedClientException (JSON and rest-json services), "The security token
    included in the request is invalid.", before any authorization; GetCallerIdentity included."""
    iam = root(iam_server, "iam")
    as_ci = user(iam_server, allow(["sagemaker:ListModels", "iam:ListRoles", "lambda:ListFunctions"]))
    assert as_ci("sagemaker").list_models()["Models"] == []  # the key works while it is active
    (key,) = iam.list_access_keys(UserName="ci")["AccessKeyMetadata"]

    def invalid(call: Any, code: str, status: int) -> None:
        with pytest.raises(ClientError) as e:
            call()
        err = e.value.response["Error"]
        assert (err["Code"], err["Message"]) == (code, "The security token included in the request is invalid."), err
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == status

    for change in ({"Status": "Inactive"}, None):
        if change:
            iam.update_access_key(UserName="ci", AccessKeyId=key["AccessKeyId"], **change)
        else:
            iam.delete_access_key(UserName="ci", AccessKeyId=key["AccessKeyId"])
        invalid(lambda: as_ci("iam").list_roles(), "InvalidClientTokenId", 403)
        invalid(lambda: as_ci("sts").get_caller_identity(), "InvalidClientTokenId", 403)
        invalid(lambda: as_ci("sagemaker").list_models(), "UnrecognizedClientException", 400)
        invalid(lambda: as_ci("lambda").list_functions(), "UnrecognizedClientException", 403)
    never = boto3.client("sts", region_name=REGION, endpoint_url=iam_server.url, aws_access_key_id="AKIA" + "Z" * 16,
                         aws_secret_access_key="x")
    invalid(never.get_caller_identity, "InvalidClientTokenId", 403)
    assert root(iam_server, "sts").get_caller_identity()["Account"] == ACCOUNT  # the sandbox's own key: the root


def test_a_request_signed_with_another_secret_does_not_match_and_the_right_one_does_in_each_protocol(iam_server):  # type: ignore[no-untyped-def]
    """AWS recomputes a request's SigV4 signature with the key's secret: another secret is SignatureDoesNotMatch
    (query services) / InvalidSignatureException (JSON and rest-json), whatever the policies allow. Signed right,
    the awkward requests pass: an ARN in the path (URL-encoded), a query string, S3's unnormalized path."""
    everything = allow(["sagemaker:*", "iam:ListRoles", "lambda:ListFunctions", "s3:*", "apigateway:*"])
    as_ci = user(iam_server, everything)
    (key,) = root(iam_server, "iam").list_access_keys(UserName="ci")["AccessKeyMetadata"]

    def wrong(service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=iam_server.url, aws_access_key_id=key["AccessKeyId"],
                            aws_secret_access_key="not-the-secret")

    calls = {"iam": lambda c: c.list_roles(), "sagemaker": lambda c: c.list_models(),
             "lambda": lambda c: c.list_functions()}
    for service, call in calls.items():
        with pytest.raises(ClientError) as e:
            call(wrong(service))
        err = e.value.response["Error"]
        want = "SignatureDoesNotMatch" if service == "iam" else "InvalidSignatureException"
        assert err["Code"] == want and err["Message"].startswith("The request signature we calculated does not match"), err
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == (400 if service == "sagemaker" else 403)
        call(as_ci(service))  # the right secret
    with pytest.raises(ClientError) as e:
        wrong("sts").get_caller_identity()
    assert e.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    s3 = as_ci("s3")
    s3.create_bucket(Bucket="weights")
    s3.put_object(Bucket="weights", Key="a b/model+1.tar.gz", Body=b"x" * 10)
    assert s3.list_objects_v2(Bucket="weights", Prefix="a b/")["KeyCount"] == 1
    api = as_ci("apigatewayv2").create_api(Name="a", ProtocolType="HTTP")
    arn = f"arn:aws:apigateway:{REGION}::/apis/{api['ApiId']}"
    as_ci("apigatewayv2").tag_resource(ResourceArn=arn, Tags={"k": "v w"})
    assert as_ci("apigatewayv2").get_tags(ResourceArn=arn)["Tags"] == {"k": "v w"}
    assert as_ci("sagemaker").list_models(NameContains="x-y", MaxResults=5)["Models"] == []
    assert as_ci("lambda").list_functions(MaxItems=5, FunctionVersion="ALL")["Functions"] == []


def test_a_session_key_needs_its_session_token(iam_server):  # type: ignore[no-untyped-def]
    iam = root(iam_server, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))
    creds = root(iam_server, "sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r", RoleSessionName="run")["Credentials"]
    for token in (None, creds["SessionToken"][:-4] + "AAAA"):
        sts = boto3.client("sts", region_name=REGION, endpoint_url=iam_server.url, aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=token)
        with pytest.raises(ClientError) as e:
            sts.get_caller_identity()
        err = e.value.response["Error"]
        assert (err["Code"], err["Message"]) == ("InvalidClientTokenId", "The security token included in the request "
                                                 "is invalid."), token
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    sts = boto3.client("sts", region_name=REGION, endpoint_url=iam_server.url, aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    assert sts.get_caller_identity()["Arn"].endswith(":assumed-role/r/run")


def test_s3_refuses_credentials_and_permissions_in_its_own_xml_and_codes(iam_server):  # type: ignore[no-untyped-def]
    """S3 answers REST-XML with its own codes (S3 API reference, "Error responses"): InvalidAccessKeyId (403) for a
    key it does not know, SignatureDoesNotMatch (403), InvalidToken (400) for a session token that is not the
    key's, AccessDenied (403) naming the action."""
    root(iam_server, "s3").create_bucket(Bucket="weights")
    as_ci = user(iam_server, allow("s3:ListBucket", "arn:aws:s3:::weights"))
    (key,) = root(iam_server, "iam").list_access_keys(UserName="ci")["AccessKeyMetadata"]

    def s3(secret: str, token: str | None = None, key_id: str = key["AccessKeyId"]) -> Any:
        return boto3.client("s3", region_name=REGION, endpoint_url=iam_server.url, aws_access_key_id=key_id,
                            aws_secret_access_key=secret, aws_session_token=token)

    def refused_as(call: Any, code: str, status: int) -> str:
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == code and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
        return str(e.value.response["Error"]["Message"])

    assert as_ci("s3").list_objects_v2(Bucket="weights")["KeyCount"] == 0
    said = refused_as(lambda: as_ci("s3").put_object(Bucket="weights", Key="k", Body=b"x"), "AccessDenied", 403)
    assert "not authorized to perform: s3:PutObject on resource: arn:aws:s3:::weights/k" in said
    refused_as(lambda: s3("not-the-secret").list_objects_v2(Bucket="weights"), "SignatureDoesNotMatch", 403)
    refused_as(lambda: s3("x", key_id="AKIA" + "Q" * 16).list_objects_v2(Bucket="weights"), "InvalidAccessKeyId", 403)
    iam = root(iam_server, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))
    creds = root(iam_server, "sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r", RoleSessionName="run")["Credentials"]
    refused_as(lambda: s3(creds["SecretAccessKey"], "not-its-token", creds["AccessKeyId"]).list_objects_v2(Bucket="weights"),
               "InvalidToken", 400)


def test_keys_of_users_in_other_partitions_are_theirs(iam_server):  # type: ignore[no-untyped-def]
    """A user of the GovCloud partition (us-gov-west-1) signs with its key: its own, not refused, not the root."""
    gov = "us-gov-west-1"
    iam = boto3.client("iam", region_name=gov, endpoint_url=iam_server.url, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    iam.create_user(UserName="gov-ci")
    key = iam.create_access_key(UserName="gov-ci")["AccessKey"]
    sts = boto3.client("sts", region_name=gov, endpoint_url=iam_server.url, aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == f"arn:aws-us-gov:iam::{ACCOUNT}:user/gov-ci"
    with pytest.raises(ClientError) as e:  # it holds no policy: refused as itself
        boto3.client("iam", region_name=gov, endpoint_url=iam_server.url, aws_access_key_id=key["AccessKeyId"],
                     aws_secret_access_key=key["SecretAccessKey"]).list_roles()
    assert e.value.response["Error"]["Code"] == "AccessDenied" and "user/gov-ci is not authorized" in str(e.value)
    # a statement naming the partition's ARNs allows: the resource is GovCloud's arn:aws-us-gov:iam::…
    iam.put_user_policy(UserName="gov-ci", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [allow("iam:GetUser", f"arn:aws-us-gov:iam::{ACCOUNT}:user/gov-ci")]}))
    own = boto3.client("iam", region_name=gov, endpoint_url=iam_server.url, aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"])
    assert own.get_user(UserName="gov-ci")["User"]["Arn"] == f"arn:aws-us-gov:iam::{ACCOUNT}:user/gov-ci"


def _signed(path: str, body: bytes, creds: dict[str, str], host: str) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest("POST", f"http://{host}{path}", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretAccessKey"]), "sts", REGION).add_auth(request)
    return dict(request.headers.items())


def _raw(iam_server: MotoServer, head: str, headers: dict[str, str], body: bytes) -> bytes:
    """Send exactly ``head`` (the request line), ``headers`` and ``body`` over a socket; the answer's bytes."""
    import socket

    with socket.create_connection(("127.0.0.1", iam_server.port), timeout=30) as sock:
        sock.sendall((head + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode() + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_signed_request_in_absolute_form_or_chunked_is_checked_as_sent(iam_server):  # type: ignore[no-untyped-def]
    """The signature is checked over the request as the client sent it: a request line in absolute form
    (``POST http://host:port/ HTTP/1.1``, as through a proxy) and a chunked body (no Content-Length) pass when
    signed right, and are refused when not."""
    root(iam_server, "iam").create_user(UserName="ci")
    key = root(iam_server, "iam").create_access_key(UserName="ci")["AccessKey"]
    host = f"127.0.0.1:{iam_server.port}"
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    headers = {**_signed("/", body, key, host), "Host": host, "Connection": "close"}
    absolute = _raw(iam_server, f"POST http://{host}/ HTTP/1.1", {**headers, "Content-Length": str(len(body))}, body)
    assert absolute.startswith(b"HTTP/1.1 200") and b"user/ci" in absolute, absolute[:400]
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    answer = _raw(iam_server, "POST / HTTP/1.1", {**headers, "Transfer-Encoding": "chunked"}, chunked)
    assert answer.startswith(b"HTTP/1.1 200") and b"user/ci" in answer, answer[:400]
    forged = {**headers, "Authorization": headers["Authorization"][:-4] + "0000"}
    answer = _raw(iam_server, f"POST http://{host}/ HTTP/1.1", {**forged, "Content-Length": str(len(body))}, body)
    assert answer.startswith(b"HTTP/1.1 403") and b"SignatureDoesNotMatch" in answer, answer[:400]


def test_an_expired_session_is_expired_token(monkeypatch):  # type: ignore[no-untyped-def]
    """In process (a session cannot be made to expire over HTTP in a test's time): the middleware in enforce
    mode before moto, a request botocore signed with a session whose expiry has passed."""
    import datetime
    import io

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from moto import mock_aws
    from moto.sts.models import sts_backends

    from reconciler.sandbox import iam_authorization as authz

    monkeypatch.setitem(authz._state, "mode", "enforce")
    app = authz.wsgi_middleware(lambda environ, start: (start("200 OK", []), [b"moto"])[1])
    with mock_aws():
        client = boto3.client("iam", region_name=REGION)
        trust = {"Version": "2012-10-17", "Statement": []}
        client.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))
        c = boto3.client("sts", region_name=REGION).assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r",
                                                                RoleSessionName="run")["Credentials"]

        def call() -> tuple[str, bytes]:
            body = b"Action=GetCallerIdentity&Version=2011-06-15"
            request = AWSRequest("POST", "http://sandbox/", data=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
            SigV4Auth(Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]), "sts", REGION).add_auth(request)
            environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "RAW_URI": "/", "QUERY_STRING": "",
                       "CONTENT_TYPE": request.headers["Content-Type"], "CONTENT_LENGTH": str(len(body)),
                       "wsgi.input": io.BytesIO(body), "HTTP_HOST": "sandbox",
                       **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in request.headers.items()
                          if k.lower() != "content-type"}}
            said: list[str] = []
            out = b"".join(app(environ, lambda status, headers: said.append(status)))
            return said[0], out

        assert call() == ("200 OK", b"moto")  # signed right, in time: on to moto
        (session,) = [s for s in sts_backends[ACCOUNT]["aws"].assumed_roles if s.access_key_id == c["AccessKeyId"]]
        session.expiration = session.expiration - datetime.timedelta(hours=2)
        status, out = call()
        assert status.startswith("403") and b"<Code>ExpiredToken</Code>" in out, (status, out)
        assert b"The security token included in the request is expired" in out
