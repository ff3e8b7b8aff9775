"""Concurrent runs: two applies of one stack never interleave (reconciler/lock.py).

Each run talks to the server through its own fault proxy, so the tests see which process sent what:
the first apply is held in the middle of its work (its CreateRole waits in proxy A) while the second
one (proxy B) finds the stack locked.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time

from tests.support.faults import FaultProxy, Rule, fork_run, proxied, record_figures, run_inprocess
from tests.support.manifests import write

ROLE = """
apiVersion: reconciler/v1
kind: Role
metadata: {name: locked-exec}
spec:
  assumedBy: [sagemaker.amazonaws.com]
"""
LOCK_ID = re.compile(r"lock id ([0-9a-f-]{36})")
TABLE = "reconcile-locks"


def _stack(spec: str = "") -> str:
    return "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: locky}\n" + (f"spec: {spec}\n" if spec else "")


def _first_apply_held(c, proxy: FaultProxy, m) -> int:
    """Start an apply (a process) and hold it inside its CreateRole, lock taken; its pid."""
    proxy.add(Rule("hold", match="iam:CreateRole", deliver=True))
    pid = fork_run(c.env, "apply", str(m), "--auto-approve")
    assert proxy.held.wait(90), "the first apply never got to CreateRole"
    return pid


def _exit_code(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_second_apply_fails_naming_the_holder_then_waits_for_it(cli, moto_server, tmp_path):
    """Default (no spec.lock): the local lock file. Fail at once naming the holder; with --lock-timeout, wait."""
    c, a = proxied(cli, moto_server)
    c2, b = proxied(cli, moto_server)
    m = write(tmp_path / "m", {"stack.yaml": _stack(), "role.yaml": ROLE})
    try:
        first = _first_apply_held(c, a, m)
        r = c2("apply", str(m), "--auto-approve")  # the installed console script, a second process
        assert r.code == 1 and "Traceback" not in r.text, r.text
        assert "Error: stack 'locky' is locked (local lock file" in r.err
        assert f"(pid {first}) running `reconcile apply {m} --auto-approve`" in r.err
        assert "reconcile force-unlock DIR " in r.err and LOCK_ID.search(r.err)
        assert b.ops(mutating=True) == []
        assert [q.key for q in b.ops()] == ["sts:GetCallerIdentity"]  # refused before reading the stack
        # plan takes no lock
        assert run_inprocess(c2.env, "plan", str(m)).code == 0
        # waiting: the first run is let go after a moment; the second goes on once it is gone
        b.reset_counts()
        threading.Timer(5.0, a.release.set).start()  # ample time to reach the lock, even under load
        r = run_inprocess(c2.env, "apply", str(m), "--auto-approve", "--lock-timeout", "60s")
        assert r.code == 0, r.text
        assert "waiting for the lock on stack 'locky' held by" in r.err
        assert "No changes." in r.out
        assert _exit_code(first) == 0
        last_of_a = max(q.at for q in a.ops())
        reads_of_b = [q.at for q in b.ops() if q.key != "sts:GetCallerIdentity"]
        assert reads_of_b and min(reads_of_b) > last_of_a, "the second run read the stack only after the first ended"
    finally:
        a.stop()
        b.stop()


def test_dynamodb_lock_names_the_holder_survives_its_death_and_force_unlock_releases_it(cli, moto_server, boto,
                                                                                        tmp_path):
    ddb = boto("dynamodb")
    ddb.create_table(TableName=TABLE, AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    c, a = proxied(cli, moto_server)
    m = write(tmp_path / "m", {"stack.yaml": _stack("{lock: {dynamodbTable: " + TABLE + "}}"), "role.yaml": ROLE})
    key = {"LockID": {"S": "reconcile/123456789012/locky"}}
    try:
        a.add(Rule("hold", match="iam:CreateRole"))  # the answer is never delivered: the holder dies in there
        first = fork_run(c.env, "apply", str(m), "--auto-approve")
        assert a.held.wait(90)
        item = ddb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)["Item"]
        assert item["Pid"]["N"] == str(first) and "reconcile apply" in item["Command"]["S"]
        assert "@" in item["Who"]["S"] and float(item["Expires"]["N"]) > time.time()
        lock_id = item["Id"]["S"]
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 1, r.text
        assert f"stack 'locky' is locked (DynamoDB table {TABLE}) by " in r.err
        assert f"(pid {first})" in r.err and f"lock id {lock_id}" in r.err
        # the holder is killed: its lock stays (until its lease runs out) and still names it
        os.kill(first, signal.SIGKILL)
        _exit_code(first)
        a.release.set()
        r = run_inprocess(c.env, "destroy", str(m), "--auto-approve")
        assert r.code == 1 and f"lock id {lock_id}" in r.err, r.text
        # force-unlock: a wrong id is refused naming the real holder; the right one releases it
        r = run_inprocess(c.env, "force-unlock", str(m), "0" * 8)
        assert r.code == 1 and f"has no lock with id 00000000 in DynamoDB table {TABLE}; it is held by" in r.err
        r = run_inprocess(c.env, "force-unlock", str(m), lock_id)
        assert r.code == 0 and "Released the lock of stack 'locky' that was held by" in r.out, r.text
        assert "Item" not in ddb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)
        # the killed run's role (created, answer lost) is finished by the next apply, which releases its lock
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
        assert "Item" not in ddb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)
        # a lock whose lease ran out (its holder stopped renewing it) is taken over
        ddb.put_item(TableName=TABLE, Item={**key, "Id": {"S": "stale"}, "Who": {"S": "ghost@gone"},
                                            "Pid": {"N": "1"}, "Command": {"S": "reconcile apply"},
                                            "Created": {"N": str(time.time() - 900)},
                                            "Expires": {"N": str(time.time() - 600)}})
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 0 and "No changes." in r.out, r.text
        record_figures("lock:dynamodb", refused_while_locked=3)
    finally:
        a.stop()


def test_local_force_unlock_and_a_missing_table(cli, moto_server, tmp_path):
    c, a = proxied(cli, moto_server)
    m = write(tmp_path / "m", {"stack.yaml": _stack(), "role.yaml": ROLE})
    try:
        first = _first_apply_held(c, a, m)
        r = run_inprocess(c.env, "prune", str(m), "--auto-approve")
        assert r.code == 1 and "stack 'locky' is locked" in r.err
        lock_id = LOCK_ID.search(r.err).group(1)
        r = run_inprocess(c.env, "force-unlock", "locky", lock_id)  # by stack name
        assert r.code == 0, r.text
        r = run_inprocess(c.env, "prune", str(m), "--auto-approve")
        assert r.code == 0, r.text
        a.release.set()
        assert _exit_code(first) == 0
    finally:
        a.release.set()
        a.stop()
    n = write(tmp_path / "n", {"stack.yaml": _stack("{lock: {dynamodbTable: no-such-table}}"), "role.yaml": ROLE})
    r = run_inprocess(cli.env, "apply", str(n), "--auto-approve")
    assert r.code == 1 and "the lock table no-such-table (Stack spec.lock.dynamodbTable) does not exist" in r.err


def test_a_lost_answer_to_the_lock_write_still_takes_the_lock(cli, moto_server, boto, tmp_path):
    """The PutItem reached DynamoDB, its answer did not; botocore's retry meets our own item: that is ours."""
    boto("dynamodb").create_table(TableName=TABLE, AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
                                  KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                                  BillingMode="PAY_PER_REQUEST")
    c, a = proxied(cli, moto_server)
    m = write(tmp_path / "m", {"stack.yaml": _stack("{lock: {dynamodbTable: " + TABLE + "}}"), "role.yaml": ROLE})
    try:
        a.add(Rule("drop-after", match="dynamodb:PutItem", times=1))
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
        assert [q.outcome for q in a.ops("dynamodb:PutItem")] == ["drop-after", "400"]
        assert boto("dynamodb").scan(TableName=TABLE)["Items"] == []  # released at the end
    finally:
        a.stop()
