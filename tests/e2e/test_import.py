"""`reconcile import` (issue 12): resources made the way our users made them (seed 000's scripts, the
SageMaker SDK's HuggingFaceModel.deploy, seed 003's SAM stack) are read back into manifests; adopting
them plans and applies nothing but ownership tags; an edit then rolls out blue/green; destroy removes
what was adopted, the SDK-named models and configs included. Checked with boto3 against the moto server."""

from __future__ import annotations

import io
import json
import zipfile

import yaml

from reconciler import images
from tests.support import audit

REGION = "us-east-1"
ROLE = "llm-engineering-sagemaker-execution"
USER = "sagemaker-deployer"
SDK_MODEL = "huggingface-pytorch-tgi-inference-2026-11-30-21-04-15-123"
SDK_MODEL_IC = "huggingface-pytorch-tgi-inference-2026-11-30-21-09-44-456"
ENV = {"HF_MODEL_ID": "mlabonne/TwinLlama-3.1-8B-DPO", "SM_NUM_GPUS": "1", "MAX_INPUT_LENGTH": "2048",
       "MAX_TOTAL_TOKENS": "4096", "MAX_BATCH_TOTAL_TOKENS": "4096"}
TOKEN = "hf_SeedTokenValue0123456789abcdefXYZ"
TAG_ACTIONS = {"AddTags", "DeleteTags"}  # SageMaker's; the other services' are Tag…/Untag… (TagRole, TagResource …)


def fast(moto_server, cli):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"


# ---- the seed's scripts and the SDK, as boto3 calls ----------------------------------------------------


def execution_role_script(boto) -> str:
    """create_sagemaker_execution_role.py: a role SageMaker assumes, with AWS managed policies attached."""
    iam = boto("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    for p in ("AmazonSageMakerFullAccess", "AmazonS3FullAccess", "CloudWatchLogsFullAccess"):
        iam.attach_role_policy(RoleName=ROLE, PolicyArn=f"arn:aws:iam::aws:policy/{p}")
    return arn


def user_script(boto) -> str:
    """create_sagemaker_role.py: a user with AWS managed policies and an access key (saved to a JSON file)."""
    iam = boto("iam")
    iam.create_user(UserName=USER)
    for p in ("AmazonSageMakerFullAccess", "AmazonS3FullAccess"):
        iam.attach_user_policy(UserName=USER, PolicyArn=f"arn:aws:iam::aws:policy/{p}")
    return iam.create_access_key(UserName=USER)["AccessKey"]["AccessKeyId"]


def wait(sm, endpoint=None, ic=None):
    import time

    for _ in range(400):
        d = (sm.describe_inference_component(InferenceComponentName=ic)["InferenceComponentStatus"] if ic
             else sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"])
        if d == "InService":
            return
        time.sleep(0.05)
    raise AssertionError(f"{ic or endpoint} is {d}")


def sdk_deploy(boto, role_arn, endpoint, env=ENV, **config_extra):
    """HuggingFaceModel(...).deploy(endpoint_name=endpoint): the SDK names the model by image and time and
    the config after the endpoint."""
    sm = boto("sagemaker")
    image = images.uri("huggingfaceLlm", "2.2.0", REGION)
    sm.create_model(ModelName=SDK_MODEL, ExecutionRoleArn=role_arn, PrimaryContainer={"Image": image, "Environment": env})
    sm.create_endpoint_config(EndpointConfigName=endpoint, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": SDK_MODEL, "InstanceType": "ml.g5.2xlarge",
        "InitialInstanceCount": 1, "InitialVariantWeight": 1.0,
        "ContainerStartupHealthCheckTimeoutInSeconds": 900}], **config_extra)
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)
    wait(sm, endpoint)


def sdk_deploy_ic(boto, role_arn, endpoint):
    """deploy(endpoint_type=INFERENCE_COMPONENT_BASED, resources=ResourceRequirements(...)): a config without
    a model, then an inference component named by the SDK."""
    sm = boto("sagemaker")
    image = images.uri("huggingfaceLlm", "2.2.0", REGION)
    sm.create_model(ModelName=SDK_MODEL_IC, ExecutionRoleArn=role_arn, PrimaryContainer={"Image": image, "Environment": ENV})
    sm.create_endpoint_config(EndpointConfigName=endpoint, ExecutionRoleArn=role_arn, ProductionVariants=[{
        "VariantName": "AllTraffic", "InstanceType": "ml.g5.2xlarge", "InitialInstanceCount": 1,
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}}])
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=endpoint)
    wait(sm, endpoint)
    sm.create_inference_component(
        InferenceComponentName=SDK_MODEL_IC, EndpointName=endpoint, VariantName="AllTraffic",
        Specification={"ModelName": SDK_MODEL_IC, "StartupParameters": {"ContainerStartupHealthCheckTimeoutInSeconds": 900},
                       "ComputeResourceRequirements": {"NumberOfAcceleratorDevicesRequired": 1, "MinMemoryRequiredInMb": 5120}},
        RuntimeConfig={"CopyCount": 1})
    wait(sm, ic=SDK_MODEL_IC)


# ---- helpers -------------------------------------------------------------------------------------------


def steps(cli, m):
    r = cli("plan", str(m), "--format", "json")
    assert r.code == 0, r.text
    return json.loads(r.out)["steps"]


def assert_only_tags(cli, m):
    """Every step adopts: an update whose changes are tags and whose AWS calls only tag."""
    got = steps(cli, m)
    assert got, "nothing planned"
    for s in got:
        assert s["action"] == "update" and s["reason"].startswith("adopt"), s
        assert {c["path"].split(".")[0] for c in s["changes"]} == {"tags"}, s
        assert all(o["action"] in TAG_ACTIONS or o["action"].startswith(("Tag", "Untag"))
                   for o in s.get("operations") or []), s
    return got


def endpoint_ops(got):
    step = next(s for s in got if s["kind"] == "Endpoint")
    return step["operations"]


TAGGING = {"AddTags", "TagRole", "TagUser", "TagPolicy", "TagResource"}


def applied_writes(moto_server, since):
    """The AWS writes (not reads, not invokes) the sandbox's audit recorded after ``since``."""
    records, _ = audit.fetch(moto_server.url, since)
    return [r for r in records if r.get("class") == "write"]


def names(sm):
    return (sorted(m["ModelName"] for m in sm.list_models()["Models"]),
            sorted(c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]))


def tags(sm, arn):
    return {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}


def docs(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


# ---- model-based: the seed's endpoint, its role and the deployer user ------------------------------------


def test_model_based_round_trip(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    sm = boto("sagemaker")
    key_id = user_script(boto)
    sdk_deploy(boto, execution_role_script(boto), "twinllama")
    before = sm.describe_endpoint(EndpointName="twinllama")
    m = tmp_path / "llm"

    r = cli("import", str(m), "Endpoint/twinllama", f"User/{USER}")
    assert r.code == 0, r.text
    files = sorted(p.name for p in m.iterdir())
    assert files == ["endpoint-twinllama.yaml", "schemas", "stack.yaml", f"user-{USER}.yaml"]
    # issue 27 item 6: the $schema line resolves from where the file is (no schemas/ near: written beside them)
    for name in files[:1] + files[2:]:
        schema = (m / name).read_text().split("\n", 1)[0].removeprefix("# yaml-language-server: $schema=")
        assert (m / schema).resolve().is_file() and (m / schema).resolve().parent == (m / "schemas").resolve(), schema
    assert f"wrote {m}/schemas/: the JSON Schemas" in r.out, r.out
    ep, role = docs(m / "endpoint-twinllama.yaml")
    assert ep["metadata"]["annotations"] == {"reconciler/adopt": "true"}
    assert ep["spec"]["executionRole"] == ROLE and role["kind"] == "Role" and role["metadata"]["name"] == ROLE
    assert ep["spec"]["model"]["image"] == {"huggingfaceLlm": {"version": "2.2.0"}}
    assert ep["spec"]["model"]["environment"] == ENV
    assert ep["spec"]["startup"] == {"healthCheckTimeoutSeconds": 900}
    assert role["spec"]["assumedBy"] == ["sagemaker.amazonaws.com"]
    user = docs(m / f"user-{USER}.yaml")[0]
    assert user["spec"]["unmanagedAccessKeys"] == "keep"
    assert "unmanagedAccessKeys: keep  # 1 access key(s) made outside reconcile" in (m / f"user-{USER}.yaml").read_text()

    got = assert_only_tags(cli, m)
    endpoint_step = next(s for s in got if s["kind"] == "Endpoint")
    assert sorted((o["action"], o["target"]) for o in endpoint_step["operations"]) == [
        ("AddTags", SDK_MODEL), ("AddTags", "twinllama"), ("AddTags", "twinllama")]  # endpoint, its config, its model
    _, since = audit.fetch(moto_server.url)
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    writes = applied_writes(moto_server, since)
    assert writes and {w["operation"] for w in writes} <= TAGGING, [audit.describe(w) for w in writes]
    after = sm.describe_endpoint(EndpointName="twinllama")
    assert after["EndpointConfigName"] == "twinllama" and after["CreationTime"] == before["CreationTime"]
    assert after["LastModifiedTime"] == before["LastModifiedTime"]  # no UpdateEndpoint
    assert names(sm) == ([SDK_MODEL], ["twinllama"])
    for arn in (after["EndpointArn"], sm.describe_model(ModelName=SDK_MODEL)["ModelArn"],
                sm.describe_endpoint_config(EndpointConfigName="twinllama")["EndpointConfigArn"]):
        assert tags(sm, arn)["reconciler:stack"] == "llm", arn
    assert [k["AccessKeyId"] for k in boto("iam").list_access_keys(UserName=USER)["AccessKeyMetadata"]] == [key_id]
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text

    # the first real change: blue/green to reconcile's own model and config; the SDK's are kept for rollback
    path = m / "endpoint-twinllama.yaml"
    path.write_text(path.read_text().replace('MAX_TOTAL_TOKENS: "4096"', 'MAX_TOTAL_TOKENS: "8192"'))
    got = steps(cli, m)
    assert [o["action"] for o in endpoint_ops(got)][:4] == ["CreateModel", "CreateEndpointConfig", "AddTags",
                                                         "UpdateEndpoint"]  # (the rollback point recorded first)
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    now = sm.describe_endpoint(EndpointName="twinllama")["EndpointConfigName"]
    assert now.startswith("twinllama-") and now != "twinllama"
    models, configs = names(sm)
    assert SDK_MODEL in models and "twinllama" in configs and len(models) == 2  # kept for rollback

    # a second change: the adopted model and config are deleted as reconcile's own would be
    path.write_text(path.read_text().replace('MAX_TOTAL_TOKENS: "8192"', 'MAX_TOTAL_TOKENS: "6144"'))
    got = steps(cli, m)
    assert ("DeleteEndpointConfig", "twinllama") in [(o["action"], o["target"]) for o in endpoint_ops(got)]
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    models, configs = names(sm)
    assert SDK_MODEL not in models and "twinllama" not in configs and len(models) == 2 and len(configs) == 2

    # the seed's access key is the user's, not reconcile's: destroy keeps it, so it refuses to delete the user
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 1 and f"cannot delete User/{USER}: it has access key(s) reconcile did not create" in r.out, r.text
    assert [k["AccessKeyId"] for k in boto("iam").list_access_keys(UserName=USER)["AccessKeyMetadata"]] == [key_id]
    # retiring the script's key is a decision the manifest states, and a planned change
    user_file = m / f"user-{USER}.yaml"
    user_file.write_text(user_file.read_text().replace("unmanagedAccessKeys: keep", "unmanagedAccessKeys: delete"))
    assert cli("apply", str(m), "--auto-approve").code == 0
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert names(sm) == ([], [])
    assert sm.list_endpoints()["Endpoints"] == []
    assert all(u["UserName"] != USER for u in boto("iam").list_users()["Users"])
    assert all(x["RoleName"] != ROLE for x in boto("iam").list_roles()["Roles"])


def test_destroy_removes_the_sdk_named_model_and_config(cli, boto, moto_server, tmp_path):
    """Adopted, never changed, destroyed: the SDK's model and config go with the endpoint."""
    fast(moto_server, cli)
    sm = boto("sagemaker")
    sdk_deploy(boto, execution_role_script(boto), "twinllama")
    m = tmp_path / "llm"
    assert cli("import", str(m), "Endpoint/twinllama").code == 0
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert names(sm) == ([], []) and sm.list_endpoints()["Endpoints"] == []


# ---- inference-component-based -------------------------------------------------------------------------


def test_inference_component_round_trip(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    sm = boto("sagemaker")
    sdk_deploy_ic(boto, execution_role_script(boto), "twinllama-ic")
    before = sm.describe_endpoint(EndpointName="twinllama-ic")
    m = tmp_path / "llm"
    r = cli("import", str(m), "--all-endpoints")
    assert r.code == 0, r.text
    ep = docs(m / "endpoint-twinllama-ic.yaml")[0]
    assert ep["spec"]["type"] == "inference-component-based"
    assert ep["spec"]["inferenceComponent"] == {"name": SDK_MODEL_IC, "copies": 1, "acceleratorDevices": 1.0,
                                                "memoryMb": 5120}
    assert ep["spec"]["instance"] == {"type": "ml.g5.2xlarge", "count": 1, "routing": "LEAST_OUTSTANDING_REQUESTS"}

    assert_only_tags(cli, m)
    _, since = audit.fetch(moto_server.url)
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    writes = applied_writes(moto_server, since)
    assert writes and {w["operation"] for w in writes} <= TAGGING, [audit.describe(w) for w in writes]
    after = sm.describe_endpoint(EndpointName="twinllama-ic")
    assert after["LastModifiedTime"] == before["LastModifiedTime"]
    assert names(sm) == ([SDK_MODEL_IC], ["twinllama-ic"])
    ic = sm.describe_inference_component(InferenceComponentName=SDK_MODEL_IC)
    assert ic["Specification"]["ModelName"] == SDK_MODEL_IC
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text

    path = m / "endpoint-twinllama-ic.yaml"
    path.write_text(path.read_text().replace('SM_NUM_GPUS: "1"', 'SM_NUM_GPUS: "1"\n      MAX_CONCURRENT_REQUESTS: "64"'))
    got = steps(cli, m)
    assert [o["action"] for o in endpoint_ops(got)][:3] == ["CreateModel", "AddTags", "UpdateInferenceComponent"]
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    model_now = sm.describe_inference_component(InferenceComponentName=SDK_MODEL_IC)["Specification"]["ModelName"]
    assert model_now.startswith("twinllama-ic-")

    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert names(sm) == ([], []) and sm.list_endpoints()["Endpoints"] == []


# ---- what cannot be expressed is said -----------------------------------------------------------------


def test_plain_text_secrets_become_references_and_are_never_written(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    sdk_deploy(boto, execution_role_script(boto), "gated", env={**ENV, "HUGGING_FACE_HUB_TOKEN": TOKEN,
                                                                 "EXTRA_SETTING": "hf_" + TOKEN[3:12]})
    m = tmp_path / "llm"
    r = cli("import", str(m), "Endpoint/gated")
    assert r.code == 0, r.text
    ep = docs(m / "endpoint-gated.yaml")[0]
    env = ep["spec"]["model"]["environment"]
    assert env["HUGGING_FACE_HUB_TOKEN"] == {"secretsManager": "llm/gated/hugging-face-hub-token"}
    assert env["EXTRA_SETTING"] == {"secretsManager": "llm/gated/extra-setting"}  # an hf_ value, whatever its key
    assert env["HF_MODEL_ID"] == ENV["HF_MODEL_ID"]
    assert 'aws secretsmanager create-secret --name llm/gated/hugging-face-hub-token --secret-string "$VALUE"' in r.out
    written = "".join(p.read_text() for p in m.glob("*.yaml"))
    for secret in (TOKEN, TOKEN[3:12]):
        assert secret not in written and secret not in r.out and secret not in r.err
    # until the secret exists, plan refuses (a plan check), and says which secret
    r = cli("plan", str(m))
    assert r.code == 1 and "llm/gated/hugging-face-hub-token" in r.text, r.text


def test_unsupported_endpoint_settings_are_refused_by_name(cli, boto, moto_server, tmp_path):
    fast(moto_server, cli)
    arn = execution_role_script(boto)
    sdk_deploy(boto, arn, "captured", DataCaptureConfig={
        "EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": "s3://bucket/capture",
        "CaptureOptions": [{"CaptureMode": "Input"}]})
    m = tmp_path / "llm"
    r = cli("import", str(m), "Endpoint/captured", "Role/" + ROLE)
    assert r.code == 1, r.text
    assert "not imported: Endpoint/captured: data capture (DataCaptureConfig)" in r.err
    assert not (m / "endpoint-captured.yaml").exists()
    assert (m / f"role-{ROLE}.yaml").exists()  # the other selector is imported


def test_import_refuses_to_overwrite_without_force(cli, boto, tmp_path):
    execution_role_script(boto)
    m = tmp_path / "iam"
    assert cli("import", str(m), f"Role/{ROLE}").code == 0
    r = cli("import", str(m), f"Role/{ROLE}")
    assert r.code == 1 and "refusing to overwrite" in r.text and f"role-{ROLE}.yaml" in r.text
    assert cli("import", str(m), f"Role/{ROLE}", "--force").code == 0
    r = cli("import", str(m), "Bucket/x")
    assert r.code != 0 and "unknown selector" in r.text
    r = cli("import", str(m), f"Role/{ROLE}", "--force", "--stack", "other")
    assert r.code == 1 and "conflicts with" in r.text  # DIR's stack.yaml names the stack
    r = cli("import", str(tmp_path / "named"), f"Role/{ROLE}", "--stack", "llm-serving")
    assert r.code == 0 and docs(tmp_path / "named" / "stack.yaml")[0]["metadata"]["name"] == "llm-serving"


# ---- seed 003: the workshop's Lambda and HTTP API, as SAM made them -------------------------------------

SAM = "stack-spring-demo-llm"
HANDLER = '''import json, os


def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"endpoint": os.environ["ENDPOINT_NAME"]})}
'''


def sam_sync(boto) -> str:
    """`sam sync --stack-name stack-spring-demo-llm`: a role, the function, an HTTP API with a $default stage,
    a proxy route and the permission SAM grants API Gateway (its own statement id)."""
    iam, lam, gw = boto("iam"), boto("lambda"), boto("apigatewayv2")
    role = f"{SAM}-GenerateFunctionRole-1A2B3C4D5E6F"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust),
                               Tags=[{"Key": "lambda:createdBy", "Value": "SAM"}])["Role"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    iam.put_role_policy(RoleName=role, PolicyName="invoke-llm", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sagemaker:InvokeEndpoint",
                                                "Resource": "arn:aws:sagemaker:us-east-1:*:endpoint/workshop-llm"}]}))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", HANDLER)
    fn = f"{SAM}-GenerateFunction-9Z8Y7X6W5V4U"
    fn_arn = lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role_arn, Handler="app.lambda_handler",
                                 Code={"ZipFile": buf.getvalue()}, Timeout=60, MemorySize=256,
                                 Environment={"Variables": {"ENDPOINT_NAME": "workshop-llm"}},
                                 Tags={"lambda:createdBy": "SAM"})["FunctionArn"]
    api = gw.create_api(Name=SAM, ProtocolType="HTTP", Tags={"httpapi:createdBy": "SAM"})
    integ = gw.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=fn_arn,
                                  PayloadFormatVersion="2.0")
    gw.create_route(ApiId=api["ApiId"], RouteKey="POST /generate", Target=f"integrations/{integ['IntegrationId']}")
    gw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    account = boto("sts").get_caller_identity()["Account"]
    lam.add_permission(FunctionName=fn, StatementId="GenerateFunctionGeneratePermission", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{account}:{api['ApiId']}/*/POST/generate")
    return fn


def test_workshop_lambda_and_http_api_round_trip(cli, boto, moto_server, tmp_path):
    fn = sam_sync(boto)
    lam = boto("lambda")
    sha = lam.get_function(FunctionName=fn)["Configuration"]["CodeSha256"]
    policy_before = lam.get_policy(FunctionName=fn)["Policy"]
    m = tmp_path / "workshop"
    r = cli("import", str(m), f"HttpApi/{SAM}")
    assert r.code == 0, r.text
    api, function, role = docs(m / f"api-{SAM}.yaml")
    assert api["spec"]["routes"] == {"POST /generate": {"function": fn}}
    assert function["spec"]["code"] == f"functions/{fn}.zip" and (m / f"functions/{fn}.zip").is_file()
    assert function["spec"]["environment"] == {"ENDPOINT_NAME": "workshop-llm"}
    assert function["spec"]["role"] == role["metadata"]["name"] and role["spec"]["assumedBy"] == ["lambda.amazonaws.com"]
    assert function["metadata"]["tags"] == {"lambda:createdBy": "SAM"}

    assert_only_tags(cli, m)
    _, since = audit.fetch(moto_server.url)
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    writes = applied_writes(moto_server, since)
    assert writes and {w["operation"] for w in writes} <= TAGGING, [audit.describe(w) for w in writes]
    assert lam.get_function(FunctionName=fn)["Configuration"]["CodeSha256"] == sha  # code not re-uploaded
    assert lam.get_policy(FunctionName=fn)["Policy"] == policy_before  # SAM's grant is enough: no new statement
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
    r = cli("call-api", SAM, "POST /generate", "--json", "{}")
    assert r.code == 0 and "workshop-llm" in r.out, r.text

    # an edit plans and applies like any other change
    path = m / f"api-{SAM}.yaml"
    path.write_text(path.read_text().replace("timeout: 60", "timeout: 90"))
    got = steps(cli, m)
    assert [(s["kind"], s["action"]) for s in got if s["action"] != "noop"] == [("Function", "update")]
    assert cli("apply", str(m), "--auto-approve").code == 0
    assert lam.get_function(FunctionName=fn)["Configuration"]["Timeout"] == 90

    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert lam.list_functions()["Functions"] == [] and boto("apigatewayv2").get_apis()["Items"] == []
    assert all(not x["RoleName"].startswith(SAM) for x in boto("iam").list_roles()["Roles"])


def test_sandbox_get_function_location_downloads_the_code(boto):
    """The sandbox answers GetFunction with a Code.Location the zip can be downloaded from, as AWS does."""
    import base64
    import hashlib
    import urllib.request

    fn = sam_sync(boto)
    got = boto("lambda").get_function(FunctionName=fn)
    with urllib.request.urlopen(got["Code"]["Location"], timeout=30) as r:
        data = r.read()
    assert base64.b64encode(hashlib.sha256(data).digest()).decode() == got["Configuration"]["CodeSha256"]
    assert zipfile.ZipFile(io.BytesIO(data)).read("app.py").decode() == HANDLER
