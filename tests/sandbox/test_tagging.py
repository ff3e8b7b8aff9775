"""The sandbox's Resource Groups Tagging API: GetResources lists every kind of resource reconcile manages, under the
ARN AWS gives it, with AWS's tag and type filters and pagination (reconciler/sandbox/tagging.py).

AWS (API reference): GetResources supports all resource types except IAM users and roles; ``TagFilters``: every
filter must match, any of its ``Values`` (none: any value); ``ResourceTypeFilters``: ``service[:resourceType]``;
``ResourcesPerPage`` 1-100; "Repeat the query, passing the PaginationToken … until you receive a null value"."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.sandbox.test_sagemaker_emulator import (
    ACCOUNT,
    REGION,
    ROLE,
    N,
    client,
    ensure_role,
    spec,
    wait_for,
    wait_status,
)
from tests.support.server import MotoServer


def _tags(stack: str, **more: str) -> dict[str, str]:
    return {"reconciler:managed-by": "reconciler", "reconciler:stack": stack, **more}


def _as_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _listed(server: MotoServer, **kw: Any) -> dict[str, dict[str, str]]:
    """ARN -> tags of every resource GetResources returns for ``kw``, every page read."""
    pages = client(server, "resourcegroupstaggingapi").get_paginator("get_resources").paginate(**kw)
    return {r["ResourceARN"]: {t["Key"]: t["Value"] for t in r["Tags"]}
            for page in pages for r in page["ResourceTagMappingList"]}


def _stack_of_every_kind(server: MotoServer, stack: str) -> dict[str, str]:
    """One resource of each kind reconcile manages (and the parts it tags), tagged as ``stack``'s: kind -> ARN."""
    sm, tags = client(server, "sagemaker"), _tags(stack)
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    sm.create_model(ModelName=N("m"), ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:1"}, Tags=_as_list(tags))
    sm.create_endpoint_config(EndpointConfigName=N("cfg"), ExecutionRoleArn=ROLE, Tags=_as_list(tags),
                              ProductionVariants=[{"VariantName": "AllTraffic", "InstanceType": "ml.g5.2xlarge",
                                                   "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName=N("ep"), EndpointConfigName=N("cfg"), Tags=_as_list(tags))
    wait_status(sm, N("ep"), "InService")
    sm.create_inference_component(InferenceComponentName=N("ic"), EndpointName=N("ep"), VariantName="AllTraffic",
                                  Specification=spec("m"), RuntimeConfig={"CopyCount": 1}, Tags=_as_list(tags))
    role = ensure_role(server, "fn-exec", "lambda.amazonaws.com")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(e, c):\n    return 1\n")
    fn = client(server, "lambda").create_function(FunctionName=N("fn"), Runtime="python3.12", Role=role,
                                                  Handler="app.handler", Code={"ZipFile": buf.getvalue()}, Tags=tags)
    secret = client(server, "secretsmanager").create_secret(Name=N("key"), SecretString="x", Tags=_as_list(tags))
    gw = client(server, "apigatewayv2")
    api = gw.create_api(Name=N("api"), ProtocolType="HTTP", Tags=tags)["ApiId"]
    gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True, Tags=tags)
    client(server, "iam").tag_role(RoleName="fn-exec", Tags=_as_list(tags))  # AWS: GetResources lists no roles
    return {
        "model": f"{arn}:model/{N('m')}", "config": f"{arn}:endpoint-config/{N('cfg')}",
        "endpoint": f"{arn}:endpoint/{N('ep')}", "component": f"{arn}:inference-component/{N('ic')}",
        "function": fn["FunctionArn"], "secret": secret["ARN"],
        "api": f"arn:aws:apigateway:{REGION}::/apis/{api}", "stage": f"arn:aws:apigateway:{REGION}::/apis/{api}/stages/$default",
    }


def test_every_kind_is_listed_under_the_arn_aws_gives_it_with_all_its_tags(server: MotoServer) -> None:
    stack = N("stack")
    arns = _stack_of_every_kind(server, stack)
    found = _listed(server, TagFilters=[{"Key": "reconciler:stack", "Values": [stack]}])
    assert sorted(found) == sorted(arns.values())  # (moto: the config as "('arn…',)", no component, no API)
    assert all(tags == _tags(stack) for tags in found.values()), found


def test_tag_filters_all_must_match_any_of_their_values(server: MotoServer) -> None:
    sm, a, b = client(server, "sagemaker"), N("a"), N("b")
    for name, team in ((a, "red"), (b, "blue")):
        sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:1"},
                        Tags=_as_list(_tags(N("stack"), team=team)))
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/"
    stack = {"Key": "reconciler:stack", "Values": [N("stack")]}
    assert sorted(_listed(server, TagFilters=[stack])) == [arn + a, arn + b]
    assert sorted(_listed(server, TagFilters=[stack, {"Key": "team", "Values": ["red"]}])) == [arn + a]
    assert sorted(_listed(server, TagFilters=[stack, {"Key": "team", "Values": ["red", "blue"]}])) == [arn + a, arn + b]
    assert sorted(_listed(server, TagFilters=[stack, {"Key": "team"}])) == [arn + a, arn + b]  # no Values: any value
    assert _listed(server, TagFilters=[stack, {"Key": "team", "Values": ["green"]}]) == {}


@pytest.mark.parametrize(("types", "kinds"), [
    (["sagemaker:endpoint-config"], {"config"}),
    (["sagemaker:endpoint", "sagemaker:inference-component"], {"endpoint", "component"}),
    (["sagemaker"], {"model", "config", "endpoint", "component"}),
    (["lambda", "secretsmanager:secret"], {"function", "secret"}),
    (["apigateway"], {"api", "stage"}),
])
def test_resource_type_filters_name_a_service_or_one_of_its_types(server: MotoServer, types: list[str],
                                                                   kinds: set[str]) -> None:
    stack = N("stack")
    arns = _stack_of_every_kind(server, stack)
    found = _listed(server, TagFilters=[{"Key": "reconciler:stack", "Values": [stack]}], ResourceTypeFilters=types)
    assert sorted(found) == sorted(arns[k] for k in kinds)


def test_pages_carry_a_token_until_the_last_and_the_page_size_is_checked(server: MotoServer) -> None:
    sm, stack = client(server, "sagemaker"), N("stack")
    names = [N(f"m{i}") for i in range(5)]
    for name in names:
        sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:1"},
                        Tags=_as_list(_tags(stack)))
    tagging = client(server, "resourcegroupstaggingapi")
    filters = [{"Key": "reconciler:stack", "Values": [stack]}]
    seen, token, pages = [], "", 0
    while True:
        page = tagging.get_resources(TagFilters=filters, ResourcesPerPage=2, **({"PaginationToken": token} if token else {}))
        pages += 1
        assert len(page["ResourceTagMappingList"]) <= 2
        seen += [r["ResourceARN"].rsplit("/", 1)[1] for r in page["ResourceTagMappingList"]]
        token = page.get("PaginationToken", "")
        if not token:
            break
    assert sorted(seen) == names and pages >= 3
    for bad in (0, 101):
        with pytest.raises(ClientError) as e:
            tagging.get_resources(TagFilters=filters, ResourcesPerPage=bad)
        assert e.value.response["Error"]["Code"] == "InvalidParameterException"


def test_deleted_resources_leave_the_listing(server: MotoServer) -> None:
    stack = N("stack")
    arns = _stack_of_every_kind(server, stack)
    sm = client(server, "sagemaker")
    wait_for(lambda: sm.describe_inference_component(InferenceComponentName=N("ic")),
             lambda d: d["InferenceComponentStatus"] == "InService")
    sm.delete_inference_component(InferenceComponentName=N("ic"))
    client(server, "apigatewayv2").delete_api(ApiId=arns["api"].rsplit("/", 1)[1])
    filters = [{"Key": "reconciler:stack", "Values": [stack]}]
    found = wait_for(lambda: _listed(server, TagFilters=filters), lambda f: arns["component"] not in f)
    assert arns["api"] not in found and arns["stage"] not in found and arns["endpoint"] in found


def test_the_answer_has_botocores_output_shape(server: MotoServer) -> None:
    import botocore.session

    from tests.support.shapes import problems

    stack = N("stack")
    _stack_of_every_kind(server, stack)
    raw: list[bytes] = []
    tagging = client(server, "resourcegroupstaggingapi")
    tagging.meta.events.register("before-parse", lambda response_dict, **_: raw.append(response_dict["body"]))
    tagging.get_resources(TagFilters=[{"Key": "reconciler:stack", "Values": [stack]}], ResourcesPerPage=3)
    model = botocore.session.get_session().get_service_model("resourcegroupstaggingapi")
    assert problems(model, "GetResources", raw[0]) == []
    assert json.loads(raw[0])["PaginationToken"]  # (a further page: the token is there, a string)
