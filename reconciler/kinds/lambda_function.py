"""Function: an AWS Lambda function whose code is a folder (or a zip) next to the manifest.

A folder is zipped reproducibly: entries sorted, timestamps fixed, permissions reduced to
0644/0755, so the same files always give the same bytes and the same SHA-256. That digest is
compared with Lambda's ``CodeSha256`` (base64), so an unchanged function plans as no-op; the plan
holds the code by reference with that digest, and apply zips it again and refuses other bytes.

Environment values may be ``{secretsManager: NAME}``: the value is read at apply time only (the plan
names the secret's version read at plan time, never its value; "(secret NAME)" everywhere), and the
function carries a tag ``reconciler:env:VAR = NAME@VERSION=FINGERPRINT`` recording which secret version it
holds and a slow fingerprint of its value, so a new secret version (or a value edited out of band) plans
as an update without reading the secret at plan time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from reconciler import PREVENT_DESTROY_ANNOTATION, ops, policy
from reconciler.artifacts import FINGERPRINT_SCHEME, sha256_b64
from reconciler.artifacts import fingerprint as _fingerprint
from reconciler.aws import secretsmanager
from reconciler.errors import Issue
from reconciler.kinds import _code
from reconciler.kinds._secrets import (
    SecretRef,
    environment_checks,
    mask_environment_change,
    role_checks,
    secret_names,
)
from reconciler.kinds.base import (
    Check,
    Kind,
    Observed,
    OpContext,
    PlanContext,
    Reference,
    Resource,
    Spec,
    ownership_tags,
)
from reconciler.plan import Operation

ENV_TAG = "reconciler:env:"
ENV_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]+$")
ROLE_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-/]+$", re.ASCII)
HANDLER = re.compile(r"^[^\s]{1,128}$")
RESERVED_ENV = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})


class FunctionSpec(Spec):
    """An AWS Lambda function."""

    description: str = Field("", max_length=256, description="Description of the function.")
    code: str = Field(
        description="A folder (zipped reproducibly) or a .zip file with the code, relative to this manifest file.")
    runtime: str = Field(description="Lambda runtime, e.g. python3.12 (one of botocore's Runtime values).",
                         json_schema_extra=lambda schema: schema.update(enum=list(runtimes())))
    handler: str = Field(description="Entry point, e.g. handler.handler (module.function for Python).")
    memorySize: int = Field(128, ge=128, le=10240, description="Memory in MB (128-10240).")
    timeout: int = Field(3, ge=1, le=900, description="Timeout in seconds (1-900).")
    architecture: Literal["x86_64", "arm64"] = Field("x86_64", description="Instruction set: x86_64 or arm64.")
    role: str = Field(description="Execution role: the name of a Role in the manifests, or a role ARN.")
    environment: dict[str, str | SecretRef] = Field(
        default_factory=dict,
        description="Environment variables: plain strings, or {secretsManager: NAME} resolved at apply time "
                    "and shown only as (secret NAME).")

    @field_validator("environment")
    @classmethod
    def _env(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key, value in v.items():
            if not ENV_NAME.match(key):
                raise ValueError(f"{key!r}: names are a letter then letters, digits or _ (at least 2 characters)")
            if key in RESERVED_ENV:
                raise ValueError(f"{key!r} is reserved by Lambda")
            if isinstance(value, SecretRef) and len(ENV_TAG + key) > 128:
                raise ValueError(f"{key!r}: a secret variable's name must be at most {128 - len(ENV_TAG)} characters")
        return v


@functools.lru_cache(maxsize=1)
def runtimes() -> tuple[str, ...]:
    """Lambda's Runtime enum, from botocore's service model (read lazily: ~25 ms)."""
    import botocore.loaders

    model = botocore.loaders.Loader().load_service_model("lambda", "service-2")
    return tuple(model["shapes"]["Runtime"]["enum"])


def source_path(res: Resource) -> Path:
    """The code path as written (relative to the manifest file), symlinks not resolved yet."""
    return Path(os.path.abspath(Path(res.file).parent / res.spec.code))


def code_boundary(res: Resource) -> Path:
    """Code is read only from inside this folder: the git work tree of the manifests folder, else that folder."""
    return _code.repository(Path(res.root) if res.root else Path(res.file).parent)


def package(path: Path, boundary: Path | None = None) -> bytes:
    """The deployment zip of ``path`` (see reconciler.kinds._code.package)."""
    return _code.package(path, boundary)


def _in_repository(path: Path, boundary: Path) -> str:
    """The code's path relative to the repository holding the manifests (the same in every checkout); the path
    as written when it leaves the repository (check() reports that)."""
    try:
        return Path(os.path.abspath(path)).relative_to(boundary).as_posix() or "."
    except ValueError:
        try:
            return path.resolve().relative_to(boundary).as_posix() or "."
        except (ValueError, OSError):
            return str(path)


def _display_path(p: Path) -> str:
    try:
        return os.path.relpath(p)
    except ValueError:  # another drive (Windows)
        return str(p)


SALT = "reconcile-env:"  # + the secret's version


def fingerprint(value: str, version: str) -> str:
    """A secret-backed variable's value's fingerprint, recorded in its marker tag (see artifacts.fingerprint):
    a value edited by hand in Lambda no longer matches it, so plan sees the drift without reading the secret;
    salted with the secret's version."""
    return _fingerprint(value, f"{SALT}{version}")


def fingerprint_matches(mark: str, value: str, version: str) -> bool:
    """``mark`` (from the marker tag) is ``value``'s fingerprint, in this release's scheme or the older HMAC."""
    if mark.startswith(FINGERPRINT_SCHEME):
        return hmac.compare_digest(mark, fingerprint(value, version))
    legacy = hmac.new(f"{SALT}{version}".encode(), value.encode(), hashlib.sha256).hexdigest()[:16]
    return hmac.compare_digest(mark, legacy)


def _masked(name: str) -> str:
    return f"(secret {name})"


class FunctionKind(Kind):
    kind = "Function"
    spec_model = FunctionSpec
    description = "An AWS Lambda function: code from a folder or zip in the repo, runtime, role, environment."
    name_pattern = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
    name_rule = "1-64 characters of letters, digits, - and _"
    replace_fields = frozenset({"packageType"})
    delete_order = 30
    service = "lambda"
    plural = "functions"
    tagged_types = ("lambda:function",)
    listing_permissions = ("lambda:ListFunctions", "lambda:ListTags")

    def mask_change(self, change: Any) -> Any:
        return mask_environment_change(change)

    # ---- static ----------------------------------------------------------------------------
    def files_used(self, res: Resource) -> list[Path]:
        return [source_path(res)]

    def check(self, res: Resource) -> list[Issue]:
        spec = res.spec
        issues: list[Issue] = []
        if spec.runtime not in runtimes():
            near = [r for r in runtimes() if r.startswith(re.sub(r"[\d.]+.*$", "", spec.runtime))] or list(runtimes())
            issues.append(res.issue(("spec", "runtime"), f"unknown runtime {spec.runtime!r}; e.g. {', '.join(near[-4:])}"))
        if not HANDLER.match(spec.handler):
            issues.append(res.issue(("spec", "handler"), "a handler is 1-128 characters without spaces"))
        elif spec.runtime.startswith("python") and not re.match(r"^[\w/.-]+\.[A-Za-z_]\w*$", spec.handler):
            issues.append(res.issue(("spec", "handler"), f"{spec.handler!r}: a Python handler is module.function, "
                                    "e.g. handler.handler"))
        if not spec.role.startswith("arn:"):
            pass  # a reference: checked by the graph
        elif not ROLE_ARN.match(spec.role):
            issues.append(res.issue(("spec", "role"), f"{spec.role!r} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)"))
        plain = sum(len(k) + len(v) for k, v in spec.environment.items() if isinstance(v, str))
        if plain > 4096:
            issues.append(res.issue(("spec", "environment"), f"the variables take {plain} bytes; Lambda allows 4 KB"))
        issues += self._code_issues(res)
        from reconciler.kinds import _constraints  # API parameters vs botocore's model
        return issues + _constraints.check(res, issues)

    def _code_issues(self, res: Resource) -> list[Issue]:
        spec, where = res.spec, ("spec", "code")
        path = source_path(res)
        try:
            _real, names = _code.check(path, code_boundary(res))
        except _code.CodeError as e:
            return [res.issue(where, str(e))]
        if spec.runtime.startswith("python") and "." in spec.handler:
            module = spec.handler.rsplit(".", 1)[0].replace(".", "/")
            if f"{module}.py" not in names and f"{module}/__init__.py" not in names:
                return [res.issue(("spec", "handler"), f"handler {spec.handler!r} needs {module}.py in "
                                  f"{_display_path(path)}")]
        return []

    def references(self, res: Resource, names: dict[str, set[str]]) -> list[Reference]:
        if res.spec.role.startswith("arn:"):
            return []
        return [Reference(("spec", "role"), "Role", res.spec.role)]

    def arn(self, name: str, spec: Any, ctx: PlanContext) -> str:
        return f"arn:{ctx.partition}:lambda:{ctx.region}:{ctx.account}:function:{name}"

    def plan_checks(self, res: Resource, desired: dict[str, Any], ctx: PlanContext) -> list[Check]:
        return (environment_checks(res.spec.environment, ("spec", "environment"))
                + role_checks(res, res.spec.role, ("spec", "role"), "lambda.amazonaws.com", ctx))

    def desired(self, res: Resource, ctx: PlanContext) -> dict[str, Any]:
        spec = res.spec
        role = spec.role if spec.role.startswith("arn:") else ctx.arn_of("Role", spec.role)
        path = source_path(res)
        env = {k: _masked(v.secretsManager) if isinstance(v, SecretRef) else v for k, v in sorted(spec.environment.items())}
        return {
            "packageType": "Zip",
            "description": spec.description,
            "runtime": spec.runtime,
            "handler": spec.handler,
            "memorySize": spec.memorySize,
            "timeout": spec.timeout,
            "architecture": spec.architecture,
            "role": role,
            "environment": env,
            "codeSha256": sha256_b64(package(path, code_boundary(res))),
            "tags": ownership_tags(ctx.stack, res.tags, res.annotated(PREVENT_DESTROY_ANNOTATION)),
            # operation inputs (not compared): where the code is (in its repository), which variables are secrets
            "_code": _in_repository(path, code_boundary(res)),
            "_secrets": {k: v.secretsManager for k, v in sorted(spec.environment.items()) if isinstance(v, SecretRef)},
        }

    def depends_on_arns(self, state: dict[str, Any]) -> list[str]:
        return [state["role"]] if state.get("role") else []

    # ---- AWS -------------------------------------------------------------------------------
    def _observe(self, aws: Any, cfg: dict[str, Any], all_tags: dict[str, str]) -> Observed:
        markers = {k[len(ENV_TAG):]: v for k, v in all_tags.items() if k.startswith(ENV_TAG)}
        env: dict[str, str] = {}
        for key, value in sorted(((cfg.get("Environment") or {}).get("Variables") or {}).items()):
            if key in markers:
                secret, _, recorded = markers[key].rpartition("@")
                version, _, mark = recorded.partition("=")  # (Lambda tag values allow no "#")
                current = secretsmanager.version(aws, secret, cached=True)
                if current != version:
                    env[key] = f"(secret {secret}, changed since applied)"
                elif mark and not fingerprint_matches(mark, value, version):
                    env[key] = f"(secret {secret}, edited outside reconcile)"  # the live value is not the secret's
                else:
                    env[key] = _masked(secret)
            else:
                env[key] = value
        state = {
            "packageType": cfg.get("PackageType", "Zip"),
            "description": cfg.get("Description", "") or "",
            "runtime": cfg.get("Runtime"),
            "handler": cfg.get("Handler"),
            "memorySize": cfg.get("MemorySize", 128),
            "timeout": cfg.get("Timeout", 3),
            "architecture": (cfg.get("Architectures") or ["x86_64"])[0],
            "role": cfg.get("Role"),
            "environment": env,
            "codeSha256": cfg.get("CodeSha256"),
            "tags": policy.normalize_tags({k: v for k, v in all_tags.items() if not k.startswith(ENV_TAG)}),
        }
        return Observed(self.kind, cfg["FunctionName"], cfg["FunctionArn"], state,
                        meta={"markers": markers, "state": cfg.get("State"), "lastUpdate": cfg.get("LastUpdateStatus")})

    def read(self, aws: Any, name: str, ctx: PlanContext) -> Observed | None:
        got = aws.client("lambda").get("get_function", f"Function/{name}", FunctionName=name)
        if got is None:
            return None
        return self._observe(aws, got["Configuration"], got.get("Tags") or {})

    def list_owned(self, aws: Any, stack: str, ctx: PlanContext, exclude: set[str] = frozenset(),  # type: ignore[assignment]
                   tagged: Any = None) -> list[Observed]:
        """This stack's functions, each read in full. ``tagged``: the stack's tagging listing; None: list every
        function of the account and read its tags."""
        if tagged is not None:
            names = [t.resource for t in tagged.of("lambda:function")]  # (…:function:NAME: tags filtered by AWS)
        else:
            lam, names = aws.client("lambda"), []
            for cfg in lam.paginate("list_functions", "Functions"):
                name = cfg["FunctionName"]
                if name not in exclude and policy.owner_of(
                        lam.call("list_tags", f"Function/{name}", Resource=cfg["FunctionArn"]).get("Tags", {})) == stack:
                    names.append(name)
        out = []
        for name in names:
            full = None if name in exclude else self.read(aws, name, ctx)
            if full and full.stack == stack:
                out.append(full)
        return out

    # ---- operations (pure) -------------------------------------------------------------------------
    def plan_facts(self, aws: Any, res: Resource, desired: dict[str, Any], ctx: PlanContext) -> dict[str, Any]:
        """The current version of each secret the environment names (never its value): apply reads exactly it."""
        if not desired.get("_secrets"):
            return {}
        return {"versions": {s: secretsmanager.version(aws, s, cached=True) for s in sorted(set(desired["_secrets"].values()))}}

    def operations(self, name: str, desired: dict[str, Any] | None, observed: Observed | None,
                   ctx: OpContext) -> list[Operation]:
        if desired is None:
            assert observed is not None
            return [ops.call("lambda", "DeleteFunction", name, {"FunctionName": name}, resource=observed.arn,
                             ownership=ctx.evidence(observed))]
        variables, markers = _environment(desired, ctx)
        code = ops.code_zip(desired["_code"], desired["codeSha256"])
        if observed is None:
            arn = f"arn:{ctx.partition}:lambda:{ctx.region}:{ctx.account}:function:{name}"
            request = {"FunctionName": name, "PackageType": "Zip", "Runtime": desired["runtime"], "Role": desired["role"],
                       "Handler": desired["handler"], "Code": {"ZipFile": code}, "Description": desired["description"],
                       "Timeout": desired["timeout"], "MemorySize": desired["memorySize"],
                       "Architectures": [desired["architecture"]], "Environment": {"Variables": variables},
                       "Tags": {**desired["tags"], **markers}}
            return [ops.call("lambda", "CreateFunction", name, request, id="function", resource=arn,
                             detail=f"code {desired['_code']}"),
                    ops.wait("lambda", "FunctionActiveV2", name, "until it is Active", FunctionName=name)]
        return self._update(name, desired, observed, ctx, variables, markers)

    def _update(self, name: str, desired: dict[str, Any], observed: Observed, ctx: OpContext,
                variables: dict[str, Any], markers: dict[str, Any]) -> list[Operation]:
        """Code, then configuration (each waited for: Lambda refuses a change while one is in progress), tags."""
        live, arn, ev = observed.state, observed.arn, ctx.evidence(observed)
        out: list[Operation] = []

        def settle() -> None:
            out.append(ops.wait("lambda", "FunctionUpdatedV2", name, "until its last update is done",
                                FunctionName=name))

        config = {key: desired[field] for key, field in CONFIG.items() if live.get(field) != desired[field]}
        if live.get("environment") != desired["environment"]:
            config["Environment"] = {"Variables": variables}
        new_code = live.get("codeSha256") != desired["codeSha256"] or live.get("architecture") != desired["architecture"]
        if new_code or config:
            settle()  # (a change made just before, by anyone, must finish first)
        if new_code:
            out.append(ops.call("lambda", "UpdateFunctionCode", name, {
                "FunctionName": name, "ZipFile": ops.code_zip(desired["_code"], desired["codeSha256"]),
                "Architectures": [desired["architecture"]]}, resource=arn, ownership=ev,
                detail=f"code {desired['_code']}"))
            settle()
        if config:
            out.append(ops.call("lambda", "UpdateFunctionConfiguration", name, {"FunctionName": name, **config},
                                resource=arn, ownership=ev, detail=", ".join(sorted(config))))
            settle()
        live_markers = observed.meta.get("markers") or {}
        tags, to_remove = policy.tag_changes(live.get("tags") or {}, desired["tags"])
        to_set: dict[str, Any] = dict(tags)
        to_set.update({k: v for k, v in markers.items() if not _marker_holds(live_markers.get(k[len(ENV_TAG):]), v)})
        to_remove += [ENV_TAG + k for k in sorted(live_markers) if ENV_TAG + k not in markers]
        if to_set:
            out.append(ops.call("lambda", "TagResource", name, {"Resource": arn, "Tags": to_set}, resource=arn,
                                ownership=ev, detail=", ".join(sorted(to_set))))
        if to_remove:
            out.append(ops.call("lambda", "UntagResource", name, {"Resource": arn, "TagKeys": sorted(to_remove)},
                                resource=arn, ownership=ev, detail=", ".join(sorted(to_remove))))
        return out

    def permissions(self, res: Resource | None, need: str, scope: Any) -> list[Any]:
        from reconciler.permissions.grants import (
            READ,
            WRITE,
            grant,
            pass_role,
            role_check,
            secret_reads,
            secret_values,
        )

        arn = scope.arn("lambda", f"function:{res.name}" if res is not None else "function:*")
        secrets = secret_names(res.spec.environment) if res is not None else []
        if need == READ:  # the orphan scan reads in full what the tagging listing found
            checks = role_check(scope, res.spec.role) if res is not None else []
            return [grant("lambda:GetFunction", arn, owned=res is None), *checks, *secret_reads(scope, secrets)]
        owned = not scope.adopts(res)
        out = [grant(("lambda:ListTags", "lambda:DeleteFunction"), arn, owned=owned)]
        if need == WRITE:
            assert res is not None
            out += [grant("lambda:CreateFunction", arn),
                    grant(("lambda:GetFunctionConfiguration", "lambda:UpdateFunctionCode",
                           "lambda:UpdateFunctionConfiguration", "lambda:TagResource", "lambda:UntagResource"),
                          arn, owned=owned),
                    *pass_role(scope, [res.spec.role], "lambda.amazonaws.com"), *secret_values(scope, secrets)]
        return out


#: UpdateFunctionConfiguration's parameters and the state fields they set
CONFIG = {"Description": "description", "Runtime": "runtime", "Handler": "handler", "MemorySize": "memorySize",
          "Timeout": "timeout", "Role": "role"}


def _environment(desired: dict[str, Any], ctx: OpContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the variables, secret-backed ones by reference to the version plan read; the marker tags recording
    each one's secret, version and the fingerprint of its value, computed by apply)."""
    secrets = desired.get("_secrets") or {}
    versions = ctx.facts.get("versions") or {}
    variables: dict[str, Any] = {k: v for k, v in desired["environment"].items() if k not in secrets}
    markers: dict[str, Any] = {}
    for key, secret in sorted(secrets.items()):
        version = versions.get(secret) or ""
        variables[key] = ops.secret(secret, version or None)
        markers[ENV_TAG + key] = ops.concat(f"{secret}@{version}=",
                                            ops.fingerprint(ops.secret(secret, version or None), f"{SALT}{version}"))
    return dict(sorted(variables.items())), markers


def _marker_holds(live: str | None, want: Any) -> bool:
    """The live marker records the secret and version the plan sets, with this release's fingerprint."""
    prefix = want["$concat"][0] if isinstance(want, dict) else want
    return live is not None and live.startswith(prefix) and live[len(prefix):].startswith(FINGERPRINT_SCHEME)


KIND = FunctionKind()
