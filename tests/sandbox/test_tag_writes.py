"""SageMaker AddTags overwrites a key's value (AWS, and the sandbox: issue 24, item 13), so reconcile's adapter
writes changed tags with one AddTags: a kill between a DeleteTags and an AddTags can no longer lose a tag
(the endpoint's rollback record). DeleteTags is sent only for keys that go away."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from reconciler.aws import Client
from reconciler.aws.sagemaker import set_tags
from tests.sandbox.test_sagemaker_emulator import N, model


def test_add_tags_overwrites_in_the_sandbox_and_the_adapter_relies_on_it(sm: Any) -> None:
    model(sm)
    arn = sm.describe_model(ModelName=N("llm-model"))["ModelArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "keep", "Value": "1"}, {"Key": "change", "Value": "old"},
                                       {"Key": "drop", "Value": "x"}])
    sent: list[tuple[str, Any]] = []
    sm.meta.events.register("provide-client-params.sagemaker.*", lambda params, model, **_: sent.append(
        (model.name, params.get("TagKeys") or sorted(t["Key"] for t in params.get("Tags") or []))))
    client = Client("sagemaker", sm, Counter(), threading.Lock())
    set_tags(client, arn, "Model/m", {"keep": "1", "change": "old", "drop": "x"},
             {"keep": "1", "change": "new", "added": "2"})
    assert sent == [("DeleteTags", ["drop"]), ("AddTags", ["added", "change"])]
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
    assert tags == {"keep": "1", "change": "new", "added": "2"}
