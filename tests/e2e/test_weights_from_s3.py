"""Weights from S3 (issue 25 point 5): ``spec.model.weights: {s3: …}`` deploys a fine-tuned model from S3
through the container's ModelDataSource (a prefix) or ModelDataUrl (a .tar.gz), HF_MODEL_ID defaults to
/opt/ml/model, the weights name the model (new weights: a new model, blue/green), a no-change plan after apply
is a no-change plan, missing weights are a plan problem naming file:line, and a declared role that cannot
read them is a lint warning."""

from __future__ import annotations

import json

from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: wts}\n"
ROLE = """
    apiVersion: reconciler/v1
    kind: Role
    metadata: {name: twin-exec}
    spec:
      assumedBy: [sagemaker.amazonaws.com]
      inlinePolicies:
        weights:
          Version: "2012-10-17"
          Statement:
            - {Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::RESOURCE"}
            - {Effect: Allow, Action: s3:ListBucket, Resource: "arn:aws:s3:::finetuned"}
    """
ENDPOINT = """
    apiVersion: reconciler/v1
    kind: Endpoint
    metadata: {name: twin}
    spec:
      executionRole: twin-exec
      model:
        image: {huggingfaceLlm: {version: "2.2.0"}}
        weights: {s3: "URI"}
        environment: {SM_NUM_GPUS: "1"}
      instance: {type: ml.g5.2xlarge}
    """
IC = """
    apiVersion: reconciler/v1
    kind: Endpoint
    metadata: {name: shared}
    spec:
      type: inference-component-based
      executionRole: twin-exec
      instance: {type: ml.g5.12xlarge, count: 1}
    ---
    apiVersion: reconciler/v1
    kind: InferenceComponent
    metadata: {name: twin-ic}
    spec:
      endpoint: shared
      model:
        image: {huggingfaceLlm: {version: "2.2.0"}}
        weights: {s3: "URI"}
      acceleratorDevices: 1
      memoryMb: 4096
    """
PREFIX = "s3://finetuned/twinllama/v1/"


def _bucket(boto, *keys: str) -> None:
    s3 = boto("s3")
    s3.create_bucket(Bucket="finetuned")
    for k in keys:
        s3.put_object(Bucket="finetuned", Key=k, Body=b"weights")


def _stack(tmp_path, uri: str, resource: str = "finetuned/*", doc: str = ENDPOINT, name: str = "endpoint.yaml"):
    return write(tmp_path / "m", {"stack.yaml": STACK, "iam.yaml": ROLE.replace("RESOURCE", resource),
                                  name: doc.replace("URI", uri)})


def _container(boto, endpoint: str) -> dict:
    sm = boto("sagemaker")
    cfg = sm.describe_endpoint_config(EndpointConfigName=sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"])
    return sm.describe_model(ModelName=cfg["ProductionVariants"][0]["ModelName"])["PrimaryContainer"]


def test_prefix_applies_through_model_data_source_then_plans_no_change_and_new_weights_are_a_new_model(
        cli, boto, tmp_path):
    _bucket(boto, "twinllama/v1/config.json", "twinllama/v1/model.safetensors", "twinllama/v2/model.safetensors")
    m = _stack(tmp_path, PREFIX)
    r = cli("plan", str(m))
    assert r.code == 0, r.text
    assert "weights" in r.out and PREFIX in r.out, r.out
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    container = _container(boto, "twin")
    assert container["ModelDataSource"] == {"S3DataSource": {"S3Uri": PREFIX, "S3DataType": "S3Prefix",
                                                             "CompressionType": "None"}}
    assert container["Environment"] == {"HF_MODEL_ID": "/opt/ml/model", "SM_NUM_GPUS": "1"}
    first = boto("sagemaker").describe_endpoint(EndpointName="twin")["EndpointConfigName"]
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes" in r.out, r.text
    # new weights: a new model, deployed blue/green (UpdateEndpoint to a new config)
    m = _stack(tmp_path, "s3://finetuned/twinllama/v2/")
    r = cli("plan", str(m))
    assert r.code == 0 and "new model/config + UpdateEndpoint, forced by weights" in r.out, r.text
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert boto("sagemaker").describe_endpoint(EndpointName="twin")["EndpointConfigName"] != first
    assert _container(boto, "twin")["ModelDataSource"]["S3DataSource"]["S3Uri"] == "s3://finetuned/twinllama/v2/"
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes" in r.out, r.text
    # rollback: back to the model of the weights before, and it says the weights differ
    r = cli("rollback", "twin", "--auto-approve")
    assert r.code == 0 and "weights" in r.out and "twinllama/v1/" in r.out, r.text
    assert boto("sagemaker").describe_endpoint(EndpointName="twin")["EndpointConfigName"] == first
    assert _container(boto, "twin")["ModelDataSource"]["S3DataSource"]["S3Uri"] == PREFIX


def test_compressed_artifact_is_model_data_url_and_a_set_hf_model_id_is_kept(cli, boto, tmp_path):
    _bucket(boto, "twinllama/model.tar.gz")
    doc = ENDPOINT.replace('{SM_NUM_GPUS: "1"}', '{HF_MODEL_ID: /opt/ml/model/twin}')
    m = _stack(tmp_path, "s3://finetuned/twinllama/model.tar.gz", doc=doc)
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    container = _container(boto, "twin")
    assert container["ModelDataUrl"] == "s3://finetuned/twinllama/model.tar.gz" and "ModelDataSource" not in container
    assert container["Environment"] == {"HF_MODEL_ID": "/opt/ml/model/twin"}
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes" in r.out, r.text


def test_missing_weights_are_plan_problems_naming_file_line_and_apply_writes_nothing(cli, boto, tmp_path):
    _bucket(boto, "other/model.safetensors", "twinllama/model.tar.gz.bak")  # (prefixed by the key, not it)
    m = _stack(tmp_path, PREFIX)
    r = cli("plan", str(m), "--out", str(tmp_path / "plan.json"))
    assert r.code == 1, r.text
    assert f"endpoint.yaml:8: spec.model.weights.s3: no object under {PREFIX}" in r.out, r.out
    assert [(p["code"], p["line"]) for p in json.loads((tmp_path / "plan.json").read_text())["problems"]] == [("check", 8)]
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 1 and "refusing to apply" in r.err, r.text
    assert boto("sagemaker").list_models()["Models"] == []
    for uri, why in (("s3://finetuned/twinllama/model.tar.gz", "s3://finetuned/twinllama/model.tar.gz does not exist"),
                     ("s3://nobucket/twin/", "bucket 'nobucket' does not exist")):
        r = cli("plan", str(_stack(tmp_path, uri)))
        assert r.code == 1 and f"endpoint.yaml:8: spec.model.weights.s3: {why}" in r.out, r.text


def test_a_declared_role_that_cannot_read_the_weights_is_a_lint_warning(cli, boto, tmp_path):
    _bucket(boto, "twinllama/v1/model.safetensors")
    r = cli("validate", str(_stack(tmp_path, PREFIX, resource="finetuned/other/*")))
    assert r.code == 0, r.text
    assert "endpoint.yaml:8: spec.model.weights.s3: Role/twin-exec (" in r.text, r.text
    assert "iam.yaml:1) has no statement allowing s3:GetObject on arn:aws:s3:::finetuned/twinllama/v1/*" in r.text
    for allowed in ("finetuned/twinllama/*", "finetuned/*", "*"):
        r = cli("validate", str(_stack(tmp_path, PREFIX, resource=allowed)))
        assert r.code == 0 and "s3:GetObject" not in r.text, r.text


def test_inference_component_model_from_s3(cli, boto, tmp_path):
    _bucket(boto, "twinllama/v1/model.safetensors", "twinllama/v2/model.safetensors")
    m = _stack(tmp_path, PREFIX, doc=IC, name="ic.yaml")
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    sm = boto("sagemaker")
    model = sm.describe_inference_component(InferenceComponentName="twin-ic")["Specification"]["ModelName"]
    container = sm.describe_model(ModelName=model)["PrimaryContainer"]
    assert container["ModelDataSource"]["S3DataSource"]["S3Uri"] == PREFIX
    assert container["Environment"] == {"HF_MODEL_ID": "/opt/ml/model"}
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes" in r.out, r.text
    r = cli("plan", str(_stack(tmp_path, "s3://finetuned/twinllama/v2/", doc=IC, name="ic.yaml")))
    assert r.code == 0 and "weights" in r.out and "UpdateInferenceComponent" in r.out, r.text
    r = cli("plan", str(_stack(tmp_path, "s3://finetuned/nothing/", doc=IC, name="ic.yaml")))
    assert r.code == 1 and "ic.yaml:16: spec.model.weights.s3: no object under s3://finetuned/nothing/" in r.out, r.text


def test_import_reads_model_data_source_back_into_weights(cli, boto, moto_server, tmp_path):
    """A hand-made endpoint serving weights from S3 (as the SageMaker SDK deploys ``model_data={"S3DataSource":
    …}``) is imported with ``weights``; adopting it then only tags (the weights name no new model)."""
    from reconciler import images
    from tests.e2e.test_import import assert_only_tags, docs, execution_role_script, fast, wait

    fast(moto_server, cli)
    _bucket(boto, "twinllama/v1/model.safetensors")
    sm = boto("sagemaker")
    source = {"S3DataSource": {"S3Uri": PREFIX, "S3DataType": "S3Prefix", "CompressionType": "None"}}
    sm.create_model(ModelName="twin-sdk", ExecutionRoleArn=execution_role_script(boto), PrimaryContainer={
        "Image": images.uri("huggingfaceLlm", "2.2.0", "us-east-1"), "ModelDataSource": source,
        "Environment": {"HF_MODEL_ID": "/opt/ml/model", "SM_NUM_GPUS": "1"}})
    sm.create_endpoint_config(EndpointConfigName="twin", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "twin-sdk", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="twin", EndpointConfigName="twin")
    wait(sm, "twin")
    m = tmp_path / "imported"
    r = cli("import", str(m), "Endpoint/twin")
    assert r.code == 0, r.text
    ep = docs(m / "endpoint-twin.yaml")[0]
    assert ep["spec"]["model"]["weights"] == {"s3": PREFIX}, ep
    assert_only_tags(cli, m)
    assert cli("apply", str(m), "--auto-approve").code == 0
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes" in r.out, r.text


def test_the_example_deploys_the_seeds_fine_tuned_model_from_s3(cli, boto, moto_server, tmp_path):
    """examples/weights-from-s3 as a user runs it: upload the weights, apply (the smoke test answers), invoke,
    and plan again: no change."""
    import shutil
    from pathlib import Path

    from tests.e2e.test_import import fast

    fast(moto_server, cli)
    m = tmp_path / "example"
    shutil.copytree(Path(__file__).parents[2] / "examples" / "weights-from-s3", m)
    s3 = boto("s3")
    s3.create_bucket(Bucket="llm-twin-models")
    for key in ("config.json", "tokenizer.json", "model-00001-of-00004.safetensors"):
        s3.put_object(Bucket="llm-twin-models", Key=f"twinllama-3.1-8b-dpo/{key}", Body=b"{}")
    r = cli("validate", str(m))
    assert r.code == 0 and "warning" not in r.text, r.text
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _container(boto, "twinllama-s3")["ModelDataSource"]["S3DataSource"]["S3Uri"] == \
        "s3://llm-twin-models/twinllama-3.1-8b-dpo/"
    r = cli("invoke", "twinllama-s3", "-f", str(m), "--prompt", "Write a paragraph about RAG.")
    assert r.code == 0 and r.out.strip(), r.text
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes" in r.out, r.text
