"""Issue 17: never touch what is not ours, never lose track of what is.

- item 5: a resource that changes owner while prune waits at its prompt is not deleted;
- item 4: every file under DIR is read or reported; prune never deletes what a skipped file declares;
- item 7 (IAM): a destroy killed right after DeleteUser leaves a secret that the rerun still deletes.
"""

from __future__ import annotations

import os
import select
import subprocess
import time

from tests.support.cli import reconcile_exe
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
    assert "refusing to delete Policy/taken-over" in text and "stack 'someone-else'" in text, text
    assert "Traceback" not in text
    assert _policy_arn(boto, "taken-over") is not None, "the policy that changed owner still exists"
    assert _policy_arn(boto, "keep-me") is not None
