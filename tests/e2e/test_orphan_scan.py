"""The orphan scan with least privilege (issue 26, points 1 and 2), through the CLI and a counting, refusing proxy.

One tagging listing (tag:GetResources on the stack's ownership tags) finds what the stack owns of every kind but
IAM, which comes from the account's bulk read: a plan of an IAM-only stack calls IAM, STS and the tagging API only.
A listing the credentials may not make is a warning in plan, and an error before any delete in prune and destroy;
an answer that is not the service's protocol (an HTML page) is one line naming the operation, not retried.
"""

from __future__ import annotations

import json

import pytest

from tests.support.faults import Rule, proxied
from tests.support.manifests import reader_role_user, sagemaker_role, write

STACK = "apiVersion: reconciler/v1\nkind: Stack\nmetadata: {name: scan}\n"
IAM = reader_role_user("scan")  # a Policy, a Role and a User (its key in Secrets Manager, which plan does not read)
LEFT_OVER = sagemaker_role("scan-left-over")
IC_LISTING = "sagemaker:ListInferenceComponents"
DENIED_IC = "orphaned inference components were not looked for: grant sagemaker:ListInferenceComponents or tag:GetResources"


def _denied(action: str) -> str:
    return f"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: {action} on resource: *"


def _deny(proxy, *matches: str) -> None:  # type: ignore[no-untyped-def]
    for match in matches:
        action = {"tagging:GetResources": "tag:GetResources"}.get(match, match)
        proxy.add(Rule("status", match=match, status=400, code="AccessDeniedException", message=_denied(action),
                       times=None))


@pytest.fixture
def scan(cli, moto_server, tmp_path, boto):  # type: ignore[no-untyped-def]
    """An applied IAM-only stack with one owned role no longer declared, in an account holding another stack's
    SageMaker model and a secret that is nobody's; the CLI behind the counting, refusing proxy."""
    m = write(tmp_path / "m", {"stack.yaml": STACK, "iam.yaml": IAM, "left.yaml": LEFT_OVER})
    assert cli("apply", str(m), "--auto-approve").code == 0
    (m / "left.yaml").unlink()
    sm = boto("sagemaker")
    boto("iam").create_role(RoleName="other-exec", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    sm.create_model(ModelName="other-model", ExecutionRoleArn="arn:aws:iam::123456789012:role/other-exec",
                    PrimaryContainer={"Image": "img:1"}, Tags=[{"Key": "reconciler:managed-by", "Value": "reconciler"},
                                                               {"Key": "reconciler:stack", "Value": "other"}])
    boto("secretsmanager").create_secret(Name="someone-elses", SecretString="x")
    c, proxy = proxied(cli, moto_server)
    yield c, proxy, m
    proxy.stop()


def test_a_plan_of_an_iam_only_stack_calls_only_iam_sts_and_the_tagging_api(scan):  # type: ignore[no-untyped-def]
    c, proxy, m = scan
    r = c("plan", str(m), "--detailed-exitcode")
    assert r.code == 2 and "Role/scan-left-over" in r.out and "1 orphaned" in r.out, r.text  # found, by IAM's read
    assert "warning" not in r.text, r.text
    assert {key.split(":")[0] for key in proxy.counts} == {"iam", "sts", "tagging"}, proxy.counts
    assert proxy.counts["tagging:GetResources"] == 1, proxy.counts
    (m / "left.yaml").write_text(LEFT_OVER)
    proxy.reset_counts()
    r = c("plan", str(m), "--detailed-exitcode")
    assert r.code == 0 and "No changes." in r.out, r.text
    assert {key.split(":")[0] for key in proxy.counts} == {"iam", "sts", "tagging"}, proxy.counts


def test_a_refused_tagging_listing_falls_back_to_each_kinds_own(scan):  # type: ignore[no-untyped-def]
    c, proxy, m = scan
    _deny(proxy, "tagging:GetResources")
    r = c("plan", str(m), "--detailed-exitcode")
    assert r.code == 2 and "Role/scan-left-over" in r.out and "warning" not in r.text, r.text
    assert proxy.counts[IC_LISTING] == 1, proxy.counts  # each kind listed its own


def test_plan_warns_naming_the_permission_of_a_refused_listing(scan):  # type: ignore[no-untyped-def]
    c, proxy, m = scan
    _deny(proxy, "tagging:GetResources", IC_LISTING)
    r = c("plan", str(m), "--detailed-exitcode")
    assert r.code == 2, r.text
    assert f"warning: {DENIED_IC}" in r.out and "Role/scan-left-over" in r.out, r.out  # the others were looked for
    assert "Traceback" not in r.text and "Error" not in r.text, r.text
    r = c("plan", str(m), "--format", "json")
    assert r.code == 0 and DENIED_IC in json.loads(r.out)["warnings"], r.text


@pytest.mark.parametrize("command", ["prune", "destroy"])
def test_prune_and_destroy_refuse_before_any_delete_when_a_listing_is_refused(scan, boto, command):  # type: ignore[no-untyped-def]
    c, proxy, m = scan
    _deny(proxy, "tagging:GetResources", IC_LISTING)
    r = c(command, str(m), "--auto-approve")
    assert r.code == 1 and "Traceback" not in r.text, r.text
    assert f"Error: refusing to {command}: it deletes what the stack owns, so it must see all of it" in r.err, r.err
    assert DENIED_IC in r.err, r.err
    assert proxy.ops(mutating=True) == [], proxy.ops(mutating=True)
    roles = {x["RoleName"] for x in boto("iam").list_roles()["Roles"]}
    assert {"scan-left-over", "scan-exec"} <= roles


@pytest.mark.parametrize("page_on", ["tagging:GetResources", IC_LISTING])
def test_an_html_page_instead_of_the_api_is_one_line_naming_the_call_and_not_retried(scan, page_on):  # type: ignore[no-untyped-def]
    c, proxy, m = scan
    if page_on == IC_LISTING:  # (the call is made when the tagging listing is refused: as the issue saw it)
        _deny(proxy, "tagging:GetResources")
    page = "<!doctype html><html><head><title>500 Internal Server Error</title></head><body>oops</body></html>"
    proxy.add(Rule("status", match=page_on, status=500, body=page, times=None))
    r = c("plan", str(m))
    assert r.code == 1 and "Traceback" not in r.text, r.text
    errors = [line for line in r.err.splitlines() if line.startswith("Error:")]
    operation = page_on.split(":")[1]
    assert len(errors) == 1 and f"{operation} was answered at {proxy.url} with an HTML page (HTTP 500)" in errors[0], r.err
    assert "<" not in r.err and "doctype" not in r.err.lower(), r.err
    assert proxy.counts[page_on] == 1, proxy.counts  # not retried (botocore would ask 10 times, 10-19 s)
