"""JSON Schema of every kind, generated from the pydantic models (checked in under schemas/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler import API_VERSION, SCHEMA_BASE
from reconciler.manifests import Metadata, StackSpec


def kind_schema(kind: str, spec_model: Any, description: str) -> dict[str, Any]:
    spec = spec_model.model_json_schema(ref_template="#/$defs/{model}")
    defs = spec.pop("$defs", {})
    meta = Metadata.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(meta.pop("$defs", {}))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}/{kind.lower()}.json",
        "title": kind,
        "description": description,
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata"] + ([] if kind == "Stack" else ["spec"]),
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": kind},
            "metadata": meta,
            "spec": spec,
        },
        "$defs": defs,
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    from reconciler.kinds import REGISTRY

    out = {"stack": kind_schema("Stack", StackSpec, "Settings of the whole stack (at most one per folder).")}
    from reconciler.environments import EnvironmentSpec

    env = kind_schema("Environment", EnvironmentSpec, "One environment (dev, staging, prod …): the stack it deploys "
                      "as, its account and region, and patches on the shared documents (docs: README, Environments).")
    env["properties"]["metadata"] = {"type": "object", "additionalProperties": False, "required": ["name"],
                                     "properties": {"name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,31}$",
                                                             "description": "The environment's name (--env NAME)."}}}
    env["$defs"] = {k: v for k, v in env["$defs"].items() if k != "Metadata"}
    out["environment"] = env
    for name, kind in REGISTRY.items():
        out[name.lower()] = kind_schema(name, kind.spec_model, kind.description)
    kinds = ["Stack", "Environment", *REGISTRY]
    out["reconciler"] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}/reconciler.json",
        "title": "reconcile manifest (any kind)",
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": {"kind": {"enum": kinds}},
        "allOf": [
            {"if": {"properties": {"kind": {"const": k}}}, "then": {"$ref": f"{k.lower()}.json"}} for k in kinds
        ],
    }
    return out


def files(out_dir: str | Path) -> dict[Path, str]:
    """{path: text} of every schema file in ``out_dir``, as `reconcile schema --out` writes them."""
    return {Path(out_dir) / f"{name}.json": json.dumps(schema, indent=2, sort_keys=True) + "\n"
            for name, schema in all_schemas().items()}


def write(out_dir: str | Path) -> list[Path]:
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for path, text in files(out_dir).items():
        path.write_text(text)
    return list(files(out_dir))
