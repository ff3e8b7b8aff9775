"""The write audit (DESIGN.md house rule 12): every AWS write a command made, checked against its plan.

The sandbox records every mutating call it answered (reconciler/sandbox/audit.py, ``GET
/reconcile-sandbox/audit?since=N``). ``check(plan, writes)`` maps each write to the plan step it
belongs to and returns the violations:

- ``unplanned``: a write to something no changing step of the plan lists;
- ``noop-wrote``: a write that belongs only to a step planned as no-op;
- ``not-in-operations``: a step that lists its AWS operations (``Step.operations``) made another one;
- ``action-not-planned``: a create or update step that deleted its own resource (a replace the plan
  did not show), or a delete step that created it;
- ``beyond-changes``: a step whose planned changes are only tags (an adoption of a resource that already
  matches) made a write other than tagging;
- ``step-without-writes``: a planned create/update/replace/delete made no write at all (checked only
  when the command succeeded: a failed apply stops before its later steps).

A write belongs to a step by the resource it names, its own or a child the kind manages:

- Role: its inline policies, attached policies, instance profiles, tags (``RoleName``);
  User: its policies, login profile, access keys, tags (``UserName``) and the Secrets Manager secret that
  stores its key (the ``secretsManager:NAME`` store in the step); Policy: its versions and tags
  (``PolicyArn``, ``PolicyName``); OidcProvider: its client ids, thumbprints, tags.
- Endpoint: its models and endpoint configs (tagged ``reconciler:endpoint = NAME`` when created, named
  ``<endpoint>-<10 hex>``), its inference components (named ``<endpoint>-ic``, the spec's name, or
  derived), its tags, its scaling targets, policies and scheduled actions (``ResourceId``), its alarm
  (``AlarmName`` ``reconciler-scale-from-zero-<component>``; any other alarm belongs to no step);
  InferenceComponent: its component, models and tags.
- Function: its code, configuration, tags, permissions (``FunctionName``); HttpApi: its routes,
  integrations, stage, CORS and the Lambda permissions it adds (``StatementId`` ``reconcile-<api id>-…``).
- The stack lock's DynamoDB item (``LockID``) belongs to the run, not to a step.
- A failed command may delete what it created itself in the same run (cleanup after a failed rollout),
  and remove tags it wrote itself in the same run (the endpoint's rollback record put back).

This module knows AWS's naming and reconcile's documented naming rules; it imports nothing from
reconcile's kinds, so a misunderstanding there cannot hide here.
"""

from __future__ import annotations

import json
import re
import urllib.request
from dataclasses import dataclass, field
from typing import Any

AUDIT_ROUTE = "/reconcile-sandbox/audit"
HASH = r"[0-9a-f]{10}"
ENDPOINT_TAG = "reconciler:endpoint"


@dataclass(frozen=True)
class Violation:
    code: str  # unplanned | noop-wrote | not-in-operations | action-not-planned | beyond-changes | step-without-writes
    message: str
    record: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def fetch(url: str, since: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The sandbox's records after ``since`` and the sequence number to ask from next time."""
    with urllib.request.urlopen(f"{url}{AUDIT_ROUTE}?since={since}", timeout=30) as r:
        data = json.load(r)
    return data["records"], int(data["next"])


def describe(rec: dict[str, Any]) -> str:
    ids = ", ".join(f"{k}={v}" for k, v in rec.get("ids", {}).items())
    status = rec.get("status")
    return f"#{rec.get('seq')} {rec.get('service')}:{rec.get('operation')}({ids}) -> {status}"


# --------------------------------------------------------------------------------------------------
# names the records teach (AWS-chosen ids, tags set at create)


@dataclass
class Knowledge:
    """What earlier records say: HTTP API id -> name, SageMaker child name -> endpoint (from its tags)."""

    api_names: dict[str, str] = field(default_factory=dict)
    endpoint_of: dict[str, str] = field(default_factory=dict)

    def learn(self, records: list[dict[str, Any]]) -> None:
        for rec in records:
            ids, answer, tags = rec.get("ids", {}), rec.get("answer", {}), rec.get("tags", {})
            if rec.get("operation") == "CreateApi" and answer.get("ApiId"):
                self.api_names[answer["ApiId"]] = str(ids.get("Name") or answer.get("Name"))
            if ENDPOINT_TAG in tags:
                for key in ("ModelName", "EndpointConfigName", "InferenceComponentName"):
                    if key in ids:
                        self.endpoint_of[str(ids[key]).lower()] = tags[ENDPOINT_TAG]


# --------------------------------------------------------------------------------------------------
# a write -> the resources it touches, as (kind, name) candidates


def _arn_resource(arn: str) -> tuple[str, str, str]:
    """(service, resource type, resource name) of an ARN (name may hold '/' for IAM paths)."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "", "", arn
    service, resource = parts[2], parts[5]
    if service == "lambda":  # function:NAME[:qualifier]
        bits = resource.split(":")
        return service, bits[0], bits[1] if len(bits) > 1 else ""
    if service == "secretsmanager":  # secret:NAME-6chars
        name = resource.split(":", 1)[1] if ":" in resource else resource
        return service, "secret", re.sub(r"-[A-Za-z0-9]{6}$", "", name)
    if service == "apigateway":  # /apis/ID[/stages/…]
        m = re.match(r"/apis/([^/]+)", resource)
        return service, "apis", m.group(1) if m else resource
    kind, _, name = resource.partition("/")
    return service, kind, name


def _function_name(value: str) -> str:
    if value.startswith("arn:"):
        return _arn_resource(value)[2]
    return value.split(":")[0]


def candidates(rec: dict[str, Any], know: Knowledge) -> tuple[list[tuple[str, str]], list[str]]:
    """The (kind, name) of every resource a write may belong to, and SageMaker child names to match by rule."""
    ids: dict[str, Any] = rec.get("ids", {})
    tags: dict[str, str] = rec.get("tags", {})
    service, op = rec.get("service", ""), rec.get("operation", "")
    out: list[tuple[str, str]] = []
    children: list[str] = []
    if service == "iam":
        if "RoleName" in ids:
            out.append(("Role", ids["RoleName"]))
        if "UserName" in ids:
            out.append(("User", ids["UserName"]))
        if not out and "PolicyArn" in ids:
            out.append(("Policy", str(ids["PolicyArn"]).rsplit("/", 1)[-1]))
        if not out and "PolicyName" in ids and op == "CreatePolicy":
            out.append(("Policy", ids["PolicyName"]))
        if "OpenIDConnectProviderArn" in ids:
            out.append(("OidcProvider", str(ids["OpenIDConnectProviderArn"]).split(":oidc-provider/", 1)[-1]))
        if "Url" in ids:
            out.append(("OidcProvider", re.sub(r"^https://", "", str(ids["Url"]))))
    elif service == "sagemaker":
        if "ResourceArn" in ids:
            _s, rtype, rname = _arn_resource(str(ids["ResourceArn"]))
            ids = {**ids, {"endpoint": "EndpointName", "model": "ModelName", "endpoint-config": "EndpointConfigName",
                           "inference-component": "InferenceComponentName"}.get(rtype, "Other"): rname}
        if tags.get(ENDPOINT_TAG):
            out.append(("Endpoint", tags[ENDPOINT_TAG]))
        if "EndpointName" in ids:
            out.append(("Endpoint", ids["EndpointName"]))
        for key in ("InferenceComponentName", "ModelName", "EndpointConfigName"):
            if key in ids:
                name = str(ids[key])
                if key == "InferenceComponentName":
                    out.append(("InferenceComponent", name))
                if name.lower() in know.endpoint_of:
                    out.append(("Endpoint", know.endpoint_of[name.lower()]))
                children.append(name)
    elif service == "application-autoscaling":
        rid = str(ids.get("ResourceId", ""))
        m = re.match(r"endpoint/([^/]+)/variant/", rid)
        if m:
            out.append(("Endpoint", m.group(1)))
        m = re.match(r"inference-component/(.+)$", rid)
        if m:
            out.append(("InferenceComponent", m.group(1)))
            children.append(m.group(1))
    elif service == "cloudwatch":  # AlarmName, or AlarmNames (a list; the query protocol flattens it)
        for m in (re.fullmatch(r"reconciler-scale-from-zero-(.+)", str(v)) for k, v in ids.items() for v in
                  (v if isinstance(v, list) else [v]) if k.startswith("AlarmName")):
            if m:
                out.append(("InferenceComponent", m.group(1)))
                children.append(m.group(1))
    elif service == "lambda":
        name = ids.get("FunctionName") or (_arn_resource(str(ids["Resource"]))[2] if "Resource" in ids else None)
        if name:
            out.append(("Function", _function_name(str(name))))
        sid = str(ids.get("StatementId", ""))
        m = re.match(r"reconcile-([^-]+)-", sid)
        if m:
            out.append(("HttpApi", know.api_names.get(m.group(1), f"(api {m.group(1)})")))
    elif service in ("apigatewayv2", "apigateway"):
        api = ids.get("ApiId") or (_arn_resource(str(ids["ResourceArn"]))[2] if "ResourceArn" in ids else None)
        if api:
            out.append(("HttpApi", know.api_names.get(str(api), f"(api {api})")))
        elif op == "CreateApi" and "Name" in ids:
            out.append(("HttpApi", ids["Name"]))
    elif service == "secretsmanager":
        sid = str(ids.get("SecretId") or ids.get("Name") or "")
        if sid.startswith("arn:"):
            sid = _arn_resource(sid)[2]
        out.append(("secret", sid))
    return out, children


# --------------------------------------------------------------------------------------------------
# plan steps -> what they own


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _secrets_of(step: dict[str, Any]) -> set[str]:
    """Secrets Manager secrets a User step writes: its access-key store, desired or live (a delete)."""
    values = _strings(step.get("desired"))
    for c in step.get("changes") or ():
        values += _strings(c.get("before")) + _strings(c.get("after"))
    return {v.split(":", 1)[1] for v in values if v.startswith("secretsManager:")}


def _endpoint_prefix(endpoint: str) -> str:
    return endpoint[:52].rstrip("-")


def _owns_child(step: dict[str, Any], child: str) -> bool:
    """An Endpoint/InferenceComponent step owns ``<name>-<hash>`` children and its inference component."""
    name = step["name"]
    low = child.lower()
    if re.fullmatch(re.escape(_endpoint_prefix(name).lower()) + "-" + HASH, low):
        return True
    if step["kind"] == "Endpoint":
        desired = step.get("desired") or {}
        ic = (desired.get("inferenceComponent") or {}).get("name") if isinstance(desired, dict) else None
        base = name[:60].rstrip("-").lower()
        if low in {base if base.endswith("-ic") else f"{base}-ic", str(ic or "").lower()}:
            return True
    return False


# The call that deletes / creates the resource of a step itself (not one of its children).
OWN = {"Role": ("CreateRole", "DeleteRole"), "User": ("CreateUser", "DeleteUser"),
       "Policy": ("CreatePolicy", "DeletePolicy"), "Endpoint": ("CreateEndpoint", "DeleteEndpoint"),
       "Function": ("CreateFunction", "DeleteFunction"), "HttpApi": ("CreateApi", "DeleteApi"),
       "OidcProvider": ("CreateOpenIDConnectProvider", "DeleteOpenIDConnectProvider"),
       "InferenceComponent": ("CreateInferenceComponent", "DeleteInferenceComponent")}


def _undoes(step: dict[str, Any], rec: dict[str, Any], know: Knowledge) -> bool:
    """A create or update step that deletes its own resource (a replace the plan did not show), or a delete
    step that creates it."""
    ops = OWN.get(step["kind"])
    if not ops or (step["kind"], step["name"]) not in candidates(rec, know)[0]:
        return False
    create, delete = ops
    if step["action"] in ("create", "update"):
        return rec["operation"] == delete
    return step["action"] == "delete" and rec["operation"] == create


TAG_OPERATION = re.compile(r"^(Tag|Untag|AddTags|DeleteTags|RemoveTags)")


def _tags_only(step: dict[str, Any]) -> bool:
    """An update whose every field change is a tag (adoption of a resource that already matches)."""
    changes = step.get("changes") or ()
    return step.get("action") == "update" and bool(changes) and all(
        c.get("path") == "tags" or str(c.get("path", "")).startswith("tags.") for c in changes)


def _operation_names(step: dict[str, Any]) -> set[str] | None:
    """The AWS operations a step lists (``Step.operations``), as CamelCase names; None when it lists none."""
    ops = step.get("operations")
    if not ops:
        return None
    names = set()
    for op in ops:
        raw = op if isinstance(op, str) else (op.get("operation") or op.get("action") or op.get("name") or "")
        raw = str(raw).split(":")[-1]
        names.add("".join(p[:1].upper() + p[1:] for p in raw.split("_")) if "_" in raw else raw)
    return names


def owning_steps(rec: dict[str, Any], steps: list[dict[str, Any]], know: Knowledge) -> list[dict[str, Any]]:
    """The plan steps (any action) that ``rec`` belongs to."""
    found, children = candidates(rec, know)
    by_id = {(s["kind"], s["name"]): s for s in steps}
    out = [by_id[c] for c in found if c in by_id]
    for kind, name in found:
        if kind == "secret":
            out += [s for s in steps if s["kind"] == "User" and name in _secrets_of(s)]
    for child in children:
        out += [s for s in steps if s["kind"] in ("Endpoint", "InferenceComponent") and _owns_child(s, child)]
    named = {str(v).lower() for v in rec.get("ids", {}).values() if isinstance(v, str)}
    out += [s for s in steps if any(isinstance(o, dict) and str(o.get("target", "")).lower() in named
                                    for o in s.get("operations") or ())]  # a target the plan names
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for s in out:
        unique[(s["kind"], s["name"])] = s
    return list(unique.values())


def is_lock(rec: dict[str, Any]) -> bool:
    return rec.get("service") == "dynamodb" and "LockID" in rec.get("ids", {})


def check(plan: dict[str, Any] | None, writes: list[dict[str, Any]], *, succeeded: bool,
          know: Knowledge | None = None) -> list[Violation]:
    """Violations of ``writes`` (the records of one command, writes only) against the ``plan`` it executed.

    ``plan`` None: the command executed no plan (nothing to change), so it may write nothing but its lock.
    """
    know = know or Knowledge()
    know.learn(writes)
    steps = list((plan or {}).get("steps") or ())
    violations: list[Violation] = []
    wrote: set[tuple[str, str]] = set()
    created: set[str] = set()
    tagged: set[str] = set()
    for rec in writes:
        if rec.get("class") != "write" or is_lock(rec):
            continue
        names = {str(v).lower() for k, v in rec.get("ids", {}).items() if k.endswith("Name")}
        arns = {str(v).lower() for k, v in rec.get("ids", {}).items() if k.endswith("Arn")}
        if rec["operation"].startswith("Create") and rec.get("status", 0) < 300:
            created |= names
        elif not succeeded and rec["operation"].startswith("Delete") and names and names <= created:
            continue  # a failed command cleaning up what it created itself leaves AWS as it found it
        if rec["operation"] in ("AddTags", "TagResource") and rec.get("status", 0) < 300:
            tagged |= arns
        elif not succeeded and rec["operation"] in ("DeleteTags", "UntagResource") and arns and arns <= tagged:
            continue  # a failed command putting back the tags it wrote itself (the endpoint's rollback record)
        owners = owning_steps(rec, steps, know)
        changing = [s for s in owners if s["action"] != "noop"]
        if not owners:
            listed = "; ".join(f"{s['kind']}/{s['name']} ({s['action']})" for s in steps) or "no step"
            violations.append(Violation("unplanned", f"{describe(rec)} touches nothing the plan lists "
                                                     f"(plan: {listed})", rec))
            continue
        if not changing:
            violations.append(Violation("noop-wrote", f"{describe(rec)} belongs to "
                                        + ", ".join(f"{s['kind']}/{s['name']}" for s in owners)
                                        + ", planned as no-op", rec))
            continue
        for s in changing:
            wrote.add((s["kind"], s["name"]))
        hidden = [s for s in changing if _undoes(s, rec, know)]
        if hidden:
            violations.append(Violation("action-not-planned", f"{describe(rec)} under "
                                        + ", ".join(f"{s['kind']}/{s['name']} (planned: {s['action']})"
                                                    for s in hidden), rec))
            continue
        if all(_tags_only(s) for s in changing) and not TAG_OPERATION.match(rec["operation"]):
            violations.append(Violation("beyond-changes", f"{describe(rec)} belongs to "
                                        + ", ".join(f"{s['kind']}/{s['name']}" for s in changing)
                                        + ", whose plan changes only tags", rec))
            continue
        allowed = [_operation_names(s) for s in changing]
        if all(a is not None for a in allowed) and not any(rec["operation"] in a for a in allowed if a):
            violations.append(Violation("not-in-operations", f"{describe(rec)} is not among the operations "
                                        + "; ".join(f"{s['kind']}/{s['name']}: {sorted(a or ())}"
                                                    for s, a in zip(changing, allowed, strict=True)), rec))
    if succeeded:
        for s in steps:
            # (a step that only waits for a change in flight: no AWS call of its own)
            waits_only = s["kind"] in ("Endpoint", "InferenceComponent") and all(
                o.get("action", "").startswith("Wait") for o in s.get("operations") or ())
            if s["action"] != "noop" and (s["kind"], s["name"]) not in wrote and not waits_only:
                violations.append(Violation("step-without-writes",
                                            f"{s['kind']}/{s['name']} was planned to {s['action']} "
                                            "but the sandbox recorded no write for it"))
    return violations


def rollback_violations(argv: list[str], writes: list[dict[str, Any]]) -> list[Violation]:
    """``rollback ENDPOINT [--inference-component NAME]`` may write only to that endpoint (or component)."""
    _command_name, positional = _command(tuple(argv))
    component = _option(tuple(argv), "--inference-component")
    allowed = [("InferenceComponent", component)] if component else [("Endpoint", positional[0] if positional else "")]
    return check_only(writes, allowed)


def check_only(writes: list[dict[str, Any]], allowed: list[tuple[str, str]],
               know: Knowledge | None = None) -> list[Violation]:
    """Violations of a command that executes no plan but may write to ``allowed`` resources (e.g. rollback)."""
    steps = [{"kind": k, "name": n, "action": "update"} for k, n in allowed]
    return check({"steps": steps}, writes, succeeded=False, know=know)


# --------------------------------------------------------------------------------------------------
# the `cli` fixture's side: one audit per reconcile command


COMMANDS = {"validate", "plan", "apply", "prune", "destroy", "invoke", "rollback", "call-api", "import", "render",
            "schema", "sandbox", "force-unlock", "init"}
PLAN_DRIVEN = {"apply", "prune", "destroy"}
VALUE_OPTIONS = {"--profile", "--region", "--concurrency", "--env", "-f", "--manifests", "--out", "--format",
                 "--lock-timeout", "--stack", "--prompt", "--json", "--inference-component"}


def _option(args: tuple[str, ...], name: str) -> str | None:
    """The value of option ``name`` in ``args`` (``--name VALUE`` or ``--name=VALUE``)."""
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def _command(args: tuple[str, ...]) -> tuple[str | None, list[str]]:
    """The reconcile command in ``args`` and its positional arguments."""
    command, positional, skip = None, [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a.startswith("-"):
            skip = a in VALUE_OPTIONS
            continue
        if command is None and a in COMMANDS:
            command = a
        elif command is not None:
            positional.append(a)
    return command, positional
