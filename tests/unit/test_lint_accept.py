"""Lint warnings a manifest acknowledges (reconciler/accept-lint: CODE,…) are not repeated; errors stay."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.errors import ManifestError
from reconciler.pipeline import load
from tests.support.manifests import write

ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata:
  name: broad
  annotations: {ANNOTATIONS}
spec:
  assumedBy: [sagemaker.amazonaws.com]
  managedPolicies: [arn:aws:iam::aws:policy/AmazonS3FullAccess]
  inlinePolicies:
    pass: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "iam:PassRole", Resource: "*"}]}
"""


def _codes(tmp_path: Path, annotations: str) -> list[str]:
    m = write(tmp_path / f"m{len(list(tmp_path.iterdir()))}", {"r.yaml": ROLE.replace("{ANNOTATIONS}", annotations)})
    manifests, _graph = load(m)
    return sorted(w.code for w in manifests.warnings)


def test_accepted_codes_are_not_repeated(tmp_path):
    assert _codes(tmp_path, "{}") == ["FULL_ACCESS", "PASSROLE_STAR"]
    assert _codes(tmp_path, '{reconciler/accept-lint: "PASSROLE_STAR"}') == ["FULL_ACCESS"]
    assert _codes(tmp_path, '{reconciler/accept-lint: "passrole_star, FULL_ACCESS"}') == []


def test_the_warning_names_its_code(tmp_path):
    m = write(tmp_path / "m", {"r.yaml": ROLE.replace("{ANNOTATIONS}", "{}")})
    text = "\n".join(str(w) for w in load(m)[0].warnings)
    assert 'policy lint PASSROLE_STAR: iam:PassRole on Resource "*"' in text
    assert "policy lint FULL_ACCESS: AmazonS3FullAccess grants full access" in text


def test_errors_cannot_be_accepted(tmp_path):
    bad = ROLE.replace("iam:PassRole", "s3:GetObjekt").replace("{ANNOTATIONS}", '{reconciler/accept-lint: UNKNOWN_ACTION}')
    m = write(tmp_path / "m", {"r.yaml": bad})
    with pytest.raises(ManifestError, match="UNKNOWN_ACTION"):
        load(m)


def test_the_examples_plan_without_warnings(tmp_path):
    m = tmp_path / "manifests"
    shutil.copytree(Path(__file__).resolve().parents[2] / "manifests", m)
    for env in ("dev", "prod"):
        manifests, _graph = load(m, env=env)
        assert [str(w) for w in manifests.warnings] == []
