"""Page sizes are honoured wherever botocore models them (issue 24, item 7): a property over every paginated
read the sandbox serves.

The operations come from botocore's models, not from a hand list: for each service the sandbox emulates
(``reconciler.sandbox.coverage``), every operation of its ``paginators-1.json`` whose name starts with
List/Describe/Get/Search and that the sandbox answers. Each is called through botocore's own paginator twice,
with no page size (the reference) and with the smallest page size the model allows; the two must yield the
same items, each once, and botocore must not raise ``PaginationError`` (a token that repeats). A world with
two or more of every resource reconcile manages is seeded first, so that the reads reconcile makes page
over several items (asserted below); the other reads run over what the sandbox holds (possibly nothing).

Required parameters are filled by member name from the seeded world (``VALUES``); an operation whose
required parameters the world cannot fill is named by the coverage assertion, never skipped in silence.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import zipfile
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from reconciler.sandbox.coverage import served
from tests.sandbox.test_response_shapes import project_reads
from tests.sandbox.test_sagemaker_emulator import (
    ACCOUNT,
    REGION,
    ROLE,
    N,
    client,
    ensure_role,
    spec,
    wait_ic,
    wait_status,
)
from tests.support.server import MotoServer

READS = ("List", "Describe", "Get", "Search")
MAX_PAGES = 25  # a reference longer than this (IAM's ~1,100 AWS-managed policies) is paged in about 25 pages


def paginated_reads() -> list[tuple[str, str]]:
    session = botocore.session.get_session()
    out = []
    for service, ops in served().items():
        try:
            config = session.get_paginator_model(service)._paginator_config
        except Exception:  # botocore has no paginators for this service (STS, sagemaker-runtime)
            continue
        out += [(service, op) for op in ops if op.startswith(READS) and "limit_key" in config.get(op, {})]
    return sorted(out)


def zipped() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def seed(server: MotoServer) -> dict[str, Any]:
    """Two or more of everything reconcile manages, and of what hangs off it; the names the reads need."""
    ensure_role(server, "sm-exec", "sagemaker.amazonaws.com")
    iam, sm, lam = client(server, "iam"), client(server, "sagemaker"), client(server, "lambda")
    gw, sec, aas = client(server, "apigatewayv2"), client(server, "secretsmanager"), client(server, "application-autoscaling")
    cw = client(server, "cloudwatch")
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(3)]
    role, user, group = N("role"), N("user"), N("group")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust, Tags=tags)
    iam.create_role(RoleName=N("role2"), AssumeRolePolicyDocument=trust)
    iam.create_user(UserName=user, Tags=tags)
    iam.create_user(UserName=N("user2"))
    iam.create_group(GroupName=group)
    iam.create_group(GroupName=N("group2"))
    policies = [iam.create_policy(PolicyName=N(f"p{i}"), PolicyDocument=doc, Tags=tags)["Policy"]["Arn"] for i in range(3)]
    iam.create_policy_version(PolicyArn=policies[0], PolicyDocument=doc, SetAsDefault=True)
    iam.create_policy_version(PolicyArn=policies[0], PolicyDocument=doc)
    for i, arn in enumerate(policies):
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)
        iam.put_role_policy(RoleName=role, PolicyName=f"inline{i}", PolicyDocument=doc)
        iam.put_user_policy(UserName=user, PolicyName=f"inline{i}", PolicyDocument=doc)
        iam.put_group_policy(GroupName=group, PolicyName=f"inline{i}", PolicyDocument=doc)
    for g in (group, N("group2")):
        iam.add_user_to_group(GroupName=g, UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=N("user2"))
    for i in range(2):
        iam.create_access_key(UserName=user)
        iam.create_instance_profile(InstanceProfileName=N(f"ip{i}"), Tags=tags)
        iam.add_role_to_instance_profile(InstanceProfileName=N(f"ip{i}"), RoleName=role)
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=N(f"mfa{i}"))["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1="123456",
                              AuthenticationCode2="654321")
    oidc = iam.create_open_id_connect_provider(Url=f"https://{N('idp')}.example.com", ClientIDList=["sts.amazonaws.com"],
                                               ThumbprintList=["a" * 40], Tags=tags)["OpenIDConnectProviderArn"]

    image = "763104351884.dkr.ecr.us-east-1.amazonaws.com/tgi:2.2"
    for i in range(3):
        sm.create_model(ModelName=N(f"m{i}"), ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image}, Tags=tags)
        sm.create_endpoint_config(EndpointConfigName=N(f"c{i}"), ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": N(f"m{i}"), "InstanceType": "ml.g5.2xlarge",
            "InitialInstanceCount": 1}])
    sm.create_endpoint_config(EndpointConfigName=N("ic-config"), ExecutionRoleArn=ROLE, ProductionVariants=[{
        "VariantName": "AllTraffic", "InstanceType": "ml.g6e.12xlarge", "InitialInstanceCount": 1}])
    for i in range(2):
        sm.create_endpoint(EndpointName=N(f"ep{i}"), EndpointConfigName=N(f"c{i}"))
    sm.create_endpoint(EndpointName=N("icep"), EndpointConfigName=N("ic-config"))
    for name in (N("ep0"), N("ep1"), N("icep")):
        wait_status(sm, name, "InService")
    for i in range(3):
        sm.create_inference_component(InferenceComponentName=N(f"ic{i}"), EndpointName=N("icep"),
                                      VariantName="AllTraffic", Specification=spec("m0"), RuntimeConfig={"CopyCount": 1})
    for i in range(3):
        wait_ic(sm, N(f"ic{i}"), "InService")

    dim = "sagemaker:inference-component:DesiredCopyCount"
    for i in range(3):
        rid = f"inference-component/{N(f'ic{i}')}"
        aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                                     MinCapacity=0, MaxCapacity=4)
        aas.put_scaling_policy(PolicyName=N(f"tt{i}"), ServiceNamespace="sagemaker", ResourceId=rid,
                               ScalableDimension=dim, PolicyType="TargetTrackingScaling",
                               TargetTrackingScalingPolicyConfiguration={"TargetValue": 4.0, "PredefinedMetricSpecification": {
                                   "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}})
        aas.put_scheduled_action(ServiceNamespace="sagemaker", ScheduledActionName=N(f"s{i}"), ResourceId=rid,
                                 ScalableDimension=dim, Schedule="rate(1 day)", ScalableTargetAction={"MinCapacity": 1})
    for i in range(3):
        cw.put_metric_alarm(AlarmName=N(f"alarm{i}"), Namespace="AWS/SageMaker", MetricName="Invocations",
                            Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1.0,
                            ComparisonOperator="GreaterThanOrEqualToThreshold")
        cw.put_dashboard(DashboardName=N(f"d{i}"), DashboardBody='{"widgets": []}')
        cw.put_metric_data(Namespace="Custom/Paging", MetricData=[{"MetricName": N(f"metric{i}"), "Value": 1.0}])

    fn = N("fn")
    lam.create_function(FunctionName=fn, Runtime="python3.12", Role=f"arn:aws:iam::{ACCOUNT}:role/{role}",
                        Handler="app.handler", Code={"ZipFile": zipped()})
    lam.create_function(FunctionName=N("fn2"), Runtime="python3.12", Role=f"arn:aws:iam::{ACCOUNT}:role/{role}",
                        Handler="app.handler", Code={"ZipFile": zipped()})
    for i in range(2):
        version = lam.publish_version(FunctionName=fn, Description=str(i))["Version"]
        lam.create_alias(FunctionName=fn, Name=f"a{i}", FunctionVersion=version)
        lam.publish_layer_version(LayerName=N("layer"), Content={"ZipFile": zipped()})
        lam.publish_layer_version(LayerName=N(f"layer{i}"), Content={"ZipFile": zipped()})

    api = gw.create_api(Name=N("api"), ProtocolType="HTTP")["ApiId"]
    gw.create_api(Name=N("api2"), ProtocolType="HTTP")
    fn_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn}"
    integrations = [gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn_arn,
                                          PayloadFormatVersion="2.0")["IntegrationId"] for _ in range(2)]
    for i in range(2):
        gw.create_route(ApiId=api, RouteKey=f"POST /r{i}", Target=f"integrations/{integrations[0]}")
        gw.create_stage(ApiId=api, StageName=f"s{i}")
        gw.create_integration_response(ApiId=api, IntegrationId=integrations[0], IntegrationResponseKey=f"/{i}00/")
    for i in range(3):
        sec.create_secret(Name=N(f"secret{i}"), SecretString="x")

    return {"RoleName": role, "UserName": user, "GroupName": group, "PolicyArn": policies[0],
            "OpenIDConnectProviderArn": oidc, "InstanceProfileName": N("ip0"),
            "ResourceArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{N('m0')}",
            "FunctionName": fn, "LayerName": N("layer"), "ApiId": api, "IntegrationId": integrations[0],
            "ServiceNamespace": "sagemaker", "SecretId": N("secret0"),
            "MetricDataQueries": [{"Id": "q", "MetricStat": {"Metric": {
                "Namespace": "Custom/Paging", "MetricName": N("metric0")}, "Period": 60, "Stat": "Sum"}}],
            "StartTime": _dt.datetime.now(_dt.UTC) - _dt.timedelta(hours=1),
            "EndTime": _dt.datetime.now(_dt.UTC) + _dt.timedelta(hours=1)}


def required_parameters(service: str, op: str, world: dict[str, Any]) -> dict[str, Any] | None:
    """The operation's members the world names (an unknown required one that is an enum: its first value); None
    when a required one is unknown."""
    shape = botocore.session.get_session().get_service_model(service).operation_model(op).input_shape
    params: dict[str, Any] = {k: world[k] for k in (shape.members if shape is not None else {}) if k in world}
    for name in (shape.required_members if shape is not None else []):
        member = shape.members[name]
        if name in world:
            params[name] = world[name]
        elif member.enum:
            params[name] = member.enum[0]
        else:
            return None
    return params


def items(paginator: Any, params: dict[str, Any], page_size: int | None, limit: int) -> tuple[dict[str, list[Any]], list[int]]:
    """{result key: the items every page gave, in order}, and how many items each page held (at most ``limit``
    pages)."""
    config = {"PageSize": page_size} if page_size else {}
    pages = paginator.paginate(**params, PaginationConfig=config)
    out: dict[str, list[Any]] = {k.expression: [] for k in pages.result_keys}
    sizes: list[int] = []
    for page in pages:
        sizes.append(0)
        for key in pages.result_keys:
            value = key.search(page)
            if isinstance(value, list):
                out[key.expression] += value
                sizes[-1] = max(sizes[-1], len(value))
        if len(sizes) > limit:
            break
    return out, sizes


def smallest_page(service: str, op: str) -> int:
    config = botocore.session.get_session().get_paginator_model(service).get_paginator(op)
    shape = botocore.session.get_session().get_service_model(service).operation_model(op).input_shape
    return int(shape.members[config["limit_key"]].metadata.get("min", 1) or 1)


@pytest.fixture(scope="module")
def world(moto_server: MotoServer) -> dict[str, Any]:
    from tests.sandbox.test_sagemaker_emulator import prepare

    prepare(moto_server)
    return seed(moto_server)


@pytest.fixture(scope="module")
def outcomes(moto_server: MotoServer, world: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """(service, op) -> (reference items, paged items, page size, items per page) | "no parameters" | the error
    a call raised."""
    out: dict[tuple[str, str], Any] = {}
    for service, op in paginated_reads():
        params = required_parameters(service, op, world)
        if params is None:
            out[service, op] = "no parameters"
            continue
        paginator = client(moto_server, service).get_paginator(botocore.xform_name(op))
        try:
            reference, _ = items(paginator, params, None, 10_000)
            longest = max((len(v) for v in reference.values()), default=0)
            size = max(smallest_page(service, op), math.ceil(longest / MAX_PAGES))
            paged, pages = items(paginator, params, size, longest // size + 2)
        except ClientError as e:
            out[service, op] = e.response["Error"]["Code"]
            continue
        except Exception as e:  # PaginationError, or a server error botocore gave up on
            out[service, op] = f"{type(e).__name__}: {e}"
            continue
        out[service, op] = (reference, paged, size, pages)
    return out


def canonical(values: list[Any]) -> list[str]:
    return sorted(json.dumps(v, sort_keys=True, default=str) for v in values)


@pytest.mark.parametrize(("service", "op"), paginated_reads())
def test_the_smallest_page_size_yields_every_item_once(outcomes: dict[tuple[str, str], Any], service: str, op: str) -> None:
    outcome = outcomes[service, op]
    if not isinstance(outcome, tuple):
        assert outcome in ("no parameters", "ResourceNotFoundException", "NoSuchEntity", "ValidationException",
                           "NotFoundException"), f"{service} {op}: {outcome}"
        return
    reference, paged, size, pages = outcome
    assert max(pages, default=0) <= size, f"{service} {op}: pages of {pages} item(s) for a page size of {size}"
    for key, want in reference.items():
        got = paged[key]
        assert canonical(got) == canonical(want), f"{service} {op} {key}: {len(pages)} page(s) gave {len(got)} " \
                                                  f"item(s), one call {len(want)}"
        assert len({json.dumps(v, sort_keys=True, default=str) for v in got}) == len(got), f"{key}: an item twice"


def test_every_read_reconcile_makes_pages_over_several_items(outcomes: dict[tuple[str, str], Any]) -> None:
    """The property is not vacuous where it matters: each paginated read reconcile makes (and the ones a
    foreign client's refresh makes on what reconcile manages) ran over two or more items, in two or more pages
    where the model's smallest page size allows (SageMaker ListTags pages by 50 at least)."""
    wanted = {k for k in outcomes if k in project_reads()} | {
        ("application-autoscaling", op) for op in ("DescribeScalableTargets", "DescribeScalingPolicies",
                                                   "DescribeScheduledActions")} | {("cloudwatch", "DescribeAlarms")}
    thin = []
    for (service, op), outcome in sorted(outcomes.items()):
        if (service, op) not in wanted:
            continue
        if not isinstance(outcome, tuple):
            thin.append(f"{service} {op}: {outcome}")
            continue
        reference, _, size, pages = outcome
        total = sum(len(v) for v in reference.values())
        if total < 2 or (total > size and len(pages) < 2):
            thin.append(f"{service} {op}: {total} item(s) in {len(pages)} page(s) of {size}")
    assert thin == [], thin
