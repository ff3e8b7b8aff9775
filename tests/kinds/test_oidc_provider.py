"""OidcProvider: the four-step contract on moto, its update paths, and its checks."""

from __future__ import annotations

import boto3
import pytest

from reconciler.errors import ManifestError
from reconciler.plan import Action
from tests.kinds.conftest import four_steps

ARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
THUMB = "6938fd4d98bab03faadb97b34396831e3780aea1"

PROVIDER = """
apiVersion: reconciler/v1
kind: OidcProvider
metadata: {name: token.actions.githubusercontent.com, tags: {team: platform}}
spec:
  url: https://token.actions.githubusercontent.com
  clientIds: [sts.amazonaws.com]
"""


def iam():  # type: ignore[no-untyped-def]
    return boto3.client("iam", region_name="us-east-1")


@pytest.fixture
def client_id_calls():  # type: ignore[no-untyped-def]
    """moto lacks Add/RemoveClientID...; the sandbox extension provides them."""
    from reconciler.sandbox import iam_oidc

    iam_oidc.install()


def test_four_steps_and_ownership(stack):
    four_steps(stack, {"p.yaml": PROVIDER}, 1)
    got = iam().get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)
    assert got["ClientIDList"] == ["sts.amazonaws.com"]
    tags = {t["Key"]: t["Value"] for t in got["Tags"]}
    assert tags["reconciler:stack"] == "test" and tags["team"] == "platform"
    assert tags["reconciler:thumbprints"] == "aws-managed"


def test_aws_managed_thumbprints_are_never_a_diff(stack):
    stack.write({"p.yaml": PROVIDER})
    stack.apply()
    # AWS computes / rotates a thumbprint of its own when none was given: not drift
    iam().update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=ARN, ThumbprintList=["a" * 40])
    assert not stack.plan().has_changes


def test_updates_client_ids_thumbprints_and_tags(stack, client_id_calls):
    stack.write({"p.yaml": PROVIDER})
    stack.apply()
    edited = (PROVIDER.replace("[sts.amazonaws.com]", "[sigstore, sts.amazonaws.com]")
              .replace("team: platform", "team: ml") + f"  thumbprints: [{THUMB.upper()}]\n")
    stack.write({"p.yaml": edited})
    p = stack.plan()
    (step,) = p.changes
    assert step.action == Action.update
    assert {c.path.split(".")[0].split("[")[0] for c in step.changes} == {"clientIds", "thumbprints", "tags"}
    stack.apply()
    got = iam().get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)
    assert sorted(got["ClientIDList"]) == ["sigstore", "sts.amazonaws.com"]
    assert got["ThumbprintList"] == [THUMB]
    tags = {t["Key"]: t["Value"] for t in got["Tags"]}
    assert tags["team"] == "ml" and "reconciler:thumbprints" not in tags
    assert not stack.plan().has_changes
    # managed thumbprints: an out-of-band change is drift
    iam().update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=ARN, ThumbprintList=["b" * 40])
    (step,) = stack.plan().changes
    assert {c.path.split("[")[0] for c in step.changes} == {"thumbprints"}
    # back to one audience: remove works too
    stack.write({"p.yaml": edited.replace("[sigstore, sts.amazonaws.com]", "[sts.amazonaws.com]")})
    stack.apply()
    assert iam().get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)["ClientIDList"] == ["sts.amazonaws.com"]


def test_prune_and_conflict(stack):
    stack.write({"p.yaml": PROVIDER})
    stack.apply()
    stack.write({"r.yaml": """
apiVersion: reconciler/v1
kind: Policy
metadata: {name: keep}
spec:
  document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: s3:ListBucket, Resource: "*"}]}
"""})
    p = stack.plan(prune=True)
    assert [(s.kind, s.name, s.action) for s in p.changes if s.action == Action.delete] == [
        ("OidcProvider", "token.actions.githubusercontent.com", Action.delete)]
    stack.apply(prune=True)
    assert iam().list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    # a provider reconcile does not own is a conflict, not an update
    iam().create_open_id_connect_provider(Url="https://token.actions.githubusercontent.com",
                                          ClientIDList=["sts.amazonaws.com"])
    stack.write({"p.yaml": PROVIDER})
    assert [x.code for x in stack.plan().problems] == ["conflict"]


@pytest.mark.parametrize("body, message", [
    ("metadata: {name: github.com}\nspec: {url: https://token.actions.githubusercontent.com, clientIds: [a]}",
     "must be the provider URL without https://"),
    ("metadata: {name: example.com}\nspec: {url: http://example.com, clientIds: [a]}", "https://"),
    ("metadata: {name: example.com}\nspec: {url: https://example.com, clientIds: []}", "at least 1"),
    ("metadata: {name: example.com}\nspec: {url: https://example.com, clientIds: [a], thumbprints: [abc]}",
     "40 hexadecimal"),
])
def test_invalid_specs(tmp_path, body, message):
    from reconciler import manifests

    (tmp_path / "p.yaml").write_text(f"apiVersion: reconciler/v1\nkind: OidcProvider\n{body}\n")
    with pytest.raises(ManifestError) as e:
        manifests.load(tmp_path)
    assert message in str(e.value)


def test_a_change_rechecks_the_providers_tags_by_its_arn_at_that_moment(stack):
    """Plan an update, then the provider is tagged as another stack's before apply runs the plan: nothing is written."""
    from reconciler import pipeline

    stack.write({"p.yaml": PROVIDER})
    stack.apply()
    stack.write({"p.yaml": PROVIDER.replace("team: platform", "team: ml")})
    p, t, m = pipeline.plan(stack.root, stack.opts)
    (step,) = p.changes
    assert [(o.action, o.ownership.basis, o.resource) for o in step.operations] == [("TagOpenIDConnectProvider", "tags", ARN)]
    iam().tag_open_id_connect_provider(OpenIDConnectProviderArn=ARN, Tags=[{"Key": "reconciler:stack", "Value": "other"}])
    result = pipeline.apply(p, t, stack.opts, m.stack.name)
    ((_, err),) = result.outcome.failed
    assert "became owned by stack 'other'" in str(err), err
    tags = {x["Key"]: x["Value"] for x in iam().get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)["Tags"]}
    assert tags["team"] == "platform"
