"""Messages that blame the right thing (issue 23, item 6), through the CLI."""

from __future__ import annotations

from tests.support.manifests import STACK, sagemaker_role, write


def test_a_command_line_click_cannot_parse_exits_2_before_anything_runs(cli, tmp_path):
    m = write(tmp_path / "m", {"stack.yaml": STACK.format(name="msgs"), "role.yaml": sagemaker_role("msgs-exec")})
    for args, said in ((("render", str(m)), "Missing option '--env'"),
                       (("--concurrency", "0", "validate", str(m)), "0 is not in the range 1<=x<=64"),
                       (("validate", str(m), "--no-such-option"), "No such option '--no-such-option'"),
                       (("plan",), "Missing argument 'DIRECTORY'")):
        r = cli(*args)
        assert r.code == 2, (args, r.text)
        assert said in r.err and "Usage: reconcile" in r.err, (args, r.err)
    assert cli("validate", str(m)).code == 0


def test_apply_of_a_file_that_is_not_a_saved_plan_says_so(cli, tmp_path):
    """`apply list.json` read the file as manifests and said "the manifests declare no environments" (with
    --env) or "a manifest document must be a mapping"; it is neither: say it is not a saved plan."""
    (tmp_path / "list.json").write_text("[1, 2]\n")
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "object.json").write_text('{"steps": []}\n')
    for name, held in (("list.json", "it holds a JSON list"), ("notes.txt", "it is not JSON"),
                       ("object.json", "it holds a JSON object without format_version")):
        for extra in ((), ("--env", "dev")):
            r = cli("apply", str(tmp_path / name), "--auto-approve", *extra)
            assert r.code == 1, r.text
            assert f"{tmp_path / name} is not a saved plan: {held}" in r.err, r.err
            assert "reconcile plan --out PLAN" in r.err and "environments" not in r.err, r.err


def test_a_profile_no_aws_config_file_has_is_named_with_the_profiles_there(cli, tmp_path):
    """`--profile nope` (or AWS_PROFILE) was "Error: unexpected ProfileNotFound: …", the wording of a bug."""
    m = write(tmp_path / "m", {"stack.yaml": STACK.format(name="msgs"), "role.yaml": sagemaker_role("msgs-exec")})
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = us-east-1\n\n[profile ci]\nregion = us-east-1\n")
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    for args, extra in ((("--profile", "nope"), {}), ((), {"AWS_PROFILE": "nope"})):
        r = cli(*args, "plan", str(m), env={**env, **extra})
        assert r.code == 1, r.text
        assert "the AWS profile 'nope'" in r.err and str(config) in r.err and "(profiles there: ci, default)" in r.err, r.err
        assert "unexpected" not in r.err and "Traceback" not in r.err, r.err
