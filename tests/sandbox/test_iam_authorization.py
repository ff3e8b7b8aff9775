"""The sandbox's IAM authorization (reconciler/sandbox/iam_authorization.py, iam_requests.py, iam_evaluation.py):
identity-based policies of IAM users and role sessions evaluated as IAM does, refusals answered as AWS answers them.

AWS (IAM User Guide, "Policy evaluation logic"; "IAM JSON policy elements: Condition operators"; "Grant a user
permissions to pass a role to an AWS service"): an explicit Deny wins, else an Allow that matches action, resource
and conditions, else the request is implicitly denied; a condition on a key the request context lacks is not met
(``...IfExists`` excepted); passing a role to a service is ``iam:PassRole`` on the role with
``iam:PassedToService``; "sts:GetCallerIdentity: no permissions are required". A refusal reads "User: ARN is not
authorized to perform: ACTION on resource: ARN because no identity-based policy allows the ACTION action".
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox import iam_evaluation as ev
from reconciler.sandbox.iam_requests import Live, Request, checks
from tests.support.server import MotoServer

REGION, ACCOUNT = "us-east-1", "123456789012"
STACK = {"reconciler:stack": "s1"}


@pytest.fixture(scope="module")
def enforcing(tmp_path_factory: pytest.TempPathFactory) -> Any:
    server = MotoServer(tmp_path_factory.mktemp("iam-auth"), env={"RECONCILE_SANDBOX_IAM": "enforce"})
    yield server
    server.stop()


@pytest.fixture
def server(enforcing: MotoServer) -> MotoServer:
    enforcing.reset()
    return enforcing


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


def refused(call: Any, action: str, resource: str) -> ClientError:
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response["Error"]
    assert err["Code"] in ("AccessDenied", "AccessDeniedException"), err
    assert err["Message"] == (f"User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: {action} on "
                              f"resource: {resource} because no identity-based policy allows the {action} action"), err
    return e.value


def _model(server: MotoServer, name: str, tags: dict[str, str]) -> str:
    iam = root(server, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    try:
        iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps(trust))
    except ClientError:
        pass
    root(server, "sagemaker").create_model(ModelName=name, PrimaryContainer={"Image": "img:1"},
                                           ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/exec",
                                           Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{name}"


# ---- through the server -------------------------------------------------------------------------------------


def test_a_user_without_a_policy_is_refused_in_each_protocol_as_aws_words_it(server):  # type: ignore[no-untyped-def]
    as_ci = user(server)
    e = refused(lambda: as_ci("sagemaker").list_models(), "sagemaker:ListModels", "*")  # JSON: 400
    # the JSON name: SageMaker is not awsQueryCompatible, so no x-amzn-query-error turns it into the query one
    assert e.response["Error"]["Code"] == "AccessDeniedException"
    e = refused(lambda: as_ci("iam").list_roles(), "iam:ListRoles", "*")  # query: 403 XML
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403 and e.response["Error"]["Code"] == "AccessDenied"
    refused(lambda: as_ci("lambda").list_functions(), "lambda:ListFunctions", "*")  # rest-json: 403
    refused(lambda: as_ci("apigatewayv2").get_apis(), "apigateway:GET", f"arn:aws:apigateway:{REGION}::/apis")
    refused(lambda: as_ci("resourcegroupstaggingapi").get_resources(), "tag:GetResources", "*")
    assert as_ci("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ci"  # no permission needed
    assert root(server, "sagemaker").list_models()["Models"] == []  # the account's root: not restricted


def test_a_statement_scoped_to_an_arn_allows_only_that_resource(server):  # type: ignore[no-untyped-def]
    a, b = _model(server, "a", {}), _model(server, "b", {})
    as_ci = user(server, allow("sagemaker:DescribeModel", a))
    assert as_ci("sagemaker").describe_model(ModelName="a")["ModelArn"] == a
    refused(lambda: as_ci("sagemaker").describe_model(ModelName="b"), "sagemaker:DescribeModel", b)


def test_a_resource_tag_condition_allows_only_what_carries_the_tag_and_nothing_that_is_gone(server):  # type: ignore[no-untyped-def]
    mine, other = _model(server, "mine", STACK), _model(server, "other", {"reconciler:stack": "s2"})
    as_ci = user(server, allow("sagemaker:DeleteModel", f"arn:aws:sagemaker:{REGION}:*:model/*",
                               StringEquals={"aws:ResourceTag/reconciler:stack": "s1"}))
    as_ci("sagemaker").delete_model(ModelName="mine")
    refused(lambda: as_ci("sagemaker").delete_model(ModelName="other"), "sagemaker:DeleteModel", other)
    # IAM cannot read the tags of what does not exist: refused, not "not found"
    refused(lambda: as_ci("sagemaker").delete_model(ModelName="mine"), "sagemaker:DeleteModel", mine)


def test_passing_a_role_takes_iam_pass_role_to_that_service(server):  # type: ignore[no-untyped-def]
    _model(server, "seed", {})  # (makes the role)
    role = f"arn:aws:iam::{ACCOUNT}:role/exec"
    create = allow(["sagemaker:CreateModel"], f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/*")
    to_lambda = allow("iam:PassRole", role, StringEquals={"iam:PassedToService": "lambda.amazonaws.com"})
    as_ci = user(server, create, to_lambda)
    refused(lambda: as_ci("sagemaker").create_model(ModelName="m", PrimaryContainer={"Image": "img:1"},
                                                    ExecutionRoleArn=role), "iam:PassRole", role)
    as_ci2 = user(server, create, allow("iam:PassRole", role, StringEquals={"iam:PassedToService": "sagemaker.amazonaws.com"}),
                  name="ci2")
    as_ci2("sagemaker").create_model(ModelName="m", PrimaryContainer={"Image": "img:1"}, ExecutionRoleArn=role)


def test_tags_given_to_a_create_take_the_tagging_action_too(server):  # type: ignore[no-untyped-def]
    as_ci = user(server, allow("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/*"))
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    as_ci("iam").create_role(RoleName="plain", AssumeRolePolicyDocument=trust)
    refused(lambda: as_ci("iam").create_role(RoleName="tagged", AssumeRolePolicyDocument=trust,
                                             Tags=[{"Key": "k", "Value": "v"}]),
            "iam:TagRole", f"arn:aws:iam::{ACCOUNT}:role/tagged")


def test_an_explicit_deny_wins_and_is_said(server):  # type: ignore[no-untyped-def]
    as_ci = user(server, allow("sagemaker:ListModels"), {"Effect": "Deny", "Action": "sagemaker:List*", "Resource": "*"})
    with pytest.raises(ClientError) as e:
        as_ci("sagemaker").list_models()
    assert e.value.response["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")


def test_a_role_session_holds_its_roles_policies(server):  # type: ignore[no-untyped-def]
    iam = root(server, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="ci-role", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="ci-role", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [allow("sagemaker:ListModels")]}))
    creds = root(server, "sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/ci-role",
                                            RoleSessionName="run")["Credentials"]
    session = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"], region_name=REGION)
    assert session.client("sagemaker", endpoint_url=server.url).list_models()["Models"] == []
    with pytest.raises(ClientError) as e:
        session.client("sagemaker", endpoint_url=server.url).list_endpoints()
    assert "assumed-role/ci-role/run is not authorized to perform: sagemaker:ListEndpoints" in str(e.value)


def test_a_key_aws_does_not_hold_active_is_an_invalid_token_in_each_protocol(server):  # type: ignore[no-untyped-def]
    """AWS answers a request signed with a deleted, deactivated or never-issued access key InvalidClientTokenId
    (query services, HTTP 403) or UnrecognizedClientException (JSON and rest-json services), "The security token
    included in the request is invalid.", before any authorization; GetCallerIdentity included."""
    iam = root(server, "iam")
    as_ci = user(server, allow(["sagemaker:ListModels", "iam:ListRoles", "lambda:ListFunctions"]))
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
    never = boto3.client("sts", region_name=REGION, endpoint_url=server.url, aws_access_key_id="AKIA" + "Z" * 16,
                         aws_secret_access_key="x")
    invalid(never.get_caller_identity, "InvalidClientTokenId", 403)
    assert root(server, "sts").get_caller_identity()["Account"] == ACCOUNT  # the sandbox's own key: the root


def test_a_request_signed_with_another_secret_does_not_match_and_the_right_one_does_in_each_protocol(server):  # type: ignore[no-untyped-def]
    """AWS recomputes a request's SigV4 signature with the key's secret: another secret is SignatureDoesNotMatch
    (query services) / InvalidSignatureException (JSON and rest-json), whatever the policies allow. Signed right,
    the awkward requests pass: an ARN in the path (URL-encoded), a query string, S3's unnormalized path."""
    everything = allow(["sagemaker:*", "iam:ListRoles", "lambda:ListFunctions", "s3:*", "apigateway:*"])
    as_ci = user(server, everything)
    (key,) = root(server, "iam").list_access_keys(UserName="ci")["AccessKeyMetadata"]

    def wrong(service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=server.url, aws_access_key_id=key["AccessKeyId"],
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


def test_a_session_key_needs_its_session_token(server):  # type: ignore[no-untyped-def]
    iam = root(server, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))
    creds = root(server, "sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r", RoleSessionName="run")["Credentials"]
    for token in (None, creds["SessionToken"][:-4] + "AAAA"):
        sts = boto3.client("sts", region_name=REGION, endpoint_url=server.url, aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=token)
        with pytest.raises(ClientError) as e:
            sts.get_caller_identity()
        err = e.value.response["Error"]
        assert (err["Code"], err["Message"]) == ("InvalidClientTokenId", "The security token included in the request "
                                                 "is invalid."), token
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    sts = boto3.client("sts", region_name=REGION, endpoint_url=server.url, aws_access_key_id=creds["AccessKeyId"],
                       aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    assert sts.get_caller_identity()["Arn"].endswith(":assumed-role/r/run")


def test_s3_refuses_credentials_and_permissions_in_its_own_xml_and_codes(server):  # type: ignore[no-untyped-def]
    """S3 answers REST-XML with its own codes (S3 API reference, "Error responses"): InvalidAccessKeyId (403) for a
    key it does not know, SignatureDoesNotMatch (403), InvalidToken (400) for a session token that is not the
    key's, AccessDenied (403) naming the action."""
    root(server, "s3").create_bucket(Bucket="weights")
    as_ci = user(server, allow("s3:ListBucket", "arn:aws:s3:::weights"))
    (key,) = root(server, "iam").list_access_keys(UserName="ci")["AccessKeyMetadata"]

    def s3(secret: str, token: str | None = None, key_id: str = key["AccessKeyId"]) -> Any:
        return boto3.client("s3", region_name=REGION, endpoint_url=server.url, aws_access_key_id=key_id,
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
    iam = root(server, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))
    creds = root(server, "sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r", RoleSessionName="run")["Credentials"]
    refused_as(lambda: s3(creds["SecretAccessKey"], "not-its-token", creds["AccessKeyId"]).list_objects_v2(Bucket="weights"),
               "InvalidToken", 400)


def test_keys_of_users_in_other_partitions_are_theirs(server):  # type: ignore[no-untyped-def]
    """A user of the GovCloud partition (us-gov-west-1) signs with its key: its own, not refused, not the root."""
    gov = "us-gov-west-1"
    iam = boto3.client("iam", region_name=gov, endpoint_url=server.url, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    iam.create_user(UserName="gov-ci")
    key = iam.create_access_key(UserName="gov-ci")["AccessKey"]
    sts = boto3.client("sts", region_name=gov, endpoint_url=server.url, aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == f"arn:aws-us-gov:iam::{ACCOUNT}:user/gov-ci"
    with pytest.raises(ClientError) as e:  # it holds no policy: refused as itself
        boto3.client("iam", region_name=gov, endpoint_url=server.url, aws_access_key_id=key["AccessKeyId"],
                     aws_secret_access_key=key["SecretAccessKey"]).list_roles()
    assert e.value.response["Error"]["Code"] == "AccessDenied" and "user/gov-ci is not authorized" in str(e.value)


def _signed(path: str, body: bytes, creds: dict[str, str], host: str) -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest("POST", f"http://{host}{path}", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretAccessKey"]), "sts", REGION).add_auth(request)
    return dict(request.headers.items())


def _raw(server: MotoServer, head: str, headers: dict[str, str], body: bytes) -> bytes:
    """Send exactly ``head`` (the request line), ``headers`` and ``body`` over a socket; the answer's bytes."""
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall((head + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode() + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_signed_request_in_absolute_form_or_chunked_is_checked_as_sent(server):  # type: ignore[no-untyped-def]
    """The signature is checked over the request as the client sent it: a request line in absolute form
    (``POST http://host:port/ HTTP/1.1``, as through a proxy) and a chunked body (no Content-Length) pass when
    signed right, and are refused when not."""
    root(server, "iam").create_user(UserName="ci")
    key = root(server, "iam").create_access_key(UserName="ci")["AccessKey"]
    host = f"127.0.0.1:{server.port}"
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    headers = {**_signed("/", body, key, host), "Host": host, "Connection": "close"}
    absolute = _raw(server, f"POST http://{host}/ HTTP/1.1", {**headers, "Content-Length": str(len(body))}, body)
    assert absolute.startswith(b"HTTP/1.1 200") and b"user/ci" in absolute, absolute[:400]
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    answer = _raw(server, "POST / HTTP/1.1", {**headers, "Transfer-Encoding": "chunked"}, chunked)
    assert answer.startswith(b"HTTP/1.1 200") and b"user/ci" in answer, answer[:400]
    forged = {**headers, "Authorization": headers["Authorization"][:-4] + "0000"}
    answer = _raw(server, f"POST http://{host}/ HTTP/1.1", {**forged, "Content-Length": str(len(body))}, body)
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


def test_decisions_are_listed_and_the_mode_returns_to_the_start_setting_on_reset(server):  # type: ignore[no-untyped-def]
    as_ci = user(server)
    with pytest.raises(ClientError):
        as_ci("sagemaker").list_models()
    got = json.load(urllib.request.urlopen(f"{server.url}/reconcile-sandbox/iam/decisions"))
    (d,) = [d for d in got["decisions"] if d["action"] == "sagemaker:ListModels"]
    assert d["result"] == ev.IMPLICIT and d["caller"].endswith(":user/ci")
    assert server.post("/reconcile-sandbox/iam", {"mode": "record"}) == {"mode": "record"}
    assert as_ci("sagemaker").list_models()["Models"] == []  # decided and recorded, not refused
    server.reset()
    assert json.load(urllib.request.urlopen(f"{server.url}/reconcile-sandbox/iam")) == {"mode": "enforce"}


def test_off_by_default(moto_server):  # type: ignore[no-untyped-def]
    assert json.load(urllib.request.urlopen(f"{moto_server.url}/reconcile-sandbox/iam")) == {"mode": "off"}


# ---- what IAM checks for a request (no server) ----------------------------------------------------------------


def live(**tags: dict[str, str]) -> Live:
    return Live(ACCOUNT, REGION, path_of=lambda entity, name: "/svc/" if name == "pathed" else "/",
                tags_of=lambda arn: tags.get(arn.rsplit("/", 1)[-1]))


def test_checks_name_the_resources_the_reference_requires():  # type: ignore[no-untyped-def]
    made = checks(Request("sagemaker", "CreateEndpoint", {"EndpointName": "e", "EndpointConfigName": "c",
                                                          "Tags": [{"Key": "k", "Value": "v"}]}), live())
    assert [(c.action, c.resource) for c in made] == [
        ("sagemaker:CreateEndpoint", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/e"),
        ("sagemaker:CreateEndpoint", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/c"),
        ("sagemaker:AddTags", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/e"),
        ("sagemaker:AddTags", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/c")]
    assert made[0].context == {"aws:RequestTag/k": ["v"], "aws:TagKeys": ["k"]}
    (role,) = checks(Request("iam", "PutRolePolicy", {"RoleName": "pathed"}), live())
    assert role.resource == f"arn:aws:iam::{ACCOUNT}:role/svc/pathed"  # the role's path is in its ARN
    (attach,) = checks(Request("iam", "AttachRolePolicy", {"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/P"}),
                       live(r={"reconciler:stack": "s1"}))
    assert attach.context == {"iam:PolicyARN": ["arn:aws:iam::aws:policy/P"], "aws:ResourceTag/reconciler:stack": ["s1"]}
    (api,) = checks(Request("apigateway", "DeleteRoute", {}, "DELETE", "/v2/apis/abc/routes/r1"), live())
    assert (api.action, api.resource) == ("apigateway:DELETE", f"arn:aws:apigateway:{REGION}::/apis/abc/routes/r1")
    (alarm_a, alarm_b) = checks(Request("monitoring", "DeleteAlarms", {"AlarmNames": ["a", "b"]}), live())
    assert alarm_b.resource == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:b"
    (listing,) = checks(Request("tagging", "GetResources", {}), live())
    assert (listing.action, listing.resource) == ("tag:GetResources", "*")
    # S3: the action is not always the operation's name, and the ARN comes from Bucket and Key
    (weights,) = checks(Request("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "w/", "MaxKeys": "1"}), live())
    assert (weights.action, weights.resource) == ("s3:ListBucket", "arn:aws:s3:::b")
    assert weights.context == {"s3:prefix": ["w/"], "s3:max-keys": ["1"]}
    (head,) = checks(Request("s3", "HeadObject", {"Bucket": "b", "Key": "w/model.tar.gz"}), live())
    assert (head.action, head.resource) == ("s3:GetObject", "arn:aws:s3:::b/w/model.tar.gz")


def test_a_role_passed_to_a_service_is_a_pass_role_check():  # type: ignore[no-untyped-def]
    role = f"arn:aws:iam::{ACCOUNT}:role/exec"
    made = checks(Request("lambda", "CreateFunction", {"FunctionName": "f", "Role": role}), live())
    assert made[-1].action == "iam:PassRole" and made[-1].resource == role
    assert made[-1].context == {"iam:PassedToService": ["lambda.amazonaws.com"]}


@pytest.mark.parametrize("condition,context,result", [
    ({"StringEquals": {"aws:ResourceTag/k": "v"}}, {"aws:ResourceTag/k": ["v"]}, ev.ALLOW),
    ({"StringEquals": {"aws:ResourceTag/k": "v"}}, {}, ev.IMPLICIT),  # a key the context lacks: not met
    ({"StringEqualsIfExists": {"aws:ResourceTag/k": "v"}}, {}, ev.ALLOW),
    ({"StringNotEquals": {"aws:ResourceTag/k": "v"}}, {}, ev.ALLOW),
    ({"StringLike": {"iam:PassedToService": "*.amazonaws.com"}}, {"iam:PassedToService": ["x.amazonaws.com"]}, ev.ALLOW),
    ({"ArnLike": {"iam:PolicyARN": "arn:aws:iam::*:policy/p"}}, {"iam:PolicyARN": ["arn:aws:iam::1:policy/p"]}, ev.ALLOW),
    ({"ArnLike": {"iam:PolicyARN": "arn:aws:iam::*:policy/p"}}, {"iam:PolicyARN": ["arn:aws:iam::1:policy/q"]}, ev.IMPLICIT),
    ({"ForAllValues:StringLike": {"aws:TagKeys": ["a*"]}}, {"aws:TagKeys": ["ab", "ac"]}, ev.ALLOW),
    ({"ForAllValues:StringLike": {"aws:TagKeys": ["a*"]}}, {"aws:TagKeys": ["ab", "b"]}, ev.IMPLICIT),
    ({"Null": {"aws:RequestTag/k": "true"}}, {}, ev.ALLOW),
    ({"StringEquals": {"aws:ResourceTag/k": "${aws:username}"}}, {"aws:ResourceTag/k": ["v"]}, ev.IMPLICIT),
])
def test_conditions(condition, context, result):  # type: ignore[no-untyped-def]
    doc = {"Statement": [{"Effect": "Allow", "Action": "s:A", "Resource": "*", "Condition": condition}]}
    decision = ev.evaluate([ev.Policy("p", doc)], "s:A", "arn:aws:s:::r", context)
    assert decision.result == result
    assert bool(decision.unevaluated) == ("${" in json.dumps(condition))  # a policy variable is said, not guessed


def test_actions_and_resources_match_as_iam_matches_them():  # type: ignore[no-untyped-def]
    doc = {"Statement": [{"Effect": "Allow", "Action": "sagemaker:describe*", "Resource": "arn:aws:sagemaker:*:*:model/a?"},
                         {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::*"}]}
    policies = [ev.Policy("p", doc)]
    assert ev.evaluate(policies, "sagemaker:DescribeModel", "arn:aws:sagemaker:r:1:model/ab", {}).by == ["p#0", "p#1"]
    assert ev.evaluate(policies, "iam:GetRole", "arn:aws:iam::1:role/r", {}).result == ev.IMPLICIT
    assert ev.evaluate(policies, "s3:GetObject", "arn:aws:s3:::b/k", {}).result == ev.IMPLICIT


def test_a_deny_whose_condition_cannot_be_evaluated_is_taken_to_apply():  # type: ignore[no-untyped-def]
    """The sandbox evaluates no policy variables (and not every operator): where it cannot tell, an Allow does not
    allow and a Deny denies, so the sandbox never allows what AWS would refuse. Both are said as unevaluated."""
    allow = {"Effect": "Allow", "Action": "s:A", "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "s:A", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "${aws:username}"}}}
    both = [ev.Policy("p", {"Version": "2012-10-17", "Statement": [allow, deny]})]
    decision = ev.evaluate(both, "s:A", "arn:aws:s:::r", {"aws:principaltag/team": ["ml"]})
    assert decision.result == ev.DENY and decision.unevaluated, decision
    unsure_allow = [ev.Policy("p", {"Version": "2012-10-17", "Statement": [{**allow, "Condition": deny["Condition"]}]})]
    decision = ev.evaluate(unsure_allow, "s:A", "arn:aws:s:::r", {"aws:principaltag/team": ["ml"]})
    assert decision.result == ev.IMPLICIT and decision.unevaluated, decision
