"""Which spec field becomes which AWS API parameter, checked against botocore's model (house rule 10).

Each kind declares here, as data, the spec paths that become API parameters and the (service, shape) they
become; ``check(res, already)`` walks them with ``reconciler.awsmodel`` and turns every violation into an
Issue at the field's file:line, saying what is allowed. One mechanism for every kind: nothing here copies a
length, pattern or enum by hand.

Paths: a literal key steps into a mapping, ``*`` into every value of a map or item of a list, ``<key>``
checks the map's keys themselves. A field with ``arn_only`` is checked only when it holds an ARN (a name
there is a reference to a resource in the manifests, resolved at apply time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import Issue
from reconciler.kinds.base import Resource


@dataclass(frozen=True)
class Param:
    path: tuple[str, ...]
    service: str
    ref: str  # awsmodel ref: Operation.Member…, or Shape.Member…
    arn_only: bool = False


def _tags(service: str, key: str, value: str) -> list[Param]:
    return [Param(("metadata", "tags", "<key>"), service, key), Param(("metadata", "tags", "*"), service, value)]


def _principal(op: str, attach: str, put: str, name_member: str) -> list[Param]:
    return [
        Param(("metadata", "name"), "iam", f"{op}.{name_member}"),
        Param(("spec", "path"), "iam", f"{op}.Path"),
        Param(("spec", "permissionsBoundary"), "iam", f"{op}.PermissionsBoundary", arn_only=True),
        Param(("spec", "managedPolicies", "*"), "iam", f"{attach}.PolicyArn", arn_only=True),
        Param(("spec", "inlinePolicies", "<key>"), "iam", f"{put}.PolicyName"),
        *_tags("iam", "Tag.Key", "Tag.Value"),
    ]


_IC = "InferenceComponentComputeResourceRequirements"


def _model() -> list[Param]:
    """An Endpoint's or InferenceComponent's model (CreateModel) and the role it runs as."""
    return [
        Param(("spec", "executionRole"), "sagemaker", "CreateModel.ExecutionRoleArn", arn_only=True),
        Param(("spec", "model", "image", "uri"), "sagemaker", "ContainerDefinition.Image"),
        Param(("spec", "model", "environment"), "sagemaker", "ContainerDefinition.Environment"),
    ]


def _component(at: tuple[str, ...]) -> list[Param]:
    """An inference component's copies and compute per copy, at ``at`` (the Endpoint's inline shorthand or the
    InferenceComponent's spec)."""
    return [
        Param((*at, "copies"), "sagemaker", "InferenceComponentRuntimeConfig.CopyCount"),
        Param((*at, "acceleratorDevices"), "sagemaker", f"{_IC}.NumberOfAcceleratorDevicesRequired"),
        Param((*at, "cpuCores"), "sagemaker", f"{_IC}.NumberOfCpuCoresRequired"),
        Param((*at, "memoryMb"), "sagemaker", f"{_IC}.MinMemoryRequiredInMb"),
        Param((*at, "maxMemoryMb"), "sagemaker", f"{_IC}.MaxMemoryRequiredInMb"),
    ]


def _rollback_alarms() -> list[Param]:
    return [Param(("spec", "deployment", "autoRollbackAlarms"), "sagemaker", "AutoRollbackConfig.Alarms"),
            Param(("spec", "deployment", "autoRollbackAlarms", "*"), "sagemaker", "Alarm.AlarmName")]


MAPPINGS: dict[str, list[Param]] = {
    "Endpoint": [
        Param(("metadata", "name"), "sagemaker", "CreateEndpoint.EndpointName"),
        *_model(),
        Param(("spec", "instance", "type"), "sagemaker", "ProductionVariantInstanceType"),
        Param(("spec", "instance", "count"), "sagemaker", "ProductionVariant.InitialInstanceCount"),
        Param(("spec", "instance", "managedScaling", "minCount"), "sagemaker",
              "ProductionVariantManagedInstanceScaling.MinInstanceCount"),
        Param(("spec", "instance", "managedScaling", "maxCount"), "sagemaker",
              "ProductionVariantManagedInstanceScaling.MaxInstanceCount"),
        Param(("spec", "startup", "healthCheckTimeoutSeconds"), "sagemaker",
              "ProductionVariant.ContainerStartupHealthCheckTimeoutInSeconds"),
        Param(("spec", "startup", "modelDownloadTimeoutSeconds"), "sagemaker",
              "ProductionVariant.ModelDataDownloadTimeoutInSeconds"),
        Param(("spec", "inferenceComponent", "name"), "sagemaker", "CreateInferenceComponent.InferenceComponentName"),
        *_component(("spec", "inferenceComponent")),
        *_rollback_alarms(),
        *_tags("sagemaker", "Tag.Key", "Tag.Value"),
    ],
    "InferenceComponent": [
        Param(("metadata", "name"), "sagemaker", "CreateInferenceComponent.InferenceComponentName"),
        Param(("spec", "endpoint"), "sagemaker", "CreateInferenceComponent.EndpointName"),
        *_model(),
        *_component(("spec",)),
        Param(("spec", "startup", "healthCheckTimeoutSeconds"), "sagemaker",
              "InferenceComponentStartupParameters.ContainerStartupHealthCheckTimeoutInSeconds"),
        Param(("spec", "startup", "modelDownloadTimeoutSeconds"), "sagemaker",
              "InferenceComponentStartupParameters.ModelDataDownloadTimeoutInSeconds"),
        *_rollback_alarms(),
        *_tags("sagemaker", "Tag.Key", "Tag.Value"),
    ],
    "OidcProvider": [
        Param(("spec", "url"), "iam", "CreateOpenIDConnectProvider.Url"),
        Param(("spec", "clientIds", "*"), "iam", "CreateOpenIDConnectProvider.ClientIDList.member"),
        Param(("spec", "thumbprints", "*"), "iam", "CreateOpenIDConnectProvider.ThumbprintList.member"),
        *_tags("iam", "Tag.Key", "Tag.Value"),
    ],
    "Function": [
        Param(("metadata", "name"), "lambda", "CreateFunction.FunctionName"),
        Param(("spec", "description"), "lambda", "CreateFunction.Description"),
        Param(("spec", "runtime"), "lambda", "CreateFunction.Runtime"),
        Param(("spec", "handler"), "lambda", "CreateFunction.Handler"),
        Param(("spec", "memorySize"), "lambda", "CreateFunction.MemorySize"),
        Param(("spec", "timeout"), "lambda", "CreateFunction.Timeout"),
        Param(("spec", "role"), "lambda", "CreateFunction.Role", arn_only=True),
        Param(("spec", "architecture"), "lambda", "CreateFunction.Architectures.member"),
        Param(("spec", "environment"), "lambda", "CreateFunction.Environment.Variables"),
        *_tags("lambda", "CreateFunction.Tags.key", "CreateFunction.Tags.value"),
    ],
    "HttpApi": [
        Param(("metadata", "name"), "apigatewayv2", "CreateApi.Name"),
        Param(("spec", "description"), "apigatewayv2", "CreateApi.Description"),
        Param(("spec", "routes", "<key>"), "apigatewayv2", "CreateRoute.RouteKey"),
        Param(("spec", "cors", "maxAge"), "apigatewayv2", "Cors.MaxAge"),
        *_tags("apigatewayv2", "CreateApi.Tags.key", "CreateApi.Tags.value"),
    ],
    "Role": [
        *_principal("CreateRole", "AttachRolePolicy", "PutRolePolicy", "RoleName"),
        Param(("spec", "description"), "iam", "CreateRole.Description"),
        Param(("spec", "maxSessionDuration"), "iam", "CreateRole.MaxSessionDuration"),
    ],
    "User": _principal("CreateUser", "AttachUserPolicy", "PutUserPolicy", "UserName"),
    "Policy": [
        Param(("metadata", "name"), "iam", "CreatePolicy.PolicyName"),
        Param(("spec", "path"), "iam", "CreatePolicy.Path"),
        Param(("spec", "description"), "iam", "CreatePolicy.Description"),
        *_tags("iam", "Tag.Key", "Tag.Value"),
    ],
}


def _document(res: Resource) -> dict[str, Any]:
    spec = res.spec.model_dump(mode="python") if hasattr(res.spec, "model_dump") else dict(res.spec)
    return {"metadata": {"name": res.name, "tags": dict(res.tags)}, "spec": spec}


def expand(doc: Any, path: tuple[str, ...], at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(concrete path, value) for every value ``path`` reaches in ``doc``."""
    if not path:
        if doc is not None:
            yield at, doc
        return
    step, rest = path[0], path[1:]
    if step == "*":
        items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
        for k, v in items:
            yield from expand(v, rest, (*at, k))
    elif step == "<key>":
        if isinstance(doc, dict):
            for k in doc:
                yield (*at, k), k
    elif isinstance(doc, dict) and step in doc:
        yield from expand(doc[step], rest, (*at, step))


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 48 else text[:45] + "..."


def message(v: Any) -> str:
    """People's wording of one awsmodel Violation: the value, the shape it breaks, what is allowed."""
    c = v.constraints
    what = f"AWS ({c.service} {c.shape})" if c else "AWS"
    if v.rule == "size":
        return f"{v.allowed} allowed by {what}"
    subject = {"key": "the name ", "value": "the value "}.get(v.where, "")
    length = f" ({len(v.value)} characters)" if v.rule == "length" and isinstance(v.value, str) else ""
    return f"{subject}{_shown(v.value)}{length} is not allowed by {what}: {v.allowed}"


def _violations(p: Param, value: Any) -> list[Any]:
    from reconciler import awsmodel

    if p.arn_only and not (isinstance(value, str) and value.startswith("arn:")):
        return []
    if isinstance(value, list | dict) and not value:
        return []  # an empty list or map is not sent
    if isinstance(value, dict) and awsmodel.shape(p.service, p.ref).type_name == "map":
        value = {k: v for k, v in value.items() if not isinstance(v, dict)}  # {secretsManager: …}: resolved at apply
    found = awsmodel.check_value(p.service, p.ref, value)
    seen, out = set(), []
    for v in found:  # one message per field: a name too long usually breaks the pattern too
        key = (v.path, v.where)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def check(res: Resource, already: Sequence[Issue] = (), *,
          derived: Callable[[str], dict[str, str]] | None = None) -> list[Issue]:
    """Issues for every spec field of ``res`` that breaks its API parameter's shape; fields ``already`` reported
    by the kind's own checks are skipped. ``derived(name)`` gives names AWS will see that are derived from
    metadata.name (``{ref: name}``); when one does not fit, the error names the longest name that does."""
    from reconciler.kinds import REGISTRY

    params = MAPPINGS.get(res.kind, [])
    reported = {i.field for i in already}
    kind = REGISTRY.get(res.kind)
    if kind is not None and not kind.name_pattern.match(res.name):
        reported.add("metadata.name")  # the loader reported it
    doc = _document(res)
    out: list[Issue] = []
    for p in params:
        for where, value in expand(doc, p.path):
            for v in _violations(p, value):
                path = (*where, *(str(s) if not isinstance(s, int) else s for s in v.path))
                field = ".".join(str(x) for x in path)
                if field in reported or ".".join(str(x) for x in where) in reported:
                    continue
                reported.add(field)
                text = message(v)
                if field == "metadata.name" and v.rule == "length":
                    text += _longest(res, p, derived)
                out.append(res.issue(path, text))
    if derived is not None and "metadata.name" not in reported:
        out += _derived(res, derived)
    from reconciler.kinds import _fit

    out += [i for i in _fit.issues(res) if i.field not in reported]
    return out


def _fits(name: str, derived: Callable[[str], dict[str, str]], service: str, own: str) -> bool:
    from reconciler import awsmodel

    if awsmodel.check_value(service, own, name):
        return False
    return all(not awsmodel.check_value(service, ref, n) for ref, n in derived(name).items())


def _longest(res: Resource, own: Param, derived: Callable[[str], dict[str, str]] | None) -> str:
    """"; the longest <Kind> name that fits is N characters, e.g. '…'" (derived names included)."""
    names = derived or (lambda _n: {})
    longest = next((n for n in (res.name[:k].rstrip("-") for k in range(len(res.name) - 1, 0, -1))
                    if n and _fits(n, names, own.service, own.ref)), "")
    return f"; the longest {res.kind} name that fits is {len(longest)} characters, e.g. {longest!r}" if longest else ""


def _derived(res: Resource, derived: Callable[[str], dict[str, str]]) -> list[Issue]:
    from reconciler import awsmodel

    own = next((p for p in MAPPINGS[res.kind] if p.path == ("metadata", "name")), None)
    if own is None:
        return []
    for ref, name in derived(res.name).items():
        found = awsmodel.check_value(own.service, ref, name)
        if found:
            return [res.issue(("metadata", "name"), f"the {ref.split('.')[-1]} derived from this name, {name!r}, is not "
                              f"allowed by AWS ({own.service} {ref}): {found[0].allowed}{_longest(res, own, derived)}")]
    return []


def endpoint_names(derived_name: Callable[[str, Any], str], ic_name: Callable[[str, Any], str]) -> Callable[[str], dict[str, str]]:
    """The names an Endpoint's model, endpoint config and inference component get (from the kind's naming)."""
    def names(endpoint: str) -> dict[str, str]:
        return {"CreateModel.ModelName": derived_name(endpoint, {}),
                "CreateEndpointConfig.EndpointConfigName": derived_name(endpoint, {}),
                "CreateInferenceComponent.InferenceComponentName": ic_name(endpoint, {})}
    return names
