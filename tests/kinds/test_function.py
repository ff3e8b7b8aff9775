"""Function (Lambda): reproducible packaging, the four-step contract over the CLI, code-only and
config-only updates, secrets in the environment, validation, and Invoke in the sandbox."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

from reconciler.kinds.lambda_function import package, sha256_b64
from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: fn-test}\n"

MANIFEST = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: fn-exec}
spec:
  assumedBy: [lambda.amazonaws.com]
---
apiVersion: reconciler/v1
kind: Function
metadata: {name: greeter, tags: {team: ml}}
spec:
  code: code
  runtime: python3.12
  handler: app.handler
  memorySize: 256
  timeout: 10
  role: fn-exec
  environment:
    GREETING: hello
    API_TOKEN: {secretsManager: greeter-token}
"""

HANDLER = """
import json, os

def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"greeting": os.environ["GREETING"], "token_length": len(os.environ["API_TOKEN"]),
            "event": event, "function": context.function_name}
"""


def _folder(root: Path) -> Path:
    return write(root, {"stack.yaml": STACK, "fn.yaml": MANIFEST, "code/app.py": HANDLER,
                        "code/lib/util.py": "X = 1\n", "code/__pycache__/app.cpython-311.pyc": "junk"})


def test_packaging_is_reproducible(tmp_path):
    a = write(tmp_path / "a", {"app.py": "print(1)\n", "lib/b.py": "B = 2\n", "lib/a.py": "A = 1\n"})
    first = package(a)
    # same files, other mtimes, permissions and creation order; caches are left out
    b = write(tmp_path / "b", {"lib/a.py": "A = 1\n", "lib/b.py": "B = 2\n", "app.py": "print(1)\n",
                               "__pycache__/app.cpython-311.pyc": "x", "lib/__pycache__/a.pyc": "y"})
    for i, f in enumerate(sorted(b.rglob("*.py"))):
        os.utime(f, (1_000_000 + i, 2_000_000_000 - i))
        f.chmod(0o600)
    second = package(b)
    assert first == second
    assert sha256_b64(first) == base64.b64encode(hashlib.sha256(second).digest()).decode()
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert zf.namelist() == ["app.py", "lib/a.py", "lib/b.py"]
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 & 0o777 for i in zf.infolist()} == {0o644}
    (b / "lib/b.py").write_text("B = 3\n")
    assert package(b) != first
    # a zip in the repo is uploaded as it is
    (tmp_path / "code.zip").write_bytes(first)
    assert package(tmp_path / "code.zip") == first


def test_four_steps_with_a_masked_secret(cli, boto, tmp_path):
    m = _folder(tmp_path / "m")
    boto("secretsmanager").create_secret(Name="greeter-token", SecretString="s3cr3t-value-1")
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert "Plan: 2 to create" in r.out and "(secret greeter-token)" in r.out
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "Apply complete: 2 created." in r.out
    r = cli("plan", str(m), "--detailed-exitcode")
    assert r.code == 0, r.text
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0 and "No changes." in r.out and "Apply complete" not in r.out
    assert all("s3cr3t" not in h.text for h in cli.history)

    lam = boto("lambda")
    got = lam.get_function(FunctionName="greeter")
    cfg = got["Configuration"]
    assert cfg["Environment"]["Variables"] == {"GREETING": "hello", "API_TOKEN": "s3cr3t-value-1"}
    assert (cfg["Runtime"], cfg["Handler"], cfg["MemorySize"], cfg["Timeout"]) == ("python3.12", "app.handler", 256, 10)
    assert cfg["CodeSha256"] == sha256_b64(package(m / "code"))
    assert got["Tags"]["reconciler:stack"] == "fn-test" and got["Tags"]["team"] == "ml"
    assert got["Tags"]["reconciler:env:API_TOKEN"].startswith("greeter-token@")

    # the sandbox runs the handler (moto alone needs Docker)
    out = lam.invoke(FunctionName="greeter", Payload=json.dumps({"x": 1}))
    assert "FunctionError" not in out, out
    assert json.loads(out["Payload"].read()) == {"greeting": "hello", "token_length": 14, "event": {"x": 1},
                                                  "function": "greeter"}
    out = lam.invoke(FunctionName="greeter", Payload=json.dumps({"fail": True}))
    assert out["FunctionError"] == "Unhandled"
    assert json.loads(out["Payload"].read())["errorMessage"] == "asked to fail"

    # a new secret version plans as an environment update, still masked
    boto("secretsmanager").put_secret_value(SecretId="greeter-token", SecretString="s3cr3t-value-22")
    r = cli("plan", str(m), "--format", "json")
    steps = [s for s in json.loads(r.out)["steps"] if s["action"] != "noop"]
    assert [(s["name"], [c["path"] for c in s["changes"]]) for s in steps] == [("greeter", ["environment.API_TOKEN"])]
    assert steps[0]["changes"][0]["after"] == "(secret greeter-token)"
    assert cli("apply", str(m), "--auto-approve").code == 0
    assert lam.get_function(FunctionName="greeter")["Configuration"]["Environment"]["Variables"]["API_TOKEN"] == "s3cr3t-value-22"
    assert cli("plan", str(m), "--detailed-exitcode").code == 0
    assert all("s3cr3t" not in h.text for h in cli.history)


def test_code_change_updates_code_only_then_config_only(cli, boto, tmp_path):
    m = _folder(tmp_path / "m")
    boto("secretsmanager").create_secret(Name="greeter-token", SecretString="t")
    assert cli("apply", str(m), "--auto-approve").code == 0
    lam = boto("lambda")
    before = lam.get_function_configuration(FunctionName="greeter")

    # editing the handler is a code update, nothing else (mtimes alone: see test_packaging_is_reproducible)
    (m / "code" / "app.py").write_text(HANDLER.replace("asked to fail", "asked to fail (v2)"))
    r = cli("plan", str(m), "--format", "json")
    steps = [s for s in json.loads(r.out)["steps"] if s["action"] != "noop"]
    assert [(s["kind"], s["action"], [c["path"] for c in s["changes"]]) for s in steps] == [
        ("Function", "update", ["codeSha256"])]
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0 and "> UpdateFunctionCode greeter" in r.out, r.text
    assert "UpdateFunctionConfiguration" not in r.out, r.text
    after = lam.get_function_configuration(FunctionName="greeter")
    assert after["CodeSha256"] == sha256_b64(package(m / "code")) != before["CodeSha256"]
    out = lam.invoke(FunctionName="greeter", Payload=json.dumps({"fail": True}))
    assert json.loads(out["Payload"].read())["errorMessage"] == "asked to fail (v2)"

    (m / "fn.yaml").write_text(MANIFEST.replace("memorySize: 256", "memorySize: 512"))
    r = cli("plan", str(m), "--format", "json")
    steps = [s for s in json.loads(r.out)["steps"] if s["action"] != "noop"]
    assert [[(c["path"], c["before"], c["after"]) for c in s["changes"]] for s in steps] == [[("memorySize", 256, 512)]]
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0 and "UpdateFunctionCode" not in r.out, r.text
    assert "> UpdateFunctionConfiguration greeter  (MemorySize)" in r.out, r.text
    assert lam.get_function_configuration(FunctionName="greeter")["MemorySize"] == 512


def test_validation_names_file_line_and_field(cli, tmp_path):
    bad = (MANIFEST.replace("python3.12", "python3.99").replace("memorySize: 256", "memorySize: 64")
           .replace("code: code", "code: missing-folder").replace("GREETING", "AWS_REGION"))
    m = write(tmp_path / "m", {"stack.yaml": STACK, "fn.yaml": bad})
    r = cli("validate", str(m))
    assert r.code == 1
    assert "fn.yaml:14: spec.memorySize" in r.err
    assert "fn.yaml:17: spec.environment" in r.err and "reserved" in r.err
    # the spec errors come first; with them fixed, the checks that need the whole document run
    m = write(tmp_path / "m2", {"stack.yaml": STACK, "fn.yaml": bad.replace("memorySize: 64", "memorySize: 128")
                                .replace("AWS_REGION", "GREETING")})
    r = cli("validate", str(m))
    assert r.code == 1
    assert "fn.yaml:11: spec.code: no such file or folder" in r.err
    assert "fn.yaml:12: spec.runtime: unknown runtime 'python3.99'" in r.err
    write(m, {"missing-folder/main.py": "def handler(e, c): pass\n"})
    r = cli("validate", str(m))
    assert "spec.handler: handler 'app.handler' needs app.py" in r.err


def test_a_saved_plan_holds_code_and_secret_by_reference_and_is_refused_when_either_changed(cli, boto, tmp_path):
    m = _folder(tmp_path / "m")
    sm, lam = boto("secretsmanager"), boto("lambda")
    sm.create_secret(Name="greeter-token", SecretString="s3cr3t-value-1")
    r = cli("plan", "m", "--out", "plan.json")
    assert r.code == 0, r.text
    text = (tmp_path / "plan.json").read_text()
    assert "s3cr3t" not in text
    (step,) = [s for s in json.loads(text)["steps"] if s["kind"] == "Function"]
    assert [o["action"] for o in step["operations"]] == ["CreateFunction", "Wait"]
    request = step["operations"][0]["request"]
    # (the code by its path in the repository holding the manifests: here the manifests folder, not a git checkout)
    assert request["Code"] == {"ZipFile": {"$zip": "code", "sha256": sha256_b64(package(m / "code"))}}
    first = next(v for v, stages in sm.describe_secret(SecretId="greeter-token")["VersionIdsToStages"].items()
                 if "AWSCURRENT" in stages)
    assert request["Environment"]["Variables"]["API_TOKEN"] == {"$secret": "greeter-token", "version": first}

    # the secret rotates between plan and apply: the plan is stale (never a value paired with another version)
    sm.put_secret_value(SecretId="greeter-token", SecretString="s3cr3t-value-22")
    r = cli("apply", "plan.json", "--auto-approve")
    assert r.code == 1 and "refusing to apply a stale plan" in r.err and "CreateFunction greeter" in r.err, r.text
    assert cli("plan", "m", "--out", "plan.json").code == 0
    # the code changes between plan and apply: refused too, nothing uploaded
    code = (m / "code" / "app.py").read_text()
    (m / "code" / "app.py").write_text(code + "# edited\n")
    r = cli("apply", "plan.json", "--auto-approve")
    assert r.code == 1 and "refusing to apply a stale plan" in r.err and "CreateFunction greeter" in r.err, r.text
    assert lam.list_functions()["Functions"] == []
    # as planned again: applied exactly, the secret's value of the planned version, its marker recording it
    (m / "code" / "app.py").write_text(code)
    r = cli("apply", "plan.json", "--auto-approve")
    assert r.code == 0, r.text
    got = lam.get_function(FunctionName="greeter")
    assert got["Configuration"]["Environment"]["Variables"]["API_TOKEN"] == "s3cr3t-value-22"
    assert got["Configuration"]["CodeSha256"] == sha256_b64(package(m / "code"))
    second = next(v for v, stages in sm.describe_secret(SecretId="greeter-token")["VersionIdsToStages"].items()
                  if "AWSCURRENT" in stages)
    assert got["Tags"]["reconciler:env:API_TOKEN"].startswith(f"greeter-token@{second}=s1:")
    assert cli("plan", "m", "--detailed-exitcode").code == 0
    assert all("s3cr3t" not in h.text for h in cli.history)


def _git(*args: str, cwd: Path) -> None:
    import subprocess

    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_a_saved_plan_uploads_the_code_of_the_checkout_it_is_applied_in_from_any_folder(cli, boto, tmp_path):
    """The plan names the code by its path in the repository (src/, beside the manifests' folder): another CI
    job's checkout of the same commit, applying from one of its sub-folders, uploads that checkout's code."""
    repo = tmp_path / "repo"
    write(repo, {"deploy/m/stack.yaml": STACK,
                 "deploy/m/fn.yaml": MANIFEST.replace("code: code", "code: ../../src"),
                 "src/app.py": HANDLER})
    _git("init", "-q", cwd=repo)
    _git("add", ".", cwd=repo)
    _git("commit", "-qm", "function", cwd=repo)
    boto("secretsmanager").create_secret(Name="greeter-token", SecretString="t")
    assert cli("plan", "deploy/m", "--out", str(repo / "plan.json"), cwd=repo).code == 0
    plan = json.loads((repo / "plan.json").read_text())
    (step,) = [s for s in plan["steps"] if s["kind"] == "Function"]
    assert step["operations"][0]["request"]["Code"]["ZipFile"]["$zip"] == "src"
    job = tmp_path / "job2"
    _git("clone", "-q", str(repo), str(job), cwd=tmp_path)
    (job / "plan.json").write_text((repo / "plan.json").read_text())
    repo.rename(tmp_path / "gone")  # (another machine: the first checkout is not there)
    (job / "sub").mkdir()
    r = cli("apply", str(job / "plan.json"), cwd=job / "sub")
    assert r.code == 0 and "Apply complete: 2 created." in r.out, r.text
    got = boto("lambda").get_function_configuration(FunctionName="greeter")
    assert got["CodeSha256"] == sha256_b64(package(job / "src")) == step["desired"]["codeSha256"]
