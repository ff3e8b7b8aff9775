"""The default inference component name: <endpoint>-ic, not doubled when the endpoint already ends in -ic."""

from reconciler.kinds.endpoint.naming import ic_name


def test_default_component_name_is_not_doubled():
    assert ic_name("llm", {}) == "llm-ic"
    assert ic_name("twinllama-3-1-8b-dpo-ic", {}) == "twinllama-3-1-8b-dpo-ic"
    assert ic_name("x" * 70, {}) == "x" * 60 + "-ic"
    assert ic_name("llm-ic", {"inferenceComponent": {"name": "given"}}) == "given"
