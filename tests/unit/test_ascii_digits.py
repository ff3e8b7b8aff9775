"""Account ids, ARNs, percentages and regions take ASCII digits only (issue 23, item 3): Python's and pydantic's
``\\d`` match any script's digits, and int() reads them, so "١٢٣٤٥٦٧٨٩٠١٢" passed as an account id."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reconciler.environments import EnvironmentSpec
from reconciler.kinds.endpoint.naming import ROLE_ARN
from reconciler.kinds.endpoint.spec import _check_size
from reconciler.kinds.http_api import FUNCTION_ARN
from reconciler.lock import LockSpec
from reconciler.manifests.models import StackSpec

ARABIC, FULLWIDTH = "١٢٣٤٥٦٧٨٩٠١٢", "１２３４５６７８９０１２"


@pytest.mark.parametrize("digits", [ARABIC, FULLWIDTH])
def test_other_scripts_digits_are_refused(digits: str) -> None:
    for model in (StackSpec, EnvironmentSpec):
        with pytest.raises(ValidationError):
            model(accountId=digits)
    assert not ROLE_ARN.match(f"arn:aws:iam::{digits}:role/exec")
    assert not FUNCTION_ARN.match(f"arn:aws:lambda:us-east-1:{digits}:function:f")
    with pytest.raises(ValueError):
        _check_size(f"{digits[:1]}%")
    with pytest.raises(ValidationError):
        LockSpec(dynamodbTable="locks", region=f"us-east-{digits[:1]}")


def test_ascii_digits_pass() -> None:
    assert StackSpec(accountId="123456789012").accountId == EnvironmentSpec(accountId="123456789012").accountId
    assert ROLE_ARN.match("arn:aws:iam::123456789012:role/exec")
    assert FUNCTION_ARN.match("arn:aws:lambda:us-east-1:123456789012:function:f")
    assert _check_size("10%") == "10%" and LockSpec(dynamodbTable="locks", region="us-east-1").region == "us-east-1"
