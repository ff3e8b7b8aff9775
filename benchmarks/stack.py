"""Generate a benchmark stack of N resources as manifests.

The default (N=300) is 100 Policies, 100 Roles (each with two managed policies from the stack and one
inline policy), 50 Users (one managed, one inline policy) and 50 model-based Endpoints, in groups of
six: group g = policies 2g, 2g+1; roles 2g, 2g+1 (both attach both policies); user g; endpoint g
running as role 2g. Dropping every odd group keeps references whole, so "prune half" is clean.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

GROUP = 6  # resources per group


def _doc(action: str, resource: str = "*") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})


def group_docs(stack: str, g: int, endpoints: bool = True) -> list[str]:
    p0, p1 = f"{stack}-pol-{2 * g}", f"{stack}-pol-{2 * g + 1}"
    docs = []
    for p in (p0, p1):
        docs.append(f"""apiVersion: reconciler/v1
kind: Policy
metadata: {{name: {p}, tags: {{bench: "yes"}}}}
spec:
  description: benchmark policy {p}
  document: {_doc("s3:GetObject", f"arn:aws:s3:::{p}/*")}
""")
    for r in (2 * g, 2 * g + 1):
        docs.append(f"""apiVersion: reconciler/v1
kind: Role
metadata: {{name: {stack}-role-{r}, tags: {{bench: "yes"}}}}
spec:
  description: benchmark role {r}
  assumedBy: [sagemaker.amazonaws.com]
  maxSessionDuration: 3600
  managedPolicies: [{p0}, {p1}]
  inlinePolicies:
    logs: {_doc("logs:PutLogEvents")}
""")
    docs.append(f"""apiVersion: reconciler/v1
kind: User
metadata: {{name: {stack}-user-{g}, tags: {{bench: "yes"}}}}
spec:
  managedPolicies: [{p0}]
  inlinePolicies:
    read: {_doc("s3:ListBucket")}
""")
    if not endpoints:
        return docs
    docs.append(f"""apiVersion: reconciler/v1
kind: Endpoint
metadata: {{name: {stack}-ep-{g}, tags: {{bench: "yes"}}}}
spec:
  type: model-based
  executionRole: {stack}-role-{2 * g}
  model:
    image: {{uri: 763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.3.0-tgi2.2.0-gpu-py310-cu121-ubuntu22.04}}
    environment: {{HF_MODEL_ID: "example/model-{g}", SM_NUM_GPUS: "1"}}
  instance: {{type: ml.g5.2xlarge, count: 1}}
""")
    return docs


def write(directory: Path, n: int, stack: str = "bench", keep=lambda g: True, iam_only: bool = False) -> int:
    """Write the stack of ``n`` resources (rounded to groups of six) to ``directory``; the resource count.

    ``iam_only``: the same groups without their endpoint (5 IAM resources per group: N=300 gives the
    250-resource IAM stack of 100 policies, 100 roles and 50 users).
    """
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    groups = max(1, n // GROUP)
    (directory / "stack.yaml").write_text(
        f"apiVersion: reconciler/v1\nkind: Stack\nmetadata: {{name: {stack}}}\nspec: {{region: us-east-1}}\n")
    count = 0
    for g in range(groups):
        if not keep(g):
            continue
        docs = group_docs(stack, g, endpoints=not iam_only)
        (directory / f"group-{g:04d}.yaml").write_text("---\n".join(docs))
        count += len(docs)
    return count


def edit_one(directory: Path, stack: str = "bench") -> None:
    """One field of one resource: role 0's maxSessionDuration 3600 -> 7200."""
    f = directory / "group-0000.yaml"
    text = f.read_text()
    marker = f"name: {stack}-role-0,"
    head, tail = text.split(marker, 1)
    f.write_text(head + marker + tail.replace("maxSessionDuration: 3600", "maxSessionDuration: 7200", 1))


def endpoints_only(directory: Path, count: int, stack: str = "waits") -> None:
    """One role and ``count`` endpoints running as it (for the parallel-waits measurement)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    docs = [f"""apiVersion: reconciler/v1
kind: Stack
metadata: {{name: {stack}}}
spec: {{region: us-east-1}}
""", f"""apiVersion: reconciler/v1
kind: Role
metadata: {{name: {stack}-exec}}
spec:
  assumedBy: [sagemaker.amazonaws.com]
"""]
    for i in range(count):
        docs.append(f"""apiVersion: reconciler/v1
kind: Endpoint
metadata: {{name: {stack}-ep-{i}}}
spec:
  type: model-based
  executionRole: {stack}-exec
  model:
    image: {{uri: 763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.3.0-tgi2.2.0-gpu-py310-cu121-ubuntu22.04}}
    environment: {{HF_MODEL_ID: "example/model-{i}"}}
  instance: {{type: ml.g5.2xlarge, count: 1}}
""")
    (directory / "stack.yaml").write_text("---\n".join(docs))
