"""The AWS adapter's own costs: one paginator per operation, one parse of each service model, timestamps read
without dateutil where they are ISO 8601 UTC (each the same answer as botocore's own)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from reconciler.aws import Aws, Client, _timestamp


class _Raw:
    """A botocore client stand-in: counts get_paginator, pages from a list."""

    def __init__(self) -> None:
        self.built = Counter()

    def get_paginator(self, op):  # type: ignore[no-untyped-def]
        self.built[op] += 1

        class P:
            def paginate(self, **kw):  # type: ignore[no-untyped-def]
                return iter([{"Tags": [{"Key": "k", "Value": kw["PolicyArn"]}]}])

        return P()


def test_a_paginator_is_built_once_per_operation():
    raw = _Raw()
    client = Client("iam", raw, Counter(), threading.Lock())
    for arn in ("a", "b", "c"):
        assert list(client.paginate("list_policy_tags", "Tags", PolicyArn=arn)) == [{"Key": "k", "Value": arn}]
    assert raw.built == Counter({"list_policy_tags": 1})


@pytest.mark.parametrize("value", ["2026-12-07T00:05:49Z", "2026-12-07T00:05:49.123Z", "2026-12-07T00:05:49.123456Z",
                                   "2026-12-07T00:05:49+00:00", "2026-12-07T02:05:49+02:00", 1700000000.5,
                                   "1700000000", "Thu, 07 Dec 2026 00:05:49 GMT"])
def test_timestamps_are_the_datetimes_botocore_reads(value):
    from botocore.utils import parse_timestamp

    ours, theirs = _timestamp(value), parse_timestamp(value)
    assert ours == theirs and str(ours) == str(theirs) and ours.utcoffset() == theirs.utcoffset()


def test_clients_read_timestamps_with_it_and_share_the_validation_model_loader(monkeypatch):
    from reconciler.awsmodel.shapes import loader, service_model

    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    aws = Aws(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    core = aws.session
    assert core.get_component("data_loader") is loader()
    service_model("iam")  # (validation's read of the model) …
    parsed = len(loader()._cache)
    aws.client("iam")  # … is the one the client uses: no second parse of IAM's 1.5 MB of JSON
    assert [k for k in list(loader()._cache)[parsed:] if k[:2] == ("load_data", "iam/2010-05-08/service-2")] == []
    assert core.get_component("response_parser_factory")._defaults["timestamp_parser"] is _timestamp
