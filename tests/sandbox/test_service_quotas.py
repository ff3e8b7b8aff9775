"""Service Quotas for SageMaker in the sandbox (reconciler/sandbox/quotas.py), as boto3 sees them, and the
instance quotas SageMaker enforces on CreateEndpoint / UpdateEndpoint (ResourceLimitExceeded)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from tests.sandbox.test_sagemaker_emulator import (
    ROLE,
    N,
    client,
    error,
    http,
    model,
    model_config,
    wait_status,
)
from tests.support.server import MotoServer
from tests.support.shapes import problems

QUOTAS = "/reconcile-sandbox/quotas"
TYPE = "ml.g5.4xlarge"  # (a type no other test of the shared server runs: they all count against its quota)
NAME = f"{TYPE} for endpoint usage"


@pytest.fixture
def sq(server: MotoServer) -> Iterator[Any]:
    yield client(server, "service-quotas")
    http(server, "DELETE", QUOTAS)  # the quotas are the server's: restore the defaults for the next test


def test_every_hosting_instance_type_has_an_endpoint_usage_quota_paged_as_aws_pages(sq: Any) -> None:
    quotas = [q for page in sq.get_paginator("list_service_quotas").paginate(ServiceCode="sagemaker",
                                                                              PaginationConfig={"PageSize": 100})
              for q in page["Quotas"]]
    enum = botocore.session.get_session().get_service_model("sagemaker").shape_for(
        "ProductionVariantInstanceType").enum
    assert len(quotas) == len(enum) > 100  # (more than one page)
    by_name = {q["QuotaName"]: q for q in quotas}
    q = by_name[NAME]
    assert q["Value"] == 1000.0 and q["ServiceCode"] == "sagemaker" and q["Adjustable"] is True
    assert re.fullmatch(r"L-[0-9A-F]{8}", q["QuotaCode"]) and q["QuotaArn"].endswith(f":sagemaker/{q['QuotaCode']}")
    assert sq.get_service_quota(ServiceCode="sagemaker", QuotaCode=q["QuotaCode"])["Quota"] == q
    with pytest.raises(ClientError) as e:
        sq.get_service_quota(ServiceCode="sagemaker", QuotaCode="L-00000000")
    assert error(e)[0] == "NoSuchResourceException"


def test_answers_match_botocores_output_shape(server: MotoServer, sq: Any) -> None:
    seen: list[tuple[str, bytes]] = []
    sq.meta.events.register("before-parse", lambda operation_model, response_dict, **_: seen.append(
        (operation_model.name, response_dict["body"])))
    code = sq.list_service_quotas(ServiceCode="sagemaker", MaxResults=5)["Quotas"][0]["QuotaCode"]
    sq.get_service_quota(ServiceCode="sagemaker", QuotaCode=code)
    model = botocore.session.get_session().get_service_model("service-quotas")
    assert [p for op, body in seen for p in problems(model, op, body)] == []


def test_the_control_sets_a_value_and_denies_access(server: MotoServer, sq: Any) -> None:
    status, answer = http(server, "POST", QUOTAS, {"service": "sagemaker", "name": NAME, "value": 2})
    assert status == 200 and answer["value"] == 2.0
    quotas = sq.list_service_quotas(ServiceCode="sagemaker", QuotaCode=answer["quotaCode"])["Quotas"]
    assert [(q["QuotaName"], q["Value"]) for q in quotas] == [(NAME, 2.0)]
    assert http(server, "POST", QUOTAS, {"service": "sagemaker", "accessDenied": True}) == (200, {"accessDenied": True})
    with pytest.raises(ClientError) as e:
        sq.list_service_quotas(ServiceCode="sagemaker")
    assert error(e)[0] == "AccessDeniedException" and "servicequotas:ListServiceQuotas" in error(e)[1]
    for bad in ({"service": "ec2", "name": NAME, "value": 1}, {"service": "sagemaker", "name": "ml.nope", "value": 1},
                {"service": "sagemaker", "name": NAME, "value": -1}):
        assert http(server, "POST", QUOTAS, bad)[0] == 400
    http(server, "DELETE", QUOTAS)
    assert sq.list_service_quotas(ServiceCode="sagemaker", QuotaCode=answer["quotaCode"])["Quotas"][0]["Value"] == 1000


def test_create_and_update_endpoint_refuse_instances_beyond_the_quota(server: MotoServer, sm: Any, sq: Any) -> None:
    http(server, "POST", QUOTAS, {"service": "sagemaker", "name": NAME, "value": 2})
    model(sm)
    model_config(sm, N("two"), instance_type=TYPE, count=2)
    model_config(sm, N("one"), instance_type=TYPE, count=1)
    model_config(sm, N("three"), instance_type=TYPE, count=3)
    sm.create_endpoint(EndpointName=N("a"), EndpointConfigName=N("one"))
    with pytest.raises(ClientError) as e:
        sm.create_endpoint(EndpointName=N("b"), EndpointConfigName=N("two"))
    assert error(e) == ("ResourceLimitExceeded", (
        f"The account-level service limit '{NAME}' is 2 Instances, with current utilization of 1 Instances and a "
        "request delta of 2 Instances. Please use AWS Service Quotas to request an increase for this quota. If AWS "
        "Service Quotas is not available, contact AWS support to request an increase for this quota."))
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    wait_status(sm, N("a"), "InService")
    sm.update_endpoint(EndpointName=N("a"), EndpointConfigName=N("two"))  # its own instances are replaced
    wait_status(sm, N("a"), "InService")
    with pytest.raises(ClientError) as e:
        sm.update_endpoint(EndpointName=N("a"), EndpointConfigName=N("three"))
    assert error(e)[0] == "ResourceLimitExceeded" and "request delta of 3 Instances" in error(e)[1]


def test_managed_instance_scaling_counts_at_its_maximum(server: MotoServer, sm: Any, sq: Any) -> None:
    http(server, "POST", QUOTAS, {"service": "sagemaker", "name": NAME, "value": 2})
    sm.create_endpoint_config(EndpointConfigName=N("ic"), ExecutionRoleArn=ROLE, ProductionVariants=[{
        "VariantName": "AllTraffic", "InstanceType": TYPE, "InitialInstanceCount": 1,
        "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 3}}])
    with pytest.raises(ClientError) as e:
        sm.create_endpoint(EndpointName=N("ic"), EndpointConfigName=N("ic"))
    assert error(e)[0] == "ResourceLimitExceeded" and "request delta of 3 Instances" in error(e)[1]
