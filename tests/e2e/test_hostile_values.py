"""Issue 17 item 10, the parts that need AWS: a secret-backed Lambda variable edited by hand is drift;
a plain-text token under any key is warned about and never shown; a linter's crash is a warning."""

from __future__ import annotations

import json

from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: hostile}\n"
FN = """
apiVersion: reconciler/v1
kind: Function
metadata: {{name: {name}}}
spec:
  code: code
  runtime: python3.12
  handler: app.handler
  role: arn:aws:iam::123456789012:role/fn-exec
  environment:
{env}
"""
APP = "def handler(event, context):\n    return {}\n"
TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123"


def _role(boto):
    iam = boto("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="fn-exec", AssumeRolePolicyDocument=json.dumps(trust))


def test_a_secret_backed_variable_edited_by_hand_is_drift_and_apply_restores_it(cli, boto, tmp_path):
    _role(boto)
    boto("secretsmanager").create_secret(Name="fn-token", SecretString="the-real-secret-1")
    m = write(tmp_path / "m", {"stack.yaml": STACK, "code/app.py": APP,
                               "fn.yaml": FN.format(name="drifty", env="    API_TOKEN: {secretsManager: fn-token}")})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert cli("plan", str(m), "--detailed-exitcode").code == 0
    lam = boto("lambda")
    lam.update_function_configuration(FunctionName="drifty", Environment={"Variables": {"API_TOKEN": "edited-by-hand"}})
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert "environment.API_TOKEN" in r.out and "edited outside reconcile" in r.out, r.out
    assert "edited-by-hand" not in r.out and "the-real-secret-1" not in r.text
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    live = lam.get_function(FunctionName="drifty")["Configuration"]["Environment"]["Variables"]
    assert live["API_TOKEN"] == "the-real-secret-1"
    assert cli("plan", str(m), "--detailed-exitcode").code == 0


def test_a_plain_text_token_under_any_key_is_warned_about_and_masked(cli, boto, tmp_path):
    _role(boto)
    m = write(tmp_path / "m", {"stack.yaml": STACK, "code/app.py": APP,
                               "fn.yaml": FN.format(name="leaky", env=f"    MODEL_SETTINGS: {TOKEN}\n    HF_TOKEN: {TOKEN}")})
    r = cli("validate", str(m))
    assert r.code == 0, r.text
    assert "fn.yaml:10: spec.environment.MODEL_SETTINGS: looks like a plain-text Hugging Face token" in r.err, r.err
    assert TOKEN not in r.text
    for fmt in ("text", "markdown"):
        r = cli("plan", str(m), "--format", fmt)
        assert r.code == 0, r.text
        assert TOKEN not in r.text, f"{fmt}: the token is shown"
        assert "MODEL_SETTINGS" in r.out and "(secret)" in r.out, r.out
    # the JSON plan is what apply executes: its recorded changes are masked (desired holds what git holds)
    r = cli("plan", str(m), "--format", "json")
    assert all(TOKEN not in json.dumps(s["changes"]) for s in json.loads(r.out)["steps"]), r.out
    assert cli("apply", str(m), "--auto-approve").code == 0
    boto("lambda").update_function_configuration(FunctionName="leaky", Environment={"Variables": {
        "MODEL_SETTINGS": "hf_" + "Z" * 30, "HF_TOKEN": TOKEN}})
    for fmt in ("text", "json", "markdown"):
        r = cli("plan", str(m), "--format", fmt)
        assert r.code == 0 and "MODEL_SETTINGS" in r.out, r.text
        shown = json.dumps([s["changes"] for s in json.loads(r.out)["steps"]]) if fmt == "json" else r.out
        assert TOKEN not in shown and "Z" * 30 not in shown, f"{fmt}: a token is shown in a change:\n{shown}"
    assert cli("plan", str(m), "--strict").code == 1
