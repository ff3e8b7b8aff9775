"""Other tools' policy-equivalence suites, ported as data (policy_equivalence_cases.yaml, sources in its header).

Every case agrees with reconcile's canonical form, or names the side(s) IAM itself refuses, and validate's
policy check (``policy.problems``) refuses those. The canonical form never raises, whatever the document.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler import policy

DATA = Path(__file__).with_name("policy_equivalence_cases.yaml")
CASES: list[dict[str, Any]] = yaml.safe_load(DATA.read_text())["cases"]


def _trust(doc: Any) -> bool:
    """Checked as a trust policy when a statement names a Principal (an identity policy may not)."""
    try:
        doc = policy.parse(doc)
    except ValueError:
        return False
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    statements = [statements] if isinstance(statements, dict) else statements if isinstance(statements, list) else []
    return any(isinstance(s, dict) and ("Principal" in s or "NotPrincipal" in s) for s in statements)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['source']}: {c['name']}" for c in CASES])
def test_every_case_agrees_or_iam_refuses_it(case: dict[str, Any]) -> None:
    a, b = policy.canonical(case["a"]), policy.canonical(case["b"])  # never raises
    refused = case.get("refused")
    if refused:
        for side in refused["sides"]:
            doc = case[side]
            assert policy.problems(doc, trust=_trust(doc)), f"validate accepts side {side}, which IAM refuses"
        return
    assert case["suite"] != "error", "a case whose suite expects an error must name what IAM refuses"
    assert (a == b) == (case["suite"] == "equal"), f"the suite says {case['suite']}"


def test_the_data_names_its_sources_and_every_refusal_cites_aws() -> None:
    header = DATA.read_text().split("\ncases:", 1)[0]
    for source in {c["source"] for c in CASES}:
        assert f"#   {source}: " in header, source
    assert len(re.findall(r"\b[0-9a-f]{40}\b", header)) >= 4  # each source's commit
    assert len(CASES) >= 100
    for c in CASES:
        assert c["suite"] in ("equal", "different", "error")
        if "refused" in c:
            assert c["refused"]["see"].startswith("https://docs.aws.amazon.com/IAM/"), c["name"]
            assert set(c["refused"]["sides"]) <= {"a", "b"} and c["refused"]["why"]
