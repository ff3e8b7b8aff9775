"""Issue 17: never touch what is not ours, never lose track of what is.

- item 5: a resource that changes owner while prune waits at its prompt is not deleted;
- item 4: every file under DIR is read or reported; prune never deletes what a skipped file declares;
- item 7 (IAM): a destroy killed right after DeleteUser leaves a secret that the rerun still deletes.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time

import pytest

from tests.support.cli import reconcile_exe
from tests.support.faults import Rule, fork_run, proxied, run_inprocess
from tests.support.manifests import write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: own}\n"
POLICY = """
apiVersion: reconciler/v1
kind: Policy
metadata: {{name: {name}}}
spec:
  document:
    Version: "2012-10-17"
    Statement: [{{Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*"}}]
"""


def _policy_arn(boto, name: str) -> str | None:
    for p in boto("iam").list_policies(Scope="Local")["Policies"]:
        if p["PolicyName"] == name:
            return p["Arn"]
    return None


def test_prune_refuses_a_resource_whose_owner_changed_while_it_waited_at_the_prompt(cli, aws_env, boto, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "a.yaml": POLICY.format(name="keep-me"),
                               "b.yaml": POLICY.format(name="taken-over")})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    (m / "b.yaml").unlink()
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen([reconcile_exe(), "prune", str(m)], stdin=slave, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=aws_env, cwd=tmp_path)
        seen = b""
        deadline = time.monotonic() + 60
        while b"Only 'yes'" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout, proc.stderr], [], [], 0.2)
            for f in ready:
                seen += os.read(f.fileno(), 65536)
        assert b"Only 'yes'" in seen, seen
        assert b"Policy/taken-over" in seen, seen
        # meanwhile, someone hands the policy to another stack
        boto("iam").tag_policy(PolicyArn=_policy_arn(boto, "taken-over"),
                               Tags=[{"Key": "reconciler:stack", "Value": "someone-else"}])
        os.write(master, b"yes\n")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(master)
        os.close(slave)
    text = seen.decode() + out.decode() + err.decode()
    assert proc.returncode == 1, text
    # planned again after the answer, the policy is no longer this stack's: refused before any delete (the
    # ownership re-check at the call itself: tests/kinds/test_iam_kinds.py, tests/kinds/test_http_api.py)
    assert "the live state changed while the plan waited for its answer" in text, text
    assert "Policy/taken-over is no longer in the plan" in text and "nothing was changed" in text, text
    assert "Traceback" not in text
    assert _policy_arn(boto, "taken-over") is not None, "the policy that changed owner still exists"
    assert _policy_arn(boto, "keep-me") is not None


def test_prune_keeps_what_a_symlinked_folder_and_an_upper_case_suffix_declare(cli, boto, tmp_path):
    """Manifests behind a symlinked folder (inside DIR) and in policy.YAML are read: prune deletes none of them."""
    m = write(tmp_path / "m", {"stack.yaml": STACK, "shared/real/a.yaml": POLICY.format(name="linked"),
                               "upper.YAML": POLICY.format(name="upper"), "README.md": "notes\n"})
    (m / "linked").symlink_to("shared/real", target_is_directory=True)
    (m / "shared" / "real" / "a.yaml").rename(m / "shared" / "real" / "a.yml")
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert _policy_arn(boto, "linked") and _policy_arn(boto, "upper")
    assert "note: skipped 1 file(s) that are not manifests" in r.err and "README.md" in r.err, r.err
    # the real folder moves out of sight (hidden); the symlink now is the only way to it
    (m / "shared").rename(m / ".shared")
    (m / "linked").unlink()
    (m / "linked").symlink_to(".shared/real", target_is_directory=True)
    r = cli("prune", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "Policy/linked" not in r.out and "Policy/upper" not in r.out, r.out
    assert _policy_arn(boto, "linked") and _policy_arn(boto, "upper")


def test_a_symlink_that_dangles_loops_or_leaves_the_folder_is_an_error_and_nothing_is_pruned(cli, boto, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK, "a.yaml": POLICY.format(name="stays")})
    assert cli("apply", str(m), "--auto-approve").code == 0
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.yaml").write_text(POLICY.format(name="outside"))
    for link, target in (("gone.yaml", "missing.yaml"), ("loop", "loop"), ("out", "../elsewhere")):
        (m / link).symlink_to(target)
        (m / "a.yaml").rename(m / "a.yaml.off")
        r = cli("prune", str(m), "--auto-approve")
        (m / "a.yaml.off").rename(m / "a.yaml")
        assert r.code == 1, r.text
        assert f"{m / link}:" in r.err and "Traceback" not in r.text, r.err
        want = {"gone.yaml": "dangling symbolic link", "loop": "symbolic link loop", "out": "outside"}[link]
        assert want in r.err, r.err
        (m / link).unlink()
        assert _policy_arn(boto, "stays")


USER = """
apiVersion: reconciler/v1
kind: User
metadata: {{name: {p}-deployer}}
spec:
  accessKey: {{store: {{secretsManager: {p}-deployer-key}}}}
"""


@pytest.mark.parametrize("command", ["destroy", "prune"])
def test_killed_right_after_delete_user_the_rerun_still_deletes_the_key_secret(cli, moto_server, boto, tmp_path,
                                                                               command):
    """The secret is found by its own tags, not through its user (gone after DeleteUser)."""
    p = f"k{command[0]}"
    c, proxy = proxied(cli, moto_server)
    stack = f"apiVersion: reconciler/v1\nkind: Stack\nmetadata: {{name: kill-{p}}}\n"
    m = write(tmp_path / p, {"stack.yaml": stack, "user.yaml": USER.format(p=p),
                             "keep.yaml": POLICY.format(name=f"{p}-keep")})
    sm = boto("secretsmanager")
    try:
        r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
        assert r.code == 0, r.text
        assert "DeletedDate" not in sm.describe_secret(SecretId=f"{p}-deployer-key")
        if command == "prune":
            (m / "user.yaml").unlink()
        proxy.clear()
        proxy.add(Rule("hold", match="iam:DeleteUser"))
        pid = fork_run(c.env, command, str(m), "--auto-approve", "--concurrency", "1")
        try:
            assert proxy.held.wait(90), f"{command} never deleted the user"
            os.kill(pid, signal.SIGKILL)
        finally:
            _, status = os.waitpid(pid, 0)
            proxy.release.set()
        assert os.WIFSIGNALED(status), status
        proxy.clear()
        assert f"{p}-deployer" not in [u["UserName"] for u in boto("iam").list_users()["Users"]]
        assert "DeletedDate" not in sm.describe_secret(SecretId=f"{p}-deployer-key"), "killed before the secret"
        r = run_inprocess(c.env, command, str(m), "--auto-approve")
        assert r.code == 0, r.text
        assert f"User/{p}-deployer" in r.out, r.out
        assert "DeletedDate" in sm.describe_secret(SecretId=f"{p}-deployer-key"), "the rerun deleted the secret"
        r = run_inprocess(c.env, command, str(m), "--auto-approve")
        assert r.code == 0 and f"User/{p}-deployer" not in r.out, r.text
        if command == "prune":
            assert _policy_arn(boto, f"{p}-keep"), "prune kept what is declared"
    finally:
        proxy.stop()
