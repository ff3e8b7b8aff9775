"""Function and HttpApi read back as manifest documents; a function's code is downloaded next to them."""

from __future__ import annotations

import urllib.request
from typing import Any

from reconciler.importer.model import Imported, environment
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Observed, PlanContext
from reconciler.kinds.lambda_function import sha256_b64

DEFAULTS = {"memorySize": 128, "timeout": 3, "architecture": "x86_64"}


def function_unsupported(cfg: dict[str, Any]) -> list[str]:
    out = []
    if cfg.get("PackageType", "Zip") != "Zip":
        out.append(f"a {cfg.get('PackageType')} package (only zip code is supported)")
    if cfg.get("Layers"):
        out.append(f"{len(cfg['Layers'])} layer(s)")
    if (cfg.get("VpcConfig") or {}).get("SubnetIds"):
        out.append("VPC configuration (VpcConfig)")
    if cfg.get("FileSystemConfigs"):
        out.append("EFS file systems (FileSystemConfigs)")
    if (cfg.get("DeadLetterConfig") or {}).get("TargetArn"):
        out.append("a dead-letter queue (DeadLetterConfig)")
    if cfg.get("KMSKeyArn"):
        out.append("a KMS key for its environment (KMSKeyArn)")
    if (cfg.get("EphemeralStorage") or {}).get("Size", 512) != 512:
        out.append("ephemeral storage other than 512 MB")
    return out


def function_to_spec(obs: Observed, account: str, stack: str, code_path: str) -> Imported:
    item = Imported("Function", obs.name)
    s = obs.state
    spec: dict[str, Any] = {}
    if s.get("description"):
        spec["description"] = s["description"]
    spec["code"] = code_path
    item.comments[("spec", "code")] = "the deployed zip, downloaded as is (unzip it into a folder to edit it)"
    spec["runtime"] = s["runtime"]
    spec["handler"] = s["handler"]
    for key, default in DEFAULTS.items():
        if s.get(key) not in (None, default):
            spec[key] = s[key]
    role = s.get("role") or ""
    parts = role.split(":")
    spec["role"] = role.rsplit("/", 1)[-1] if len(parts) > 4 and parts[4] == account else role
    if s.get("environment"):
        spec["environment"] = environment(item, s["environment"], ("spec", "environment"), stack,
                                          f"the environment of Function/{obs.name}")
    item.doc = item.adopting("Function", obs.name, s.get("tags") or {}, spec)
    return item


def read_function(aws: Any, ctx: PlanContext, name: str) -> Imported:
    got = aws.client("lambda").get("get_function", f"Function/{name}", FunctionName=name)
    if got is None:
        return Imported("Function", name, refused=["no such function"])
    cfg = got["Configuration"]
    problems = function_unsupported(cfg)
    if problems:
        return Imported("Function", name, refused=problems)
    location = (got.get("Code") or {}).get("Location")
    try:
        with urllib.request.urlopen(location, timeout=120) as r:  # noqa: S310 (AWS's presigned URL)
            data = r.read()
    except Exception as e:  # any failure: said, and the function is not imported
        return Imported("Function", name, refused=[f"its code could not be downloaded ({type(e).__name__})"])
    if sha256_b64(data) != cfg.get("CodeSha256"):
        return Imported("Function", name, refused=["the downloaded code does not match its CodeSha256"])
    obs = REGISTRY["Function"].read(aws, name, ctx)
    assert obs is not None
    path = f"functions/{name}.zip"
    item = function_to_spec(obs, ctx.account, ctx.stack, path)
    item.files[path] = data
    return item


def function_name(arn: str, ctx: PlanContext) -> str | None:
    """The name of a function of this account and region (imported with the API), else None."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[3] == ctx.region and parts[4] == ctx.account:
        return parts[6]
    return None


def api_to_spec(obs: Observed, ctx: PlanContext) -> Imported:
    item = Imported("HttpApi", obs.name)
    s = obs.state
    spec: dict[str, Any] = {}
    if s.get("description"):
        spec["description"] = s["description"]
    spec["routes"] = {k: {"function": function_name(r["function"], ctx) or r["function"]}
                      for k, r in s["routes"].items()}
    if s.get("cors"):
        spec["cors"] = dict(s["cors"])
    item.doc = item.adopting("HttpApi", obs.name, s.get("tags") or {}, spec)
    return item


def read_api(aws: Any, ctx: PlanContext, name: str) -> tuple[Imported, list[str]]:
    """The API and the names of the functions its routes call (imported with it)."""
    kind = REGISTRY["HttpApi"]
    same = [a for a in kind._apis(aws) if a["Name"] == name]  # type: ignore[attr-defined]
    if not same:
        return Imported("HttpApi", name, refused=["no such HTTP API"]), []
    if len(same) > 1:
        return Imported("HttpApi", name, refused=[f"{len(same)} HTTP APIs have this name"]), []
    obs = kind.read(aws, name, ctx)
    assert obs is not None
    problems = []
    for key, r in obs.state["routes"].items():
        fn = r.get("function") or ""
        if not fn.startswith("arn:"):
            problems.append(f"route {key!r} does not call a Lambda function through a proxy integration "
                            f"(payload format 2.0): {fn or 'no integration'}")
    if obs.state.get("stage") != "$default (auto-deploy)":
        problems.append(f"its stage is {obs.state.get('stage') or 'missing'} (a $default stage with auto-deploy "
                        "is supported)")
    if problems:
        return Imported("HttpApi", name, refused=problems), []
    names = sorted({n for r in obs.state["routes"].values() if (n := function_name(r["function"], ctx))})
    return api_to_spec(obs, ctx), names
