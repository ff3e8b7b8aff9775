"""Plans that show what apply will do to an Endpoint (issue 10, point 4), through the CLI against the
moto server: content, not names, decides; a serving endpoint is deleted only where AWS leaves no other
way, and the plan says "interrupts serving". The "made by the SDK" endpoints are built with boto3
directly, named as the SageMaker SDK names them."""

from __future__ import annotations

import json
import time

from reconciler import images
from tests.support.manifests import LLM_EXEC_ROLE, TWIN_ENDPOINT, write

REGION = "us-east-1"
SDK_MODEL = "huggingface-pytorch-tgi-inference-2026-11-30-21-04-15-123"
ENV = {"HF_MODEL_ID": "mlabonne/TwinLlama-3.1-8B-DPO", "SM_NUM_GPUS": "1"}
STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: ops}\n"
WRITES = ("CreateModel", "CreateEndpointConfig", "UpdateEndpoint", "DeleteEndpoint", "CreateEndpoint")


def fast(moto_server, cli):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"


def role_arn(boto, name="sdk-exec"):
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
    return boto("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def wait_in_service(sm, name, ic=None):
    for _ in range(400):
        if ic:
            status = sm.describe_inference_component(InferenceComponentName=ic)["InferenceComponentStatus"]
        else:
            status = sm.describe_endpoint(EndpointName=name)["EndpointStatus"]
        if status == "InService":
            return
        time.sleep(0.05)
    raise AssertionError(f"{ic or name} is still {status}")


def endpoint_step(cli, m):
    r = cli("plan", str(m), "--format", "json")
    assert r.code == 0, r.text
    return next(s for s in json.loads(r.out)["steps"] if s["kind"] == "Endpoint")


def actions(step):
    return [(o["action"], o["target"]) for o in step["operations"]]


# ---- adopting a model-based endpoint whose model and config hold what the manifest says -------------


def test_adopting_a_matching_sdk_endpoint_only_tags_it(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    sm = boto("sagemaker")
    arn = role_arn(boto)
    image = images.uri("huggingfaceLlm", "2.2.0", REGION)
    sm.create_model(ModelName=SDK_MODEL, ExecutionRoleArn=arn, PrimaryContainer={"Image": image, "Environment": ENV})
    sm.create_endpoint_config(EndpointConfigName="sdk-llm", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": SDK_MODEL, "InstanceType": "ml.g5.2xlarge",
        "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="sdk-llm", EndpointConfigName="sdk-llm")
    wait_in_service(sm, "sdk-llm")
    created = sm.describe_endpoint(EndpointName="sdk-llm")["CreationTime"]
    m = write(tmp_path / "m", {"stack.yaml": STACK, "endpoint.yaml": f"""
        apiVersion: reconciler/v1
        kind: Endpoint
        metadata: {{name: sdk-llm, annotations: {{reconciler/adopt: "true"}}}}
        spec:
          executionRole: {arn}
          model:
            image: {{huggingfaceLlm: {{version: "2.2.0"}}}}
            environment: {{HF_MODEL_ID: mlabonne/TwinLlama-3.1-8B-DPO, SM_NUM_GPUS: "1"}}
          instance: {{type: ml.g5.2xlarge, count: 1}}
        """})

    step = endpoint_step(cli, m)
    assert step["action"] == "update" and step["reason"].startswith("adopt existing resource")
    assert [c["path"].split(".")[0] for c in step["changes"]] == ["tags", "tags"]
    # the SDK-named config and model it keeps running, then the endpoint itself: tagged as the stack's (issue
    # 12), the parts first so that a run killed in between leaves the endpoint to be adopted again (issue 23)
    assert actions(step) == [("AddTags", "sdk-llm"), ("AddTags", SDK_MODEL), ("AddTags", "sdk-llm")]
    assert [o["resource"].split(":")[-1].split("/")[0] for o in step["operations"]] == [
        "endpoint-config", "model", "endpoint"]
    r = cli("plan", str(m))
    assert "> AddTags sdk-llm" in r.out and "CreateModel" not in r.out and "UpdateEndpoint" not in r.out

    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    d = sm.describe_endpoint(EndpointName="sdk-llm")
    assert d["EndpointConfigName"] == "sdk-llm" and d["CreationTime"] == created  # no redeploy
    assert [x["ModelName"] for x in sm.list_models()["Models"]] == [SDK_MODEL]
    assert [x["EndpointConfigName"] for x in sm.list_endpoint_configs()["EndpointConfigs"]] == ["sdk-llm"]
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=d["EndpointArn"])["Tags"]}
    assert tags["reconciler:stack"] == "ops"
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text


# ---- a config deleted by hand ------------------------------------------------------------------------

OWN = {
    "stack.yaml": STACK,
    "iam.yaml": LLM_EXEC_ROLE,
    "endpoint.yaml": TWIN_ENDPOINT,
}


def test_a_config_deleted_by_hand_is_recreated_and_the_endpoint_keeps_serving(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    sm = boto("sagemaker")
    m = write(tmp_path / "m", OWN)
    assert cli("apply", str(m), "--auto-approve").code == 0
    before = sm.describe_endpoint(EndpointName="twin")
    config = before["EndpointConfigName"]
    models = [x["ModelName"] for x in sm.list_models()["Models"]]
    sm.delete_endpoint_config(EndpointConfigName=config)  # AWS allows it; the endpoint keeps serving

    step = endpoint_step(cli, m)
    assert step["action"] == "update", step  # not -/+ replace
    assert actions(step) == [("CreateEndpointConfig", config)]  # the same content-derived name
    assert not any(o["interrupts_serving"] for o in step["operations"])
    assert "deleted outside reconcile" in step["reason"]

    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "Endpoint/twin: deleting" not in r.err and "Deleting" not in r.err
    after = sm.describe_endpoint(EndpointName="twin")
    assert after["CreationTime"] == before["CreationTime"] and after["EndpointConfigName"] == config
    assert sm.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"][0]["ModelName"] in models
    assert [x["ModelName"] for x in sm.list_models()["Models"]] == models
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text


def test_a_model_deleted_by_hand_is_recreated_under_its_name(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    sm = boto("sagemaker")
    m = write(tmp_path / "m", OWN)
    assert cli("apply", str(m), "--auto-approve").code == 0
    before = sm.describe_endpoint(EndpointName="twin")
    model = sm.describe_endpoint_config(EndpointConfigName=before["EndpointConfigName"])["ProductionVariants"][0]["ModelName"]
    sm.delete_model(ModelName=model)

    step = endpoint_step(cli, m)
    assert step["action"] == "update" and actions(step) == [("CreateModel", model)], step
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    after = sm.describe_endpoint(EndpointName="twin")
    assert after["EndpointConfigName"] == before["EndpointConfigName"] and after["CreationTime"] == before["CreationTime"]
    assert sm.describe_model(ModelName=model)["ModelName"] == model
    assert cli("plan", str(m), "--detailed-exitcode").code == 0


def test_a_type_change_says_it_interrupts_serving(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    m = write(tmp_path / "m", OWN)
    assert cli("apply", str(m), "--auto-approve").code == 0
    text = (m / "endpoint.yaml").read_text().replace(
        "spec:\n", "spec:\n  type: inference-component-based\n  inferenceComponent: {memoryMb: 1024, acceleratorDevices: 1}\n")
    (m / "endpoint.yaml").write_text(text)

    step = endpoint_step(cli, m)
    assert step["action"] == "replace" and "interrupts serving" in step["reason"]
    delete = next(o for o in step["operations"] if o["action"] == "DeleteEndpoint")
    assert delete["interrupts_serving"] and delete["target"] == "twin"
    assert [a for a, _ in actions(step)].index("DeleteEndpoint") < [a for a, _ in actions(step)].index("CreateEndpoint")
    r = cli("plan", str(m))
    assert "-/+ Endpoint/twin" in r.out and "DeleteEndpoint twin" in r.out and "[interrupts serving]" in r.out
    r = cli("plan", str(m), "--format", "markdown")
    assert "**interrupts serving**" in r.out


def test_an_update_plan_names_every_call_and_apply_makes_them(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    sm = boto("sagemaker")
    m = write(tmp_path / "m", OWN)
    assert cli("apply", str(m), "--auto-approve").code == 0
    old = sm.describe_endpoint(EndpointName="twin")["EndpointConfigName"]
    (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text().replace(
        "instance: {type: ml.g5.2xlarge}", "instance: {type: ml.g5.2xlarge}\n  startup: {healthCheckTimeoutSeconds: 600}"))

    step = endpoint_step(cli, m)
    # startup lives in the config's variant: a new config, not a new model (the model's name leaves it out)
    assert [a for a, _ in actions(step)] == ["CreateEndpointConfig", "AddTags", "UpdateEndpoint", "Wait"], step
    assert "forced by startup" in step["reason"] and "new model" not in step["reason"]
    assert "blue/green all-at-once" in step["operations"][2]["detail"]
    new = step["operations"][0]["target"]
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    d = sm.describe_endpoint(EndpointName="twin")
    assert d["EndpointConfigName"] == new != old
    assert len(sm.list_models()["Models"]) == 1


# ---- adopting an inference-component endpoint -----------------------------------------------------


def test_adopting_an_ic_endpoint_keeps_serving(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    sm = boto("sagemaker")
    arn = role_arn(boto)
    image = images.uri("huggingfaceLlm", "2.2.0", REGION)
    sm.create_model(ModelName=SDK_MODEL, ExecutionRoleArn=arn, PrimaryContainer={"Image": image, "Environment": ENV})
    sm.create_endpoint_config(EndpointConfigName="sdk-serve", ExecutionRoleArn=arn, ProductionVariants=[{
        "VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1,
        "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 2}}])
    sm.create_endpoint(EndpointName="sdk-serve", EndpointConfigName="sdk-serve")
    wait_in_service(sm, "sdk-serve")
    old_ic = "huggingface-pytorch-tgi-inference-2026-11-30-21-04-ic"
    sm.create_inference_component(
        InferenceComponentName=old_ic, EndpointName="sdk-serve", VariantName="AllTraffic",
        Specification={"ModelName": SDK_MODEL, "ComputeResourceRequirements": {
            "MinMemoryRequiredInMb": 1024, "NumberOfAcceleratorDevicesRequired": 1}},
        RuntimeConfig={"CopyCount": 1})
    wait_in_service(sm, "sdk-serve", ic=old_ic)
    m = write(tmp_path / "m", {"stack.yaml": STACK, "endpoint.yaml": f"""
        apiVersion: reconciler/v1
        kind: Endpoint
        metadata: {{name: sdk-serve, annotations: {{reconciler/adopt: "true"}}}}
        spec:
          type: inference-component-based
          executionRole: {arn}
          model:
            image: {{huggingfaceLlm: {{version: "2.2.0"}}}}
            environment: {{HF_MODEL_ID: mlabonne/TwinLlama-3.1-8B-DPO, SM_NUM_GPUS: "1"}}
          instance: {{type: ml.g5.12xlarge, count: 1, managedScaling: {{minCount: 1, maxCount: 2}}}}
          inferenceComponent: {{copies: 1, memoryMb: 1024, acceleratorDevices: 1}}
        """})

    step = endpoint_step(cli, m)
    assert [a for a, _ in actions(step)] == ["CreateInferenceComponent", "Wait", "DeleteInferenceComponent", "Wait",
                                             "AddTags", "AddTags", "AddTags"], step
    # the SDK's config and model, before the endpoint itself (issue 23)
    assert actions(step)[4:] == [("AddTags", "sdk-serve"), ("AddTags", SDK_MODEL), ("AddTags", "sdk-serve")]
    assert step["operations"][6]["resource"].split(":")[-1].startswith("endpoint/"), step["operations"][6]
    create, delete = step["operations"][0], step["operations"][2]
    assert create["target"] == "sdk-serve-ic" and "created before" in create["detail"] and delete["target"] == old_ic
    assert not any(o["interrupts_serving"] for o in step["operations"])
    assert f"inference component {old_ic} replaced by sdk-serve-ic (create before delete)" in step["reason"]

    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    # the new component was InService before the old one went: the endpoint never served nothing
    assert r.err.index("CreateInferenceComponent sdk-serve-ic") < r.err.index("InferenceComponent/sdk-serve-ic: InService") \
        < r.err.index(f"DeleteInferenceComponent {old_ic}")
    assert [c["InferenceComponentName"] for c in sm.list_inference_components(EndpointNameEquals="sdk-serve")[
        "InferenceComponents"]] == ["sdk-serve-ic"]
    assert sm.describe_endpoint(EndpointName="sdk-serve")["EndpointConfigName"] == "sdk-serve"
    assert [x["ModelName"] for x in sm.list_models()["Models"]] == [SDK_MODEL]
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
