"""Importing what the seed made, without a redeploy (issue 23 item 8).

The seed's scripts put ``HUGGING_FACE_HUB_TOKEN`` in the model's environment as plain text; ``reconcile import``
rightly declares it as a Secrets Manager reference. Were the two compared as written (a reference against a
string) the first plan would replace the model blue/green although the value is the same. So the read compares
the secret's current value with the live plain-text value (GetSecretValue, at plan and again at apply's
re-derivation), in memory only: the value is never put in the observed state, a plan, a log or an error, and the
comparison is constant-time. Equal: the live model is kept and tagged ``reconciler:secret:<KEY> = VERSION:SECRET``
(as reconcile tags the models it creates), so from then on it reads as that secret's version ("same value as the
live model: adopted with tags only"). Not equal: the model is replaced, as today. The plan's credentials may not
read the secret: the plan says so, and plans the redeploy as today.
"""

from __future__ import annotations

import hmac
from typing import Any

from reconciler.errors import AwsError
from reconciler.kinds._secrets import SecretRef


def compare(aws: Any, live_environment: dict[str, Any], declared: dict[str, Any],
            ) -> tuple[dict[str, str], list[str]]:
    """({key: "VERSION:SECRET"} for each key the manifest declares as a secret reference whose live value is plain
    text equal to the secret's current value; what the plan should say where it could not compare)."""
    from reconciler.aws import secretsmanager

    same, notes = {}, []
    for key, ref in sorted(declared.items()):
        live = live_environment.get(key)
        if not isinstance(ref, SecretRef) or not isinstance(live, str):
            continue
        try:
            value, version = secretsmanager.read_versioned(aws, ref.secretsManager)
        except AwsError as e:
            if e.denied:
                notes.append(f"{key}: the plan's credentials may not read secret {ref.secretsManager} "
                             "(secretsmanager:GetSecretValue), so whether it holds the live model's plain-text value "
                             "is unknown: the model is replaced (a redeploy); allow the read to adopt it with tags "
                             "only when the values are equal")
            continue  # (a missing secret: the plan's secret check names it)
        equal = hmac.compare_digest(live.encode(), value.encode())
        del value
        if equal and version:
            same[key] = f"{version}:{ref.secretsManager}"
    return same, notes
