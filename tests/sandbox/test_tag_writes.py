"""SageMaker AddTags overwrites a key's value (AWS, and the sandbox: issue 24, item 13), so reconcile plans
changed tags as one AddTags: a kill between a DeleteTags and an AddTags can no longer lose a tag (the
endpoint's rollback record). DeleteTags is planned only for keys that go away."""

from __future__ import annotations

from typing import Any

from reconciler import ops
from reconciler.interpreter import resolve
from reconciler.kinds.endpoint.requests import tag_changes
from tests.sandbox.test_sagemaker_emulator import N, model


def test_add_tags_overwrites_in_the_sandbox_and_the_adapter_relies_on_it(sm: Any) -> None:
    model(sm)
    arn = sm.describe_model(ModelName=N("llm-model"))["ModelArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "keep", "Value": "1"}, {"Key": "change", "Value": "old"},
                                       {"Key": "drop", "Value": "x"}])
    planned = tag_changes("m", arn, {"keep": "1", "change": "old", "drop": "x"},
                          {"keep": "1", "change": "new", "added": "2"}, ops.by_tags({}, None))
    assert [(o.action, o.request.get("TagKeys") or sorted(t["Key"] for t in o.request["Tags"])) for o in planned] == [
        ("DeleteTags", ["drop"]), ("AddTags", ["added", "change"])]
    for o in planned:  # (what the interpreter sends)
        getattr(sm, {"DeleteTags": "delete_tags", "AddTags": "add_tags"}[o.action])(**resolve(o.request, {}, None))
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
    assert tags == {"keep": "1", "change": "new", "added": "2"}
