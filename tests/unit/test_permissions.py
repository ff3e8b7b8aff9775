"""`reconcile permissions` (issue 26 item 3): what each command needs for a folder of manifests, as IAM policy
documents, composed from every kind's declaration (``Kind.permissions``; reconciler/permissions/). No AWS.

Checked against the Service Authorization Reference (reconciler/awsmodel/iam_reference.py): every printed action
exists, every tag condition is one IAM supports for that action's resource types.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.awsmodel import iam_reference as sar
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Kind
from reconciler.permissions import compose
from reconciler.permissions.grants import DELETE, READ, WRITE, Scope, grant
from reconciler.pipeline import load
from tests.support.manifests import write

REPO = Path(__file__).resolve().parents[2]
TAG = "aws:ResourceTag/reconciler:stack"


def printed(folder: Path | str, *commands: str, env: str | None = "prod") -> list[dict[str, Any]]:
    m, _ = load(folder, env=env, command="permissions")
    docs, _notes = compose.policies(m, commands, m.stack.spec.region or "us-east-1")
    return docs


def statements(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [st for d in docs for st in d["Statement"]]


def allowed(docs: list[dict[str, Any]]) -> set[str]:
    return {a for st in statements(docs) for a in st["Action"]}


def listed(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def examples() -> dict[str, list[dict[str, Any]]]:
    return {c: printed(REPO / "manifests", c) for c in compose.COMMANDS}


def test_every_kind_declares_its_permissions():
    """Each kind overrides the default (none), for the resources it is given and for those the orphan scan finds."""
    for name, kind in REGISTRY.items():
        assert type(kind).permissions is not Kind.permissions, name


def test_actions_are_listed_one_by_one_and_exist(examples):
    for command, docs in examples.items():
        for action in allowed(docs):
            assert "*" not in action and "?" not in action, (command, action)
            assert sar.action(action) is not None, (command, action)


def test_plan_and_drift_only_read(examples):
    """The plan role is read-only: no action of the Write, Tagging or Permissions management access levels."""
    assert examples["plan"] == examples["drift"]
    for action in allowed(examples["plan"]):
        assert sar.action(action).access_level in ("Read", "List"), action  # type: ignore[union-attr]


def test_each_command_needs_more_than_plan(examples):
    plan = allowed(examples["plan"])
    for command in ("apply", "prune", "destroy"):
        assert plan < allowed(examples[command]), command
    assert "sagemaker:CreateEndpoint" in allowed(examples["apply"])
    assert "sagemaker:CreateEndpoint" not in allowed(examples["destroy"]) | allowed(examples["prune"])
    assert "sagemaker:DeleteEndpoint" in allowed(examples["prune"]) & allowed(examples["destroy"])


def test_documents_fit_a_managed_policy(examples):
    for command, docs in examples.items():
        for doc in docs:
            assert compose.size(doc) <= compose.MANAGED_POLICY_LIMIT, command
        sids = [st["Sid"] for st in statements(docs)]
        assert len(sids) == len(set(sids)), command


def test_resources_are_the_stacks_names(examples):
    """The declared names' ARNs, not the service's every resource."""
    by_action: dict[str, set[str]] = {}
    for st in statements(examples["apply"]):
        for a in st["Action"]:
            by_action.setdefault(a, set()).update(listed(st["Resource"]))
    assert by_action["sagemaker:CreateEndpoint"] >= {"arn:aws:sagemaker:us-east-1:*:endpoint/twinllama-3-1-8b-dpo"}
    assert "arn:aws:sagemaker:us-east-1:*:endpoint/*" not in by_action["sagemaker:CreateEndpoint"]
    assert by_action["iam:CreateRole"] == {"arn:aws:iam::*:role/HuggingfaceExecuteRole",
                                           "arn:aws:iam::*:role/llm-sagemaker-execution",
                                           "arn:aws:iam::*:role/workshop-generate-function"}
    assert by_action["lambda:CreateFunction"] == {"arn:aws:lambda:us-east-1:*:function:workshop-generate"}


def test_changes_of_owned_resources_carry_the_stack_tag(examples):
    """Deletes and changes of what the stack owns are conditioned on its tag wherever IAM supports the key."""
    for command in ("apply", "prune", "destroy"):
        for st in statements(examples[command]):
            tagged = st.get("Condition", {}).get("StringEquals", {}).get(TAG)
            if tagged is not None:
                assert tagged == "llm-serving", st
                for a in st["Action"]:
                    entry = sar.action(a)
                    assert entry is not None and entry.access_level not in ("Read", "List"), (a, st)
        deletes = {a for st in statements(examples[command]) if TAG in st.get("Condition", {}).get("StringEquals", {})
                   for a in st["Action"]}
        assert {"sagemaker:DeleteEndpoint", "iam:DeleteRole", "lambda:DeleteFunction"} <= deletes, command


def test_pass_role_only_on_the_execution_roles_to_their_service(examples):
    passes = [st for st in statements(examples["apply"]) if "iam:PassRole" in st["Action"]]
    assert passes and all(st["Action"] == ["iam:PassRole"] for st in passes)
    to = {listed(st["Condition"]["StringEquals"]["iam:PassedToService"])[0]: set(listed(st["Resource"]))
          for st in passes}
    assert to == {"sagemaker.amazonaws.com": {"arn:aws:iam::*:role/HuggingfaceExecuteRole",
                                              "arn:aws:iam::*:role/llm-sagemaker-execution"},
                  "lambda.amazonaws.com": {"arn:aws:iam::*:role/workshop-generate-function"}}
    for command in ("plan", "prune", "destroy"):
        assert "iam:PassRole" not in allowed(examples[command]), command


def test_an_iam_only_stack_needs_no_other_service(tmp_path):
    """What the manifests do not use is not granted, but for the orphan scan's reads of every kind (a prune after
    the last Function left must still find it), which are reads only."""
    folder = write(tmp_path / "m", {"stack.yaml": """
        apiVersion: reconciler/v1
        kind: Stack
        metadata: {name: small}
        spec: {region: eu-west-1, accountId: "123456789012"}
        ---
        apiVersion: reconciler/v1
        kind: Role
        metadata: {name: app}
        spec: {assumedBy: [lambda.amazonaws.com]}
        """})
    apply = printed(folder, "apply", env=None)
    writes = {a for a in allowed(apply) if sar.action(a).access_level not in ("Read", "List")}  # type: ignore[union-attr]
    assert {a.split(":")[0] for a in writes} == {"iam"}
    assert "iam:PassRole" not in writes
    for st in statements(apply):
        for arn in listed(st["Resource"]):
            assert arn == "*" or ":123456789012:" in arn or arn.startswith("arn:aws:apigateway:eu-west-1::"), arn
    assert "arn:aws:iam::123456789012:role/app" in {r for st in statements(apply) for r in listed(st["Resource"])}


def test_several_commands_are_one_policy(examples):
    m, _ = load(REPO / "manifests", env="prod", command="permissions")
    both, _ = compose.policies(m, ["apply", "destroy"], "us-east-1")
    assert allowed(both) == allowed(examples["apply"]) | allowed(examples["destroy"])


def test_an_unknown_action_is_refused():
    with pytest.raises(compose.UnknownActions, match="sagemaker:DescribeEndpoints"):
        compose.statements([grant("sagemaker:DescribeEndpoints")], Scope("s", "us-east-1"))


def test_a_wider_grant_covers_a_narrower_one():
    scope = Scope("s", "us-east-1")
    found, _ = compose.statements([grant("secretsmanager:DescribeSecret", scope.arn("secretsmanager", "secret:*")),
                                   grant("secretsmanager:DescribeSecret", scope.secret("x"))], scope)
    assert [s.resources for s in found] == [("arn:aws:secretsmanager:us-east-1:*:secret:*",)]


def test_an_action_without_resource_types_is_granted_on_star():
    scope = Scope("s", "us-east-1")
    found, _ = compose.statements([grant("sagemaker:ListEndpoints", scope.arn("sagemaker", "endpoint/x"))], scope)
    assert [(s.actions, s.resources) for s in found] == [({"sagemaker:ListEndpoints"}, ("*",))]


def test_reads_are_never_tag_conditioned():
    """IAM cannot read the tags of what does not exist: a wait until a delete is done must stay allowed."""
    scope = Scope("s", "us-east-1")
    arn = scope.arn("sagemaker", "endpoint/e")
    found, _ = compose.statements([grant(("sagemaker:DescribeEndpoint", "sagemaker:DeleteEndpoint"), arn,
                                         owned=True)], scope)
    conditioned = {a: bool(s.conditions) for s in found for a in s.actions}
    assert conditioned == {"sagemaker:DescribeEndpoint": False, "sagemaker:DeleteEndpoint": True}


@pytest.mark.parametrize("need", [READ, WRITE, DELETE])
def test_each_kind_declares_only_known_actions(need):
    """Every kind's declaration, for every example resource and for the orphans, composes without an unknown
    action (``compose.statements`` raises on one)."""
    m, _ = load(REPO / "manifests", env="prod", command="permissions")
    scope = compose.scope_of(m, "us-east-1")
    grants = [g for r in m.resources for g in REGISTRY[r.kind].permissions(r, need, scope)]
    if need != WRITE:  # (apply creates or changes only what the manifests declare)
        grants += [g for kind in REGISTRY.values() for g in kind.permissions(None, need, scope)]
    compose.statements(grants, scope)


def test_the_json_is_what_iam_takes(examples):
    for docs in examples.values():
        for doc in docs:
            assert doc["Version"] == "2012-10-17"
            json.dumps(doc)
            for st in doc["Statement"]:
                assert set(st) <= {"Sid", "Effect", "Action", "Resource", "Condition"} and st["Effect"] == "Allow"
                assert st["Sid"].isalnum()


def test_pack_cuts_at_the_size_and_splits_further_when_asked(examples):
    sts = statements(examples["apply"])
    docs = compose.pack(sts)
    assert statements(docs) == sts and len(docs) == len(examples["apply"])
    more = compose.pack(sts, at_least=len(docs) + 2)
    assert statements(more) == sts and len(more) == len(docs) + 2
    assert all(compose.size(d) <= compose.MANAGED_POLICY_LIMIT for d in more)
    assert len(compose.pack(sts[:1], at_least=3)) == 1  # one statement cannot be split


def test_a_weaker_condition_covers_a_stricter_one():
    """Detaching any policy (an orphan's) covers detaching one the manifests name: one statement, not two."""
    scope = Scope("s", "us-east-1")
    role = scope.iam("role/*")
    found, _ = compose.statements([
        grant("iam:DetachRolePolicy", role, conditions=(("ArnLike", "iam:PolicyARN", (scope.iam("policy/*"),)),)),
        grant("iam:DetachRolePolicy", role, conditions=(("ArnLike", "iam:PolicyARN", (scope.iam("policy/p"),)),)),
        grant("iam:DetachRolePolicy", role, conditions=(("StringEquals", "iam:PolicyARN", (scope.iam("policy/q"),)),
                                                        )),
    ], scope)
    assert sorted(s.conditions[0][0] + " " + s.conditions[0][2][0] for s in found) == [
        "ArnLike arn:aws:iam::*:policy/*", "StringEquals arn:aws:iam::*:policy/q"]  # (another operator: kept)


def test_s3_operations_map_to_iam_actions_that_exist():
    """S3's operations whose IAM action has another name (ListObjectsV2 -> s3:ListBucket) map to actions the
    Service Authorization Reference has, from operations botocore's S3 model has; the rest keep their name."""
    import botocore.session

    from reconciler.awsmodel import iam_reference as sar

    operations = set(botocore.session.get_session().get_service_model("s3").operation_names)
    assert set(sar.S3_ACTIONS) <= operations, set(sar.S3_ACTIONS) - operations
    assert [a for a in sar.S3_ACTIONS.values() if sar.action(a) is None] == []
    assert sar.s3_action("ListObjectsV2") == "s3:ListBucket" and sar.s3_action("GetObject") == "s3:GetObject"
    assert sar.s3_action("DeleteBucketCors") == "s3:PutBucketCORS"
