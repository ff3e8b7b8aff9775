"""Adoption never takes what another reconcile stack owns (issue 17, "never touch what is not ours").

Two environments, dev and prod, are two stacks in one sandbox account and region. A shared document carrying
``reconciler/adopt: "true"`` (as ``reconcile import`` writes them) is applied by dev first; prod then meets
dev's resource under the same name. Adopting it would retag it as prod's, and dev's next prune or destroy
would no longer see it (or prod's would delete it from under dev). So prod's plan is a problem naming the
resource, the owning stack and the annotation's file:line, and prod's apply writes nothing. The same holds
for the parts around an endpoint (its model and config), whoever owns the endpoint itself.
"""

from __future__ import annotations

from tests.e2e.test_import import applied_writes
from tests.support import audit
from tests.support.audit import is_lock
from tests.support.manifests import adopting_endpoint, write

FOLDER = {
    "stack.yaml": """
        apiVersion: reconciler/v1
        kind: Stack
        metadata: {name: llm}
        spec: {region: us-east-1}
        """,
    "environments/dev.yaml": """
        apiVersion: reconciler/v1
        kind: Environment
        metadata: {name: dev}
        spec:
          stack: llm-dev
          region: us-east-1
          patches:
            - target: Role/exec
              patch: {metadata: {name: dev-exec}}
            - target: Endpoint/shared-llm
              patch: {spec: {executionRole: dev-exec}}
        """,
    "environments/prod.yaml": """
        apiVersion: reconciler/v1
        kind: Environment
        metadata: {name: prod}
        spec:
          stack: llm-prod
          region: us-east-1
          patches:
            - target: Role/exec
              patch: {metadata: {name: prod-exec}}
            - target: Endpoint/shared-llm
              patch: {spec: {executionRole: prod-exec}}
            - target: Role/shared-role
              patch: {spec: {maxSessionDuration: 7200}}
        """,
    # each environment's own execution role (patched names): never a conflict
    "exec.yaml": """
        apiVersion: reconciler/v1
        kind: Role
        metadata: {name: exec}
        spec: {assumedBy: [sagemaker.amazonaws.com]}
        """,
    # shared documents with the adopt annotation, under one name in both environments
    "shared.yaml": """
        apiVersion: reconciler/v1
        kind: Role
        metadata:
          name: shared-role
          annotations: {reconciler/adopt: "true"}
        spec: {assumedBy: [lambda.amazonaws.com], maxSessionDuration: 3600}
        ---
        apiVersion: reconciler/v1
        kind: Endpoint
        metadata:
          name: shared-llm
          annotations:
            reconciler/adopt: "true"
        spec:
          executionRole: exec
          model:
            image: {huggingfaceLlm: {version: "2.2.0"}}
            environment: {HF_MODEL_ID: org/model}
          instance: {type: ml.g5.2xlarge}
        """,
}


def _fast(cli, moto_server) -> None:  # type: ignore[no-untyped-def]
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"


def _iam_tags(iam, role: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]}


def _sm_tags(sm, arn: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}


def _adopt_lines(path) -> list[int]:  # type: ignore[no-untyped-def]
    """Line numbers of the adopt annotations in ``path``, in order."""
    return [n for n, x in enumerate(path.read_text().splitlines(), 1) if "reconciler/adopt" in x]


def _problem_lines(out: str) -> list[str]:
    return [x for x in out.splitlines() if "[conflict]" in x]


def test_a_shared_adopt_document_never_takes_what_another_environment_owns(cli, boto, moto_server, tmp_path):
    _fast(cli, moto_server)
    m = write(tmp_path / "m", FOLDER)
    iam, sm = boto("iam"), boto("sagemaker")
    r = cli("apply", str(m), "--env", "dev", "--auto-approve")
    assert r.code == 0, r.text
    assert _iam_tags(iam, "shared-role")["reconciler:stack"] == "llm-dev"
    endpoint = sm.describe_endpoint(EndpointName="shared-llm")
    assert _sm_tags(sm, endpoint["EndpointArn"])["reconciler:stack"] == "llm-dev"

    # prod: the same names, owned by dev -> one problem each, naming the owner and the annotation's line
    r = cli("plan", str(m), "--env", "prod")
    assert r.code == 1, r.text
    problems = _problem_lines(r.out)
    role_at, endpoint_at = _adopt_lines(m / "shared.yaml")
    role_line = next(x for x in problems if "Role/shared-role" in x)
    assert f"shared.yaml:{role_at}: metadata.annotations.reconciler/adopt: cannot adopt" in role_line, role_line
    assert "Role/shared-role is owned by reconcile stack 'llm-dev'" in role_line, role_line
    ep_line = next(x for x in problems if "Endpoint/shared-llm" in x)
    assert f"shared.yaml:{endpoint_at}: metadata.annotations.reconciler/adopt" in ep_line, ep_line
    assert "Endpoint/shared-llm is owned by reconcile stack 'llm-dev'" in ep_line, ep_line
    assert "adopt existing resource" not in r.out and "problem(s) block apply" in r.out, r.out

    # apply writes nothing (not even prod's own execution role: the plan has problems)
    _, since = audit.fetch(moto_server.url)
    r = cli("apply", str(m), "--env", "prod", "--auto-approve")
    assert r.code == 1 and "Role/shared-role" in r.text and "'llm-dev'" in r.text, r.text
    assert [w for w in applied_writes(moto_server, since) if not is_lock(w)] == []
    assert _iam_tags(iam, "shared-role")["reconciler:stack"] == "llm-dev"
    assert iam.get_role(RoleName="shared-role")["Role"]["MaxSessionDuration"] == 3600
    assert _sm_tags(sm, endpoint["EndpointArn"])["reconciler:stack"] == "llm-dev"
    assert sm.describe_endpoint(EndpointName="shared-llm")["EndpointConfigName"] == endpoint["EndpointConfigName"]

    # dev still owns and converges all of it; its plan shows no change
    r = cli("plan", str(m), "--env", "dev", "--detailed-exitcode")
    assert r.code == 0, r.text


def test_adopting_an_endpoint_never_takes_its_model_and_config_from_another_stack(cli, boto, moto_server, tmp_path):
    """The endpoint itself released (its managed-by tag removed), its model and config still dev's: adopting
    the endpoint would tag them as prod's, and prod would delete them after its next change. A problem naming
    each part and its owner; nothing written."""
    _fast(cli, moto_server)
    m = write(tmp_path / "m", FOLDER)
    sm = boto("sagemaker")
    assert cli("apply", str(m), "--env", "dev", "--auto-approve").code == 0
    endpoint = sm.describe_endpoint(EndpointName="shared-llm")
    sm.delete_tags(ResourceArn=endpoint["EndpointArn"], TagKeys=["reconciler:managed-by"])
    config = endpoint["EndpointConfigName"]
    model = sm.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"][0]["ModelName"]
    _, at = _adopt_lines(m / "shared.yaml")

    r = cli("plan", str(m), "--env", "prod")
    assert r.code == 1, r.text
    (line,) = [x for x in _problem_lines(r.out) if "Endpoint/shared-llm" in x]
    assert f"shared.yaml:{at}: metadata.annotations.reconciler/adopt: cannot adopt" in line, line
    assert f"EndpointConfig/{config} is owned by reconcile stack 'llm-dev'" in line, line
    assert f"Model/{model} is owned by reconcile stack 'llm-dev'" in line, line
    assert "Endpoint/shared-llm is owned" not in line, line  # released: the endpoint itself is no one's

    _, since = audit.fetch(moto_server.url)
    r = cli("apply", str(m), "--env", "prod", "--auto-approve")
    assert r.code == 1, r.text
    assert [w for w in applied_writes(moto_server, since) if not is_lock(w)] == []
    for arn in (sm.describe_endpoint_config(EndpointConfigName=config)["EndpointConfigArn"],
                sm.describe_model(ModelName=model)["ModelArn"]):
        assert _sm_tags(sm, arn)["reconciler:stack"] == "llm-dev"


def test_adopting_an_endpoint_never_takes_its_declared_component_from_another_stack(cli, boto, moto_server, tmp_path):
    """A hand-made endpoint (no one's) whose declared inference component another reconcile stack owns: adopting
    the endpoint used to take (retag) that component; now a problem naming it and its owner, nothing written."""
    from tests.e2e.test_endpoint_ownership import ROLE, _ic, _wait

    _fast(cli, moto_server)
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tgi:latest"
    m = write(tmp_path / "m", {"stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: own}\n",
                               "iam.yaml": ROLE})
    assert cli("apply", str(m), "--auto-approve").code == 0
    sm = boto("sagemaker")
    role = boto("iam").get_role(RoleName="own-exec")["Role"]["Arn"]
    sm.create_model(ModelName="adopt-model", ExecutionRoleArn=role,
                    PrimaryContainer={"Image": image, "Environment": {"HF_MODEL_ID": "org/model"}})
    sm.create_endpoint_config(EndpointConfigName="adopt-cfg", ExecutionRoleArn=role, ProductionVariants=[{
        "VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="adopt", EndpointConfigName="adopt-cfg")
    _wait(lambda: sm.describe_endpoint(EndpointName="adopt")["EndpointStatus"] == "InService", "endpoint")
    other = [{"Key": "reconciler:managed-by", "Value": "reconciler"}, {"Key": "reconciler:stack", "Value": "other"},
             {"Key": "reconciler:endpoint", "Value": "adopt"}]
    sm.create_inference_component(
        InferenceComponentName="adopt-ic", EndpointName="adopt", VariantName="AllTraffic",
        Specification={"ModelName": "adopt-model", "ComputeResourceRequirements": {
            "MinMemoryRequiredInMb": 1024, "NumberOfAcceleratorDevicesRequired": 1}},
        RuntimeConfig={"CopyCount": 1}, Tags=other)
    _wait(lambda: (_ic(sm, "adopt-ic") or {}).get("InferenceComponentStatus") == "InService", "adopt-ic")
    write(m, {"endpoint.yaml": adopting_endpoint("adopt", "own-exec", image, ic=True)})
    r = cli("plan", str(m))
    assert r.code == 1, r.text
    (line,) = [x for x in _problem_lines(r.out) if "Endpoint/adopt" in x]
    assert "endpoint.yaml:5: metadata.annotations.reconciler/adopt: cannot adopt: InferenceComponent/adopt-ic is " \
           "owned by reconcile stack 'other'" in line, line
    _, since = audit.fetch(moto_server.url)
    assert cli("apply", str(m), "--auto-approve").code == 1
    assert [w for w in applied_writes(moto_server, since) if not is_lock(w)] == []
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=_ic(sm, "adopt-ic")["InferenceComponentArn"])["Tags"]}
    assert tags["reconciler:stack"] == "other", tags
