"""The Endpoint kind: its identity, static checks, and the entry points the pipeline calls.

The work is done in this package's modules: ``state`` (desired/observed state, plan wording),
``operations`` (every call and wait a change makes, with its request, decided at plan time by content;
apply runs exactly them), ``requests`` (the calls as data), ``content`` (derived names), ``autoscaling``
(with ``scale_to_zero`` and ``schedule``), ``leftovers`` (owned parts), ``adopted``, ``ownership``, and
``rollback`` (the plan of ``reconcile rollback``).
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import Issue
from reconciler.kinds._secrets import (
    SECRETISH,
    SecretRef,
    display_masked,
    environment_checks,
    mask_environment_change,
    role_checks,
)
from reconciler.kinds.base import Check, Fleet, Kind, Observed, OpContext, PlanContext, Reference, Resource
from reconciler.kinds.endpoint import autoscaling as scaling
from reconciler.kinds.endpoint import leftovers, ownership, rollback, weights
from reconciler.kinds.endpoint import operations as endpoint_ops
from reconciler.kinds.endpoint import state as observed
from reconciler.kinds.endpoint.naming import (
    APPLY_ONLY,
    ENDPOINT_NAME,
    ROLE_ARN,
    default_ic_name,
    legacy_ic_name,
)
from reconciler.kinds.endpoint.spec import EndpointSpec
from reconciler.plan import Operation, Step


class EndpointKind(Kind):
    kind = "Endpoint"
    spec_model = EndpointSpec
    description = ("A SageMaker real-time endpoint serving an LLM, with its model, endpoint config and (for "
                   "inference-component-based endpoints) inference component.")
    name_pattern = ENDPOINT_NAME
    name_rule = "1-63 letters, digits and hyphens, starting and ending with a letter or digit"
    replace_fields = frozenset({"type", "failed"})
    apply_only_fields = APPLY_ONLY
    hidden_fields = frozenset({"status", "failed", "leftovers", "inferenceComponent.status"})
    #: models and configs the endpoint runs that another stack (or endpoint) owns, scalable targets on it that
    #: are not this stack's: warnings, never changes
    observed_only_fields = frozenset({"foreignParts", "foreignScaling", "secretNotes"})
    delete_order = 40  # before the execution role (Role: 80)
    long_running = True  # apply waits for many endpoints together, beside --concurrency busy steps
    service = "sagemaker"
    plural = "endpoints"
    tagged_types = ("sagemaker:endpoint", "sagemaker:endpoint-config", "sagemaker:model")
    from reconciler.kinds.endpoint.permissions import permissions  # IAM needs (reconcile permissions)
    listing_permissions = ("sagemaker:ListEndpoints", "sagemaker:ListTags", "sagemaker:ListEndpointConfigs",
                           "sagemaker:ListModels")

    # ---- static ---------------------------------------------------------------------------------
    def check(self, res: Resource) -> list[Issue]:
        from reconciler import images

        spec: EndpointSpec = res.spec
        issues = []
        fam = spec.model.image.family() if spec.model else None
        if fam:
            problem = images.check_version(*fam)
            if problem:
                issues.append(res.issue(("spec", "model", "image", fam[0], "version"), problem))
        role = spec.executionRole
        if role.startswith("arn:") and not ROLE_ARN.match(role):
            issues.append(res.issue(("spec", "executionRole"), f"{role!r} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)"))
        secrets = sum(1 for v in (spec.model.environment if spec.model else {}).values() if isinstance(v, SecretRef))
        if len(res.tags) + 4 + secrets > 50:
            issues.append(res.issue(("metadata", "tags"), f"{len(res.tags)} tags plus reconcile's 4 and one per secret "
                                                          f"({secrets}) exceed AWS's 50 tags per model"))
        ic = spec.inferenceComponent
        if ic and ic.maxMemoryMb is not None and ic.maxMemoryMb < ic.memoryMb:
            issues.append(res.issue(("spec", "inferenceComponent", "maxMemoryMb"), "must be at least memoryMb"))
        from reconciler.kinds import _constraints  # API parameters vs botocore's model, instance fit
        from reconciler.kinds.endpoint.naming import derived_name, ic_name

        issues += scaling.check(res)
        return issues + _constraints.check(res, issues, derived=_constraints.endpoint_names(derived_name, ic_name))

    def check_all(self, resources: list[Resource]) -> list[Issue]:
        """Inference component names (given, or derived from the endpoint name) are unique per account and
        region, and SageMaker compares them case-insensitively: two endpoints in DIR never share one."""
        issues, seen = [], {}
        for r in resources:
            if r.spec.inferenceComponent is None:
                continue
            n = r.spec.inferenceComponent.name or default_ic_name(r.name)
            first = seen.setdefault(n.lower(), r)
            if first is not r:
                issues.append(r.issue(("spec", "inferenceComponent", "name"), (
                    f"inference component name {n!r} is also Endpoint/{first.name}'s ({first.file}:{first.line}); "
                    "inference component names are unique per account and region: set spec.inferenceComponent.name")))
        return issues

    def check_stack(self, resources: list[Resource]) -> list[Issue]:
        """A warning when a model's weights are in S3 and its declared execution role may not read them."""
        return [i for r in resources if r.kind == self.kind for i in weights.lint(r, resources)]

    def lint(self, res: Resource) -> list[Issue]:
        out = scaling.lint(res)
        for key, value in (res.spec.model.environment if res.spec.model else {}).items():
            if isinstance(value, str) and value and SECRETISH.search(key):
                out.append(res.issue(("spec", "model", "environment", key),
                                     f"{key} looks like a secret but is written in the manifest; use "
                                     "{secretsManager: NAME} so it stays out of git, plans and logs", "warning"))
        return out

    def references(self, res: Resource, names: dict[str, set[str]]) -> list[Reference]:
        role = res.spec.executionRole
        if role.startswith("arn:"):
            return []
        return [Reference(("spec", "executionRole"), "Role", role)]

    def arn(self, name: str, spec: Any, ctx: PlanContext) -> str:
        return f"arn:{ctx.partition}:sagemaker:{ctx.region}:{ctx.account}:endpoint/{name.lower()}"

    def desired(self, res: Resource, ctx: PlanContext) -> dict[str, Any]:
        return observed.desired(res, ctx)

    def fleet(self, state: dict[str, Any]) -> Fleet | None:
        return observed.fleet(state)

    def plan_checks(self, res: Resource, desired: dict[str, Any], ctx: PlanContext) -> list[Check]:
        """Before any write: the model's secrets and S3 weights exist; an executionRole ARN exists and trusts
        SageMaker."""
        return (environment_checks(res.spec.model.environment if res.spec.model else {}, ("spec", "model", "environment"))
                + weights.checks(res.spec.model)
                + role_checks(res, res.spec.executionRole, ("spec", "executionRole"), "sagemaker.amazonaws.com", ctx))

    def keep_live_names(self, res: Resource, desired: dict[str, Any], live: Observed | None) -> dict[str, Any]:
        """A component named by an older release's default (``legacy_ic_name``) stays under that name while
        the manifest names none: renaming it would replace a serving component for nothing."""
        ic, spec_ic = desired.get("inferenceComponent"), getattr(res.spec, "inferenceComponent", None)
        live_ic = (live.state.get("inferenceComponent") or {}) if live is not None else {}
        legacy = legacy_ic_name(res.name)
        if ic is None or spec_ic is None or spec_ic.name or live_ic.get("name") != legacy or ic["name"] == legacy:
            return desired
        return {**desired, "inferenceComponent": {**ic, "name": legacy}}

    def live_comparable(self, live: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
        return scaling.comparable(super().live_comparable({"untaggedParts": [], "plainTextSecrets": [], **live}, desired),
                                  desired)

    def plan_warnings(self, live: dict[str, Any], desired: dict[str, Any]) -> list[str]:
        return [f"runs {p}: not this stack's, so reconcile neither tags nor deletes it (destroy leaves it behind)"
                for p in live.get("foreignParts") or []] + list(live.get("foreignScaling") or []) + list(
            live.get("secretNotes") or [])

    def depends_on_arns(self, state: dict[str, Any]) -> list[str]:
        return [state["executionRole"]] if state.get("executionRole") else []

    def mask_change(self, change: Any) -> Any:
        return mask_environment_change(change)

    def display(self, state: dict[str, Any]) -> dict[str, Any]:
        return display_masked(state, self.apply_only_fields)

    def plan_reason(self, action: str, fields: list[str], state: dict[str, Any] | None,
                    operations: tuple[Operation, ...] = ()) -> str | None:
        return scaling.plan_reason(fields, state, observed.plan_reason(action, fields, state, operations))

    def operations(self, name: str, desired: dict[str, Any] | None, observed: Observed | None,
                   ctx: OpContext) -> list[Operation]:
        return endpoint_ops.operations(name, desired, observed, ctx)

    def replace_operations(self, name: str, desired: dict[str, Any], observed: Observed,
                           ctx: OpContext) -> list[Operation]:
        return endpoint_ops.replace(name, desired, observed, ctx)

    def plan_facts(self, aws: Any, res: Resource, desired: dict[str, Any], ctx: PlanContext) -> dict[str, Any]:
        """The versions of the secrets the model reads (they name it), this endpoint's models and configs (a
        create or replace uses one that exists, never makes it twice), and the derived names it wants that
        exist but are not its own (refused: never used)."""
        return observed.plan_facts(aws, res, desired, ctx)

    def owned_by_others(self, live: Observed, stack: str) -> dict[str, str]:
        return dict(live.meta.get("othersParts") or {})

    def problems(self, live: Observed, action: str, desired: dict[str, Any] | None = None) -> list[str]:
        out = []
        foreign = live.meta.get("foreignComponents") or []
        if action in ("replace", "delete") and foreign:
            out.append(ownership.foreign_components_problem(live.name, foreign))
        alarm = live.meta.get("alarmConflict")
        if action == "update" and alarm:
            out.append(f"the CloudWatch alarm {alarm} that scale to zero needs exists but is not owned by this stack; "
                       "reconcile will not change it. Delete it, or tag it as this stack's to adopt it")
        taken = live.meta.get("componentConflict")
        if action in ("update", "replace") and taken:
            out.append(f"its inference component {taken} exists on the endpoint but is not owned by this stack; "
                       "reconcile will not change it. Set spec.inferenceComponent.name to another name, or "
                       "delete that component")
        return out

    def rollback_step(self, aws: Any, name: str, stack: str, where: tuple[str, str, str], timeout: int,
                      ) -> tuple[Step, list[str], str]:
        """``reconcile rollback``: (the step that puts the endpoint back on what it ran before, lines to show
        before it, the stack that owns it). AwsError/ConflictError, nothing written, when it cannot."""
        from reconciler.invoke import where as searched

        obs, prev = rollback.read(self, aws, name, stack, where)
        ctx = OpContext(stack=prev["owner"], account=where[0], region=where[1], partition=where[2])
        head = f"Rolling back Endpoint/{name} ({searched(aws)}, status {obs.state.get('status')}):"
        return rollback.step(self, obs, prev, ctx, timeout), [head], prev["owner"]

    # ---- read -----------------------------------------------------------------------------------
    def read(self, aws: Any, name: str, ctx: PlanContext) -> Observed | None:
        return observed.read(self, aws, name, ctx)

    def list_owned(self, aws: Any, stack: str, ctx: PlanContext, exclude: set[str] = frozenset(),  # type: ignore[assignment]
                   tagged: Any = None) -> list[Observed]:
        return leftovers.list_owned(self, aws, stack, ctx, exclude, tagged)


KIND = EndpointKind()
