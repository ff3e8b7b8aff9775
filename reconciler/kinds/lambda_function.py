"""Function: an AWS Lambda function whose code is a folder (or a zip) next to the manifest.

A folder is zipped reproducibly: entries sorted, timestamps fixed, permissions reduced to
0644/0755, so the same files always give the same bytes and the same SHA-256. That digest is
compared with Lambda's ``CodeSha256`` (base64), so an unchanged function plans as no-op.

Environment values may be ``{secretsManager: NAME}``: the value is read at apply time, never
planned or printed ("(secret NAME)" everywhere), and the function carries a tag
``reconciler:env:VAR = NAME@VERSION`` recording which secret version it holds, so a new secret
version (or a value edited out of band) plans as an update without reading the secret at plan time.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from reconciler import PREVENT_DESTROY_ANNOTATION, policy
from reconciler.aws import lambda_ as lamx
from reconciler.aws import secretsmanager
from reconciler.errors import AwsError, Issue
from reconciler.kinds import _code
from reconciler.kinds._secrets import SecretRef, environment_checks, mask_environment_change, role_checks
from reconciler.kinds.base import (
    ApplyContext,
    Check,
    Kind,
    Observed,
    PlanContext,
    Reference,
    Resource,
    Spec,
    ownership_tags,
)

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


def sha256_b64(data: bytes) -> str:
    """Lambda's CodeSha256: the base64 of the zip's SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _display_path(p: Path) -> str:
    try:
        return os.path.relpath(p)
    except ValueError:  # another drive (Windows)
        return str(p)


FINGERPRINT_SCHEME = "s1:"  # scrypt; a mark without a scheme is an older release's HMAC (still read)


def fingerprint(value: str, version: str) -> str:
    """A short, slow digest of a secret-backed variable's value, recorded in its marker tag: a value edited
    by hand in Lambda no longer matches it, so plan sees the drift without reading the secret. Tags are
    readable with less access than the value, so the digest is scrypt (about 16 MiB and tens of ms per
    guess) salted with the secret's version, and cut to 64 bits: it tells a changed value, and guessing a
    weak value from it costs a brute force at scrypt's price per try."""
    digest = hashlib.scrypt(value.encode(), salt=f"reconcile-env:{version}".encode(), n=2**14, r=8, p=1, dklen=8)
    return FINGERPRINT_SCHEME + digest.hex()


def fingerprint_matches(mark: str, value: str, version: str) -> bool:
    """``mark`` (from the marker tag) is ``value``'s fingerprint, in this release's scheme or the older HMAC."""
    if mark.startswith(FINGERPRINT_SCHEME):
        return hmac.compare_digest(mark, fingerprint(value, version))
    legacy = hmac.new(f"reconcile-env:{version}".encode(), value.encode(), hashlib.sha256).hexdigest()[:16]
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
            # apply inputs (not compared): where the code is, which variables are secrets
            "_code": _display_path(path),
            "_root": _display_path(code_boundary(res)),
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

    @staticmethod
    def _code(name: str, desired: dict[str, Any]) -> bytes:
        """The zip to upload, rebuilt from disk; refuses code that changed since the plan."""
        path = Path(desired["_code"])
        if not path.exists():
            raise AwsError(f"Failed to upload Function/{name}: its code {path} is not there (run apply from the "
                           "folder the plan was made in)")
        try:
            data = package(path, Path(desired["_root"]).resolve() if desired.get("_root") else None)
        except _code.CodeError as e:
            raise AwsError(f"Failed to upload Function/{name}: {e}") from None
        if sha256_b64(data) != desired["codeSha256"]:
            raise AwsError(f"Failed to upload Function/{name}: the code in {path} changed since the plan was made; "
                           "run plan again")
        return data

    @staticmethod
    def _environment(ctx: ApplyContext, desired: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
        """(variables with secret values resolved, marker tags recording the secret versions)."""
        variables = dict(desired["environment"])
        markers: dict[str, str] = {}
        for key, secret in desired.get("_secrets", {}).items():
            # value and version from one read: a rotation in between cannot pair a value with another version
            variables[key], version = secretsmanager.read_versioned(ctx.aws, secret)
            markers[ENV_TAG + key] = f"{secret}@{version}={fingerprint(variables[key], version)}"
        return variables, markers

    def create(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        lam = ctx.aws.client("lambda")
        variables, markers = self._environment(ctx, desired)
        zipped = self._code(name, desired)
        lamx.retry_role(lambda: lam.call(
            "create_function", f"Function/{name}", FunctionName=name, PackageType="Zip", Runtime=desired["runtime"],
            Role=desired["role"], Handler=desired["handler"], Code={"ZipFile": zipped},
            Description=desired["description"], Timeout=desired["timeout"], MemorySize=desired["memorySize"],
            Architectures=[desired["architecture"]], Environment={"Variables": variables},
            Tags={**desired["tags"], **markers}))
        lamx.wait_settled(ctx.aws, name)

    def update(self, name: str, desired: dict[str, Any], ctx: ApplyContext) -> None:
        lam = ctx.aws.client("lambda")
        what = f"Function/{name}"
        got = lam.call("get_function", what, FunctionName=name)
        cfg, live_tags = got["Configuration"], got.get("Tags") or {}
        lamx.wait_settled(ctx.aws, name)
        arch = (cfg.get("Architectures") or ["x86_64"])[0]
        if cfg.get("CodeSha256") != desired["codeSha256"] or arch != desired["architecture"]:
            ctx.progress(f"{what}: uploading code ({desired['_code']})")
            lam.call("update_function_code", what, FunctionName=name, ZipFile=self._code(name, desired),
                     Architectures=[desired["architecture"]])
            lamx.wait_settled(ctx.aws, name)
        variables, markers = self._environment(ctx, desired)
        config: dict[str, Any] = {}
        for key, field in (("Description", "description"), ("Runtime", "runtime"), ("Handler", "handler"),
                           ("MemorySize", "memorySize"), ("Timeout", "timeout"), ("Role", "role")):
            if (cfg.get(key) or ("" if key == "Description" else None)) != desired[field]:
                config[key] = desired[field]
        if ((cfg.get("Environment") or {}).get("Variables") or {}) != variables:
            config["Environment"] = {"Variables": variables}
        if config:
            lamx.retry_role(lambda: lam.call("update_function_configuration", what, FunctionName=name, **config))
            lamx.wait_settled(ctx.aws, name)
        want = {**desired["tags"], **markers}
        to_set, to_remove = policy.tag_changes(policy.normalize_tags(live_tags), want)
        if to_set:
            lam.call("tag_resource", what, Resource=cfg["FunctionArn"], Tags=to_set)
        if to_remove:
            lam.call("untag_resource", what, Resource=cfg["FunctionArn"], TagKeys=to_remove)

    def delete(self, name: str, ctx: ApplyContext) -> None:
        ctx.aws.client("lambda").ignore_missing("delete_function", f"Function/{name}", FunctionName=name)


KIND = FunctionKind()
