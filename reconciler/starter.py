"""`reconcile init DIR`: a small starter stack to try reconcile on, a copy the user owns and edits.

It holds one of each thing the README's first session touches: a Stack, an execution Role with a
least-privilege inline policy, a Policy, a model-based Endpoint running a small Hugging Face model, and
a deployer User (to delete later with `reconcile prune`). Names start with the stack's name so two
starter stacks in one account do not collide. The files validate with no lint warning.
"""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.errors import UsageError

STACK = """\
# The stack: every resource in this folder carries the tag reconciler:stack={name} and is owned by it.
apiVersion: reconciler/v1
kind: Stack
metadata:
  name: {name}
spec:
  region: {region}
  # accountId: "123456789012"   # uncomment to refuse any other account
"""

IAM = """\
# The role SageMaker assumes to run the endpoint: pull the container, write logs.
apiVersion: reconciler/v1
kind: Role
metadata:
  name: {name}-execution
spec:
  description: SageMaker execution role of the {name} starter endpoint
  assumedBy: [sagemaker.amazonaws.com]
  inlinePolicies:
    logs-and-ecr:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: [logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents]
          Resource: "arn:aws:logs:*:*:log-group:/aws/sagemaker/*"
        - Effect: Allow
          Action: [ecr:GetAuthorizationToken, ecr:BatchGetImage, ecr:GetDownloadUrlForLayer]
          Resource: "*"
---
# What a deployer may do: call the starter endpoint, nothing else.
apiVersion: reconciler/v1
kind: Policy
metadata:
  name: {name}-invoke
spec:
  description: Call the {name} starter endpoint
  document:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Action: [sagemaker:InvokeEndpoint, sagemaker:DescribeEndpoint]
        Resource: "arn:aws:sagemaker:*:*:endpoint/{name}-llm"
"""

ENDPOINT = """\
# A small LLM behind a model-based SageMaker endpoint (in the sandbox it answers with canned text).
#   reconcile invoke {name}-llm --prompt "Hello"      # from this folder: region and account come from stack.yaml
apiVersion: reconciler/v1
kind: Endpoint
metadata:
  name: {name}-llm
spec:
  type: model-based
  executionRole: {name}-execution        # the Role in iam.yaml: created first, deleted last
  model:
    image: {{huggingfaceLlm: {{version: "2.2.0"}}}}
    environment:
      HF_MODEL_ID: HuggingFaceTB/SmolLM2-360M-Instruct
      SM_NUM_GPUS: "1"
  instance: {{type: ml.g5.xlarge, count: 1}}
  smokeTest:
    inputs: "Say hello."
    parameters: {{max_new_tokens: 8}}
"""

DEPLOYER = """\
# A deployer user allowed to call the endpoint (no access key: add spec.accessKey to make one).
# Delete this file and run `reconcile prune .` to see prune remove it.
apiVersion: reconciler/v1
kind: User
metadata:
  name: {name}-deployer
spec:
  managedPolicies: [{name}-invoke]       # the Policy in iam.yaml
"""

FILES = {"stack.yaml": STACK, "iam.yaml": IAM, "endpoint.yaml": ENDPOINT, "deployer.yaml": DEPLOYER}


def stack_name(folder: Path) -> str:
    """A valid stack name from the folder's name: lower case letters, digits and hyphens, at most 40."""
    name = re.sub(r"[^a-z0-9-]+", "-", folder.resolve().name.lower()).strip("-")[:40].strip("-")
    return name if name and name[0].isalpha() else f"stack-{name}".strip("-")


def write(folder: str | Path, name: str | None = None, region: str = "us-east-1") -> list[Path]:
    """Write the starter stack into ``folder`` (created; must not hold YAML files yet). Returns the files."""
    root = Path(folder).expanduser()
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a folder")
    if root.is_dir() and any(root.glob("*.y*ml")):
        raise UsageError(f"{root} already holds YAML files; give an empty or new folder (nothing was written)")
    name = name or stack_name(root)
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,39}", name) or name.endswith("-"):
        raise UsageError(f"stack name {name!r}: use 1-40 lower-case letters, digits and hyphens, starting with a letter")
    root.mkdir(parents=True, exist_ok=True)
    out = []
    for file, text in FILES.items():
        path = root / file
        path.write_text(text.format(name=name, region=region))
        out.append(path)
    return out
