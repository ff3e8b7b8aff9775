"""Write manifest folders for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return root


STACK = """
apiVersion: reconciler/v1
kind: Stack
metadata:
  name: {name}
"""



def sagemaker_role(name: str) -> str:
    """The Role ``name`` that SageMaker assumes (an endpoint's execution role), nothing else."""
    return f"""
apiVersion: reconciler/v1
kind: Role
metadata: {{name: {name}}}
spec: {{assumedBy: [sagemaker.amazonaws.com]}}
"""


def sagemaker_stack(stack: str, p: str) -> str:
    """A Stack named ``stack`` and the SageMaker execution Role ``{p}-exec`` (one YAML file)."""
    return f"""
apiVersion: reconciler/v1
kind: Stack
metadata: {{name: {stack}}}
---""" + sagemaker_role(f"{p}-exec")


#: where an endpoint runs, in ``llm_endpoint``: one instance-based variant
ONE_INSTANCE = "  instance: {type: ml.g5.2xlarge}\n"


def llm_endpoint(name: str, role: str, model: str, instance: str = ONE_INSTANCE) -> str:
    """The LLM Endpoint ``name`` serving Hugging Face model ``model`` with execution Role ``role``."""
    return f"""
apiVersion: reconciler/v1
kind: Endpoint
metadata: {{name: {name}}}
spec:
  executionRole: {role}
  model:
    image: {{huggingfaceLlm: {{version: "2.2.0"}}}}
    environment: {{HF_MODEL_ID: {model}}}
{instance}"""


def reader_role_user(p: str, user: str = "deployer", bucket: str = "models") -> str:
    """Policy ``{p}-read`` (s3:GetObject in ``bucket``), SageMaker Role ``{p}-exec`` (that policy and an inline
    logs policy) and User ``{p}-{user}`` (that policy; its access key kept in Secrets Manager as
    ``{p}-{user}-key``): one YAML file of three documents."""
    return f"""
apiVersion: reconciler/v1
kind: Policy
metadata: {{name: {p}-read}}
spec:
  document:
    Version: "2012-10-17"
    Statement: [{{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::{bucket}/*"}}]
---
apiVersion: reconciler/v1
kind: Role
metadata: {{name: {p}-exec}}
spec:
  assumedBy: [sagemaker.amazonaws.com]
  managedPolicies: [{p}-read]
  inlinePolicies:
    logs:
      Version: "2012-10-17"
      Statement: [{{Effect: Allow, Action: "logs:PutLogEvents", Resource: "*"}}]
---
apiVersion: reconciler/v1
kind: User
metadata: {{name: {p}-{user}}}
spec:
  managedPolicies: [{p}-read]
  accessKey: {{store: {{secretsManager: {p}-{user}-key}}}}
"""



#: the SageMaker execution Role ``llm-exec`` the endpoint tests run with
LLM_EXEC_ROLE = sagemaker_role("llm-exec")

#: the plain LLM Endpoint ``twin`` (one ml.g5.2xlarge instance, Role ``llm-exec``)
TWIN_ENDPOINT = llm_endpoint("twin", "llm-exec", "mlabonne/TwinLlama-3.1-8B-DPO")


def adopting_endpoint(name: str, role: str, image: str, model: str = "org/model", ic: bool = False) -> str:
    """An Endpoint document adopting the hand-made endpoint ``name`` that runs ``image`` (reconciler/adopt);
    ``ic``: inference-component-based, one component of one accelerator and 1024 MB."""
    body = (f"""  type: inference-component-based
  executionRole: {role}
  model:
    image: {{uri: {image}}}
    environment: {{HF_MODEL_ID: {model}}}
  instance: {{type: ml.g5.12xlarge, count: 1}}
  inferenceComponent: {{copies: 1, acceleratorDevices: 1, memoryMb: 1024}}
""" if ic else f"""  executionRole: {role}
  model:
    image: {{uri: {image}}}
    environment: {{HF_MODEL_ID: {model}}}
  instance: {{type: ml.g5.2xlarge}}
""")
    return f"""apiVersion: reconciler/v1
kind: Endpoint
metadata:
  name: {name}
  annotations: {{reconciler/adopt: "true"}}
spec:
{body}"""
