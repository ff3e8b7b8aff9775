"""The flow: manifests -> validate -> desired graph -> observe -> diff -> plan -> (apply -> verify)."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import cost, prices, quotas
from reconciler import manifests as mf
from reconciler.apply import Outcome, execute
from reconciler.aws import Aws, has_credentials
from reconciler.checks import run as run_checks
from reconciler.diff import digest
from reconciler.errors import Issue, ManifestError, ReconcileError, UsageError
from reconciler.graph import Graph, build
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import ApplyContext, PlanContext
from reconciler.observe import declared, owned
from reconciler.plan import Plan
from reconciler.planner import plan as make_plan
from reconciler.verify import remaining


@dataclass
class Options:
    profile: str | None = None
    region: str | None = None
    sandbox: bool | None = None  # None: automatic (sandbox when no AWS credentials are configured)
    concurrency: int = 8
    strict: bool = False
    progress: Any = field(default=lambda _msg: None)
    #: one-off messages a user waiting on the command should see (stderr), even when progress is quiet
    notice: Any = field(default=lambda _msg: None)
    #: set (an ExitStack) by commands that change the stack: plan() then takes the stack's lock into it
    locks: Any = None
    lock_timeout: float = 0.0
    lock: Any = None  # the lock held (set by plan() when ``locks`` is given)
    env: str | None = None  # --env: the environment to compose (kind: Environment)


@dataclass
class Target:
    """The AWS account a command works against."""

    aws: Aws
    account: str
    region: str
    sandbox: bool


def load(path: str | Path, strict: bool = False, env: str | None = None,
         command: str = "this command") -> tuple[mf.Manifests, Graph]:
    """Load, validate and lint; ManifestError (every issue at once) before any AWS call."""
    manifests = mf.load(path, env, command)  # schema, limits, references and policy lint: every error at once
    if strict and manifests.warnings:
        raise ManifestError([Issue(i.file, i.line, i.field, i.message) for i in manifests.warnings])
    return manifests, build(manifests)


def manifests_digest(m: mf.Manifests) -> str:
    """Fingerprint of the manifests: each file's path relative to the folder, and its bytes.

    Independent of how the folder was spelled (relative, absolute, trailing slash) and of where the
    checkout lives, so a plan made in one CI job checks out fresh in another.
    """
    base = m.root if m.root.is_dir() else m.root.parent
    base = base.resolve()
    h = hashlib.sha256()
    for rel, f in sorted((f.resolve().relative_to(base).as_posix(), f) for f in m.files):
        h.update(rel.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def use_sandbox(opts: Options) -> bool:
    if opts.sandbox is not None:
        return opts.sandbox
    if os.environ.get("RECONCILE_SANDBOX", "").lower() in ("1", "true", "yes"):
        return True
    if os.environ.get("AWS_ENDPOINT_URL") or opts.profile or os.environ.get("AWS_PROFILE"):
        return False
    return not has_credentials()


def connect(opts: Options, stack: mf.Stack | None = None, region: str | None = None) -> Target:
    """Clients for the account to work on; refuses an account other than Stack.spec.accountId."""
    want_region = region or (stack.spec.region if stack else None)
    if opts.region and want_region and opts.region != want_region:
        raise UsageError(f"--region {opts.region} conflicts with the stack's region {want_region} (Stack spec.region)")
    sandbox = use_sandbox(opts)
    if sandbox:
        from reconciler import sandbox as sb

        st = sb.status()
        if not st.running:
            opts.notice("starting the local sandbox … (kept running between commands; `reconcile sandbox stop` ends it)")
            st = sb.start()
        os.environ.update(sb.environment(st))
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):  # the real account's, not ours
            os.environ.pop(name, None)
        aws = Aws(region=opts.region or want_region or sb.DEFAULT_REGION, endpoint_url=st.url,
                  max_pool=max(10, opts.concurrency * 2))
    else:
        aws = Aws(profile=opts.profile, region=opts.region or want_region or os.environ.get("AWS_REGION"),
                  max_pool=max(10, opts.concurrency * 2))
    account = aws.identity()["Account"]
    if stack and stack.spec.accountId and stack.spec.accountId != account:
        raise ReconcileError(
            f"refusing to run: stack {stack.name!r} is pinned to account {stack.spec.accountId} "
            f"(Stack spec.accountId) but the credentials are for account {account}")
    return Target(aws, account, aws.region, sandbox)


def plan_context(m: mf.Manifests, t: Target) -> PlanContext:
    return PlanContext(stack=m.stack.name, account=t.account, region=t.region, partition=t.aws.partition,
                       resources=m.by_id())


def plan(path: str | Path, opts: Options, command: str = "plan", deletes: bool = False,
         declared_only: bool = True, destroy: bool = False) -> tuple[Plan, Target, mf.Manifests]:
    """Build the plan for ``path``. ``deletes``: delete owned-but-undeclared resources (--prune).

    Owned resources the manifests no longer declare are always read and listed (Plan.orphans);
    ``Stack.spec.prune: true`` makes plan and apply delete them as well.
    """
    m, graph = load(path, opts.strict, opts.env, command)
    t = connect(opts, m.stack)
    if opts.locks is not None:  # before reading anything: what we read must not change under us
        from reconciler.lock import held

        opts.lock = opts.locks.enter_context(held(m.stack, t, opts.lock_timeout, opts.progress))
    ctx = plan_context(m, t)
    ids = [(r.kind, r.name) for r in m.resources]
    desired = {(r.kind, r.name): REGISTRY[r.kind].desired(r, ctx) for r in m.resources}
    opts.progress(f"reading {len(ids)} declared resource(s) from {'the sandbox' if t.sandbox else 'AWS'} …")
    checks = [(r, c) for r in m.resources for c in REGISTRY[r.kind].plan_checks(r, desired[(r.kind, r.name)], ctx)]
    exclude: dict[str, set[str]] = {}
    for r in m.resources if not destroy else []:  # destroy keeps nothing: every owned resource is found
        exclude.setdefault(r.kind, set()).add(r.name)
    runs_instances = declared_only and not destroy and any(REGISTRY[k].fleet(d) for (k, _), d in desired.items())
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="plan-checks") as ex:
        # read-only checks (DescribeSecret, GetRole, ListServiceQuotas) run beside the reads, before any write
        checked = ex.submit(run_checks, t.aws, checks, opts.concurrency) if checks and declared_only and not destroy else None
        quotas_read = ex.submit(quotas.read, t.aws) if runs_instances else None
        live = declared(t.aws, ids, ctx, opts.concurrency)
        extra = owned(t.aws, m.stack.name, ctx, exclude, opts.concurrency)
        failures = checked.result() if checked else []
    for r in m.resources:  # names an older release derived and the live resource still uses
        k = (r.kind, r.name)
        desired[k] = REGISTRY[r.kind].keep_live_names(r, desired[k], live.get(k))
    auto_prune = bool(m.stack.spec.prune) and declared_only and not destroy
    p = make_plan(
        stack=m.stack.name, account=t.account, region=t.region, resources=m.resources,
        layers=graph.layer_of(), edges=graph.edges, desired=desired, live=live, owned=extra,
        command=command, include_declared=declared_only, include_deletes=deletes, auto_prune=auto_prune,
        destroy=destroy,
        sandbox=t.sandbox, manifests_digest=manifests_digest(m), manifests_path=str(path),
        warnings=tuple(str(w) for w in m.warnings), check_failures=failures,
    )
    if m.environment:
        p = p.model_copy(update={"environment": m.environment})
    states = cost.live_states(live, extra)
    over, short = quotas.judge(quotas_read.result(), m.resources, p, states) if quotas_read else ([], [])
    p = p.model_copy(update={"problems": p.problems + tuple(over), "warnings": p.warnings + tuple(short),
                             "costs": cost.estimate(p, states, prices.load())})
    return p, t, m


@dataclass
class Applied:
    outcome: Outcome
    drift: list[str]


def apply(p: Plan, t: Target, opts: Options, stack: str) -> Applied:
    """Execute ``p`` exactly, then verify by re-reading AWS."""
    if p.problems:
        raise ReconcileError("refusing to apply: the plan has problems:\n" +
                             "\n".join(f"  {x.kind}/{x.name}: {x.message}" for x in p.problems))
    ctx = ApplyContext(aws=t.aws, stack=stack, account=t.account, region=t.region, partition=t.aws.partition,
                       progress=opts.progress, options={"lock": opts.lock})
    t.aws.invalidate()  # apply re-reads what it changes as a saved plan's apply does: nothing the plan cached
    outcome = execute(p, ctx, opts.concurrency)
    drift: list[str] = []
    if outcome.done:
        opts.progress("verifying: re-reading what changed …")
        vctx = PlanContext(stack=stack, account=t.account, region=t.region, partition=t.aws.partition)
        drift = remaining(t.aws, outcome.done, vctx, opts.concurrency)
    return Applied(outcome, drift)


def check_fresh(p: Plan, t: Target, opts: Options) -> None:
    """Refuse a saved plan made for another target, or whose manifests or planned-against live state changed.

    Every reason is collected and reported at once; nothing is changed. Checks, in order: the plan's
    format, the target (account, region, sandbox vs AWS, stack), the manifests (same folder, same
    stack, same bytes), then the live state of every planned resource (changed, created or deleted since).
    """
    from reconciler.errors import StalePlanError
    from reconciler.plan import PLAN_FORMAT_VERSION

    if p.format_version != PLAN_FORMAT_VERSION:
        raise StalePlanError(f"the plan has format_version {p.format_version}; this reconcile applies only "
                             f"format_version {PLAN_FORMAT_VERSION} (see docs/plan-format.md). Run `reconcile plan` again.")
    wrong: list[str] = []
    if p.account != t.account:
        wrong.append(f"the plan was made for account {p.account}, the credentials are for account {t.account}")
    if p.region != t.region:
        wrong.append(f"the plan was made for region {p.region}, this run uses region {t.region}")
    if p.sandbox != t.sandbox:
        made, now = ("the sandbox", "AWS") if p.sandbox else ("AWS", "the sandbox")
        wrong.append(f"the plan was made against {made}, this run uses {now}")
    stale: list[str] = []
    if not p.manifests_path:
        stale.append("the plan does not record its manifests, so it cannot be checked against them")
    elif not Path(p.manifests_path).exists():
        stale.append(f"the manifests the plan was made from ({p.manifests_path}) are not there; run apply "
                     "in a checkout of the same commit, from the folder where plan ran")
    else:
        try:
            m = mf.load(p.manifests_path, p.environment)
        except ManifestError:
            stale.append(f"the manifests in {p.manifests_path} changed (and no longer validate)")
        else:
            if m.stack.name != p.stack:
                wrong.append(f"the plan is for stack {p.stack!r}, the manifests in {p.manifests_path} "
                             f"declare stack {m.stack.name!r}")
            if m.stack.spec.region and m.stack.spec.region != p.region:
                wrong.append(f"the plan was made for region {p.region}, stack {m.stack.name!r} is in region "
                             f"{m.stack.spec.region} (Stack spec.region)")
            if m.stack.spec.accountId and m.stack.spec.accountId != t.account:
                wrong.append(f"stack {m.stack.name!r} is pinned to account {m.stack.spec.accountId} "
                             f"(Stack spec.accountId), the credentials are for account {t.account}")
            if manifests_digest(m) != p.manifests_digest:
                stale.append(f"the manifests in {p.manifests_path} changed since the plan was made")
    if wrong:
        raise StalePlanError("refusing to apply the plan to a different target (nothing was changed):\n" +
                             "\n".join(f"  {x}" for x in wrong))
    ctx = PlanContext(stack=p.stack, account=t.account, region=t.region, partition=t.aws.partition)
    opts.progress(f"checking the plan is fresh: re-reading {len(p.steps)} planned resource(s) …")
    live = declared(t.aws, [(s.kind, s.name) for s in p.steps], ctx, opts.concurrency)
    for s in p.steps:
        obs = live[(s.kind, s.name)]
        current = digest(obs.state) if obs is not None else None
        if current == s.live_digest:
            continue
        if s.live_digest is None:
            stale.append(f"{s.id} was created in AWS since the plan was made")
        elif obs is None:
            stale.append(f"{s.id} was deleted from AWS since the plan was made")
        else:
            fields = _fields_changed_since(s, obs)
            stale.append(f"{s.id} changed in AWS since the plan was made"
                         + (f" ({', '.join(fields)})" if fields else ""))
    if stale:
        raise StalePlanError("refusing to apply a stale plan (nothing was changed):\n" +
                             "\n".join(f"  {x}" for x in stale) + "\nRun `reconcile plan` again and review the new plan.")


def _fields_changed_since(step: Any, obs: Any) -> list[str]:
    """Fields whose live value is no longer the one ``step`` was planned against (best effort)."""
    from reconciler.diff import diff

    if step.desired is None:
        return []
    planned = {c.path: c.before for c in step.changes}
    now = {c.path: c.before for c in diff(obs.state, step.desired, REGISTRY[step.kind].replace_fields)}
    missing = object()
    return sorted(k for k in planned.keys() | now.keys() if planned.get(k, missing) != now.get(k, missing))
