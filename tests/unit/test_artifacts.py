"""What apply builds from a plan's references: a Function's code zip (checked against the plan's digest, under
the code reading rules), ``$concat`` and ``$fingerprint`` (a secret read once per version), and the calls it
repeats while AWS answers "not yet"."""

from __future__ import annotations

import os
from typing import Any

import pytest

from reconciler import artifacts, interpreter, ops
from reconciler.errors import AwsError, ReconcileError
from reconciler.kinds.base import ApplyContext
from reconciler.kinds.lambda_function import fingerprint, fingerprint_matches
from reconciler.plan import Action, Step
from tests.support.manifests import write


def test_the_zip_is_built_again_identically_and_checked_against_the_plans_digest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "m", {"code/app.py": "def handler(e, c):\n    return 1\n", "code/lib/x.py": "X = 1\n"})
    from reconciler.kinds._code import package

    digest = artifacts.sha256_b64(package(tmp_path / "m" / "code"))
    data = artifacts.built_zip("m/code", digest)
    assert artifacts.sha256_b64(data) == digest and artifacts.built_zip("m/code", digest) == data
    (tmp_path / "m" / "code" / "app.py").write_text("def handler(e, c):\n    return 2\n")
    with pytest.raises(ReconcileError, match="changed since the plan was made .*nothing was uploaded"):
        artifacts.built_zip("m/code", digest)
    with pytest.raises(ReconcileError, match=r"the code elsewhere/code is not there .*nothing was uploaded"):
        artifacts.built_zip("elsewhere/code", digest)


def test_the_code_is_found_in_the_repository_holding_the_manifests_this_run_read(tmp_path, monkeypatch):
    """The plan names the code relative to the repository: the same in another checkout, from any folder."""
    from reconciler.kinds._code import package

    for checkout in ("job1", "job2"):
        (tmp_path / checkout / ".git").mkdir(parents=True)
        write(tmp_path / checkout, {"deploy/m/fn.yaml": "x: 1\n", "src/app.py": "def handler(e, c):\n    return 1\n"})
    digest = artifacts.sha256_b64(package(tmp_path / "job1" / "src"))
    monkeypatch.chdir(tmp_path)
    built = artifacts.built_zip("src", digest, str(tmp_path / "job2" / "deploy" / "m"))
    assert artifacts.sha256_b64(built) == digest
    (tmp_path / "job2" / "src" / "app.py").write_text("changed\n")
    with pytest.raises(ReconcileError, match="changed since the plan was made"):
        artifacts.built_zip("src", digest, str(tmp_path / "job2" / "deploy" / "m"))
    with pytest.raises(ReconcileError, match="outside the repository"):  # a plan naming a path that leaves it
        artifacts.built_zip("../job1/src", digest, str(tmp_path / "job2" / "deploy" / "m"))


def test_the_zip_is_read_under_the_code_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    write(tmp_path, {"outside/secret.txt": "not for Lambda\n", "repo/code/app.py": "x = 1\n"})
    os.symlink(tmp_path / "outside" / "secret.txt", tmp_path / "repo" / "code" / "leak.txt")
    with pytest.raises(ReconcileError, match="outside the repository"):
        artifacts.built_zip("repo/code", "any")


class _Secrets:
    def __init__(self) -> None:
        self.reads: list[dict[str, Any]] = []

    def call(self, op: str, what: str, **kwargs: Any) -> dict[str, Any]:
        assert op == "get_secret_value"
        self.reads.append(kwargs)
        return {"SecretString": f"value-of-{kwargs['SecretId']}@{kwargs.get('VersionId')}"}


class _Aws:
    def __init__(self) -> None:
        self.secrets = _Secrets()

    def client(self, service: str) -> Any:
        return self.secrets


def test_concat_and_a_secrets_fingerprint_are_filled_in_reading_each_version_once():
    aws = _Aws()
    ctx = ApplyContext(aws=aws, stack="s", account="123456789012", region="us-east-1")  # type: ignore[arg-type]
    secret = ops.secret("tok", "v-1")
    marker = ops.concat("tok@v-1=", ops.fingerprint(secret, "reconcile-env:v-1"))
    outputs: dict[str, Any] = {"api": {"ApiId": "a1b2"}}
    got = interpreter.resolve({"Variables": {"TOKEN": secret}, "Tags": {"m": marker},
                               "Sid": ops.concat("reconcile-", ops.output("api", "ApiId"), "-x")}, outputs, ctx)
    assert got["Variables"]["TOKEN"] == "value-of-tok@v-1"
    assert got["Tags"]["m"] == "tok@v-1=" + fingerprint("value-of-tok@v-1", "v-1")
    assert fingerprint_matches(got["Tags"]["m"].split("=", 1)[1], "value-of-tok@v-1", "v-1")
    assert got["Sid"] == "reconcile-a1b2-x"
    assert aws.secrets.reads == [{"SecretId": "tok", "VersionId": "v-1"}]  # one read for the value and its mark
    assert ops.concat("a", "b") == "ab"  # no reference: a plain string in the plan
    assert ops.references(marker) == [marker, marker["$concat"][1], secret]


def test_a_registered_call_is_repeated_while_aws_answers_not_yet(monkeypatch):
    attempts = []

    class _Lambda:
        def call(self, method: str, what: str, **request: Any) -> dict[str, Any]:
            attempts.append(method)
            if len(attempts) < 3:
                raise AwsError("Failed to create function: The role defined for the function cannot be assumed by "
                               "Lambda.")
            return {"FunctionArn": "arn"}

    class _LambdaAws:
        def client(self, service: str) -> Any:
            return _Lambda()

    from reconciler.aws import lambda_ as lamx

    monkeypatch.setattr(lamx.time, "sleep", lambda _s: None)
    ctx = ApplyContext(aws=_LambdaAws(), stack="s", account="1", region="r")  # type: ignore[arg-type]
    op = ops.call("lambda", "CreateFunction", "fn", {"FunctionName": "fn"}, id="function")
    step = Step(kind="Function", name="fn", action=Action.create, reason="", operations=(op,))
    assert interpreter.run(step, ctx) == {"function": {"FunctionArn": "arn"}}
    assert attempts == ["create_function"] * 3
    attempts.clear()
    other = ops.call("lambda", "TagResource", "fn", {"Resource": "arn", "Tags": {}})
    with pytest.raises(AwsError):
        interpreter.run(step.model_copy(update={"operations": (other,)}), ctx)
    assert attempts == ["tag_resource"]  # not registered: not repeated
