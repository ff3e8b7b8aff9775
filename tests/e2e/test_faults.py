"""Fault injection over HTTP: throttling, 429, 5xx, dropped connections, slow answers, hard errors.

The CLI talks to the moto server through ``tests.support.faults.FaultProxy``. The faulted runs are the
installed console script in a process of its own; the follow-up runs use the same ``main()`` in-process. What is retryable is
retried (botocore's adaptive mode: exponential backoff with jitter) and the apply succeeds; what is not
fails with one clear line and exit 1; in every case a re-run converges (plan empty afterwards).
"""

from __future__ import annotations

import pytest

from tests.support.faults import FaultProxy, Rule, proxied, record_figures, run_inprocess
from tests.support.manifests import reader_role_user, write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: faults}\n"
RESOURCES = reader_role_user("f")


@pytest.fixture
def faulty(cli, moto_server, tmp_path):
    c, proxy = proxied(cli, moto_server)
    m = write(tmp_path / "m", {"stack.yaml": STACK, "resources.yaml": RESOURCES})
    yield c, proxy, m
    proxy.stop()


def _converges(c, m) -> None:
    r = run_inprocess(c.env, "plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error:")]


def test_retryable_faults_are_retried_and_the_apply_succeeds(faulty, boto):
    """Throttling (query XML and JSON), 429, 503, 500, dropped connections and slow answers, all in one apply."""
    c, proxy, m = faulty
    rules = [
        proxy.add(Rule("throttle", match="iam:CreateRole", times=2)),                      # 400 Throttling (XML)
        proxy.add(Rule("throttle", match="secretsmanager:CreateSecret", times=2)),         # 400 ThrottlingException (JSON)
        proxy.add(Rule("status", match="iam:PutRolePolicy", status=429, code="TooManyRequests",
                       message="Too Many Requests", times=1)),                              # 429, unmodelled code
        proxy.add(Rule("status", match="iam:CreatePolicy", status=503, code="ServiceUnavailable",
                       message="Service Unavailable", times=1)),
        proxy.add(Rule("status", match="iam:GetRole", status=500, code="InternalFailure",
                       message="internal error", times=2)),
        proxy.add(Rule("drop", match="iam:AttachRolePolicy", times=1)),                   # connection reset
        proxy.add(Rule("drop", match="sts:GetCallerIdentity", times=1)),
        proxy.add(Rule("delay", match="iam:List*", seconds=0.3, times=3)),                 # slow answers
    ]
    r = c("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    assert "Apply complete: 3 created." in r.out
    for rule in rules:
        assert rule.injected == rule.times, rule
    # every faulted request was tried again, and the retry went through
    for rule in rules:
        if rule.action == "delay":
            continue
        attempts = proxy.ops(rule.match)
        assert [a.outcome for a in attempts[: rule.times]] == [rule.action] * rule.times, attempts
        assert attempts[rule.times].outcome.isdigit(), attempts  # the retry reached the server
    # exactly one role, one user, one access key, one secret: no retry made a duplicate
    assert len(proxy.ops("iam:CreateRole")) == 3 and len(proxy.ops("iam:CreateAccessKey")) == 1
    iam = boto("iam")
    assert len(iam.list_access_keys(UserName="f-deployer")["AccessKeyMetadata"]) == 1
    _converges(c, m)
    record_figures("faults:retryable", injected=proxy.total_injected, survived=proxy.total_injected)


def test_random_faults_with_a_fixed_seed_do_not_change_the_plan(faulty):
    """A quarter of all requests throttled or answered 503, chosen by seeded RNGs: the plan is the same."""
    c, proxy, m = faulty
    args = ("plan", str(m), "--format", "json", "--concurrency", "1")
    clean = run_inprocess(c.env, *args)
    assert clean.code == 0, clean.text
    proxy.add(Rule("throttle", match="*", fraction=0.1, seed=3, times=None))
    proxy.add(Rule("status", match="*", status=503, code="ServiceUnavailable", fraction=0.15, seed=4, times=None))
    noisy = c(*args)
    assert noisy.code == 0, noisy.text
    assert proxy.total_injected >= 2, proxy.injected
    assert _steps(noisy.out) == _steps(clean.out)
    record_figures("faults:random", injected=proxy.total_injected, survived=proxy.total_injected)


def _steps(plan_json: str) -> list:
    import json

    return json.loads(plan_json)["steps"]


def test_a_non_retryable_error_fails_in_one_line_and_a_rerun_converges(faulty, boto):
    c, proxy, m = faulty
    proxy.add(Rule("status", match="iam:CreateRole", status=403, code="AccessDenied",
                   message="User: arn:aws:iam::123456789012:user/ci is not authorized to perform: iam:CreateRole",
                   times=None))
    r = c("apply", str(m), "--auto-approve")
    assert r.code == 1
    assert "Traceback" not in r.text
    assert _error_lines(r.err) == ["Error: Failed to create role Role/f-exec: AccessDenied: User: "
                                   "arn:aws:iam::123456789012:user/ci is not authorized to perform: iam:CreateRole"]
    assert len(proxy.ops("iam:CreateRole")) == 1  # not retried
    assert "Fix the cause and run apply again" in r.err
    proxy.clear()
    r = run_inprocess(c.env, "apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    _converges(c, m)
    record_figures("faults:fatal", injected=1, survived=1)


def test_retries_give_up_after_aws_max_attempts_with_a_clear_error(faulty):
    c, proxy, m = faulty
    proxy.add(Rule("throttle", match="iam:CreatePolicy", times=None))
    r = c("apply", str(m), "--auto-approve", env={"AWS_MAX_ATTEMPTS": "3"})
    assert r.code == 1 and "Traceback" not in r.text
    assert _error_lines(r.err) == ["Error: Failed to create policy Policy/f-read: Throttling: Rate exceeded"]
    assert len(proxy.ops("iam:CreatePolicy")) == 3
    injected = proxy.total_injected
    proxy.clear()
    assert run_inprocess(c.env, "apply", str(m), "--auto-approve").code == 0
    _converges(c, m)
    record_figures("faults:exhausted", injected=injected, survived=injected)


def test_a_lost_answer_to_a_create_is_converged_in_the_same_run(faulty, boto):
    """The server created the role but the answer was lost: the retry meets EntityAlreadyExists.

    The role was tagged in the same call that created it, so apply recognises it as this stack's own
    and converges it with an update in the same run, rather than calling it a conflict, failing, or
    creating a second one.
    """
    c, proxy, m = faulty
    proxy.add(Rule("drop-after", match="iam:CreateRole", times=1))
    r = c("apply", str(m), "--auto-approve")
    assert r.code == 0 and "Traceback" not in r.text, r.text
    assert "Role/f-exec exists already with this stack's tags" in r.err
    proxy.clear()
    _converges(c, m)
    assert len(boto("iam").list_roles()["Roles"]) == 1
    record_figures("faults:lost-answer", injected=1, survived=1)


def test_adapter_uses_botocore_retries_with_backoff_and_jitter(monkeypatch):
    """Unit level: the adapter's retry configuration, and that botocore's backoff is jittered and bounded."""
    import random

    from botocore.retries.standard import ExponentialBackoff, RetryContext

    from reconciler.aws import retry_settings

    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    monkeypatch.delenv("AWS_RETRY_MODE", raising=False)
    assert retry_settings() == (10, "adaptive")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    assert retry_settings() == (4, "standard")
    backoff = ExponentialBackoff(random=random.Random(1).random)
    delays = [backoff.delay_amount(RetryContext(attempt_number=n)) for n in range(1, 9)]
    assert len(set(delays)) == len(delays)  # jitter: no two waits alike
    assert all(0 <= d <= 2 ** (n - 1) for n, d in zip(range(1, 9), delays, strict=True))
    assert max(delays) <= 20


def test_proxy_answers_in_each_protocol(moto_server):
    """The proxy's errors parse as the service's own: botocore sees the right code and message."""
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    with FaultProxy(moto_server.url) as proxy:
        proxy.add(Rule("throttle", match="iam:*"))
        proxy.add(Rule("throttle", match="sagemaker:*"))
        proxy.add(Rule("status", match="sts:*", status=429, code="TooManyRequestsException", message="slow down"))
        cfg = Config(retries={"mode": "standard", "total_max_attempts": 1})
        kw = {"region_name": "us-east-1", "endpoint_url": proxy.url, "aws_access_key_id": "testing",
              "aws_secret_access_key": "testing", "config": cfg}
        for service, call, code in (("iam", "list_roles", "Throttling"),
                                    ("sagemaker", "list_models", "ThrottlingException"),
                                    ("sts", "get_caller_identity", "TooManyRequestsException")):
            with pytest.raises(ClientError) as e:
                getattr(boto3.client(service, **kw), call)()
            assert e.value.response["Error"]["Code"] == code
        assert proxy.counts == {"iam:ListRoles": 1, "sagemaker:ListModels": 1, "sts:GetCallerIdentity": 1}
