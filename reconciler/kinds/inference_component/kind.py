"""The InferenceComponent kind: identity, static checks, and the entry points the pipeline calls."""

from __future__ import annotations

from typing import Any

from reconciler.errors import Issue, a
from reconciler.kinds import _constraints
from reconciler.kinds._secrets import (
    SECRETISH,
    display_masked,
    environment_checks,
    mask_environment_change,
    role_checks,
)
from reconciler.kinds.base import Check, Kind, Observed, OpContext, PlanContext, Reference, Resource
from reconciler.kinds.endpoint import weights
from reconciler.kinds.endpoint.naming import COMPONENT_NAME, ROLE_ARN
from reconciler.kinds.inference_component import capacity, scaling
from reconciler.kinds.inference_component import operations as ic_ops
from reconciler.kinds.inference_component import state as st
from reconciler.kinds.inference_component.spec import InferenceComponentKindSpec
from reconciler.plan import Operation, Step


class InferenceComponentKind(Kind):
    kind = "InferenceComponent"
    spec_model = InferenceComponentKindSpec
    description = ("One model with its compute and copies on an inference-component-based Endpoint; several "
                   "share the endpoint's instances.")
    name_pattern = COMPONENT_NAME
    name_rule = "1-63 letters, digits and hyphens, starting and ending with a letter or digit"
    replace_fields = frozenset({"endpoint", "failed"})
    apply_only_fields = frozenset({"deployment", "smokeTest", "waitTimeoutSeconds", "_placement"})
    hidden_fields = frozenset({"status", "failed"})
    #: scalable targets on the component that are not this stack's: a warning, never a change
    observed_only_fields = frozenset({"foreignScaling"})
    delete_order = 35  # before its endpoint (Endpoint: 40), which is created before it (a reference)
    long_running = True
    service = "sagemaker"
    plural = "inference components"
    tagged_types = ("sagemaker:inference-component",)
    from reconciler.kinds.inference_component.permissions import (
        permissions,  # IAM needs (reconcile permissions)
    )
    listing_permissions = ("sagemaker:ListInferenceComponents", "sagemaker:ListTags")

    # ---- static ---------------------------------------------------------------------------------
    def check(self, res: Resource) -> list[Issue]:
        from reconciler import images

        issues = []
        if len(res.name) > 63:
            issues.append(res.issue(("metadata", "name"), "at most 63 characters"))
        fam = res.spec.model.image.family()
        if fam:
            problem = images.check_version(*fam)
            if problem:
                issues.append(res.issue(("spec", "model", "image", fam[0], "version"), problem))
        role = res.spec.executionRole
        if role and role.startswith("arn:") and not ROLE_ARN.match(role):
            issues.append(res.issue(("spec", "executionRole"), f"{role!r} is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)"))
        issues += scaling.check(res)
        return issues + _constraints.check(res, issues)

    def check_stack(self, resources: list[Resource]) -> list[Issue]:
        """Components fit their endpoints; ``spec.endpoint`` names an Endpoint (not a resource of another kind,
        nor one whose inline ``inferenceComponent`` already declares its component); a component on an endpoint
        outside DIR names its role; a warning when its weights are in S3 and its declared role may not read them."""
        endpoints = {r.name: r for r in resources if r.kind == "Endpoint"}
        others = {r.name: r for r in resources if r.kind not in ("Endpoint", self.kind)}
        issues = []
        for r in (r for r in resources if r.kind == self.kind):
            ep, other = endpoints.get(r.spec.endpoint), others.get(r.spec.endpoint)
            if ep is None and other is not None:
                issues.append(r.issue(("spec", "endpoint"), f"{r.spec.endpoint!r} is {a(other.kind)} ({other.file}:"
                                                            f"{other.line}), not an Endpoint; give the name of an "
                                                            "inference-component-based Endpoint"))
            elif ep is None and not r.spec.executionRole:
                issues.append(r.issue(("spec", "executionRole"), f"Endpoint/{r.spec.endpoint} is not in the manifests: "
                                      "give executionRole (a Role name or ARN) for the component's model"))
            elif ep is not None and ep.spec.inferenceComponent is not None:
                inline = ep.issue(("spec", "inferenceComponent"), "")
                issues.append(r.issue(("spec", "endpoint"), f"Endpoint/{ep.name} declares its one component inline "
                                      f"(spec.inferenceComponent at {inline.file}:{inline.line}); a component placed on "
                                      "it by an InferenceComponent document as well is ambiguous: move the inline "
                                      "component into an InferenceComponent document (and drop the Endpoint's model "
                                      "and inferenceComponent), or remove this one"))
        return issues + capacity.check(resources) + [i for r in resources if r.kind == self.kind
                                                     for i in weights.lint(r, resources)]

    def lint(self, res: Resource) -> list[Issue]:
        return [res.issue(("spec", "model", "environment", k),
                          f"{k} looks like a secret but is written in the manifest; use {{secretsManager: NAME}}",
                          "warning")
                for k, v in res.spec.model.environment.items() if isinstance(v, str) and v and SECRETISH.search(k)]

    def references(self, res: Resource, names: dict[str, set[str]]) -> list[Reference]:
        refs = []
        if res.spec.endpoint in names.get("Endpoint", set()):
            refs.append(Reference(("spec", "endpoint"), "Endpoint", res.spec.endpoint))
        role = res.spec.executionRole
        if role and not role.startswith("arn:"):
            refs.append(Reference(("spec", "executionRole"), "Role", role))
        return refs

    def arn(self, name: str, spec: Any, ctx: PlanContext) -> str:
        return f"arn:{ctx.partition}:sagemaker:{ctx.region}:{ctx.account}:inference-component/{name.lower()}"

    def desired(self, res: Resource, ctx: PlanContext) -> dict[str, Any]:
        return st.desired(res, ctx)

    def plan_checks(self, res: Resource, desired: dict[str, Any], ctx: PlanContext) -> list[Check]:
        checks = (environment_checks(res.spec.model.environment, ("spec", "model", "environment"))
                  + weights.checks(res.spec.model))
        if res.spec.executionRole:
            checks += role_checks(res, res.spec.executionRole, ("spec", "executionRole"), "sagemaker.amazonaws.com", ctx)
        return checks

    def depends_on_arns(self, state: dict[str, Any]) -> list[str]:
        return [state["executionRole"]] if state.get("executionRole") else []

    def mask_change(self, change: Any) -> Any:
        return mask_environment_change(change)

    def live_comparable(self, live: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any]:
        return scaling.settle(super().live_comparable(live, desired), desired)  # the autoscaler's count: no drift

    def display(self, state: dict[str, Any]) -> dict[str, Any]:
        return display_masked(state, self.apply_only_fields)

    def plan_reason(self, action: str, fields: list[str], state: dict[str, Any] | None,
                    operations: tuple[Operation, ...] = ()) -> str | None:
        if action == "replace":
            why = (f"it is Failed ({(state or {}).get('failed')})" if "failed" in fields else
                   f"it moves to another endpoint ({(state or {}).get('endpoint')})")
            return f"{why}: delete it, wait until gone, create it again (interrupts what it serves)"
        if action != "update":
            return None
        return "; ".join(f"{o.action} {o.target}" + (f" ({o.detail})" if o.detail else "")
                         for o in operations if o.action not in ("AddTags", "Wait")) or None

    def plan_warnings(self, live: dict[str, Any], desired: dict[str, Any]) -> list[str]:
        return list(live.get("foreignScaling") or [])

    def problems(self, live: Observed, action: str, desired: dict[str, Any] | None = None) -> list[str]:
        alarm = live.meta.get("alarmConflict")
        if action == "update" and alarm:
            return [f"the CloudWatch alarm {alarm} that scale to zero needs exists but is not owned by this stack; "
                    "reconcile will not change it. Delete it, or tag it as this stack's to adopt it"]
        return []

    def operations(self, name: str, desired: dict[str, Any] | None, observed: Observed | None,
                   ctx: OpContext) -> list[Operation]:
        return ic_ops.operations(name, desired, observed, ctx)

    def replace_operations(self, name: str, desired: dict[str, Any], observed: Observed,
                           ctx: OpContext) -> list[Operation]:
        return ic_ops.replace(name, desired, observed, ctx)

    def plan_facts(self, aws: Any, res: Resource, desired: dict[str, Any], ctx: PlanContext) -> dict[str, Any]:
        return st.plan_facts(aws, res, desired, ctx)

    def rollback_step(self, aws: Any, endpoint: str, name: str, stack: str, timeout: int,
                      ) -> tuple[Step, list[str], str]:
        """``reconcile rollback ENDPOINT --inference-component NAME``: (the step that puts the component back on
        the model it ran before, lines to show before it, the stack that owns it)."""
        from reconciler.kinds.inference_component import rollback

        lines = rollback.preview(aws, endpoint, name, stack or None)
        s, owner = rollback.step(self, aws, endpoint, name, stack or None, timeout)
        return s, lines, owner

    # ---- read -----------------------------------------------------------------------------------
    def read(self, aws: Any, name: str, ctx: PlanContext) -> Observed | None:
        return st.read(self.kind, self.arn, aws, name, ctx)

    def list_owned(self, aws: Any, stack: str, ctx: PlanContext, exclude: set[str] = frozenset(),  # type: ignore[assignment]
                   tagged: Any = None) -> list[Observed]:
        """Components this stack made (its tags, and the component tag naming it), each read in full. ``tagged``: the
        stack's tagging listing; None: list every component of the account and read its tags."""
        from reconciler import policy
        from reconciler.aws import sagemaker as smx

        if tagged is not None:
            found = [(t.tags.get(st.COMPONENT_TAG) or t.resource, t.tags) for t in tagged.of("sagemaker:inference-component")]
        else:
            sm = aws.client("sagemaker")
            listed = [ic for ic in sm.paginate("list_inference_components", "InferenceComponents")
                      if ic["InferenceComponentName"] not in exclude]
            found = [(ic["InferenceComponentName"], smx.tags_of(sm, ic["InferenceComponentArn"],
                                                                f"InferenceComponent/{ic['InferenceComponentName']}"))
                     for ic in listed]
        out = []
        for n, tags in found:
            if n not in exclude and policy.owner_of(tags) == stack and tags.get(st.COMPONENT_TAG) == n:
                obs = self.read(aws, n, ctx)
                if obs:
                    out.append(obs)
        return out

KIND = InferenceComponentKind()

__all__ = ["KIND", "InferenceComponentKind"]
