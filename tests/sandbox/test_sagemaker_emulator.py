"""The SageMaker extension of moto (reconciler/sandbox/sagemaker.py), over real HTTP, as boto3 sees it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.server import MotoServer

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sm-exec"
DELAY = 0.2  # seconds for every create/update/delete in these tests
CONFIG = "/reconcile-sandbox/sagemaker/config"
FAULTS = "/reconcile-sandbox/sagemaker/faults"


UID = ""


def N(base: str) -> str:  # noqa: N802 - reads like a name in the tests
    """A name unique to the running test: the tests share one server and skip the (slow) reset."""
    return f"t{UID}-{base}"


def prepare(moto_server: MotoServer) -> MotoServer:
    """Fresh names for the test (see N), short delays, the execution role the tests run as."""
    global UID
    UID = uuid.uuid4().hex[:8]
    moto_server.post(CONFIG, {"create_seconds": DELAY, "update_seconds": DELAY, "delete_seconds": DELAY,
                              "role_propagation_seconds": 0})
    ensure_role(moto_server, "sm-exec", "sagemaker.amazonaws.com")
    return moto_server


def client(server: MotoServer, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=server.url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def ensure_role(server: MotoServer, name: str, service: str) -> str:
    """The execution role the tests run as: SageMaker (like AWS) refuses one that does not exist."""
    iam = client(server, "iam")
    try:
        return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(service))["Role"]["Arn"])
    except iam.exceptions.EntityAlreadyExistsException:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])


def wait_for(read: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached in {timeout}s; last value: {value}")
        time.sleep(0.05)


def status(sm: Any, name: str) -> str:
    return str(sm.describe_endpoint(EndpointName=name)["EndpointStatus"])


def wait_status(sm: Any, name: str, wanted: str) -> dict[str, Any]:
    return wait_for(lambda: sm.describe_endpoint(EndpointName=name), lambda d: d["EndpointStatus"] == wanted)  # type: ignore[no-any-return]


def error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def model(sm: Any, name: str | None = None, image: str = "123.dkr.ecr.us-east-1.amazonaws.com/tgi:2.0") -> None:
    sm.create_model(ModelName=name or N("llm-model"), ExecutionRoleArn=ROLE,
                    PrimaryContainer={"Image": image, "Environment": {"HF_MODEL_ID": "org/model", "SM_NUM_GPUS": "1"}})


def model_config(sm: Any, name: str, model_name: str | None = None, instance_type: str = "ml.g5.2xlarge",
                 count: int = 1) -> None:
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model_name or N("llm-model"), "InstanceType": instance_type,
        "InitialInstanceCount": count}])


def ic_config(sm: Any) -> None:
    sm.create_endpoint_config(
        EndpointConfigName=N("ic-config"), ExecutionRoleArn=ROLE,
        ProductionVariants=[{
            "VariantName": "AllTraffic", "InstanceType": "ml.g6e.2xlarge", "InitialInstanceCount": 1,
            "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 3},
            "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}}])


def serving_endpoint(sm: Any) -> None:
    name = N("llm")
    model(sm)
    model_config(sm, f"{name}-c1")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-c1")
    wait_status(sm, name, "InService")


def ic_endpoint(sm: Any) -> None:
    name = N("icep")
    model(sm)
    ic_config(sm)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=N("ic-config"))
    wait_status(sm, name, "InService")


def spec(model_name: str = "llm-model") -> dict[str, Any]:
    return {"ModelName": N(model_name),
        "StartupParameters": {"ModelDataDownloadTimeoutInSeconds": 600,
                              "ContainerStartupHealthCheckTimeoutInSeconds": 600},
        "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 4096, "NumberOfAcceleratorDevicesRequired": 1}}


def wait_ic(sm: Any, name: str, wanted: str) -> dict[str, Any]:
    return wait_for(lambda: sm.describe_inference_component(InferenceComponentName=name),  # type: ignore[no-any-return]
                    lambda d: d["InferenceComponentStatus"] == wanted)


def http(server: MotoServer, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(server.url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


# -- endpoints: create, statuses ------------------------------------------------------------------


def test_endpoint_goes_creating_then_in_service_with_modern_instance_type(sm: Any) -> None:
    model(sm)
    model_config(sm, N("c1"), instance_type="ml.g5.12xlarge")
    arn = sm.create_endpoint(EndpointName=N("llm"), EndpointConfigName=N("c1"))["EndpointArn"]
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{N('llm')}"
    first = sm.describe_endpoint(EndpointName=N("llm"))
    assert first["EndpointStatus"] == "Creating"
    assert first["EndpointConfigName"] == N("c1")
    assert "ProductionVariants" not in first
    assert sm.list_endpoints(NameContains=UID)["Endpoints"][0]["EndpointStatus"] == "Creating"
    done = wait_status(sm, N("llm"), "InService")
    assert done["LastModifiedTime"] > first["LastModifiedTime"]
    [variant] = done["ProductionVariants"]
    assert variant["VariantName"] == "AllTraffic"
    assert variant["CurrentInstanceCount"] == variant["DesiredInstanceCount"] == 1
    assert variant["DeployedImages"][0]["SpecifiedImage"].endswith("tgi:2.0")
    assert "@sha256:" in variant["DeployedImages"][0]["ResolvedImage"]
    assert "FailureReason" not in done
    assert sm.list_endpoints(StatusEquals="InService", NameContains=UID)["Endpoints"][0]["EndpointName"] == N("llm")


@pytest.mark.parametrize("instance_type", ["ml.g6.xlarge", "ml.p4d.24xlarge", "ml.p5.48xlarge", "ml.inf2.xlarge",
                                           "ml.m6i.large", "ml.t2.medium"])
def test_modern_instance_types_of_botocores_enum_are_accepted(sm: Any, instance_type: str) -> None:
    model(sm)
    model_config(sm, N("c1"), instance_type=instance_type)
    assert sm.describe_endpoint_config(EndpointConfigName=N("c1"))["ProductionVariants"][0]["InstanceType"] == instance_type


def test_non_ml_instance_type_and_bad_names_are_rejected(sm: Any) -> None:
    model(sm)
    with pytest.raises(ClientError) as e:
        model_config(sm, N("c1"), instance_type="g5.xlarge")
    assert error(e)[0] == "ValidationException"
    with pytest.raises(ClientError) as e:
        model_config(sm, "x" * 64)
    assert "length less than or equal to 63" in error(e)[1]
    with pytest.raises(ClientError) as e:
        model(sm, "bad_name")
    assert "regular expression pattern" in error(e)[1]


def test_create_fault_fails_the_endpoint_with_its_reason(server: MotoServer, sm: Any) -> None:
    server.post(FAULTS, {"endpoint": N("llm"), "on": "create", "reason": "image pull failed"})
    model(sm)
    model_config(sm, N("c1"))
    sm.create_endpoint(EndpointName=N("llm"), EndpointConfigName=N("c1"))
    assert status(sm, N("llm")) == "Creating"
    failed = wait_status(sm, N("llm"), "Failed")
    assert failed["FailureReason"] == "image pull failed"
    with pytest.raises(ClientError) as e:  # from Failed, only DeleteEndpoint
        sm.update_endpoint(EndpointName=N("llm"), EndpointConfigName=N("c1"))
    assert error(e) == ("ValidationException", f'Cannot update failed endpoint "{failed["EndpointArn"]}".')
    sm.delete_endpoint(EndpointName=N("llm"))
    assert status(sm, N("llm")) == "Deleting"


# -- endpoints: update ----------------------------------------------------------------------------


def test_update_switches_config_only_when_it_succeeds(sm: Any) -> None:
    serving_endpoint(sm)
    model(sm, N("llm-model-2"), image="123.dkr.ecr.us-east-1.amazonaws.com/tgi:3.0")
    model_config(sm, N("llm-c2"), model_name=N("llm-model-2"), instance_type="ml.g6.2xlarge", count=2)
    deployment = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {
        "Type": "CANARY", "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}, "WaitIntervalInSeconds": 60}},
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "errors"}]}}
    sm.update_endpoint(EndpointName=N("llm"), EndpointConfigName=N("llm-c2"), DeploymentConfig=deployment)
    updating = sm.describe_endpoint(EndpointName=N("llm"))
    assert updating["EndpointStatus"] == "Updating"
    assert updating["EndpointConfigName"] == N("llm-c1")  # still the old one
    assert updating["PendingDeploymentSummary"]["EndpointConfigName"] == N("llm-c2")
    assert updating["ProductionVariants"][0]["DeployedImages"][0]["SpecifiedImage"].endswith("tgi:2.0")
    with pytest.raises(ClientError) as e:  # update only from InService
        sm.update_endpoint(EndpointName=N("llm"), EndpointConfigName=N("llm-c1"))
    assert error(e) == ("ValidationException", f'Cannot update in-progress endpoint "{updating["EndpointArn"]}".')
    done = wait_status(sm, N("llm"), "InService")
    assert done["EndpointConfigName"] == N("llm-c2")
    assert "PendingDeploymentSummary" not in done and "FailureReason" not in done
    assert done["ProductionVariants"][0]["DesiredInstanceCount"] == 2
    assert done["ProductionVariants"][0]["DeployedImages"][0]["SpecifiedImage"].endswith("tgi:3.0")
    assert done["LastDeploymentConfig"] == deployment


def test_retain_all_variant_properties_keeps_scaled_instance_count(sm: Any) -> None:
    serving_endpoint(sm)
    sm.update_endpoint_weights_and_capacities(EndpointName=N("llm"), DesiredWeightsAndCapacities=[
        {"VariantName": "AllTraffic", "DesiredInstanceCount": 4}])
    assert status(sm, N("llm")) == "Updating"
    wait_status(sm, N("llm"), "InService")
    model_config(sm, N("llm-c2"), count=1)
    model_config(sm, N("llm-c3"), count=1)
    sm.update_endpoint(EndpointName=N("llm"), EndpointConfigName=N("llm-c2"), RetainAllVariantProperties=True)
    kept = wait_status(sm, N("llm"), "InService")
    assert kept["EndpointConfigName"] == N("llm-c2")
    assert kept["ProductionVariants"][0]["DesiredInstanceCount"] == 4
    sm.update_endpoint(EndpointName=N("llm"), EndpointConfigName=N("llm-c3"), RetainAllVariantProperties=True,
                       ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DesiredInstanceCount"}])
    reset_count = wait_status(sm, N("llm"), "InService")
    assert reset_count["ProductionVariants"][0]["DesiredInstanceCount"] == 1


def test_update_rollback_keeps_old_config_with_failure_reason(server: MotoServer, sm: Any) -> None:
    serving_endpoint(sm)
    model_config(sm, N("llm-c2"), count=2)
    server.post(FAULTS, {"endpoint": N("llm"), "on": "update", "mode": "rollback", "reason": "alarm errors fired"})
    sm.update_endpoint(EndpointName=N("llm"), EndpointConfigName=N("llm-c2"))
    seen = {status(sm, N("llm"))}
    done = wait_for(lambda: sm.describe_endpoint(EndpointName=N("llm")),
                    lambda d: seen.add(d["EndpointStatus"]) or ("FailureReason" in d and d["EndpointStatus"] == "InService"))
    assert {"Updating", "RollingBack"} <= seen
    assert done["EndpointConfigName"] == N("llm-c1")
    assert done["FailureReason"] == "alarm errors fired"
    assert done["ProductionVariants"][0]["DesiredInstanceCount"] == 1
    # one-shot: the next update succeeds and clears the reason
    sm.update_endpoint(EndpointName=N("llm"), EndpointConfigName=N("llm-c2"))
    ok = wait_status(sm, N("llm"), "InService")
    assert ok["EndpointConfigName"] == N("llm-c2") and "FailureReason" not in ok


def test_update_rollback_failed(server: MotoServer, sm: Any) -> None:
    serving_endpoint(sm)
    model_config(sm, N("llm-c2"))
    server.post(FAULTS, {"endpoint": N("llm"), "on": "update", "mode": "rollback-failed", "reason": "stuck"})
    sm.update_endpoint(EndpointName=N("llm"), EndpointConfigName=N("llm-c2"))
    done = wait_status(sm, N("llm"), "UpdateRollbackFailed")
    assert done["FailureReason"] == "stuck"
    assert done["EndpointConfigName"] == N("llm-c1")


def test_update_fail_leaves_in_service_on_old_config_with_reason(server: MotoServer, sm: Any) -> None:
    serving_endpoint(sm)
    model_config(sm, N("llm-c2"))
    server.post(FAULTS, {"endpoint": N("llm"), "on": "update", "mode": "fail", "reason": "capacity"})
    sm.update_endpoint(EndpointName=N("llm"), EndpointConfigName=N("llm-c2"))
    done = wait_for(lambda: sm.describe_endpoint(EndpointName=N("llm")), lambda d: "FailureReason" in d)
    assert done["EndpointStatus"] == "InService"
    assert done["EndpointConfigName"] == N("llm-c1")
    assert done["FailureReason"] == "capacity"


# -- endpoints: delete ----------------------------------------------------------------------------


def test_delete_is_refused_while_creating_and_takes_time(sm: Any) -> None:
    model(sm)
    model_config(sm, N("c1"))
    sm.create_endpoint(EndpointName=N("llm"), EndpointConfigName=N("c1"))
    with pytest.raises(ClientError) as e:
        sm.delete_endpoint(EndpointName=N("llm"))
    assert error(e)[0] == "ValidationException" and "in-progress" in error(e)[1]
    wait_status(sm, N("llm"), "InService")
    sm.delete_endpoint(EndpointName=N("llm"))
    assert status(sm, N("llm")) == "Deleting"
    with pytest.raises(ClientError) as e:  # still exists while Deleting
        sm.create_endpoint(EndpointName=N("llm"), EndpointConfigName=N("c1"))
    assert "Cannot create already existing endpoint" in error(e)[1]
    wait_for(lambda: [x["EndpointName"] for x in sm.list_endpoints(NameContains=UID)["Endpoints"]], lambda names: names == [])
    with pytest.raises(ClientError) as e:
        sm.describe_endpoint(EndpointName=N("llm"))
    assert error(e) == ("ValidationException", f'Could not find endpoint "arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{N("llm")}".')


# -- AWS errors moto lacks ------------------------------------------------------------------------


def test_duplicate_creates_are_refused(sm: Any) -> None:
    ic_endpoint(sm)
    with pytest.raises(ClientError) as e:
        model(sm)
    assert error(e) == ("ValidationException",
                        f'Cannot create already existing model "arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{N("llm-model")}".')
    with pytest.raises(ClientError) as e:
        ic_config(sm)
    assert error(e)[1].startswith("Cannot create already existing endpoint configuration")
    with pytest.raises(ClientError) as e:
        sm.create_endpoint(EndpointName=N("icep"), EndpointConfigName=N("ic-config"))
    assert error(e)[1].startswith("Cannot create already existing endpoint ")
    sm.create_inference_component(InferenceComponentName=N("ic1"), EndpointName=N("icep"), VariantName="AllTraffic",
                                  Specification=spec(), RuntimeConfig={"CopyCount": 1})
    with pytest.raises(ClientError) as e:
        sm.create_inference_component(InferenceComponentName=N("ic1"), EndpointName=N("icep"), VariantName="AllTraffic",
                                      Specification=spec(), RuntimeConfig={"CopyCount": 1})
    assert error(e)[1].startswith("Cannot create already existing inference component")


def test_describe_missing_answers_could_not_find(sm: Any) -> None:
    calls = {"model": lambda: sm.describe_model(ModelName=N("nope")),
             "endpoint configuration": lambda: sm.describe_endpoint_config(EndpointConfigName=N("nope")),
             "endpoint": lambda: sm.describe_endpoint(EndpointName=N("nope")),
             "inference component": lambda: sm.describe_inference_component(InferenceComponentName=N("nope"))}
    for what, call in calls.items():
        with pytest.raises(ClientError) as e:
            call()
        code, message = error(e)
        assert code == "ValidationException"
        assert message.startswith(f"Could not find {what}"), message


def test_add_tags_overwrites_existing_key(sm: Any) -> None:
    model(sm)
    arn = sm.describe_model(ModelName=N("llm-model"))["ModelArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "a"}, {"Key": "env", "Value": "dev"}])
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "b"}])
    assert sorted((t["Key"], t["Value"]) for t in sm.list_tags(ResourceArn=arn)["Tags"]) == [("env", "dev"), ("team", "b")]


def test_list_models_honours_name_contains_and_max_results(sm: Any) -> None:
    for name in (N("alpha-llm"), N("beta-llm"), N("gamma")):
        model(sm, name)
    assert sorted(m["ModelName"] for m in sm.list_models(NameContains=f"{UID}-alpha")["Models"]) == [N("alpha-llm")]
    page = sm.list_models(NameContains=UID, MaxResults=2, SortBy="Name", SortOrder="Ascending")
    assert [m["ModelName"] for m in page["Models"]] == [N("alpha-llm"), N("beta-llm")]
    rest = sm.list_models(NameContains=UID, MaxResults=2, SortBy="Name", SortOrder="Ascending", NextToken=page["NextToken"])
    assert [m["ModelName"] for m in rest["Models"]] == [N("gamma")] and "NextToken" not in rest


def test_create_model_role_fault_then_role_propagates(server: MotoServer, sm: Any) -> None:
    iam = client(server, "iam")
    role = iam.create_role(RoleName=N("fresh"), AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    server.post(FAULTS, {"role": role, "on": "create-model", "seconds": 1.0})
    with pytest.raises(ClientError) as e:
        sm.create_model(ModelName=N("m"), ExecutionRoleArn=role, PrimaryContainer={"Image": "img:1"})
    assert error(e) == ("ValidationException", f"Could not assume role {role}. Please ensure that the role exists and "
                        "allows principal 'sagemaker.amazonaws.com' to assume the role.")
    wait_for(lambda: _try(lambda: sm.create_model(ModelName=N("m"), ExecutionRoleArn=role,
                                                  PrimaryContainer={"Image": "img:1"})), bool, timeout=5)


def _try(call: Callable[[], Any]) -> bool:
    try:
        call()
    except ClientError:
        return False
    return True


# -- inference components -------------------------------------------------------------------------


def test_inference_component_config_keeps_role_scaling_and_routing(sm: Any) -> None:
    ic_config(sm)
    cfg = sm.describe_endpoint_config(EndpointConfigName=N("ic-config"))
    assert cfg["ExecutionRoleArn"] == ROLE
    [variant] = cfg["ProductionVariants"]
    assert "ModelName" not in variant
    assert variant["ManagedInstanceScaling"] == {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 3}
    assert variant["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}


def test_inference_component_lifecycle_and_copy_count(sm: Any) -> None:
    ic_endpoint(sm)
    arn = sm.create_inference_component(
        InferenceComponentName=N("ic1"), EndpointName=N("icep"), VariantName="AllTraffic", Specification=spec(),
        RuntimeConfig={"CopyCount": 1}, Tags=[{"Key": "team", "Value": "a"}])["InferenceComponentArn"]
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:inference-component/{N('ic1')}"
    creating = sm.describe_inference_component(InferenceComponentName=N("ic1"))
    assert creating["InferenceComponentStatus"] == "Creating"
    assert creating["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 0}
    ready = wait_ic(sm, N("ic1"), "InService")
    assert ready["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 1}
    assert ready["EndpointName"] == N("icep") and ready["VariantName"] == "AllTraffic"
    assert ready["Specification"]["ModelName"] == N("llm-model")
    assert ready["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 4096
    assert ready["Specification"]["StartupParameters"]["ModelDataDownloadTimeoutInSeconds"] == 600

    sm.update_inference_component_runtime_config(InferenceComponentName=N("ic1"), DesiredRuntimeConfig={"CopyCount": 3})
    scaling = sm.describe_inference_component(InferenceComponentName=N("ic1"))
    assert scaling["InferenceComponentStatus"] == "Updating"
    assert scaling["RuntimeConfig"] == {"DesiredCopyCount": 3, "CurrentCopyCount": 1}
    with pytest.raises(ClientError) as e:
        sm.update_inference_component(InferenceComponentName=N("ic1"), RuntimeConfig={"CopyCount": 2})
    assert error(e)[0] == "ValidationException"
    assert wait_ic(sm, N("ic1"), "InService")["RuntimeConfig"] == {"DesiredCopyCount": 3, "CurrentCopyCount": 3}

    model(sm, N("llm-model-2"))
    sm.update_inference_component(InferenceComponentName=N("ic1"), Specification=spec("llm-model-2"))
    assert sm.describe_inference_component(InferenceComponentName=N("ic1"))["Specification"]["ModelName"] == N("llm-model")
    assert wait_ic(sm, N("ic1"), "InService")["Specification"]["ModelName"] == N("llm-model-2")

    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "b"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "b"}]

    listed = sm.list_inference_components(EndpointNameEquals=N("icep"))["InferenceComponents"]
    assert [(i["InferenceComponentName"], i["InferenceComponentStatus"]) for i in listed] == [(N("ic1"), "InService")]
    assert sm.list_inference_components(EndpointNameEquals=N("other"))["InferenceComponents"] == []

    with pytest.raises(ClientError) as e:  # components first, then the endpoint
        sm.delete_endpoint(EndpointName=N("icep"))
    assert "inference components" in error(e)[1]
    sm.delete_inference_component(InferenceComponentName=N("ic1"))
    assert sm.describe_inference_component(InferenceComponentName=N("ic1"))["InferenceComponentStatus"] == "Deleting"
    wait_for(lambda: sm.list_inference_components(NameContains=UID)["InferenceComponents"], lambda items: items == [])
    sm.delete_endpoint(EndpointName=N("icep"))
    wait_for(lambda: sm.list_endpoints(NameContains=UID)["Endpoints"], lambda items: items == [])


def test_inference_component_needs_a_serving_ic_endpoint_and_a_model(sm: Any) -> None:
    model(sm)
    ic_config(sm)
    sm.create_endpoint(EndpointName=N("icep"), EndpointConfigName=N("ic-config"))
    with pytest.raises(ClientError) as e:  # endpoint still Creating
        sm.create_inference_component(InferenceComponentName=N("ic1"), EndpointName=N("icep"), VariantName="AllTraffic",
                                      Specification=spec(), RuntimeConfig={"CopyCount": 1})
    assert "InService" in error(e)[1]
    wait_status(sm, N("icep"), "InService")
    with pytest.raises(ClientError) as e:
        sm.create_inference_component(InferenceComponentName=N("ic1"), EndpointName=N("icep"), VariantName="AllTraffic",
                                      Specification=spec("missing"), RuntimeConfig={"CopyCount": 1})
    assert error(e)[1].startswith("Could not find model")
    model_config(sm, N("c1"))
    sm.create_endpoint(EndpointName=N("modelep"), EndpointConfigName=N("c1"))
    wait_status(sm, N("modelep"), "InService")
    with pytest.raises(ClientError) as e:
        sm.create_inference_component(InferenceComponentName=N("ic1"), EndpointName=N("modelep"), VariantName="AllTraffic",
                                      Specification=spec(), RuntimeConfig={"CopyCount": 1})
    assert error(e) == ("ValidationException", "Invalid request provided: Inference Components are not supported in "
                        "this Endpoint. Please make sure this endpoint can deploy inference components.")


def test_inference_component_faults(server: MotoServer, sm: Any) -> None:
    ic_endpoint(sm)
    server.post(FAULTS, [{"inferenceComponent": N("bad"), "on": "create", "reason": "out of memory"},
                         {"inferenceComponent": N("ic1"), "on": "update", "mode": "rollback", "reason": "health check"}])
    sm.create_inference_component(InferenceComponentName=N("bad"), EndpointName=N("icep"), VariantName="AllTraffic",
                                  Specification=spec(), RuntimeConfig={"CopyCount": 1})
    sm.create_inference_component(InferenceComponentName=N("ic1"), EndpointName=N("icep"), VariantName="AllTraffic",
                                  Specification=spec(), RuntimeConfig={"CopyCount": 1})
    failed = wait_ic(sm, N("bad"), "Failed")
    assert failed["FailureReason"] == "out of memory"
    assert failed["RuntimeConfig"]["CurrentCopyCount"] == 0
    wait_ic(sm, N("ic1"), "InService")
    sm.update_inference_component_runtime_config(InferenceComponentName=N("ic1"), DesiredRuntimeConfig={"CopyCount": 2})
    rolled = wait_for(lambda: sm.describe_inference_component(InferenceComponentName=N("ic1")),
                      lambda d: "FailureReason" in d)
    assert rolled["InferenceComponentStatus"] == "InService"
    assert rolled["FailureReason"] == "health check"
    assert rolled["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 1}


# -- sagemaker-runtime ----------------------------------------------------------------------------


def invoke(rt: Any, endpoint: str, payload: Any, **kwargs: Any) -> Any:
    resp = rt.invoke_endpoint(EndpointName=endpoint, ContentType="application/json",
                              Body=json.dumps(payload) if not isinstance(payload, bytes) else payload, **kwargs)
    assert resp["ContentType"] == "application/json"
    return json.loads(resp["Body"].read())


def test_invoke_answers_in_tgi_shape(sm: Any, rt: Any) -> None:
    serving_endpoint(sm)
    request = {"inputs": "What is GitOps?", "parameters": {"max_new_tokens": 8, "return_full_text": True,
                                                           "temperature": 0.7, "top_p": 0.9}}
    answer = invoke(rt, N("llm"), request)
    assert isinstance(answer, list) and list(answer[0]) == ["generated_text"]
    text = answer[0]["generated_text"]
    assert text.startswith("What is GitOps? ")
    assert len(text[len("What is GitOps?"):].split()) == 8
    assert invoke(rt, N("llm"), request) == answer  # deterministic
    short = invoke(rt, N("llm"), {"inputs": "What is GitOps?", "parameters": {"max_new_tokens": 3}})[0]["generated_text"]
    assert not short.strip().startswith("What is GitOps?") and len(short.split()) == 3
    stopped = invoke(rt, N("llm"), {"inputs": "Hi", "parameters": {"max_new_tokens": 50, "stop": ["short"]}})
    assert stopped[0]["generated_text"].endswith("short")


def test_invoke_errors_like_aws(sm: Any, rt: Any) -> None:
    with pytest.raises(ClientError) as e:
        invoke(rt, N("nope"), {"inputs": N("x")})
    assert error(e) == ("ValidationError", f"Endpoint {N('nope')} of account {ACCOUNT} not found.")
    model(sm)
    model_config(sm, N("c1"))
    sm.create_endpoint(EndpointName=N("llm"), EndpointConfigName=N("c1"))
    with pytest.raises(ClientError) as e:  # Creating: not serving yet
        invoke(rt, N("llm"), {"inputs": N("x")})
    assert error(e) == ("ValidationError", f"Endpoint {N('llm')} of account {ACCOUNT} not found.")
    wait_status(sm, N("llm"), "InService")
    with pytest.raises(ClientError) as e:
        invoke(rt, N("llm"), b"not json")
    assert error(e)[0] == "ModelError"
    assert e.value.response["OriginalStatusCode"] == 422


def test_invoke_with_inference_component(sm: Any, rt: Any) -> None:
    ic_endpoint(sm)
    sm.create_inference_component(InferenceComponentName=N("ic1"), EndpointName=N("icep"), VariantName="AllTraffic",
                                  Specification=spec(), RuntimeConfig={"CopyCount": 1})
    with pytest.raises(ClientError) as e:  # still Creating: no copy to serve
        invoke(rt, N("icep"), {"inputs": N("x")}, InferenceComponentName=N("ic1"))
    assert error(e)[0] == "ValidationError"
    wait_ic(sm, N("ic1"), "InService")
    answer = invoke(rt, N("icep"), {"inputs": N("x"), "parameters": {"max_new_tokens": 4}}, InferenceComponentName=N("ic1"))
    assert len(answer[0]["generated_text"].split()) == 4
    with pytest.raises(ClientError) as e:
        invoke(rt, N("icep"), {"inputs": N("x")})
    assert error(e)[0] == "ValidationError" and "Inference Component Name header is required" in error(e)[1]
    with pytest.raises(ClientError) as e:
        invoke(rt, N("icep"), {"inputs": N("x")}, InferenceComponentName=N("other"))
    assert error(e)[0] == "ValidationError" and N("other") in error(e)[1]


# -- the sandbox's own routes ---------------------------------------------------------------------


def test_reset_clears_faults_and_restores_config(server: MotoServer, sm: Any) -> None:
    server.post(FAULTS, {"endpoint": N("llm"), "on": "create", "reason": "boom"})
    server.post(CONFIG, {"create_seconds": 42})
    assert N("llm") in [f.get("endpoint") for f in http(server, "GET", FAULTS)[1]["faults"]]
    server.reset()
    ensure_role(server, "sm-exec", "sagemaker.amazonaws.com")
    assert http(server, "GET", FAULTS) == (200, {"faults": []})
    defaults = http(server, "GET", CONFIG)[1]
    assert defaults["create_seconds"] != 42
    server.post(CONFIG, {"create_seconds": 0, "update_seconds": 0, "delete_seconds": 0})
    model(sm)
    model_config(sm, N("c1"))
    sm.create_endpoint(EndpointName=N("llm"), EndpointConfigName=N("c1"))
    assert status(sm, N("llm")) == "InService"  # no delay, and the fault is gone


def test_routes_validate_their_input(server: MotoServer) -> None:
    assert http(server, "POST", CONFIG, {"create_seconds": -1})[0] == 400
    assert http(server, "POST", CONFIG, {"bogus": 1})[0] == 400
    assert http(server, "POST", FAULTS, {"endpoint": N("x"), "on": "explode"})[0] == 400
    assert http(server, "POST", FAULTS, {"endpoint": N("x"), "on": "create", "mode": "weird"})[0] == 400
    assert http(server, "POST", FAULTS, {"on": "create"})[0] == 400
    assert http(server, "GET", "/reconcile-sandbox/sagemaker/nothing")[0] == 404
    assert http(server, "DELETE", FAULTS) == (200, {"faults": []})
