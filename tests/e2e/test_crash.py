"""Crash safety: SIGKILL at every mutating request of a multi-resource apply; Ctrl-C / SIGTERM stop cleanly.

Each kill point k: a ``reconcile apply`` process (forked from the warm test process, so the loop stays
fast; the Ctrl-C tests run the installed console script) runs through the fault proxy, which forwards its
k-th mutating request to the server, holds the answer and lets the test SIGKILL the process — AWS did
the k-th thing, reconcile never learnt it. Then the next apply must show exactly the remaining work
(resources not touched: create; half made: update; finished: nothing), finish it, and leave a plan
with no changes, no duplicate and no untagged (orphan) resource, and an access key whose secret is
in its store. Every iteration uses its own stack and names on the same server (no reset in between).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time

import pytest

from tests.support.cli import reconcile_exe
from tests.support.faults import (
    Rule,
    kill_at_mutating_request,
    proxied,
    record_figures,
    run_inprocess,
)
from tests.support.manifests import reader_role_user, write

SUFFIX_KIND = {"read": "Policy", "exec": "Role", "deployer": "User", "key": "User"}
PLAN_LINE = re.compile(r"^  (\+|~|-/\+|-) (\w+)/(\S+)  \(", re.M)
CREATES = ("CreatePolicy", "CreateRole", "CreateUser", "CreateSecret", "CreateModel", "CreateEndpointConfig",
           "CreateEndpoint", "CreateInferenceComponent")


def _kind_of(params: dict) -> str:
    """Which of the stack's resources a mutating request works on (by the name it carries)."""
    for key in ("UserName", "RoleName", "PolicyName", "PolicyArn", "Name", "SecretId"):
        if key in params:
            return SUFFIX_KIND[str(params[key]).rsplit("-", 1)[-1]]
    raise AssertionError(f"cannot attribute {params}")


def _tagged_at_creation(req, stack: str) -> bool:
    """The create request itself carries this stack's ownership tags (query or JSON protocol)."""
    p = req.params
    if isinstance(p.get("Tags"), list):
        tags = {t["Key"]: t["Value"] for t in p["Tags"]}
    else:
        tags = {p[k]: p.get(k.replace(".Key", ".Value")) for k in p if k.startswith("Tags.member.") and k.endswith(".Key")}
    return tags.get("reconciler:stack") == stack and tags.get("reconciler:managed-by") == "reconciler"


def _expected(sequence: list[str], k: int) -> dict[str, str]:
    """After the first k mutations: untouched resources are created, half-made ones updated."""
    out = {}
    for kind in dict.fromkeys(sequence):
        idx = [i for i, x in enumerate(sequence, 1) if x == kind]
        if min(idx) > k:
            out[kind] = "+"
        elif max(idx) > k:
            out[kind] = "~"
    return out


def _check_account(boto, p: str, stack: str) -> None:
    """No duplicates, no orphans, no lost access key, for the names of prefix ``p``."""
    iam, sm = boto("iam"), boto("secretsmanager")
    mine = lambda name: name.startswith(f"{p}-")  # noqa: E731
    roles = [r for r in iam.list_roles()["Roles"] if mine(r["RoleName"])]
    users = [u for u in iam.list_users()["Users"] if mine(u["UserName"])]
    policies = [x for x in iam.list_policies(Scope="Local")["Policies"] if mine(x["PolicyName"])]
    assert [r["RoleName"] for r in roles] == [f"{p}-exec"]
    assert [u["UserName"] for u in users] == [f"{p}-deployer"]
    assert [x["PolicyName"] for x in policies] == [f"{p}-read"]
    tags = [iam.list_role_tags(RoleName=f"{p}-exec")["Tags"], iam.list_user_tags(UserName=f"{p}-deployer")["Tags"],
            iam.list_policy_tags(PolicyArn=policies[0]["Arn"])["Tags"],
            sm.describe_secret(SecretId=f"{p}-deployer-key")["Tags"]]
    for t in tags:
        assert {x["Key"]: x["Value"] for x in t}["reconciler:stack"] == stack
    versions = iam.list_policy_versions(PolicyArn=policies[0]["Arn"])["Versions"]
    assert len(versions) == 1
    keys = iam.list_access_keys(UserName=f"{p}-deployer")["AccessKeyMetadata"]
    stored = json.loads(sm.get_secret_value(SecretId=f"{p}-deployer-key")["SecretString"])
    assert [k["AccessKeyId"] for k in keys] == [stored["AccessKeyId"]], "the live key is the stored key"
    assert len(sm.list_secrets(Filters=[{"Key": "name", "Values": [f"{p}-"]}])["SecretList"]) == 1


def _manifests(tmp_path, p: str):
    stack = f"apiVersion: reconciler/v1\nkind: Stack\nmetadata: {{name: crash-{p}}}\n---"
    return write(tmp_path / p, {"all.yaml": stack + reader_role_user(p)})


def _kill_at(c, proxy, m, k: int) -> list:
    """Run apply in a process; SIGKILL it once the server has done its k-th mutating request."""
    return kill_at_mutating_request(c.env, proxy, k, "apply", str(m), "--auto-approve", "--concurrency", "1")


@pytest.mark.parametrize("part", [0, 1], ids=["odd", "even"])
def test_sigkill_at_every_mutating_request_then_apply_finishes_exactly_the_rest(cli, moto_server, boto, tmp_path, part):
    """Kill points 1, 3, 5 … in one half, 2, 4, 6 … in the other (two workers share the loop)."""
    c, proxy = proxied(cli, moto_server)
    try:
        # the reference run: the sequence of mutating requests, each attributed to its resource
        m = _manifests(tmp_path, "c0")
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve", "--concurrency", "1")
        assert r.code == 0, r.text
        reference = proxy.ops(mutating=True)
        sequence = [_kind_of(q.params) for q in reference]
        ops = [q.op for q in reference]
        assert len(sequence) >= 8, ops
        for q in reference:
            if q.op in CREATES:
                assert _tagged_at_creation(q, "crash-c0"), q
        _check_account(boto, "c0", "crash-c0")
        points = range(1 + part, len(sequence) + 1, 2)
        for k in points:
            p, stack = f"c{k}", f"crash-c{k}"
            m = _manifests(tmp_path, p)
            done = _kill_at(c, proxy, m, k)
            assert [q.op for q in done] == ops[:k], "the killed run did what the reference run did"
            r = run_inprocess(c.env, "apply", str(m), "--auto-approve", "--concurrency", "1")
            assert r.code == 0, f"kill point {k} ({ops[k - 1]}): {r.text}"
            shown = {kind: sym for sym, kind, _name in PLAN_LINE.findall(r.out)}
            assert shown == _expected(sequence, k), f"kill point {k} ({ops[k - 1]}): {r.out}"
            for q in proxy.ops(mutating=True):
                if q.op in CREATES:
                    assert _tagged_at_creation(q, stack), q
            r = run_inprocess(c.env, "plan", str(m), "--detailed-exitcode")
            assert r.code == 0 and "No changes." in r.out, f"kill point {k}: {r.text}"
            _check_account(boto, p, stack)
        record_figures(f"crash:sigkill:{part}", kill_points=len(points), data_lost=0)
    finally:
        proxy.stop()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_finishes_the_step_in_flight_and_starts_no_new_one(cli, moto_server, boto, tmp_path, sig):
    """Ctrl-C (or CI's SIGTERM) while the role is being created: the role's step completes (its policy
    attached and inline policy written), the user's step never starts, exit 130, no traceback."""
    c, proxy = proxied(cli, moto_server)
    p = "int" if sig == signal.SIGINT else "term"
    m = _manifests(tmp_path, p)
    try:
        proxy.add(Rule("hold", match="iam:CreateRole", deliver=True))
        log = tmp_path / "stderr.txt"
        with open(log, "w") as err_file:
            proc = subprocess.Popen([reconcile_exe(), "apply", str(m), "--auto-approve", "--concurrency", "1"],
                                    env=c.env, cwd=c.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=err_file, text=True)
            assert proxy.held.wait(90), "apply never created the role"
            proc.send_signal(sig)
            # release the held CreateRole only once the signal was handled (not after a guessed pause)
            deadline = time.monotonic() + 30
            while "interrupted: finishing" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            proxy.release.set()
            out, _ = proc.communicate(timeout=90)
        err = log.read_text()
        assert proc.returncode == 130, out + err
        assert "Traceback" not in err
        assert "interrupted: finishing the steps in flight" in err
        assert "Apply interrupted after 2 created; 1 step(s) not started. Run apply again to finish." in err
        # the lock is released before the command ends, and the last words say so (issue 27, item 10)
        assert f"released the lock of stack 'crash-{p}' (local lock file " in err and "locked stack" not in err, err
        iam = boto("iam")
        assert [x["PolicyName"] for x in iam.list_attached_role_policies(RoleName=f"{p}-exec")["AttachedPolicies"]] \
            == [f"{p}-read"]
        assert iam.list_role_policies(RoleName=f"{p}-exec")["PolicyNames"] == ["logs"]
        assert f"{p}-deployer" not in [u["UserName"] for u in iam.list_users()["Users"]]
        proxy.clear()
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
        assert [(s, k) for s, k, _ in PLAN_LINE.findall(r.out)] == [("+", "User")]
        _check_account(boto, p, f"crash-{p}")
        record_figures(f"crash:{sig.name}", kill_points=1, data_lost=0)
    finally:
        proxy.stop()


def test_a_second_ctrl_c_forces_an_immediate_stop_and_apply_finishes_later(cli, moto_server, boto, tmp_path):
    c, proxy = proxied(cli, moto_server)
    m = _manifests(tmp_path, "force")
    log = tmp_path / "stderr.txt"
    try:
        proxy.add(Rule("hold", match="iam:CreateRole", deliver=True))
        with open(log, "w") as err:
            proc = subprocess.Popen([reconcile_exe(), "apply", str(m), "--auto-approve", "--concurrency", "1"],
                                    env=c.env, cwd=c.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err)
            assert proxy.held.wait(90), "apply never created the role"
            proc.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 30
            while "interrupted: finishing" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(30) == 130  # while its CreateRole is still in flight
        proxy.release.set()  # the server creates the role after the client is gone
        text = log.read_text()
        assert "forced: stopping now" in text and "Traceback" not in text
        while not proxy.ops("iam:CreateRole")[0].outcome.startswith("hold:") and time.monotonic() < deadline:
            time.sleep(0.05)
        proxy.clear()
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
        assert {k: s for s, k, _ in PLAN_LINE.findall(r.out)} == {"Role": "~", "User": "+"}
        _check_account(boto, "force", "crash-force")
        record_figures("crash:SIGINTx2", kill_points=1, data_lost=0)
    finally:
        proxy.stop()
