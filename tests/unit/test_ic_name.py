"""The default inference component name: <endpoint>-ic, not doubled when the endpoint already ends in -ic."""

from reconciler.kinds.endpoint.naming import ic_name


def test_default_component_name_is_not_doubled():
    assert ic_name("llm", {}) == "llm-ic"
    assert ic_name("twinllama-3-1-8b-dpo-ic", {}) == "twinllama-3-1-8b-dpo-ic"
    cut = ic_name("x" * 63, {})  # too long for "-ic": cut, with a hash of the full name (never shared)
    assert len(cut) <= 63 and cut.endswith("-ic") and cut != ic_name("x" * 62 + "y", {})
    assert ic_name("llm-ic", {"inferenceComponent": {"name": "given"}}) == "given"
