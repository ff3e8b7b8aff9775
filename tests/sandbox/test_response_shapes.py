"""Response fidelity (issue 11, point 4): every Describe/List/Get operation reconcile calls, answered by the
sandbox in every status the emulator can produce, checked on the wire against botocore's output shape
(tests/support/shapes.py: required members, enums, types, timestamps, lengths, no unmodelled keys).

The raw bodies are taken from botocore's ``before-parse`` event, before botocore's parser could drop
or coerce anything."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore import xform_name

from tests.sandbox.test_sagemaker_emulator import (
    ACCOUNT,
    CONFIG,
    FAULTS,
    REGION,
    ROLE,
    N,
    ensure_role,
    spec,
)
from tests.support.server import MotoServer
from tests.support.shapes import problems

SERVICES = ("sagemaker", "iam", "lambda", "apigatewayv2", "secretsmanager", "sts", "application-autoscaling",
            "cloudwatch", "resourcegroupstaggingapi", "service-quotas", "pricing")
PROJECT = Path(__file__).resolve().parents[2] / "reconciler"
READS = re.compile(r"^(Describe|List|Get)")
ENDPOINT_STATUSES = {"Creating", "Updating", "RollingBack", "Deleting", "Failed", "InService", "UpdateRollbackFailed"}
IC_STATUSES = {"Creating", "Updating", "Deleting", "Failed", "InService"}


class Recorder:
    """boto3 clients whose every raw 2xx answer is kept as (service model, operation, body)."""

    def __init__(self, server: MotoServer) -> None:
        self.server = server
        self.seen: list[tuple[str, Any, str, bytes]] = []
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            c = boto3.client(service, region_name=REGION, endpoint_url=self.server.url,
                             aws_access_key_id="testing", aws_secret_access_key="testing")
            c.meta.events.register("before-parse", lambda **kw: self._keep(service, **kw))
            self._clients[service] = c
        return self._clients[service]

    def _keep(self, service: str, operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        if 200 <= response_dict["status_code"] < 300 and READS.match(operation_model.name):
            self.seen.append((service, operation_model.service_model, operation_model.name, response_dict["body"]))


#: adapters whose module name is not their service's (their client comes from a SERVICE constant)
STEMS = {"autoscaling": "application-autoscaling", "service_quotas": "service-quotas"}


def project_reads() -> set[tuple[str, str]]:
    """(service, Operation) of every Describe/List/Get whose snake_case name appears as a string in
    reconciler/aws or reconciler/kinds (text only: this test does not import reconcile)."""
    session = botocore.session.get_session()
    out = set()
    for path in sorted(p for d in ("aws", "kinds") for p in (PROJECT / d).rglob("*.py")):
        text = path.read_text()
        literals = set(re.findall(r"[\"']((?:describe|list|get)_[a-z0-9_]+)[\"']", text))
        # f"list_{noun}_policies" / f"get_{noun}_policy" / list_attached_…: IAM's per-entity reads
        literals |= {f"{v}_{n}_{s}" for v, s in (("list", "policies"), ("get", "policy"))
                     for n in ("role", "user") if f'f"{v}_{{noun}}_{s}"' in text}
        literals |= {f"list_attached_{n}_policies" for n in ("role", "user") if "list_attached_" in text}
        # the services this file talks to: its client("…") calls, else the adapter its name says
        stem = path.stem.rstrip("_")
        services = [s for s in SERVICES if f'client("{s}")' in text or STEMS.get(stem, stem) == s]
        for service in services or SERVICES:
            for op in session.get_service_model(service).operation_names:
                if xform_name(op) in literals:
                    out.add((service, op))
    return out


def wait(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"not reached; last: {value}"
        time.sleep(0.02)


def ep_status(c: Any, name: str, wanted: str) -> Any:
    return wait(lambda: c("sagemaker").describe_endpoint(EndpointName=name), lambda d: d["EndpointStatus"] == wanted)


def ic_status(c: Any, name: str, wanted: str) -> Any:
    return wait(lambda: c("sagemaker").describe_inference_component(InferenceComponentName=name),
                lambda d: d["InferenceComponentStatus"] == wanted)


def lists(c: Any) -> None:
    sm = c("sagemaker")
    sm.list_endpoints()
    sm.list_inference_components()
    sm.list_endpoint_configs()
    sm.list_models()


def drive_sagemaker(c: Any, server: MotoServer) -> None:
    """Every endpoint and inference-component status the emulator produces, each read while it lasts."""
    sm = c("sagemaker")
    server.post(CONFIG, {"create_seconds": 1.5, "update_seconds": 1.5, "delete_seconds": 1.5})  # windows to read each status in, even on a loaded machine
    sm.create_model(ModelName=N("m"), ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/tgi:2.2", "Environment": {"HF_MODEL_ID": "o/m"}},
        Tags=[{"Key": "k", "Value": "v"}])
    sm.create_model(ModelName=N("m2"), ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:2"},
                    VpcConfig={"SecurityGroupIds": ["sg-12345678"], "Subnets": ["subnet-12345678"]})
    sm.describe_model(ModelName=N("m"))
    sm.describe_model(ModelName=N("m2"))
    for cfg, model in (("c1", "m"), ("c2", "m2")):
        sm.create_endpoint_config(EndpointConfigName=N(cfg), ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": N(model), "InstanceType": "ml.g5.2xlarge",
            "InitialInstanceCount": 1}], Tags=[{"Key": "k", "Value": "v"}])
        sm.describe_endpoint_config(EndpointConfigName=N(cfg))
    deployment = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "CANARY", "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}, "WaitIntervalInSeconds": 0},
        "TerminationWaitInSeconds": 0}, "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "a"}]}}
    ep = N("ep")
    sm.create_endpoint(EndpointName=ep, EndpointConfigName=N("c1"), DeploymentConfig=deployment)
    ep_status(c, ep, "Creating")
    lists(c)
    ep_status(c, ep, "InService")
    sm.list_tags(ResourceArn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ep}")
    sm.list_tags(ResourceArn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{N('m')}")
    sm.update_endpoint(EndpointName=ep, EndpointConfigName=N("c2"), DeploymentConfig=deployment)
    ep_status(c, ep, "Updating")
    lists(c)
    ep_status(c, ep, "InService")
    for mode, final in (("fail", "InService"), ("rollback", "InService"), ("rollback-failed", "UpdateRollbackFailed")):
        server.post(FAULTS, {"endpoint": ep, "on": "update", "mode": mode})
        sm.update_endpoint(EndpointName=ep, EndpointConfigName=N("c1"), RetainAllVariantProperties=True)
        ep_status(c, ep, "Updating")
        if mode != "fail":
            ep_status(c, ep, "RollingBack")
            lists(c)
        ep_status(c, ep, final)
    failed = N("failed")
    server.post(FAULTS, {"endpoint": failed, "on": "create"})
    sm.create_endpoint(EndpointName=failed, EndpointConfigName=N("c1"))
    ep_status(c, failed, "Failed")
    sm.delete_endpoint(EndpointName=failed)
    ep_status(c, failed, "Deleting")
    lists(c)

    # inference components
    sm.create_endpoint_config(EndpointConfigName=N("ic-config"), ExecutionRoleArn=ROLE, ProductionVariants=[{
        "VariantName": "AllTraffic", "InstanceType": "ml.g6e.2xlarge", "InitialInstanceCount": 1,
        "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 2},
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}}])
    sm.describe_endpoint_config(EndpointConfigName=N("ic-config"))
    icep = N("icep")
    sm.create_endpoint(EndpointName=icep, EndpointConfigName=N("ic-config"))
    ep_status(c, icep, "InService")
    ic, bad = N("ic"), N("ic-bad")
    sm.create_inference_component(InferenceComponentName=ic, EndpointName=icep, VariantName="AllTraffic",
                                  Specification=spec("m"), RuntimeConfig={"CopyCount": 1},
                                  Tags=[{"Key": "k", "Value": "v"}])
    ic_status(c, ic, "Creating")
    lists(c)
    ic_status(c, ic, "InService")
    sm.list_tags(ResourceArn=f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:inference-component/{ic}")
    sm.list_inference_components(EndpointNameEquals=icep)
    sm.update_inference_component(InferenceComponentName=ic, RuntimeConfig={"CopyCount": 2}, DeploymentConfig={
        "RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}, "WaitIntervalInSeconds": 0}})
    ic_status(c, ic, "Updating")
    ic_status(c, ic, "InService")
    server.post(FAULTS, {"inferenceComponent": bad, "on": "create"})
    sm.create_inference_component(InferenceComponentName=bad, EndpointName=icep, VariantName="AllTraffic",
                                  Specification=spec("m"), RuntimeConfig={"CopyCount": 1})
    ic_status(c, bad, "Failed")
    sm.delete_inference_component(InferenceComponentName=ic)
    ic_status(c, ic, "Deleting")
    lists(c)

    aas = c("application-autoscaling")
    rid, dim = f"inference-component/{bad}", "sagemaker:inference-component:DesiredCopyCount"
    target_arn = aas.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                                              MinCapacity=0, MaxCapacity=2, Tags={"k": "v"})["ScalableTargetARN"]
    aas.put_scaling_policy(PolicyName=N("p"), ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
                           PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration={
                               "TargetValue": 4.0, "PredefinedMetricSpecification": {
                                   "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"}})
    arn = aas.put_scaling_policy(
        PolicyName=N("step"), ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim,
        PolicyType="StepScaling", StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Maximum", "Cooldown": 60,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]})["PolicyARN"]
    aas.put_scheduled_action(ServiceNamespace="sagemaker", ScheduledActionName=N("s"), ResourceId=rid,
                             ScalableDimension=dim, Schedule="cron(0 8 ? * MON-FRI *)", Timezone="Europe/Berlin",
                             ScalableTargetAction={"MinCapacity": 1})
    aas.describe_scalable_targets(ServiceNamespace="sagemaker")
    aas.describe_scalable_targets(ServiceNamespace="sagemaker", MaxResults=1)
    aas.list_tags_for_resource(ResourceARN=target_arn)
    aas.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim)
    aas.describe_scaling_policies(ServiceNamespace="sagemaker")  # the target-tracking policy's Alarms
    aas.describe_scheduled_actions(ServiceNamespace="sagemaker")
    aas.describe_scheduled_actions(ServiceNamespace="sagemaker", ResourceId=rid, ScalableDimension=dim)

    cw = c("cloudwatch")  # the scale-from-zero alarm (Endpoint autoscaling with minCount 0)
    cw.put_metric_alarm(AlarmName=N("alarm"), Namespace="AWS/SageMaker", MetricName="NoCapacityInvocationFailures",
                        Statistic="Maximum", Period=30, EvaluationPeriods=1, DatapointsToAlarm=1, Threshold=1.0,
                        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="missing",
                        Dimensions=[{"Name": "InferenceComponentName", "Value": bad}], AlarmActions=[arn],
                        Tags=[{"Key": "k", "Value": "v"}])
    alarm = cw.describe_alarms(AlarmNames=[N("alarm")], AlarmTypes=["MetricAlarm"])["MetricAlarms"][0]
    cw.describe_alarms()  # with the target-tracking policy's alarms
    cw.describe_alarms(MaxRecords=1)
    cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])


def drive_others(c: Any, server: MotoServer) -> None:
    list(c("service-quotas").get_paginator("list_service_quotas").paginate(ServiceCode="sagemaker"))
    c("pricing").get_products(ServiceCode="AmazonSageMaker", FormatVersion="aws_v1", Filters=[
        {"Type": "TERM_MATCH", "Field": "component", "Value": "Hosting"}])
    iam = c("iam")
    role = N("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},'
        '"Action":"sts:AssumeRole"}]}'), Tags=[{"Key": "k", "Value": "v"}], Description="d")
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    arn = iam.create_policy(PolicyName=N("p"), PolicyDocument=doc, Tags=[{"Key": "k", "Value": "v"}])["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=doc)
    user = N("u")
    iam.create_user(UserName=user, Tags=[{"Key": "k", "Value": "v"}])
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=doc)
    iam.create_access_key(UserName=user)
    iam.create_login_profile(UserName=user, Password="Correct-Horse-9")
    iam.get_login_profile(UserName=user)  # a user's delete removes its console password first
    oidc = iam.create_open_id_connect_provider(Url=f"https://{N('idp')}.example.com", ClientIDList=["sts.amazonaws.com"],
                                               ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    iam.get_role(RoleName=role)
    iam.get_user(UserName=user)
    iam.get_policy(PolicyArn=arn)
    iam.get_policy_version(PolicyArn=arn, VersionId="v1")
    iam.get_role_policy(RoleName=role, PolicyName="inline")
    iam.get_user_policy(UserName=user, PolicyName="inline")
    iam.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc)
    iam.list_open_id_connect_providers()
    iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=oidc)  # ownership re-checked by ARN
    for fn, kw in (("list_roles", {}), ("list_policies", {"Scope": "Local"}), ("list_role_tags", {"RoleName": role}),
                   ("list_user_tags", {"UserName": user}), ("list_policy_tags", {"PolicyArn": arn}),
                   ("list_policy_versions", {"PolicyArn": arn}), ("list_access_keys", {"UserName": user}),
                   ("list_mfa_devices", {"UserName": user}), ("list_groups_for_user", {"UserName": user}),
                   ("list_instance_profiles_for_role", {"RoleName": role}),
                   ("list_entities_for_policy", {"PolicyArn": arn}), ("list_attached_role_policies", {"RoleName": role}),
                   ("list_attached_user_policies", {"UserName": user}), ("list_role_policies", {"RoleName": role}),
                   ("list_user_policies", {"UserName": user}), ("get_account_authorization_details", {})):
        getattr(iam, fn)(**kw)
    c("sts").get_caller_identity()

    sec = c("secretsmanager")
    sec.create_secret(Name=N("s"), SecretString="x", Tags=[{"Key": "k", "Value": "v"}])
    sec.describe_secret(SecretId=N("s"))
    sec.get_secret_value(SecretId=N("s"))
    sec.list_secrets(Filters=[{"Key": "tag-key", "Values": ["k"]}])  # how prune finds a stack's key secrets

    lam = c("lambda")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return 1\n")
    fn = lam.create_function(FunctionName=N("fn"), Runtime="python3.12", Role=f"arn:aws:iam::{ACCOUNT}:role/{role}",
                             Handler="app.handler", Code={"ZipFile": buf.getvalue()}, Tags={"k": "v"},
                             Environment={"Variables": {"AB": "b"}})["FunctionArn"]
    lam.get_function(FunctionName=N("fn"))
    lam.get_function_configuration(FunctionName=N("fn"))
    lam.list_functions()
    lam.list_functions(MaxItems=1)
    lam.list_tags(Resource=fn)
    lam.add_permission(FunctionName=N("fn"), StatementId="api", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    lam.get_policy(FunctionName=N("fn"))

    gw = c("apigatewayv2")
    api = gw.create_api(Name=N("api"), ProtocolType="HTTP", Tags={"k": "v"})["ApiId"]
    integ = gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                  PayloadFormatVersion="2.0")["IntegrationId"]
    gw.create_route(ApiId=api, RouteKey="POST /generate", Target=f"integrations/{integ}")
    gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    gw.get_apis()
    gw.get_apis(MaxResults="1")
    gw.get_api(ApiId=api)
    gw.get_integrations(ApiId=api)
    gw.get_routes(ApiId=api)
    gw.get_stage(ApiId=api, StageName="$default")
    gw.get_tags(ResourceArn=f"arn:aws:apigateway:{REGION}::/apis/{api}")  # ownership re-checked by ARN
    tagging = c("resourcegroupstaggingapi")  # every resource tagged k=v above, the SageMaker ones included
    tagging.get_resources(TagFilters=[{"Key": "k", "Values": ["v"]}], ResourcesPerPage=2)
    tagging.get_resources(TagFilters=[{"Key": "k"}], ResourceTypeFilters=["sagemaker", "apigateway"])


@pytest.fixture
def recorded(server: MotoServer) -> Recorder:
    ensure_role(server, "sm-exec", "sagemaker.amazonaws.com")
    c = Recorder(server)
    drive_sagemaker(c, server)
    drive_others(c, server)
    return c


def statuses(c: Recorder, operation: str, key: str) -> set[str]:
    import json

    return {json.loads(body)[key] for _, _, op, body in c.seen if op == operation}


def test_the_walk_covers_every_read_and_every_status(recorded: Recorder) -> None:
    ops = {(service, op) for service, _, op, _ in recorded.seen}
    missing = project_reads() - ops
    assert not missing, f"reads reconcile makes that this test does not walk: {sorted(missing)}"
    assert statuses(recorded, "DescribeEndpoint", "EndpointStatus") >= ENDPOINT_STATUSES
    assert statuses(recorded, "DescribeInferenceComponent", "InferenceComponentStatus") >= IC_STATUSES


def test_every_read_answer_matches_botocores_output_shape(recorded: Recorder) -> None:
    found = []
    for service, model, op, body in recorded.seen:
        found += [f"{service}: {p}" for p in problems(model, op, body)]
    assert found == [], "\n".join(sorted(set(found)))
