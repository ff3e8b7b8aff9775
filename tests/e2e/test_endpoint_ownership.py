"""Never touch what is not ours around an endpoint (issue 17 items 1, 2): a component someone added to the
stack's endpoint, and parts stripped of ``reconciler:managed-by``, are never read as ours, changed or deleted."""

from __future__ import annotations

import time

from tests.support.manifests import adopting_endpoint, llm_endpoint, sagemaker_role, write

ROLE = sagemaker_role("own-exec")

IC_ENDPOINT = """
apiVersion: reconciler/v1
kind: Endpoint
metadata: {name: own-ic}
spec:
  type: inference-component-based
  executionRole: own-exec
  model:
    image: {huggingfaceLlm: {version: "2.2.0"}}
    environment: {HF_MODEL_ID: org/model}
  instance: {type: ml.g5.12xlarge, count: 1}
  inferenceComponent: {copies: 1, acceleratorDevices: 1, cpuCores: 2, memoryMb: 5120}
"""

MB_ENDPOINT = llm_endpoint("own-mb", "own-exec", "org/model")


def _fast(cli, moto_server) -> None:  # type: ignore[no-untyped-def]
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"


def _wait(check, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _ic(sm, name):  # type: ignore[no-untyped-def]
    try:
        return sm.describe_inference_component(InferenceComponentName=name)
    except sm.exceptions.ClientError:
        return None


def test_a_hand_made_component_on_our_endpoint_is_never_read_changed_or_deleted(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    m = write(tmp_path / "m", {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: own}\n",
                               "iam.yaml": ROLE, "endpoint.yaml": IC_ENDPOINT})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    sm = boto("sagemaker")
    role = boto("iam").get_role(RoleName="own-exec")["Role"]["Arn"]
    # someone adds their own model and component to the stack's endpoint, sorted before ours, untagged
    image = sm.describe_model(ModelName=sm.list_models()["Models"][0]["ModelName"])["PrimaryContainer"]["Image"]
    sm.create_model(ModelName="hand-model", ExecutionRoleArn=role, PrimaryContainer={"Image": image})
    sm.create_inference_component(
        InferenceComponentName="aaa-hand-ic", EndpointName="own-ic", VariantName="AllTraffic",
        Specification={"ModelName": "hand-model", "ComputeResourceRequirements": {
            "MinMemoryRequiredInMb": 1024, "NumberOfAcceleratorDevicesRequired": 1}},
        RuntimeConfig={"CopyCount": 1})
    _wait(lambda: (_ic(sm, "aaa-hand-ic") or {}).get("InferenceComponentStatus") == "InService", "hand IC")

    # plan reads the endpoint's own component (its declared name + this stack's tags), not the first by name
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
    assert "aaa-hand-ic" not in r.out

    # a change to ours leaves theirs exactly as it was
    (m / "endpoint.yaml").write_text(IC_ENDPOINT.replace("copies: 1", "copies: 2"))
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "aaa-hand-ic" not in r.err
    hand = _ic(sm, "aaa-hand-ic")
    assert hand is not None and hand["Specification"]["ModelName"] == "hand-model"
    assert hand["RuntimeConfig"]["CurrentCopyCount"] == 1
    assert sm.describe_inference_component(InferenceComponentName="own-ic")["RuntimeConfig"]["DesiredCopyCount"] == 2

    # destroy (and prune) would delete the endpoint under it: refused in the plan, nothing deleted
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 1, r.text
    assert "aaa-hand-ic" in r.text and "not owned by this stack" in r.text
    (m / "endpoint.yaml").unlink()
    r = cli("prune", str(m), "--auto-approve")
    assert r.code == 1 and "aaa-hand-ic" in r.text, r.text
    assert _ic(sm, "aaa-hand-ic") is not None and _ic(sm, "own-ic") is not None
    assert sm.describe_endpoint(EndpointName="own-ic")["EndpointStatus"] == "InService"
    assert "Traceback" not in "".join(x.err for x in cli.history)

    # once theirs is gone, destroy removes everything the stack owns, and only that
    sm.delete_inference_component(InferenceComponentName="aaa-hand-ic")
    _wait(lambda: _ic(sm, "aaa-hand-ic") is None, "hand IC deleted")
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert [x["ModelName"] for x in sm.list_models()["Models"]] == ["hand-model"]
    assert sm.list_endpoint_configs()["EndpointConfigs"] == [] and sm.list_endpoints()["Endpoints"] == []


def test_parts_without_managed_by_are_never_leftovers_nor_deleted(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    m = write(tmp_path / "m", {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: own}\n",
                               "iam.yaml": ROLE, "endpoint.yaml": MB_ENDPOINT})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    sm = boto("sagemaker")
    (ours,) = sm.list_models()["Models"]
    model = sm.describe_model(ModelName=ours["ModelName"])
    # a model and a config named like the endpoint's parts, tagged with the stack and the endpoint,
    # but not reconciler:managed-by (stripped, or made by hand): not ours
    tags = [{"Key": "reconciler:stack", "Value": "own"}, {"Key": "reconciler:endpoint", "Value": "own-mb"}]
    sm.create_model(ModelName="own-mb-0123456789", ExecutionRoleArn=model["ExecutionRoleArn"],
                    PrimaryContainer={"Image": model["PrimaryContainer"]["Image"]}, Tags=tags)
    sm.create_endpoint_config(EndpointConfigName="own-mb-abcdef0123", Tags=tags, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "own-mb-0123456789", "InstanceType": "ml.g5.2xlarge",
        "InitialInstanceCount": 1}])

    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
    (m / "endpoint.yaml").write_text(MB_ENDPOINT.replace("org/model", "org/model-v2"))
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "own-mb-0123456789" not in r.text and "own-mb-abcdef0123" not in r.text
    assert [x["ModelName"] for x in sm.list_models()["Models"]] == ["own-mb-0123456789"]
    assert [x["EndpointConfigName"] for x in sm.list_endpoint_configs()["EndpointConfigs"]] == ["own-mb-abcdef0123"]


def test_adopting_an_endpoint_takes_its_declared_component_never_another_stacks(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tgi:latest"
    m = write(tmp_path / "m", {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: own}\n",
                               "iam.yaml": ROLE})
    assert cli("apply", str(m), "--auto-approve").code == 0
    sm = boto("sagemaker")
    role = boto("iam").get_role(RoleName="own-exec")["Role"]["Arn"]
    # an endpoint made by hand, with its component and a second one another reconcile stack runs there
    sm.create_model(ModelName="adopt-model", ExecutionRoleArn=role,
                    PrimaryContainer={"Image": image, "Environment": {"HF_MODEL_ID": "org/model"}})
    sm.create_endpoint_config(EndpointConfigName="adopt-cfg", ExecutionRoleArn=role, ProductionVariants=[{
        "VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="adopt", EndpointConfigName="adopt-cfg")
    _wait(lambda: sm.describe_endpoint(EndpointName="adopt")["EndpointStatus"] == "InService", "endpoint")
    other_stack = [{"Key": "reconciler:managed-by", "Value": "reconciler"}, {"Key": "reconciler:stack", "Value": "other"},
                   {"Key": "reconciler:endpoint", "Value": "adopt"}]
    for ic, tags in (("adopt-ic", []), ("aaa-other-ic", other_stack)):
        sm.create_inference_component(
            InferenceComponentName=ic, EndpointName="adopt", VariantName="AllTraffic",
            Specification={"ModelName": "adopt-model", "ComputeResourceRequirements": {
                "MinMemoryRequiredInMb": 1024, "NumberOfAcceleratorDevicesRequired": 1}},
            RuntimeConfig={"CopyCount": 1}, Tags=tags)
        _wait(lambda ic=ic: (_ic(sm, ic) or {}).get("InferenceComponentStatus") == "InService", ic)
    write(m, {"endpoint.yaml": adopting_endpoint("adopt", "own-exec", image, ic=True)})
    r = cli("plan", str(m))
    assert r.code == 0 and "adopt existing resource" in r.out and "aaa-other-ic" not in r.out, r.text
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    arn = _ic(sm, "adopt-ic")["InferenceComponentArn"]
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
    assert tags["reconciler:stack"] == "own" and tags["reconciler:endpoint"] == "adopt", tags
    other = sm.list_tags(ResourceArn=_ic(sm, "aaa-other-ic")["InferenceComponentArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in other}["reconciler:stack"] == "other"  # never taken, never changed
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text


def test_adopting_and_changing_an_endpoint_never_deletes_a_part_stripped_of_managed_by(cli, boto, moto_server, tmp_path):
    """A hand-made endpoint runs a config tagged with this stack's name and the endpoint but without
    reconciler:managed-by (stripped, or written by hand): adopting the endpoint and changing it moves it to
    new parts; that config is never taken as this stack's, so it is never deleted (it was, once it left the
    rollback point: its stack tag alone counted)."""
    _fast(cli, moto_server)
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tgi:latest"
    m = write(tmp_path / "m", {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: own}\n",
                               "iam.yaml": ROLE})
    assert cli("apply", str(m), "--auto-approve").code == 0
    sm = boto("sagemaker")
    role = boto("iam").get_role(RoleName="own-exec")["Role"]["Arn"]
    stripped = [{"Key": "reconciler:stack", "Value": "own"}, {"Key": "reconciler:endpoint", "Value": "adopt-mb"}]
    sm.create_model(ModelName="hand-model", ExecutionRoleArn=role,
                    PrimaryContainer={"Image": image, "Environment": {"HF_MODEL_ID": "org/model"}})
    sm.create_endpoint_config(EndpointConfigName="stripped-cfg", Tags=stripped, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "hand-model", "InstanceType": "ml.g5.2xlarge",
        "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="adopt-mb", EndpointConfigName="stripped-cfg")
    _wait(lambda: sm.describe_endpoint(EndpointName="adopt-mb")["EndpointStatus"] == "InService", "endpoint")
    write(m, {"endpoint.yaml": adopting_endpoint("adopt-mb", "own-exec", image, "org/model-v2")})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    # two more changes: the first config and model drop out of the rollback point
    for version in ("v3", "v4"):
        (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text().replace(
            "org/model-v2" if version == "v3" else "org/model-v3", f"org/model-{version}"))
        r = cli("apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
        # never a call on it (its name shows only as the rollback record's value, put back if an update fails,
        # and in the warning that it is not this stack's)
        assert not [x for x in r.out.splitlines() if "stripped-cfg" in x and "previous-config = stripped-cfg" not in x
                    and not x.strip().startswith("warning:")], r.text
    assert sm.describe_endpoint(EndpointName="adopt-mb")["EndpointConfigName"] != "stripped-cfg"
    assert "stripped-cfg" in [x["EndpointConfigName"] for x in sm.list_endpoint_configs()["EndpointConfigs"]], r.text
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=sm.describe_endpoint_config(
        EndpointConfigName="stripped-cfg")["EndpointConfigArn"])["Tags"]}
    assert "reconciler:managed-by" not in tags, tags  # never re-tagged as ours
    # the adopted model is kept too: no plan listed its delete (its config, not ours, still names it), and
    # apply deletes nothing its plan did not list (the write audit checks every command here)
    assert "hand-model" in [x["ModelName"] for x in sm.list_models()["Models"]], r.text


def test_an_adopted_config_never_takes_a_model_of_the_same_name_with_it(cli, boto, moto_server, tmp_path):
    """Models and configs are separate namespaces: an adopted endpoint's config ``shared-name`` is deleted once
    it leaves the rollback point, and an unrelated model that happens to be named ``shared-name`` (nobody's,
    untagged) stays (adoption recorded names without their kind, so the model went with the config)."""
    _fast(cli, moto_server)
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tgi:latest"
    m = write(tmp_path / "m", {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: own}\n",
                               "iam.yaml": ROLE})
    assert cli("apply", str(m), "--auto-approve").code == 0
    sm = boto("sagemaker")
    role = boto("iam").get_role(RoleName="own-exec")["Role"]["Arn"]
    container = {"Image": image, "Environment": {"HF_MODEL_ID": "org/model"}}
    sm.create_model(ModelName="sdk-model", ExecutionRoleArn=role, PrimaryContainer=container)
    sm.create_model(ModelName="shared-name", ExecutionRoleArn=role, PrimaryContainer=container)  # nobody's
    sm.create_endpoint_config(EndpointConfigName="shared-name", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "sdk-model", "InstanceType": "ml.g5.2xlarge",
        "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="adopt-same", EndpointConfigName="shared-name")
    _wait(lambda: sm.describe_endpoint(EndpointName="adopt-same")["EndpointStatus"] == "InService", "endpoint")
    write(m, {"endpoint.yaml": adopting_endpoint("adopt-same", "own-exec", image, "org/model")})
    r = cli("apply", str(m), "--auto-approve")  # adoption: tags only
    assert r.code == 0, r.text
    for old, new in (("org/model", "org/model-v2"), ("org/model-v2", "org/model-v3")):
        (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text().replace(f"HF_MODEL_ID: {old}}}", f"HF_MODEL_ID: {new}}}"))
        r = cli("apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
    configs = [x["EndpointConfigName"] for x in sm.list_endpoint_configs()["EndpointConfigs"]]
    assert "shared-name" not in configs, r.text  # the adopted config left the rollback point: deleted
    assert "shared-name" in [x["ModelName"] for x in sm.list_models()["Models"]], r.text  # the model is not ours
