"""Every AWS call the kinds plan is named as botocore names it: for each operation of every scenario in
tests/kinds/scenarios, the action exists in the service's model and the request validates against its input
shape (botocore's ParamValidator: parameter names, types, required members), once each reference a plan holds
(``$output``, ``$secret``, ``$zip``, ``$json``, ``$concat``, ``$fingerprint``) is replaced by a value of the type
the shape wants there. A reference may stand only where its value fits: code (``$zip``) in a blob, the others
that make text in a string.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kinds import test_scenarios as scenarios

#: what each kind of reference becomes at apply: None = whatever the shape wants (an earlier answer's field)
MAKES = {"$zip": "blob", "$json": "string", "$concat": "string", "$fingerprint": "string", "$secret": "string",
         "$output": None}
PLACEHOLDERS = {"string": "x", "blob": b"x", "integer": 1, "long": 1, "boolean": True, "float": 1.0,
                "double": 1.0, "timestamp": "2026-01-01T00:00:00Z"}
KINDS = ("Role", "Policy", "User", "Function", "HttpApi", "OidcProvider", "Endpoint", "InferenceComponent")


@functools.cache
def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def _filled(value: Any, shape: Any, where: str) -> Any:
    """``value`` with every reference replaced by a placeholder of the type ``shape`` wants there."""
    if isinstance(value, dict) and any(str(k).startswith("$") for k in value):
        (kind,) = [k for k in value if k.startswith("$")]
        makes = MAKES[kind]
        assert makes in (None, shape.type_name), f"{where}: a {kind} reference makes a {makes}, the shape is a " \
                                                 f"{shape.type_name}"
        text = PLACEHOLDERS[shape.type_name]
        minimum = shape.metadata.get("min", 1) if shape.type_name == "string" else 1
        return text * max(1, minimum) if isinstance(text, str | bytes) else text
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _filled(v, shape.members[k], f"{where}.{k}") if k in shape.members else v for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_filled(v, shape.member, f"{where}[{i}]") for i, v in enumerate(value)]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _filled(v, shape.value, f"{where}.{k}") for k, v in value.items()}
    return value


def _operations() -> list[tuple[str, Any]]:
    out = []
    for path in scenarios.CASES:
        case = yaml.safe_load(path.read_text())
        if "operations" in case["expect"]:
            out.append((f"{path.parent.name}/{path.stem}", path))
    return out


CASES = _operations()


def test_the_kinds_have_scenarios_with_operations() -> None:
    assert {c.split("/")[0] for c, _ in CASES} >= set(KINDS)


@pytest.mark.parametrize("case_id, path", CASES, ids=[c for c, _ in CASES])
def test_every_planned_call_validates_against_botocores_input_shape(case_id: str, path: Path, tmp_path: Path) -> None:
    from botocore.validate import ParamValidator

    case = yaml.safe_load(path.read_text())
    if case.get("files"):
        from tests.support.manifests import write

        write(tmp_path / "m", case["files"])
        case = scenarios._digests(case, tmp_path / "m")
    plan = scenarios._plan(case, tmp_path)
    [step] = [s for s in plan.steps if s.id == case["resource"]]
    calls = [o for o in step.operations if o.action != "Wait" and o.service != "local"]
    assert calls or step.operations, f"{case_id}: no AWS call planned"  # (or only waits: an update in flight)
    for op in calls:
        model = _model(op.service)
        assert op.action in model.operation_names, f"{case_id}: {op.service} has no operation {op.action}"
        shape = model.operation_model(op.action).input_shape
        request = _filled(op.request, shape, f"{op.action}")
        report = ParamValidator().validate(request, shape)
        assert not report.has_errors(), f"{case_id}: {op.action} {op.target}:\n{report.generate_report()}"


def test_a_misnamed_parameter_or_a_reference_of_the_wrong_type_is_caught() -> None:
    from botocore.validate import ParamValidator

    shape = _model("lambda").operation_model("UpdateFunctionCode").input_shape
    wrong = {"FunctionName": "fn", "ZipFile": {"$zip": "code", "sha256": "x"}, "Architecture": ["arm64"]}
    report = ParamValidator().validate(_filled(wrong, shape, "UpdateFunctionCode"), shape)
    assert "Unknown parameter in input: \"Architecture\"" in report.generate_report()
    with pytest.raises(AssertionError, match=r"\$zip reference makes a blob, the shape is a string"):
        _filled({"FunctionName": {"$zip": "code", "sha256": "x"}}, shape, "UpdateFunctionCode")
