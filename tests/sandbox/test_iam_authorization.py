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
from tests.support.iam_sandbox import ACCOUNT, REGION, allow, root, user
from tests.support.server import MotoServer

STACK = {"reconciler:stack": "s1"}


def refused(call: Any, action: str, resource: str) -> ClientError:
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response["Error"]
    assert err["Code"] in ("AccessDenied", "AccessDeniedException"), err
    assert err["Message"] == (f"User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: {action} on "
                              f"resource: {resource} because no identity-based policy allows the {action} action"), err
    return e.value


def _model(iam_server: MotoServer, name: str, tags: dict[str, str]) -> str:
    iam = root(iam_server, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    try:
        iam.create_role(RoleName="exec", AssumeRolePolicyDocument=json.dumps(trust))
    except ClientError:
        pass
    root(iam_server, "sagemaker").create_model(ModelName=name, PrimaryContainer={"Image": "img:1"},
                                           ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/exec",
                                           Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{name}"


# ---- through the server -------------------------------------------------------------------------------------


def test_a_user_without_a_policy_is_refused_in_each_protocol_as_aws_words_it(iam_server):  # type: ignore[no-untyped-def]
    as_ci = user(iam_server)
    e = refused(lambda: as_ci("sagemaker").list_models(), "sagemaker:ListModels", "*")  # JSON: 400
    # the JSON name: SageMaker is not awsQueryCompatible, so no x-amzn-query-error turns it into the query one
    assert e.response["Error"]["Code"] == "AccessDeniedException"
    e = refused(lambda: as_ci("iam").list_roles(), "iam:ListRoles", "*")  # query: 403 XML
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403 and e.response["Error"]["Code"] == "AccessDenied"
    refused(lambda: as_ci("lambda").list_functions(), "lambda:ListFunctions", "*")  # rest-json: 403
    refused(lambda: as_ci("apigatewayv2").get_apis(), "apigateway:GET", f"arn:aws:apigateway:{REGION}::/apis")
    refused(lambda: as_ci("resourcegroupstaggingapi").get_resources(), "tag:GetResources", "*")
    assert as_ci("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ci"  # no permission needed
    assert root(iam_server, "sagemaker").list_models()["Models"] == []  # the account's root: not restricted


def test_a_statement_scoped_to_an_arn_allows_only_that_resource(iam_server):  # type: ignore[no-untyped-def]
    a, b = _model(iam_server, "a", {}), _model(iam_server, "b", {})
    as_ci = user(iam_server, allow("sagemaker:DescribeModel", a))
    assert as_ci("sagemaker").describe_model(ModelName="a")["ModelArn"] == a
    refused(lambda: as_ci("sagemaker").describe_model(ModelName="b"), "sagemaker:DescribeModel", b)


def test_a_resource_tag_condition_allows_only_what_carries_the_tag_and_nothing_that_is_gone(iam_server):  # type: ignore[no-untyped-def]
    mine, other = _model(iam_server, "mine", STACK), _model(iam_server, "other", {"reconciler:stack": "s2"})
    as_ci = user(iam_server, allow("sagemaker:DeleteModel", f"arn:aws:sagemaker:{REGION}:*:model/*",
                               StringEquals={"aws:ResourceTag/reconciler:stack": "s1"}))
    as_ci("sagemaker").delete_model(ModelName="mine")
    refused(lambda: as_ci("sagemaker").delete_model(ModelName="other"), "sagemaker:DeleteModel", other)
    # IAM cannot read the tags of what does not exist: refused, not "not found"
    refused(lambda: as_ci("sagemaker").delete_model(ModelName="mine"), "sagemaker:DeleteModel", mine)


def test_passing_a_role_takes_iam_pass_role_to_that_service(iam_server):  # type: ignore[no-untyped-def]
    _model(iam_server, "seed", {})  # (makes the role)
    role = f"arn:aws:iam::{ACCOUNT}:role/exec"
    create = allow(["sagemaker:CreateModel"], f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/*")
    to_lambda = allow("iam:PassRole", role, StringEquals={"iam:PassedToService": "lambda.amazonaws.com"})
    as_ci = user(iam_server, create, to_lambda)
    refused(lambda: as_ci("sagemaker").create_model(ModelName="m", PrimaryContainer={"Image": "img:1"},
                                                    ExecutionRoleArn=role), "iam:PassRole", role)
    as_ci2 = user(iam_server, create, allow("iam:PassRole", role, StringEquals={"iam:PassedToService": "sagemaker.amazonaws.com"}),
                  name="ci2")
    as_ci2("sagemaker").create_model(ModelName="m", PrimaryContainer={"Image": "img:1"}, ExecutionRoleArn=role)


def test_tags_given_to_a_create_take_the_tagging_action_too(iam_server):  # type: ignore[no-untyped-def]
    as_ci = user(iam_server, allow("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/*"))
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    as_ci("iam").create_role(RoleName="plain", AssumeRolePolicyDocument=trust)
    refused(lambda: as_ci("iam").create_role(RoleName="tagged", AssumeRolePolicyDocument=trust,
                                             Tags=[{"Key": "k", "Value": "v"}]),
            "iam:TagRole", f"arn:aws:iam::{ACCOUNT}:role/tagged")


def test_an_explicit_deny_wins_and_is_said(iam_server):  # type: ignore[no-untyped-def]
    as_ci = user(iam_server, allow("sagemaker:ListModels"), {"Effect": "Deny", "Action": "sagemaker:List*", "Resource": "*"})
    with pytest.raises(ClientError) as e:
        as_ci("sagemaker").list_models()
    assert e.value.response["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")


def test_a_role_session_holds_its_roles_policies(iam_server):  # type: ignore[no-untyped-def]
    iam = root(iam_server, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="ci-role", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName="ci-role", PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [allow("sagemaker:ListModels")]}))
    creds = root(iam_server, "sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/ci-role",
                                            RoleSessionName="run")["Credentials"]
    session = boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"], region_name=REGION)
    assert session.client("sagemaker", endpoint_url=iam_server.url).list_models()["Models"] == []
    with pytest.raises(ClientError) as e:
        session.client("sagemaker", endpoint_url=iam_server.url).list_endpoints()
    assert "assumed-role/ci-role/run is not authorized to perform: sagemaker:ListEndpoints" in str(e.value)


def test_a_listing_is_allowed_only_for_the_s3_prefix_its_statement_names(iam_server):  # type: ignore[no-untyped-def]
    """s3:ListBucket with ``s3:prefix`` (what ``reconcile permissions`` grants for model weights): allowed for that
    prefix, the empty one (a bucket-root URI) included, and refused for any other."""
    root(iam_server, "s3").create_bucket(Bucket="weights")
    bucket = "arn:aws:s3:::weights"
    as_ci = user(iam_server, allow("s3:ListBucket", bucket, StringEquals={"s3:prefix": "w/v1/"}),
                 allow("s3:ListBucket", bucket, StringEquals={"s3:prefix": ""}))
    assert as_ci("s3").list_objects_v2(Bucket="weights", Prefix="w/v1/", MaxKeys=1)["KeyCount"] == 0
    assert as_ci("s3").list_objects_v2(Bucket="weights", Prefix="", MaxKeys=1)["KeyCount"] == 0
    refused(lambda: as_ci("s3").list_objects_v2(Bucket="weights", Prefix="w/v2/", MaxKeys=1), "s3:ListBucket", bucket)


def test_decisions_are_listed_and_the_mode_returns_to_the_start_setting_on_reset(iam_server):  # type: ignore[no-untyped-def]
    as_ci = user(iam_server)
    with pytest.raises(ClientError):
        as_ci("sagemaker").list_models()
    got = json.load(urllib.request.urlopen(f"{iam_server.url}/reconcile-sandbox/iam/decisions"))
    (d,) = [d for d in got["decisions"] if d["action"] == "sagemaker:ListModels"]
    assert d["result"] == ev.IMPLICIT and d["caller"].endswith(":user/ci")
    assert iam_server.post("/reconcile-sandbox/iam", {"mode": "record"}) == {"mode": "record"}
    assert as_ci("sagemaker").list_models()["Models"] == []  # decided and recorded, not refused
    iam_server.reset()
    assert json.load(urllib.request.urlopen(f"{iam_server.url}/reconcile-sandbox/iam")) == {"mode": "enforce"}


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
    # a Deny whose other condition fails does not apply, whichever of the two comes first
    fails = {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    for condition in ({**deny["Condition"], **fails}, {**fails, **deny["Condition"]}):
        policies = [ev.Policy("p", {"Version": "2012-10-17", "Statement": [allow, {**deny, "Condition": condition}]})]
        decision = ev.evaluate(policies, "s:A", "arn:aws:s:::r", {"aws:requestedregion": ["us-east-1"]})
        assert decision.result == ev.ALLOW, (list(condition), decision)
