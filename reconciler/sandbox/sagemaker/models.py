"""Models (CreateModel's checks) and tags (AddTags overwriting, ARNs of inference components)."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from .assume import check_execution_role
from .common import KIND_WORDS, _arn, _check_name, _ics, _invalid, _not_found
from .components import _sweep
from .controls import _lock

# --------------------------------------------------------------------------------------------------
# models, tags


def _patched_create_model(original: Any) -> Any:
    def create_model(self: Any, model_name: str, execution_role_arn: str, *args: Any, **kwargs: Any) -> Any:
        _check_name("model", model_name)
        with _lock:
            if model_name in self._models:
                raise _invalid(f'Cannot create already existing model "{_arn(self, "model", model_name)}".')
            check_execution_role(self, execution_role_arn)
            for container in [kwargs.get("primary_container") or {}, *(kwargs.get("containers") or [])]:
                _check_model_data(container)
                _check_model_data_found(self, container)
            return original(self, model_name, execution_role_arn, *args, **kwargs)

    return create_model


def _check_model_data(container: dict[str, Any]) -> None:
    """A container's model data as SageMaker checks it beyond botocore's shapes (which the sandbox's request
    validation checks first: S3Uri, S3DataType and CompressionType required, their enums and patterns): one of
    ModelDataUrl and ModelDataSource; an S3Prefix is uncompressed and "always ends with a forward slash (/)"
    (API reference, S3ModelDataSource); Gzip is an object (a tar archive). Our wording of AWS's rules."""
    source = (container.get("ModelDataSource") or {}).get("S3DataSource")
    if source is None:
        return
    if container.get("ModelDataUrl"):
        raise _invalid("Only one of ModelDataUrl and ModelDataSource may be specified for a container.")
    uri, kind, compression = source.get("S3Uri", ""), source.get("S3DataType"), source.get("CompressionType")
    if not uri.startswith("s3://"):
        raise _invalid(f"S3Uri {uri} of ModelDataSource.S3DataSource must be an s3:// URI.")
    if kind == "S3Prefix" and compression == "Gzip":
        raise _invalid("CompressionType Gzip requires S3DataType S3Object: an S3Prefix is uncompressed model data.")
    if kind == "S3Prefix" and not uri.endswith("/"):
        raise _invalid(f"S3Uri {uri} is not a valid key name prefix: with S3DataType S3Prefix it must end with '/'.")


def _check_model_data_found(backend: Any, container: dict[str, Any]) -> None:
    """The model data is in the sandbox's S3, as SageMaker checks at CreateModel: "Could not find model data at
    s3://…/." (ValidationException; AWS's words, e.g. aws-ia/ecs-blueprints issue 223 for a prefix)."""
    source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
    uri = source.get("S3Uri") or container.get("ModelDataUrl") or ""
    location = s3_location(uri)
    if location is None:
        return
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    name, key = location
    try:
        bucket = s3_backends[backend.account_id][get_partition(backend.region_name)].buckets.get(name)
        keys = list(bucket.keys) if bucket is not None else []
    except Exception:  # noqa: BLE001 - moto's internals moved: do not refuse what AWS might accept
        return
    found = any(k.startswith(key) for k in keys) if source.get("S3DataType") == "S3Prefix" else key in keys
    if not found:
        raise _invalid(f"Could not find model data at {uri}.")


#: S3's HTTPS object URLs, virtual-hosted (bucket.s3.us-east-1.amazonaws.com/key, bucket.s3.amazonaws.com/key,
#: bucket.s3-us-east-1…) and path-style (s3.us-east-1.amazonaws.com/bucket/key); ModelDataUrl's pattern in
#: botocore is ``^(https|s3)://([^/]+)/?(.*)$``
_VIRTUAL = re.compile(r"https://(?P<bucket>[^/]+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?/(?P<key>.*)")
_PATH = re.compile(r"https://s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?/(?P<bucket>[^/]+)/(?P<key>.*)")


def s3_location(uri: str) -> tuple[str, str] | None:
    """(bucket, key) of an ``s3://`` URI or an S3 HTTPS URL; None for any other URL (not checked)."""
    if uri.startswith("s3://"):
        bucket, _, key = uri[len("s3://"):].partition("/")
        return bucket, key
    found = _VIRTUAL.fullmatch(uri) or _PATH.fullmatch(uri)
    return (found["bucket"], urllib.parse.unquote(found["key"])) if found else None


def _patched_resource_from_arn(original: Any) -> Any:
    def _get_resource_from_arn(self: Any, arn: str) -> Any:
        kind, _, name = arn.split(":")[-1].partition("/")
        if kind == "inference-component":
            ic = _ics(self).get(name)
            if ic is None:
                raise _not_found(self, kind, arn)
            return ic
        if kind == "endpoint":
            _sweep(self)
        resource = original(self, arn)
        if resource is None and kind in KIND_WORDS:  # moto: None, then an AttributeError (HTTP 500)
            raise _not_found(self, kind, arn)
        return resource

    return _get_resource_from_arn


def _add_tags(self: Any, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    resource = self._get_resource_from_arn(arn)
    with _lock:
        for tag in tags or []:
            for existing in resource.tags:
                if existing["Key"] == tag["Key"]:
                    existing["Value"] = tag.get("Value", "")
                    break
            else:
                resource.tags.append({"Key": tag["Key"], "Value": tag.get("Value", "")})
        return resource.tags  # type: ignore[no-any-return]


def _model_view(model: Any) -> dict[str, Any]:
    """DescribeModel as AWS answers it: VpcConfig and Containers only when the model was created with them
    (botocore's VpcConfig requires SecurityGroupIds and Subnets, so ``{}`` is not a valid answer)."""
    out: dict[str, Any] = {"ModelName": model.model_name}
    if model.primary_container:
        out["PrimaryContainer"] = model.primary_container
    if model.containers:
        out["Containers"] = model.containers
    if getattr(model, "rx_inference_execution_config", None):
        out["InferenceExecutionConfig"] = model.rx_inference_execution_config
    if model.execution_role_arn and model.execution_role_arn != "arn:test":
        out["ExecutionRoleArn"] = model.execution_role_arn
    if model.vpc_config:
        out["VpcConfig"] = model.vpc_config
    out["CreationTime"] = model.creation_time
    out["ModelArn"] = model.arn
    out["EnableNetworkIsolation"] = bool(model.enable_network_isolation)
    return out


def _describe_model(self: Any, model_name: str) -> Any:
    model = self._models.get(model_name)
    if model is None:
        raise _not_found(self, "model", model_name)
    return model


def _delete_model(self: Any, model_name: str) -> None:
    if self._models.pop(model_name, None) is None:
        raise _not_found(self, "model", model_name)


def _delete_endpoint_config(self: Any, endpoint_config_name: str) -> None:
    if self.endpoint_configs.pop(endpoint_config_name, None) is None:
        raise _not_found(self, "endpoint-config", endpoint_config_name)
