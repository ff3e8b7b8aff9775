"""What IAM checks for one AWS request: the action, the resources it acts on, the request context, and the other
actions the call implies (``iam:PassRole``, tagging at creation). From the Service Authorization Reference
(``reconciler.awsmodel.iam_reference``), the request's parameters and the live resources; no moto imports here
(the lookups come in as ``Live``), so it is tested on its own.

- **Action**: ``<prefix>:<operation>`` with IAM's prefix for the signing name (``monitoring`` -> ``cloudwatch``,
  ``tagging`` -> ``tag``); API Gateway's actions are its HTTP methods (``apigateway:POST``); S3's where the
  action has another name (``ListObjectsV2`` -> ``s3:ListBucket``, ``iam_reference.S3_ACTIONS``).
- **Resources**: the ARN of each resource type the reference says the action requires (or, when it requires
  none, of the optional ones the request names by ARN), filled in from the request (``EndpointName``,
  ``RoleName`` with the role's path, a ``PolicyArn`` as it is, a secret's full ARN), API Gateway's from the
  request path (``arn:aws:apigateway:REGION::/apis/ID/routes/RID``). What the request cannot tell (a scalable
  target's id, which AWS chooses) is ``*`` in the ARN, so only a statement granting all of that type matches. An
  action without resource types is checked on ``*``.
- **Context**: ``aws:RequestTag/K`` and ``aws:TagKeys`` from the request's tags, ``aws:ResourceTag/K`` from the
  resource's tags when it exists, ``iam:PassedToService`` for a role passed to a service, and the service keys
  a parameter gives (``FROM_PARAMS``: ``iam:PolicyARN``, ``lambda:Principal``, …) where the reference lists them.
- **Implied checks**: a role ARN given to another service's write (``ExecutionRoleArn``, Lambda's ``Role``) is
  ``iam:PassRole`` on that role with ``iam:PassedToService = <service>.amazonaws.com``; tags given to a create are
  the tagging action on the new resource where AWS documents that it is needed (the reference's dependent
  actions, plus ``CREATE_TAGGING`` below).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.awsmodel import iam_reference as sar
from reconciler.sandbox.audit import _tags as request_tags  # the tags a request sets, in any protocol

#: IAM's service prefix where it is not the request's signing name
PREFIX = {"monitoring": "cloudwatch", "tagging": "tag"}
#: creates that also need the tagging action when they carry tags, as each service's API reference says (beyond
#: the dependent actions the Service Authorization Reference lists)
CREATE_TAGGING = {
    "iam:CreateRole": "iam:TagRole", "iam:CreateUser": "iam:TagUser", "iam:CreatePolicy": "iam:TagPolicy",
    "iam:CreateOpenIDConnectProvider": "iam:TagOpenIDConnectProvider",
    "secretsmanager:CreateSecret": "secretsmanager:TagResource", "cloudwatch:PutMetricAlarm": "cloudwatch:TagResource",
}
#: service condition keys read from a request parameter, where the reference lists the key for the action
FROM_PARAMS = {"iam:PolicyARN": "PolicyArn", "iam:PermissionsBoundary": "PermissionsBoundary",
               "lambda:Principal": "Principal", "application-autoscaling:service-namespace": "ServiceNamespace",
               "application-autoscaling:scalable-dimension": "ScalableDimension",
               "s3:prefix": "Prefix", "s3:delimiter": "Delimiter", "s3:max-keys": "MaxKeys"}
#: S3's ARN placeholders and the request parameters that fill them
S3_PLACEHOLDERS = {"BucketName": "Bucket", "ObjectName": "Key"}
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+")
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True)
class Check:
    """One authorization IAM makes for a request."""

    action: str
    resource: str
    context: dict[str, list[str]] = field(default_factory=dict)
    #: why this check is made when it is not the call itself ("passes role … to sagemaker.amazonaws.com")
    because: str = ""


@dataclass
class Live:
    """What the checks need to know about live resources (the sandbox's backends answer)."""

    account: str
    region: str
    partition: str = "aws"
    path_of: Callable[[str, str], str | None] = lambda _entity, _name: None  # ("role", name) -> "/svc/"
    secret_arn: Callable[[str], str | None] = lambda _id: None
    target_arn: Callable[[str, str, str], str | None] = lambda _ns, _rid, _dim: None
    tags_of: Callable[[str], dict[str, str] | None] = lambda _arn: None


@dataclass(frozen=True)
class Request:
    signing: str  # the SigV4 credential scope's service: "sagemaker", "monitoring", "apigateway"
    operation: str  # botocore's operation name
    params: dict[str, Any]
    method: str = "POST"
    path: str = "/"


def checks(req: Request, live: Live) -> list[Check]:
    """Every authorization IAM makes for ``req``, the call's own first."""
    prefix = PREFIX.get(req.signing, req.signing)
    if prefix == "apigateway":
        name = f"apigateway:{req.method}"
        resources = [f"arn:{live.partition}:apigateway:{live.region}::{_api_path(req.path)}"]
    else:
        name = sar.s3_action(req.operation) if prefix == "s3" else f"{prefix}:{req.operation}"
        entry = sar.action(name)
        resources = _resources(entry, req.params, live) if entry else ["*"]
    tags = request_tags(req.params)
    base: dict[str, list[str]] = {f"aws:RequestTag/{k}": [v] for k, v in tags.items()}
    keys = sorted(tags) or [str(k) for k in req.params.get("TagKeys") or [] if isinstance(k, str)]
    if keys:
        base["aws:TagKeys"] = keys
    entry = sar.action(name)
    for key, param in FROM_PARAMS.items():
        if entry is not None and key in entry.keys_for(entry.required + entry.optional) \
                and isinstance(req.params.get(param), str):
            base[key] = [req.params[param]]
    out = [Check(name, arn, {**base, **_resource_tags(arn, live)}) for arn in resources]
    tagging = ({d for d in entry.dependent if d.split(":")[1] in ("AddTags", "TagResource")} if entry else set())
    if name in CREATE_TAGGING:
        tagging.add(CREATE_TAGGING[name])
    if tags:
        out += [Check(t, arn, base, f"{name} with tags") for t in sorted(tagging) for arn in resources]
    if prefix != "iam" and entry is not None and entry.access_level == "Write":
        service = f"{prefix}.amazonaws.com"
        for role in sorted(set(_role_arns(req.params))):
            out.append(Check("iam:PassRole", role, {"iam:PassedToService": [service], **_resource_tags(role, live)},
                             f"{name} passes the role to {service}"))
    return out


def _api_path(path: str) -> str:
    """API Gateway's resource path: ``/v2/apis/abc/stages/%24default`` -> ``/apis/abc/stages/$default``; a tag
    path keeps its ARN URL-encoded, as IAM's ``/tags/${UrlEncodedResourceARN}``."""
    path = re.sub(r"^/v2(?=/)", "", path.split("?", 1)[0]).rstrip("/") or "/"
    return path if path.startswith("/tags/") else urllib.parse.unquote(path)


def _role_arns(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if _ROLE_ARN.match(value) else []
    if isinstance(value, dict):
        return [a for v in value.values() for a in _role_arns(v)]
    if isinstance(value, list):
        return [a for v in value for a in _role_arns(v)]
    return []


def _arn_values(params: dict[str, Any]) -> list[str]:
    out = []
    for v in params.values():
        for x in v if isinstance(v, list) else [v]:
            if isinstance(x, str) and x.startswith("arn:"):
                out.append(x)
    return out


def _template_regex(t: sar.ResourceType) -> re.Pattern[str]:
    parts = re.split(r"(\$\{\w+\})", t.arn)
    return re.compile("".join("[^:]*" if p in ("${Partition}", "${Region}", "${Account}") else ".+"
                              if p.startswith("${") else re.escape(p) for p in parts) + "$")


def _resources(entry: sar.Action, params: dict[str, Any], live: Live) -> list[str]:
    """The required types' ARNs (``*`` for what the request cannot tell); an optional type's only when the request
    names it fully (by ARN, or by every part of its ARN)."""
    given = _arn_values(params)
    out: list[str] = []
    for t, required in [(t, True) for t in entry.required] + [(t, False) for t in entry.optional]:
        fits = [a for a in given if _template_regex(t).match(a)]
        out += fits or _filled(entry.prefix, t, params, live, complete=not required)
    return list(dict.fromkeys(out)) or ["*"]


def _filled(prefix: str, t: sar.ResourceType, params: dict[str, Any], live: Live, complete: bool = False) -> list[str]:
    """The ARNs of type ``t`` the request names (several for a list parameter), ``*`` for what it cannot tell
    (``complete``: none unless it tells every part)."""
    values: dict[str, list[str]] = {"Partition": [live.partition], "Region": [live.region], "Account": [live.account]}
    for name in _PLACEHOLDER.findall(t.arn):
        if name not in values:
            values[name] = _value(prefix, name, params, live)
            if not values[name]:
                if complete:
                    return []
                values[name] = ["*"]
    arns = [t.arn]
    for name, options in values.items():
        arns = [a.replace("${" + name + "}", o) for a in arns for o in options]
    return arns


def _value(prefix: str, placeholder: str, params: dict[str, Any], live: Live) -> list[str]:
    if placeholder.endswith("NameWithPath"):  # IAM: RoleNameWithPath -> /path/ + RoleName, without the leading /
        entity = placeholder[: -len("NameWithPath")]
        name = params.get(f"{entity}Name")
        if not isinstance(name, str):
            return []
        path = live.path_of(entity.lower(), name) or params.get("Path") or "/"
        return [f"{path}{name}".lstrip("/")]
    if placeholder == "OidcProviderName":
        url = params.get("Url")
        return [re.sub(r"^https://", "", url)] if isinstance(url, str) else []
    if prefix == "secretsmanager" and placeholder == "SecretId":
        given = params.get("SecretId")
        if isinstance(given, str):
            arn = live.secret_arn(given)
            return [arn.split(":secret:", 1)[1]] if arn else [f"{given}-??????"]
        name = params.get("Name")
        return [f"{name}-??????"] if isinstance(name, str) else []  # AWS adds six random characters
    if prefix == "application-autoscaling" and placeholder == "ResourceId":
        arn = live.target_arn(str(params.get("ServiceNamespace")), str(params.get("ResourceId")),
                              str(params.get("ScalableDimension")))
        return [arn.rsplit("/", 1)[1]] if arn else []
    if prefix == "s3" and placeholder in S3_PLACEHOLDERS:
        given = params.get(S3_PLACEHOLDERS[placeholder])
        return [given] if isinstance(given, str) and given else []  # (resolve decoded the path)
    value = params.get(placeholder, params.get(f"{placeholder}s"))  # AlarmName: DeleteAlarms' AlarmNames
    if isinstance(value, str) and prefix == "lambda" and value.startswith("arn:"):
        value = value.split(":")[6]  # a function ARN given as FunctionName
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str)]
    return [str(value)] if isinstance(value, str) and value else []


def _resource_tags(arn: str, live: Live) -> dict[str, list[str]]:
    if arn == "*" or "*" in arn or "?" in arn:
        return {}
    tags = live.tags_of(arn) or {}
    return {f"aws:ResourceTag/{k}": [v] for k, v in tags.items()}
