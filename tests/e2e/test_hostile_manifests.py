"""Hostile inputs found outside the team (issue 23, item 7) that are not plain validate errors: a manifest the
user running reconcile may not read, and what validate warns about (a managed-policy quota, NotAction on "*")."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.cli import clean_env, reconcile_exe
from tests.support.manifests import STACK, write

ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata: {{name: {name}}}
spec: {{assumedBy: [sagemaker.amazonaws.com]}}
"""


def _unprivileged(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """The CLI as a user who cannot read what its permissions forbid. Root reads everything, so as root the
    command runs without the capabilities that override file permissions (util-linux setpriv)."""
    prefix = (["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]
              if os.geteuid() == 0 else [])
    env = clean_env({"RECONCILE_HOME": str(cwd / "home"), "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    return subprocess.run([*prefix, reconcile_exe(), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_manifest_or_folder_that_cannot_be_read_is_a_located_error(tmp_path):
    """A file without read permission, and a folder that may be listed but not entered (`unexpected
    PermissionError` before): each is reported where it is, with every other error, exit 1, no traceback."""
    m = write(tmp_path / "m", {"stack.yaml": STACK.format(name="perm"), "a.yaml": ROLE.format(name="a"),
                               "secret.yaml": ROLE.format(name="b"), "team/c.yaml": ROLE.format(name="c")})
    (m / "secret.yaml").chmod(0)
    (m / "team").chmod(0o600)  # r without x: its entries can be listed, not opened
    try:
        r = _unprivileged(["validate", "m"], tmp_path)
    finally:
        (m / "team").chmod(0o755)
        (m / "secret.yaml").chmod(0o644)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "unexpected" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert "2 errors in manifests" in r.stderr, r.stderr
    assert "m/secret.yaml:1: cannot read the file: Permission denied" in r.stderr, r.stderr
    assert "m/team/c.yaml: cannot read it: Permission denied" in r.stderr, r.stderr


def test_more_managed_policies_than_the_default_quota_warns_naming_it(cli, tmp_path):
    arns = [f"arn:aws:iam::aws:policy/Policy{i}" for i in range(11)]
    m = write(tmp_path / "m", {"stack.yaml": STACK.format(name="quota"), "role.yaml": f"""
        apiVersion: reconciler/v1
        kind: Role
        metadata: {{name: many}}
        spec:
          assumedBy: [sagemaker.amazonaws.com]
          managedPolicies: [{", ".join(arns)}]
        """})
    r = cli("validate", str(m))
    assert r.code == 0, r.text
    assert ("role.yaml:6: spec.managedPolicies: 11 managed policies; AWS's default quota is 10 per role (IAM quota "
            "'Managed policies per role')") in r.text and "Service Quotas, up to 20" in r.text, r.text


def test_allow_with_not_action_on_every_resource_is_linted_as_a_wildcard(cli, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK.format(name="lint"), "policy.yaml": """
        apiVersion: reconciler/v1
        kind: Policy
        metadata: {name: all-but-iam}
        spec:
          document:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                NotAction: ["iam:*"]
                Resource: "*"
        """})
    r = cli("validate", str(m))
    assert r.code == 0, r.text
    assert ('policy.yaml:9: spec.document.Statement.0.NotAction: policy lint SERVICE_WILDCARD: Allow with NotAction '
            'on Resource "*" allows every action of every service but those listed') in r.text, r.text
    r = cli("validate", str(m), "--strict")
    assert r.code == 1 and "SERVICE_WILDCARD" in r.err, r.text
