"""A model's weights from S3 (``spec.model.weights: {s3: URI}``): the request, its read-back, and its checks.

Two shapes, as SageMaker's CreateModel takes them (botocore ``ContainerDefinition``; AWS API reference
``S3ModelDataSource``, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_S3ModelDataSource.html):

- ``s3://bucket/prefix/``: uncompressed weights, every object under the prefix copied to ``/opt/ml/model``:
  ``ModelDataSource.S3DataSource`` ``{S3Uri, S3DataType: S3Prefix, CompressionType: None}``. "A valid key name
  prefix identified by S3Uri always ends with a forward slash (/)", so a prefix must end in ``/``.
- ``s3://bucket/key.tar.gz``: a gzip-compressed tar archive, unpacked into ``/opt/ml/model``: ``ModelDataUrl``
  (what the SageMaker Python SDK sends for ``model_data="s3://….tar.gz"``; ContainerDefinition.ModelDataUrl).

With weights from S3 the container serves them from ``/opt/ml/model``: ``HF_MODEL_ID`` defaults to that
path (the Hugging Face LLM container reads the model from HF_MODEL_ID) unless the manifest sets it.
Plan checks, read-only, that the prefix has an object or the object exists (ListObjectsV2 of one key:
``reconciler.checks``); lint warns when a role declared in the manifests has no statement allowing s3:GetObject there.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from reconciler import policy
from reconciler.errors import Issue
from reconciler.kinds.base import Check, Resource

#: s3://BUCKET/KEY-OR-PREFIX (bucket names: 3-63 lower-case letters, digits, dots and hyphens)
S3_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(\S*)$")
MODEL_DIR = "/opt/ml/model"
COMPRESSED = ".tar.gz"
LINT_CODE = "WEIGHTS_NOT_READABLE"


def problem(uri: str) -> str | None:
    """Why ``uri`` is not a weights location (None: it is one)."""
    m = S3_URI.match(uri)
    bucket = uri[len("s3://"):].partition("/")[0] if uri.startswith("s3://") else None
    if m is None and bucket is not None and "/" in uri[len("s3://"):] and not re.search(r"\s", uri):
        return (f"{uri!r}: {bucket!r} is not an S3 bucket name (3-63 lower-case letters, digits, dots and "
                "hyphens, starting and ending with a letter or digit)")
    if m is None:
        return (f"{uri!r} is not an S3 URI: give s3://BUCKET/PREFIX/ (uncompressed weights) or "
                f"s3://BUCKET/KEY{COMPRESSED} (a compressed artifact)")
    if len(uri) > 1024:
        return "an S3 URI is at most 1024 characters"
    if not uri.endswith(("/", COMPRESSED)):
        return (f"{uri!r}: a prefix of uncompressed weights ends in / ({uri}/); a compressed artifact is a "
                f"{COMPRESSED} object")
    return None


def split(uri: str) -> tuple[str, str]:
    """s3://bucket/key -> (bucket, key)."""
    bucket, _, key = uri[len("s3://"):].partition("/")
    return bucket, key


def desired(model: Any) -> dict[str, str] | None:
    """The ``weights`` of a desired state from a spec's ``model`` (None: from the Hub, or baked in the image)."""
    w = getattr(model, "weights", None)
    return {"s3": w.s3} if w is not None else None


def container(weights: dict[str, str] | None) -> dict[str, Any]:
    """The members of CreateModel's ContainerDefinition that deploy ``weights``."""
    if not weights:
        return {}
    uri = weights["s3"]
    if uri.endswith("/"):
        return {"ModelDataSource": {"S3DataSource": {"S3Uri": uri, "S3DataType": "S3Prefix",
                                                     "CompressionType": "None"}}}
    return {"ModelDataUrl": uri}


def of_container(c: dict[str, Any]) -> dict[str, str] | None:
    """The weights a live container (DescribeModel) deploys: ModelDataSource.S3DataSource or ModelDataUrl."""
    s3 = (c.get("ModelDataSource") or {}).get("S3DataSource") or {}
    uri = s3.get("S3Uri") or c.get("ModelDataUrl")
    return {"s3": uri} if uri else None


def checks(model: Any) -> list[Check]:
    """The plan's read-only check that the weights exist (``reconciler.checks``: ListObjectsV2, one key)."""
    w = getattr(model, "weights", None)
    return [Check("s3", w.s3, ("spec", "model", "weights", "s3"))] if w is not None else []


def unsupported(c: dict[str, Any]) -> str | None:
    """Why a live container's model data cannot be written as ``weights`` (import); None: it can (or has none)."""
    source = (c.get("ModelDataSource") or {}).get("S3DataSource")
    url = c.get("ModelDataUrl")
    if source is None and not url:
        return None
    extras = sorted(k for k in source or {} if k not in ("S3Uri", "S3DataType", "CompressionType", "ETag"))
    if extras:
        return f"model data from S3 with {', '.join(extras)} (ModelDataSource.S3DataSource)"
    uri = source["S3Uri"] if source else url
    shape = (source.get("S3DataType"), source.get("CompressionType")) if source else None
    if (problem(uri) is not None or (shape is not None and shape != ("S3Prefix", "None"))
            or (shape is not None) != uri.endswith("/")):
        how = f"{shape[0]}, {shape[1]}" if shape else "ModelDataUrl"
        return (f"model data {uri} ({how}); weights are an s3:// prefix ending in / (S3Prefix, uncompressed) "
                f"or a {COMPRESSED} object (ModelDataUrl)")
    return None


# ---- lint: may the execution role read them? ---------------------------------------------------------


def _statements(role: Resource, resources: list[Resource]) -> list[dict[str, Any]] | None:
    """Every statement of the role's policies; None when one is attached that the manifests do not hold."""
    policies = {r.name: r for r in resources if r.kind == "Policy"}
    docs = list(role.spec.inlinePolicies.values())
    for p in role.spec.managedPolicies:
        name = p.rsplit("/", 1)[-1] if p.startswith("arn:") else p
        declared = policies.get(name)
        if declared is None or (p.startswith("arn:") and ":iam::aws:" in p):
            return None  # (an AWS-managed or outside policy: what it allows is not known offline)
        docs.append(declared.spec.document)
    out = []
    for doc in docs:
        c = policy.canonical(doc.model_dump(by_alias=True, exclude_none=True) if hasattr(doc, "model_dump") else doc)
        sts = c.get("Statement", []) if isinstance(c, dict) else []
        out += [s for s in ([sts] if isinstance(sts, dict) else sts) if isinstance(s, dict)]
    return out


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]


def allows_get(statements: list[dict[str, Any]], uri: str) -> bool:
    """Does an Allow statement grant s3:GetObject on ``uri`` (an object, or every object under a prefix)?"""
    bucket, key = split(uri)
    target = f"arn:aws:s3:::{bucket}/{key}"  # (a prefix: "bucket/prefix/*" matches it, "…/one-file" does not)
    for st in statements:
        if st.get("Effect") != "Allow":
            continue
        if not any(fnmatch.fnmatchcase("s3:getobject", a.lower()) for a in _listed(st.get("Action"))):
            continue
        for pattern in _listed(st.get("Resource")):
            if pattern == "*" or fnmatch.fnmatchcase(target, re.sub(r"^arn:aws[a-z-]*:", "arn:aws:", pattern)):
                return True
    return False


def role_of(res: Resource, resources: list[Resource]) -> str | None:
    """The name of the declared Role ``res``'s model runs as (an InferenceComponent without one: its
    endpoint's), None when it is not in the manifests."""
    role = getattr(res.spec, "executionRole", None)
    if role is None and res.kind == "InferenceComponent":
        ep = next((r for r in resources if r.kind == "Endpoint" and r.name == res.spec.endpoint), None)
        role = ep.spec.executionRole if ep is not None else None
    if not role:
        return None
    name = role.rsplit("/", 1)[-1] if role.startswith("arn:") else role
    return next((r.name for r in resources if r.kind == "Role" and r.name.lower() == name.lower()), None)


def lint(res: Resource, resources: list[Resource]) -> list[Issue]:
    """A warning when the model's weights are in S3 and its declared execution role cannot read them (code
    WEIGHTS_NOT_READABLE, acknowledged with the reconciler/accept-lint annotation)."""
    from reconciler.lint import accepted

    model = getattr(res.spec, "model", None)
    w = getattr(model, "weights", None)
    name = role_of(res, resources) if w is not None else None
    if name is None or LINT_CODE in accepted(res):
        return []
    role = next(r for r in resources if r.kind == "Role" and r.name == name)
    statements = _statements(role, resources)
    if statements is None or allows_get(statements, w.s3):
        return []
    bucket, key = split(w.s3)
    where = f"arn:aws:s3:::{bucket}/{key}*" if w.s3.endswith("/") else f"arn:aws:s3:::{bucket}/{key}"
    return [res.issue(("spec", "model", "weights", "s3"),
                      f"Role/{name} ({role.file}:{role.line}) has no statement allowing s3:GetObject on {where}: "
                      f"SageMaker could not download the weights; allow s3:GetObject (and s3:ListBucket on "
                      f"arn:aws:s3:::{bucket}) to the role", "warning", LINT_CODE)]
