"""Models (CreateModel's checks) and tags (AddTags overwriting, ARNs of inference components)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .common import _arn, _check_name, _ics, _invalid, _now
from .components import _sweep
from .controls import _faults, _lock

# --------------------------------------------------------------------------------------------------
# models, tags


def _role_fault(backend: Any, role_arn: str | None) -> None:
    if not role_arn:
        return
    with _lock:
        faults = [f for f in _faults if "role" in f]
    if not faults:
        return
    role_name = role_arn.rsplit("/", 1)[-1]
    created: float | None = None
    try:
        from moto.iam.models import iam_backends
        from moto.utilities.utils import get_partition

        role = iam_backends[backend.account_id][get_partition(backend.region_name)].get_role(role_name)
        created = role.create_date.replace(tzinfo=_dt.UTC).timestamp()
    except Exception:
        created = None
    for f in faults:
        if f["role"] not in ("*", role_name, role_arn):
            continue
        if created is not None and _now() - created >= f["seconds"]:
            continue
        raise _invalid(f["reason"] or f"Could not assume role {role_arn}. Please ensure that the role exists and "
                       "allows principal 'sagemaker.amazonaws.com' to assume the role.")


def _patched_create_model(original: Any) -> Any:
    def create_model(self: Any, model_name: str, execution_role_arn: str, *args: Any, **kwargs: Any) -> Any:
        _check_name("model", model_name)
        with _lock:
            if model_name in self._models:
                raise _invalid(f'Cannot create already existing model "{_arn(self, "model", model_name)}".')
            _role_fault(self, execution_role_arn)
            return original(self, model_name, execution_role_arn, *args, **kwargs)

    return create_model


def _patched_resource_from_arn(original: Any) -> Any:
    def _get_resource_from_arn(self: Any, arn: str) -> Any:
        kind, _, name = arn.split(":")[-1].partition("/")
        if kind == "inference-component":
            ic = _ics(self).get(name)
            if ic is None:
                raise _invalid(f"Could not find {kind} with name {name}")
            return ic
        if kind == "endpoint":
            _sweep(self)
        return original(self, arn)

    return _get_resource_from_arn


def _add_tags(self: Any, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    resource = self._get_resource_from_arn(arn)
    if resource is None:
        raise _invalid(f"Could not find resource {arn}")
    with _lock:
        for tag in tags or []:
            for existing in resource.tags:
                if existing["Key"] == tag["Key"]:
                    existing["Value"] = tag.get("Value", "")
                    break
            else:
                resource.tags.append({"Key": tag["Key"], "Value": tag.get("Value", "")})
        return resource.tags  # type: ignore[no-any-return]
