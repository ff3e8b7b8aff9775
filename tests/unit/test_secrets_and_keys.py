"""Pure pieces that decide what is a credential and which access keys are reconcile's (no AWS)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from reconciler.kinds._secrets import MASK, mask_plain, plain_tokens, token_kind
from reconciler.kinds.iam_user import classify_keys


@pytest.mark.parametrize(("value", "what"), [
    ("hf_" + "a" * 34, "Hugging Face token"),
    ("AKIA" + "A" * 16, "AWS access key id"),
    ("ASIA" + "B2" * 8, "AWS access key id"),
    ("ghp_" + "x" * 36, "GitHub token"),
    ("github_pat_" + "y" * 40, "GitHub token"),
    ("glpat-" + "z" * 20, "GitLab token"),
    ("Bearer hf_" + "c" * 30 + " trailing", "Hugging Face token"),  # anywhere in the string
    ("hf_short", None),  # too short to be a token
    ("AKIA" + "a" * 16, None),  # key ids are upper case
    ("org/model", None),
    (12345, None),
])
def test_token_kind_names_each_credential_and_nothing_else(value, what):
    assert token_kind(value) == what


def test_plain_tokens_and_mask_find_credentials_anywhere_but_keep_references():
    token = "hf_" + "t" * 34
    spec = {"model": {"environment": {"A": token, "B": {"secretsManager": "x"}}}, "tags": [token, "ok"]}
    assert plain_tokens(spec) == [(("model", "environment", "A"), "Hugging Face token"),
                                  (("tags", 0), "Hugging Face token")]
    assert mask_plain({"environment": {"A": token, "API_KEY": "short", "MODE": "prod", "REF": "(secret x)"}}) == {
        "environment": {"A": MASK, "API_KEY": MASK, "MODE": "prod", "REF": "(secret x)"}}


@pytest.mark.parametrize(("marker", "id_tag", "ours", "theirs"), [
    (None, None, [], ["K1", "K2"]),  # no marker: reconcile made none of them
    (None, "K1", [], ["K1", "K2"]),  # an id tag without the marker proves nothing
    ("secretsManager:s", "K2", ["K2"], ["K1"]),  # the key it recorded, and only that one
    ("secretsManager:s", None, ["K1", "K2"], []),  # a key made by an older reconcile (no id tag): all are ours
    ("pending:secretsManager:s", "keep K1", ["K2"], ["K1"]),  # interrupted create: the listed keys are not ours
    ("pending:secretsManager:s", None, ["K1", "K2"], []),
    ("secretsManager:s", "keep K1", ["K2"], ["K1"]),  # a keep list is never ours, whatever the marker says
])
def test_classify_keys(marker, id_tag, ours, theirs):
    assert classify_keys(["K1", "K2"], marker, id_tag) == (ours, theirs)


def test_a_secret_variables_fingerprint_is_slow_salted_and_short():
    from reconciler.kinds.lambda_function import fingerprint, fingerprint_matches

    mark = fingerprint("hunter2", "v-1")
    assert mark.startswith("s1:") and len(mark) == 3 + 16 and "hunter2" not in mark
    assert mark == "s1:" + hashlib.scrypt(b"hunter2", salt=b"reconcile-env:v-1", n=2**14, r=8, p=1, dklen=8).hex()
    assert fingerprint("hunter2", "v-2") != mark  # salted with the secret's version
    assert fingerprint_matches(mark, "hunter2", "v-1")
    assert not fingerprint_matches(mark, "hunter3", "v-1")


def test_a_fingerprint_an_older_release_wrote_still_matches_its_value():
    """Marker tags written before the scrypt scheme (a bare 16-hex HMAC) are read as before: no false
    "edited outside reconcile" drift after the upgrade; a wrong value is still drift."""
    from reconciler.kinds.lambda_function import fingerprint_matches

    old = hmac.new(b"reconcile-env:v-1", b"hunter2", hashlib.sha256).hexdigest()[:16]
    assert fingerprint_matches(old, "hunter2", "v-1")
    assert not fingerprint_matches(old, "hunter3", "v-1")
