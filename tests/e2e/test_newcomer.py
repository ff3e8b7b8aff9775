"""What a newcomer tripped over (issue 15): commands on one live resource take the stack's region from
its manifests, say where they looked, show a rollback before asking, and print no noise."""

from __future__ import annotations

from tests.support.cli import Cli
from tests.support.manifests import llm_endpoint, sagemaker_role, write

FILES = {
    "stack.yaml": "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: faraway}\nspec: {region: eu-west-1}\n",
    "iam.yaml": sagemaker_role("far-exec"),
    "endpoint.yaml": llm_endpoint("far-llm", "far-exec", "org/model-v1"),
}


def test_invoke_and_rollback_take_the_region_from_the_stack(cli, moto_server, tmp_path):
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    m = write(tmp_path / "stack", FILES)
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    # the lock file and its id are not printed on a successful apply (only with --debug or on failure)
    assert "lock id" not in r.err and "locked stack" not in r.err

    # from elsewhere, without -f: the default region (us-east-1) has no such endpoint; the error says where it looked
    r = cli("invoke", "far-llm", "--prompt", "hello")
    assert r.code == 1
    assert "Endpoint/far-llm: it does not exist in account 123456789012, region us-east-1" in r.err, r.err
    assert "--region" in r.err and "-f DIR" in r.err
    r = cli("invoke", "far-llm", "--prompt", "hello", "--inference-component", "far-ic")  # (no describe first)
    assert r.code == 1 and "it does not exist in account 123456789012, region us-east-1" in r.err, r.err
    r = cli("rollback", "far-llm", "--auto-approve")
    assert r.code == 1 and "does not exist in account 123456789012, region us-east-1" in r.err, r.err
    r = cli("call-api", "far-api", "GET /x")
    assert r.code == 1 and "HttpApi/far-api: it does not exist in account 123456789012, region us-east-1" in r.err

    # with -f DIR, and from the stack's folder (the default), the stack's region is used
    r = cli("invoke", "far-llm", "--prompt", "hello", "--max-new-tokens", "3", "-f", str(m))
    assert r.code == 0, r.text
    # the sandbox's answer reads as text: no leading space, no "[endpoint hash]" tag
    assert r.out == "Here is a\n", repr(r.out)
    in_stack = Cli(cli.env, m)
    r = in_stack("invoke", "far-llm", "--prompt", "hello", "--max-new-tokens", "3")
    assert r.code == 0 and r.out == "Here is a\n", r.text

    # rollback shows what it will do before it asks
    r = in_stack("rollback", "far-llm")
    assert r.code == 1 and "no previous config is recorded" in r.err, r.text
    (m / "endpoint.yaml").write_text((m / "endpoint.yaml").read_text().replace("model-v1", "model-v2"))
    assert cli("apply", str(m), "--auto-approve").code == 0
    r = in_stack("rollback", "far-llm")  # no terminal: it refuses to go on, after showing the change
    assert r.code == 1 and "refusing to roll back endpoint far-llm without confirmation" in r.err, r.text
    out = r.out
    assert "Rolling back Endpoint/far-llm (account 123456789012, region eu-west-1, status InService):" in out, out
    # what differs between what runs now and what ran before, and the instances running now (issue 27 item 4)
    assert 'environment.HF_MODEL_ID: "org/model-v2" → "org/model-v1"' in out, out
    assert "(rollback: config far-llm-" in out and "1 instance(s) live, kept" in out, out
    assert "> UpdateEndpoint far-llm" in out, out
    r = in_stack("rollback", "far-llm", "--auto-approve")
    assert r.code == 0 and "Rolled back Endpoint/far-llm: config" in r.out, r.text

    # destroy ends with its own word, and deleting a serving endpoint prints no "InService (0s elapsed)"
    r = cli("destroy", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "Destroy complete: 2 deleted." in r.out and "Apply complete" not in r.out, r.out
    assert "InService (" not in r.err, r.err


def test_lock_is_named_with_debug(cli, tmp_path):
    m = write(tmp_path / "m", {"iam.yaml": FILES["iam.yaml"]})
    r = cli("apply", str(m), "--auto-approve", "--debug")
    assert r.code == 0 and "locked stack 'm' (local lock file " in r.err and "lock id " in r.err, r.text
    (m / "iam.yaml").write_text(FILES["iam.yaml"].replace("far-exec", "other-exec"))
    r = cli("prune", str(m), "--auto-approve")
    assert r.code == 0 and "Prune complete: 1 deleted." in r.out and "Apply complete" not in r.out, r.text
    assert "lock id" not in r.err


def test_commands_on_one_resource_keep_the_stacks_account_guard(cli, tmp_path):
    m = write(tmp_path / "pinned", {"stack.yaml": FILES["stack.yaml"].replace("{region: eu-west-1}",
                                                                           '{region: eu-west-1, accountId: "999999999999"}'),
                                    "iam.yaml": FILES["iam.yaml"]})
    for args in (["invoke", "far-llm", "--prompt", "hi"], ["rollback", "far-llm", "--auto-approve"],
                 ["call-api", "far-api", "GET /"]):
        r = cli(*args, "-f", str(m))
        assert r.code == 1 and "pinned to account 999999999999" in r.err, (args, r.text)
        r = Cli(cli.env, m)(*args)  # the same from the stack's folder
        assert r.code == 1 and "pinned to account 999999999999" in r.err, (args, r.text)
