"""The pure parts of `reconcile import`: YAML that reads back as written, image reverse lookup, secret
detection, and the endpoint settings a manifest cannot express."""

from __future__ import annotations

import yaml

from reconciler import images
from reconciler.importer import endpoint, yamlout
from reconciler.importer.model import Imported, environment, is_secret


def test_yaml_reads_back_as_written_with_comments():
    doc = {"apiVersion": "reconciler/v1", "kind": "Policy",
           "metadata": {"name": "p", "annotations": {"reconciler/adopt": "true"}},
           "spec": {"document": {"Version": "2012-10-17", "Statement": [
               {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}}]},
               "env": {"A": "1", "B": "yes", "C": "a: b", "D": "x #y", "E": "", "F": "null", "G": "多语言"}}}
    text = yamlout.document(doc, {("spec", "env"): "a comment"}, ["head"])
    assert yaml.safe_load(text) == doc
    assert text.startswith("# head\n") and "env:  # a comment" in text


def test_image_reverse_lookup():
    uri = images.uri("huggingfaceLlm", "2.2.0", "eu-west-1")
    assert images.reverse(uri, "eu-west-1") == ("huggingfaceLlm", "2.2.0")
    assert images.reverse(uri, "us-east-1") is None  # another region's registry
    assert images.reverse("123456789012.dkr.ecr.us-east-1.amazonaws.com/mine:1", "us-east-1") is None


def test_secret_looking_values_become_references_without_their_value():
    assert is_secret("HUGGING_FACE_HUB_TOKEN", "abc") and is_secret("OPENAI_API_KEY", "x")
    assert is_secret("ANYTHING", "hf_abcdef") and not is_secret("HF_MODEL_ID", "org/model")
    item = Imported("Endpoint", "e")
    out = environment(item, {"HF_TOKEN": "hf_secret", "SM_NUM_GPUS": "1"}, ("spec",), "st", "Model/m")
    assert out == {"HF_TOKEN": {"secretsManager": "st/e/hf-token"}, "SM_NUM_GPUS": "1"}
    assert item.secrets == [("st/e/hf-token", "HF_TOKEN", "Model/m")]
    assert "hf_secret" not in repr(item.comments)


def test_unsupported_endpoint_settings_are_named():
    cfg = {"ProductionVariants": [{"ModelName": "a"}, {"ModelName": "b"}], "AsyncInferenceConfig": {"x": 1}}
    model = {"PrimaryContainer": {"Image": "i", "ModelDataUrl": "s3://bkt/m.zip"}, "VpcConfig": {"Subnets": ["s"]}}
    found = endpoint.unsupported({"EndpointStatus": "InService"}, cfg, model, [])
    assert found == ["2 production variants (one is supported)", "asynchronous inference (AsyncInferenceConfig)",
                     "VPC configuration (VpcConfig) of its model",
                     "model data s3://bkt/m.zip (ModelDataUrl); weights are an s3:// prefix ending in / (S3Prefix, "
                     "uncompressed) or a .tar.gz object (ModelDataUrl)"]
    assert endpoint.unsupported({}, {"ProductionVariants": [{"ModelName": "a"}]}, {"PrimaryContainer": {}}, []) == []


def test_model_data_that_weights_can_say_is_imported_and_the_rest_refused_by_name():
    """weights: an S3 prefix (S3Prefix, uncompressed) or a .tar.gz (ModelDataUrl); not an S3Object, a Gzip
    prefix, an https URL, nor a source with settings weights cannot hold (ModelAccessConfig)."""
    def refused(container):
        return endpoint.unsupported({}, None, {"PrimaryContainer": {"Image": "i", **container}}, [])

    prefix = {"S3Uri": "s3://bkt/w/", "S3DataType": "S3Prefix", "CompressionType": "None"}
    assert refused({"ModelDataSource": {"S3DataSource": prefix}}) == []
    assert refused({"ModelDataUrl": "s3://bkt/w/model.tar.gz"}) == []
    assert refused({"ModelDataSource": {"S3DataSource": {**prefix, "S3Uri": "s3://bkt/w/m.bin",
                                                         "S3DataType": "S3Object"}}}) == [
        "model data s3://bkt/w/m.bin (S3Object, None); weights are an s3:// prefix ending in / (S3Prefix, "
        "uncompressed) or a .tar.gz object (ModelDataUrl)"]
    assert "model data https://bkt.s3.amazonaws.com/m.tar.gz (ModelDataUrl)" in refused(
        {"ModelDataUrl": "https://bkt.s3.amazonaws.com/m.tar.gz"})[0]
    assert refused({"ModelDataSource": {"S3DataSource": {**prefix, "ModelAccessConfig": {"AcceptEula": True}}}}) == [
        "model data from S3 with ModelAccessConfig (ModelDataSource.S3DataSource)"]


def test_into_an_environment_sees_the_folder_as_that_environment(tmp_path):
    """What `import --env` checks against: the environment's stack and the names it declares after patches."""
    import pytest

    from reconciler.environments import EnvironmentsRequired
    from reconciler.errors import UsageError
    from reconciler.importer.environment import into
    from tests.support.manifests import write

    role = "apiVersion: reconciler/v1\nkind: Role\nmetadata: {{name: {name}{ann}}}\nspec: {{assumedBy: [lambda.amazonaws.com]}}\n"
    m = write(tmp_path / "m", {
        "iam.yaml": role.format(name="App-Role", ann="") + "---\n"
        + role.format(name="prod-only", ann=', annotations: {reconciler/environments: "prod"}'),
        "environments/dev.yaml": "apiVersion: reconciler/v1\nkind: Environment\nmetadata: {name: dev}\n"
                                 "spec:\n  stack: llm-dev\n  region: eu-west-1\n  accountId: '111122223333'\n"
                                 "  patches:\n    - {target: Role/App-Role, patch: {metadata: {name: Dev-App-Role}}}\n",
        "environments/prod.yaml": "apiVersion: reconciler/v1\nkind: Environment\nmetadata: {name: prod}\n"})
    dev = into(str(m), "dev", None)
    assert dev is not None and dev.folder == m / "dev"
    assert (dev.stack.name, dev.stack.spec.region, dev.stack.spec.accountId) == ("llm-dev", "eu-west-1", "111122223333")
    assert set(dev.declared) == {("Role", "dev-app-role")}  # patched name, folded as IAM compares; prod's left out
    prod = into(str(m), "prod", None)
    assert prod is not None and prod.stack.name == "m-prod" and set(prod.declared) == {("Role", "app-role"),
                                                                                        ("Role", "prod-only")}
    with pytest.raises(UsageError, match="already declares Role/DEV-APP-ROLE"):
        dev.refuse_declared([("Role", "DEV-APP-ROLE"), ("Role", "app-role")])
    dev.refuse_declared([("Role", "dev-app-role")], [m / "iam.yaml"])  # in a file the import rewrites: fine
    with pytest.raises(EnvironmentsRequired, match=r"declare environments \(dev, prod\): import needs --env"):
        into(str(m), None, None)
    with pytest.raises(UsageError, match="--stack x conflicts with --env dev"):
        into(str(m), "dev", "x")
    plain = into(str(tmp_path / "nothing-yet"), None, None)  # a folder without environments: itself, no Stack yet
    assert (plain.env, plain.stack, plain.folder, plain.declared) == (None, None, tmp_path / "nothing-yet", {})
    with pytest.raises(UsageError, match="declare no environments"):
        into(str(tmp_path / "nothing-yet"), "dev", None)


def test_schema_path_resolves_from_the_written_files(tmp_path):
    """Issue 27 item 6: $schema points at the nearest schemas/ `reconcile schema` wrote, within DIR's repository,
    relative to the files; a schemas/ outside the repository is not used (it would not be there in a checkout)."""
    import os

    from reconciler import schema
    from reconciler.importer import schema_for

    schema.write(tmp_path / "schemas")  # e.g. `reconcile schema` run in the home folder once
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    target = repo / "stacks" / "llm" / "dev"
    path, files = schema_for(target, repo / "stacks" / "llm")
    assert path == "../schemas/reconciler.json" and set(files) == set(schema.files(repo / "stacks" / "llm" / "schemas"))
    schema.write(repo / "schemas")
    path, files = schema_for(target, repo / "stacks" / "llm")
    assert files == {} and os.path.normpath(target / path) == str(repo / "schemas" / "reconciler.json")
