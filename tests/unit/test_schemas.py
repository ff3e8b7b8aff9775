"""schemas/ is generated from the models; the checked-in copy must be in sync, and the examples valid."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from reconciler.schema import all_schemas

REPO = Path(__file__).resolve().parents[2]


def test_checked_in_schemas_are_in_sync():
    generated = all_schemas()
    on_disk = {p.stem: json.loads(p.read_text()) for p in (REPO / "schemas").glob("*.json")}
    assert set(on_disk) == set(generated), "run `reconcile schema --out schemas`"
    for name, schema in generated.items():
        assert on_disk[name] == json.loads(json.dumps(schema)), f"schemas/{name}.json is stale: run `reconcile schema`"


def test_example_manifests_match_their_schema_and_declare_it():
    schemas = {name: s for name, s in all_schemas().items()}
    for path in sorted([*(REPO / "manifests").rglob("*.yaml"), *(REPO / "examples").rglob("*.yaml")]):
        text = path.read_text()
        assert text.startswith("# yaml-language-server: $schema="), f"{path} lacks the schema line"
        for doc in yaml.safe_load_all(text):
            if doc is None:
                continue
            schema = schemas[doc["kind"].lower()]
            jsonschema.validate(doc, schema)


def test_every_spec_field_has_a_description():
    for name, schema in all_schemas().items():
        if name == "reconciler":
            continue
        spec = schema["properties"]["spec"]
        for field, prop in spec.get("properties", {}).items():
            assert prop.get("description"), f"{name}.spec.{field} has no description"
