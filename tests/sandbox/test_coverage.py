"""docs/sandbox.md lists every operation the sandbox does not answer (issue 24, item 12), and only those."""

from __future__ import annotations

import re
from pathlib import Path

import botocore

from reconciler.sandbox.coverage import BEGIN, END, markdown, missing, served

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"


def listed() -> tuple[str, dict[str, set[str]]]:
    """(the botocore version the docs' list was made with, {service: operations listed as missing})."""
    text = DOCS.read_text()
    section = text[text.index(BEGIN):text.index(END) + len(END)]
    version = re.search(r"botocore ([0-9.]+)", section.splitlines()[0])
    out = {}
    for service, body in re.findall(r"<code>([a-z0-9-]+)</code>.*?</summary>\s*(.*?)\s*</details>", section, re.S):
        out[service] = set() if body.strip() == "none" else {op.strip() for op in body.split(",")}
    return (version.group(1) if version else ""), out


def test_the_docs_list_the_missing_operations_of_every_service() -> None:
    version, docs = listed()
    assert set(docs) == set(served()), "regenerate: python -m reconciler.sandbox.coverage"
    for service, ops in docs.items():
        assert not ops & set(served()[service]), f"{service}: listed as missing but served: {ops & set(served()[service])}"
    if version == botocore.__version__:  # the same models: the very same list
        text = DOCS.read_text()
        assert text[text.index(BEGIN):text.index(END) + len(END)] == markdown(), \
            "regenerate: python -m reconciler.sandbox.coverage"
    else:  # a newer botocore models more operations: every one listed is still missing, none served
        for service, ops in docs.items():
            known = set(missing()[service]) | set(served()[service])
            assert ops & known <= set(missing()[service]), service
