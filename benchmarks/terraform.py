"""The same IAM stack written for Terraform + hashicorp/aws, run against the same proxy and emulator.

Terraform is found on PATH (or ``$TERRAFORM``) and the AWS provider in a filesystem mirror
(``$RECONCILE_BENCH_TF_MIRROR``, default /opt/tf-plugins, laid out as ``terraform providers mirror`` writes
it): nothing is downloaded. Where either is missing, ``available()`` says why and the benchmark reports it.

The configuration mirrors ``stack.group_docs(…, endpoints=False)`` resource for resource: per group two
``aws_iam_policy``, two ``aws_iam_role`` each with two ``aws_iam_role_policy_attachment`` and one
``aws_iam_role_policy``, one ``aws_iam_user`` with one ``aws_iam_user_policy_attachment`` and one
``aws_iam_user_policy`` (the same names, documents, descriptions and tags as reconcile's manifests).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from benchmarks.stack import GROUP

PROVIDER = "registry.terraform.io/hashicorp/aws"
VERSION = "5.100.0"


def binary() -> str | None:
    return os.environ.get("TERRAFORM") or shutil.which("terraform")


def mirror() -> Path:
    return Path(os.environ.get("RECONCILE_BENCH_TF_MIRROR", "/opt/tf-plugins"))


def available() -> str | None:
    """None when Terraform and the provider mirror are both here; else why not (one line)."""
    if binary() is None:
        return "no terraform on PATH (set TERRAFORM to its path)"
    folder = mirror() / PROVIDER / VERSION
    if not folder.is_dir():
        return (f"no hashicorp/aws {VERSION} in the provider mirror {mirror()} (set RECONCILE_BENCH_TF_MIRROR; "
                f"`terraform providers mirror` writes one)")
    return None


def cli_config(path: Path) -> Path:
    """A CLI configuration that installs hashicorp/aws from the mirror only (never the registry)."""
    path.write_text(f"""provider_installation {{
  filesystem_mirror {{
    path    = "{mirror()}"
    include = ["{PROVIDER}"]
  }}
}}
""")
    return path


def _doc(action: str, resource: str = "*") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}


TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


def config(endpoint: str, n: int, stack: str = "bench", keep=lambda g: True) -> dict[str, Any]:
    """main.tf.json for the IAM stack of ``n`` resources (groups of six, as stack.write with iam_only)."""
    res: dict[str, dict[str, Any]] = {k: {} for k in (
        "aws_iam_policy", "aws_iam_role", "aws_iam_role_policy_attachment", "aws_iam_role_policy", "aws_iam_user",
        "aws_iam_user_policy_attachment", "aws_iam_user_policy")}
    tags = {"bench": "yes"}
    for g in range(max(1, n // GROUP)):
        if not keep(g):
            continue
        p0, p1 = f"pol_{2 * g}", f"pol_{2 * g + 1}"
        for i, p in ((2 * g, p0), (2 * g + 1, p1)):
            name = f"{stack}-pol-{i}"
            res["aws_iam_policy"][p] = {"name": name, "description": f"benchmark policy {name}",
                                        "policy": json.dumps(_doc("s3:GetObject", f"arn:aws:s3:::{name}/*")), "tags": tags}
        for r in (2 * g, 2 * g + 1):
            role = f"role_{r}"
            res["aws_iam_role"][role] = {"name": f"{stack}-role-{r}", "description": f"benchmark role {r}",
                                         "assume_role_policy": json.dumps(TRUST), "max_session_duration": 3600,
                                         "tags": tags}
            for p in (p0, p1):
                res["aws_iam_role_policy_attachment"][f"{role}_{p}"] = {
                    "role": f"${{aws_iam_role.{role}.name}}", "policy_arn": f"${{aws_iam_policy.{p}.arn}}"}
            res["aws_iam_role_policy"][f"{role}_logs"] = {"name": "logs", "role": f"${{aws_iam_role.{role}.id}}",
                                                          "policy": json.dumps(_doc("logs:PutLogEvents"))}
        user = f"user_{g}"
        res["aws_iam_user"][user] = {"name": f"{stack}-user-{g}", "tags": tags}
        res["aws_iam_user_policy_attachment"][f"{user}_{p0}"] = {"user": f"${{aws_iam_user.{user}.name}}",
                                                                 "policy_arn": f"${{aws_iam_policy.{p0}.arn}}"}
        res["aws_iam_user_policy"][f"{user}_read"] = {"name": "read", "user": f"${{aws_iam_user.{user}.name}}",
                                                      "policy": json.dumps(_doc("s3:ListBucket"))}
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": VERSION}}},
        "provider": {"aws": {
            "region": "us-east-1", "access_key": "bench", "secret_key": "bench",
            "skip_credentials_validation": True, "skip_metadata_api_check": True,
            "skip_region_validation": True, "endpoints": {"iam": endpoint, "sts": endpoint},
        }},
        "resource": {k: v for k, v in res.items() if v},
    }


def write(directory: Path, endpoint: str, n: int, stack: str = "bench", keep=lambda g: True) -> int:
    """Write main.tf.json into ``directory`` (kept: .terraform and the state); the reconcile resource count."""
    directory.mkdir(parents=True, exist_ok=True)
    cfg = config(endpoint, n, stack, keep)
    (directory / "main.tf.json").write_text(json.dumps(cfg, indent=1))
    r = cfg["resource"]
    return sum(len(r.get(k, {})) for k in ("aws_iam_policy", "aws_iam_role", "aws_iam_user"))


def environment(base: dict[str, str], work: Path) -> dict[str, str]:
    """Terraform's environment: the mirror-only CLI config, no checkpoint calls, no colour, no input."""
    env = {k: v for k, v in base.items() if not k.startswith("TF_")}
    env.update({"TF_CLI_CONFIG_FILE": str(cli_config(work / "terraformrc")), "CHECKPOINT_DISABLE": "1",
                "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"})
    return env


def version(tf: str) -> str:
    import subprocess

    try:
        got = json.loads(subprocess.run([tf, "version", "-json"], capture_output=True, text=True, timeout=60).stdout)
        return f"Terraform {got.get('terraform_version')}"
    except (OSError, ValueError, subprocess.SubprocessError) as e:
        return f"Terraform (version unknown: {e})"


def cycle(bench: Any, n: int) -> dict[str, Any]:
    """Terraform on the same stack, emulator and proxy: init from the mirror, cold apply, no-change plans.

    Like reconcile's runs: a fresh emulator, then the commands as a user runs them (default -parallelism, 10),
    each measured with its provider process (wait4 counts the children it reaped). The no-change plan runs
    ``--repeat`` times; the median is reported.
    """
    from benchmarks.report import figures
    from benchmarks.run import median, spread

    why = available()
    if why:
        return {"unavailable": why}
    tf = binary()
    assert tf is not None
    bench.moto.reset()
    work = bench.workdir / f"terraform-{n}"
    count = write(work, bench.proxy.url, n)
    env = environment(bench.env, bench.workdir)
    out: dict[str, Any] = {"n": count, "version": f"{version(tf)}, hashicorp/aws {VERSION}"}
    print(f"Terraform ({out['version']}), the same {count} resources …", flush=True)
    out["init"] = bench.measure([tf, "init", "-input=false", "-no-color"], env, work, (0,), "tf-init")
    out["apply"] = bench.measure([tf, "apply", "-auto-approve", "-input=false", "-no-color"], env, work, (0,),
                                 "tf-apply")
    print(f"  apply: {figures(out['apply'], count)}", flush=True)
    out["plan"] = median([bench.measure([tf, "plan", "-detailed-exitcode", "-input=false", "-no-color"], env, work,
                                        (0,), "tf-plan") for _ in range(max(1, bench.args.repeat))])
    print(f"  plan (no change): {figures(out['plan'], count)}{spread(out['plan'])}", flush=True)
    return out
