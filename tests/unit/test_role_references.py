"""A Role whose trust policy names a declared OidcProvider is ordered after it."""

from __future__ import annotations

from reconciler.graph import build
from reconciler.manifests import load
from tests.support.manifests import write

PROVIDER = """
apiVersion: reconciler/v1
kind: OidcProvider
metadata: {name: token.actions.githubusercontent.com}
spec:
  url: https://token.actions.githubusercontent.com
  clientIds: [sts.amazonaws.com]
"""
ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: ci}
spec:
  trustPolicy:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Action: sts:AssumeRoleWithWebIdentity
        Principal: {Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}
"""


def test_federated_trust_on_a_declared_provider_is_a_reference(tmp_path):
    m = load(write(tmp_path / "m", {"p.yaml": PROVIDER, "r.yaml": ROLE}))
    graph = build(m)
    assert graph.edges[("Role", "ci")] == {("OidcProvider", "token.actions.githubusercontent.com")}
    assert graph.layers == [[("OidcProvider", "token.actions.githubusercontent.com")], [("Role", "ci")]]


def test_federated_trust_on_an_external_provider_is_not(tmp_path):
    m = load(write(tmp_path / "m", {"r.yaml": ROLE}))
    assert build(m).edges[("Role", "ci")] == set()
