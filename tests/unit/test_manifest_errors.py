"""Manifest errors said in words, at the right line, with the real cause first (issue 15 point 7)."""

from __future__ import annotations

import pytest

from reconciler.errors import ManifestError
from reconciler.manifests import load
from tests.support.manifests import write

ENDPOINT = """\
apiVersion: reconciler/v1
kind: Endpoint
metadata:
  name: x
spec:
  executionRole: arn:aws:iam::123456789012:role/r
  model:
    image: {huggingfaceLlm: {version: "2.2.0"}}
    environment:
      HF_MODEL_ID: a/b
      SM_NUM_GPUS: "1"
  instance: {type: ml.g5.2xlarge}
"""


def _errors(tmp_path, files: dict[str, str]) -> list[str]:
    with pytest.raises(ManifestError) as e:
        load(write(tmp_path / "m", files))
    return [str(i).replace(str(tmp_path / "m") + "/", "") for i in e.value.issues]


def test_indentation_error_is_said_in_words(tmp_path):
    bad = ENDPOINT.replace("  instance:", "   instance:")
    (err,) = _errors(tmp_path, {"e.yaml": bad})
    assert err.startswith("e.yaml:12: invalid YAML (column 4): this line is indented differently from its siblings: "
                          "it starts in column 4, the entries of the mapping or list that began at line 6 start in "
                          "column 3"), err
    assert "<block" not in err


def test_a_yaml_error_comes_first_and_hides_references_to_its_documents(tmp_path):
    role = ("apiVersion: reconciler/v1\nkind: Role\nmetadata: {name: app}\n"
            "spec:\n  assumedBy: [sagemaker.amazonaws.com]\n  managedPolicies: [reader]\n  bogus: 1\n")
    policy = ('apiVersion: reconciler/v1\nkind: Policy\nmetadata:\n  name: reader\nspec:\n  document:\n'
              '    Version: "2012-10-17"\n     Statement: []\n')
    errs = _errors(tmp_path, {"a.yaml": role, "b.yaml": policy})
    assert len(errs) == 2, errs
    assert errs[0].startswith("b.yaml:8: invalid YAML") and errs[1].startswith("a.yaml:7: spec.bogus: unknown field")
    assert not [e for e in errs if "not declared" in e]


def test_an_unquoted_environment_value_points_at_its_own_line(tmp_path):
    (err,) = _errors(tmp_path, {"e.yaml": ENDPOINT.replace('SM_NUM_GPUS: "1"', "SM_NUM_GPUS: 1")})
    assert err == 'e.yaml:11: spec.model.environment.SM_NUM_GPUS: environment values are strings; quote it: "1"'


def test_an_unknown_field_one_level_off_says_where_it_belongs(tmp_path):
    down = ENDPOINT + "  environment: {A: b}\n"
    (err,) = _errors(tmp_path, {"e.yaml": down})
    assert err.startswith("e.yaml:13: spec.environment: unknown field here; environment belongs under spec.model"), err
    up = ENDPOINT.replace('      SM_NUM_GPUS: "1"\n', '      SM_NUM_GPUS: "1"\n    instance: {type: ml.g5.xlarge}\n')
    (err,) = _errors(tmp_path, {"e.yaml": up})
    assert err.startswith("e.yaml:12: spec.model.instance: unknown field here; instance belongs under spec "), err
    # a field that exists nowhere near keeps the plain message
    (err,) = _errors(tmp_path, {"e.yaml": ENDPOINT + "  colour: blue\n"})
    assert "unknown field; allowed: type, executionRole" in err


def test_kind_names_take_the_article_they_are_said_with() -> None:
    from reconciler.errors import a

    assert [a(k) for k in ("Endpoint", "InferenceComponent", "OidcProvider", "HttpApi", "User", "Role", "Policy",
                           "Function", "Stack")] == [
        "an Endpoint", "an InferenceComponent", "an OidcProvider", "an HttpApi", "a User", "a Role", "a Policy",
        "a Function", "a Stack"]
