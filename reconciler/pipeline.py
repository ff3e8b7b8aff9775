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
from reconciler.aws import DEFAULT_CONCURRENCY, Aws, has_credentials
from reconciler.checks import run as run_checks
from reconciler.errors import Issue, ManifestError, ReconcileError, UsageError
from reconciler.graph import Graph, build
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import ApplyContext, PlanContext
from reconciler.observe import declared, owned, require_complete
from reconciler.plan import Plan, PlanMode
from reconciler.planner import plan as make_plan
from reconciler.verify import remaining


@dataclass
class Options:
    profile: str | None = None
    region: str | None = None
    sandbox: bool | None = None  # None: automatic (sandbox when no AWS credentials are configured)
    concurrency: int = DEFAULT_CONCURRENCY
    strict: bool = False
    progress: Any = field(default=lambda _msg: None)
    #: one-off messages a user waiting on the command should see (stderr), even when progress is quiet
    notice: Any = field(default=lambda _msg: None)
    #: set (an ExitStack) by commands that change the stack: plan() then takes the stack's lock into it
    locks: Any = None
    lock_timeout: float = 0.0
    lock: Any = None  # the lock held (set by plan() when ``locks`` is given)
    env: str | None = None  # --env: the environment to compose (kind: Environment)
    #: the folder this run read the manifests from (set when it loads them): apply builds a Function's code
    #: from the repository holding it
    manifests: str | None = None


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
        if aws.endpoint_url:  # AWS_ENDPOINT_URL: refused at once where nothing answers; the sandbox's says so
            from reconciler import sandbox as sb
            from reconciler.aws.local_endpoint import refuse_if_silent

            refuse_if_silent(aws.endpoint_url)
            sandbox = sb.serves(aws.endpoint_url)
    account = aws.identity()["Account"]
    if stack and stack.spec.accountId and stack.spec.accountId != account:
        raise ReconcileError(
            f"refusing to run: stack {stack.name!r} is pinned to account {stack.spec.accountId} "
            f"(Stack spec.accountId) but the credentials are for account {account}")
    return Target(aws, account, aws.region, sandbox)


def plan_context(m: mf.Manifests, t: Target) -> PlanContext:
    return PlanContext(stack=m.stack.name, account=t.account, region=t.region, partition=t.aws.partition,
                       resources=m.by_id())


def plan(path: str | Path, opts: Options, command: str = "plan", mode: PlanMode = PlanMode.normal,
         prune: bool = False) -> tuple[Plan, Target, mf.Manifests]:
    """Build the plan for ``path`` in ``mode`` (``prune``: normal mode also deletes orphans, as --prune).

    Owned resources the manifests no longer declare are always read and listed (Plan.orphans);
    ``Stack.spec.prune: true`` makes plan and apply delete them as well.
    """
    m, graph = load(path, opts.strict, opts.env, command)
    opts.manifests = str(Path(path).resolve())
    t = connect(opts, m.stack)
    if opts.locks is not None:  # before reading anything: what we read must not change under us
        from reconciler.lock import held

        opts.lock = opts.locks.enter_context(held(m.stack, t, opts.lock_timeout, opts.progress))
    opts.progress(f"reading {len(m.resources)} declared resource(s) from {'the sandbox' if t.sandbox else 'AWS'} …")
    p = derive(m, graph, t, opts, command, mode, prune, manifests_path=str(path))
    from reconciler.freshness import where

    return p.model_copy(update=where(str(path))), t, m


def rederive(p: Plan, m: mf.Manifests, t: Target, opts: Options) -> None:
    """After a prompt: refuse (StalePlanError, nothing changed) when planning again no longer gives ``p``."""
    from reconciler.errors import StalePlanError
    from reconciler.freshness import differences

    opts.progress("checking nothing changed while the plan waited: re-reading …")
    t.aws.invalidate()
    fresh = derive(m, build(m), t, opts, p.command, p.mode, p.prune, p.manifests_path or "")
    found = differences(p, fresh)
    if found:
        raise StalePlanError("refusing to apply: the live state changed while the plan waited for its answer "
                             "(nothing was changed):\n" + "\n".join(f"  {x}" for x in found)
                             + "\nRun the command again and review the new plan.")


def derive(m: mf.Manifests, graph: Graph, t: Target, opts: Options, command: str, mode: PlanMode, prune: bool,
           manifests_path: str) -> Plan:
    """Read the live state and plan: the same function makes a plan and re-derives a saved one."""
    ctx = plan_context(m, t)
    ids = [(r.kind, r.name) for r in m.resources]
    desired = {(r.kind, r.name): REGISTRY[r.kind].desired(r, ctx) for r in m.resources}
    normal = mode == PlanMode.normal
    checks = [(r, c) for r in m.resources for c in REGISTRY[r.kind].plan_checks(r, desired[(r.kind, r.name)], ctx)]
    exclude: dict[str, set[str]] = {}
    for r in m.resources if mode != PlanMode.destroy else []:  # destroy keeps nothing: every owned resource is found
        exclude.setdefault(r.kind, set()).add(r.name)
    runs_instances = normal and any(REGISTRY[k].fleet(d) for (k, _), d in desired.items())
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="plan-checks") as ex:
        # read-only checks (DescribeSecret, GetRole), facts, the instance quotas (ListServiceQuotas) and the orphan
        # scan run beside the reads, before any write (the scan's listings go out at once; what it shares with the
        # reads it waits for, in Aws.cached)
        checked = ex.submit(run_checks, t.aws, checks, opts.concurrency) if checks and normal else None
        facts = ex.submit(_facts, t.aws, [r for r in m.resources if not REGISTRY[r.kind].facts_when_changing],
                          desired, ctx) if normal else None
        quotas_read = ex.submit(quotas.read, t.aws) if runs_instances else None
        scanning = ex.submit(owned, t.aws, m.stack.name, ctx, exclude, opts.concurrency)
        live = declared(t.aws, ids, ctx, opts.concurrency)
        scan = scanning.result()
        failures = checked.result() if checked else []
        known = facts.result() if facts else {}
    for r in m.resources:  # names an older release derived and the live resource still uses
        k = (r.kind, r.name)
        desired[k] = REGISTRY[r.kind].keep_live_names(r, desired[k], live.get(k))
    auto_prune = bool(m.stack.spec.prune) and normal
    if prune or mode != PlanMode.normal or auto_prune:  # a plan that deletes orphans must have seen them all
        require_complete(scan, command)
    extra = scan.found

    def make() -> Plan:
        return make_plan(
            stack=m.stack.name, account=t.account, region=t.region, partition=t.aws.partition,
            resources=m.resources, layers=graph.layer_of(), edges=graph.edges, desired=desired, live=live,
            owned=extra, facts=known, command=command, mode=mode, prune=prune, auto_prune=auto_prune,
            sandbox=t.sandbox, manifests_digest=manifests_digest(m), manifests_path=manifests_path,
            warnings=(*(str(w) for w in m.warnings), *scan.unchecked), check_failures=failures)

    p = make()
    # what a change needs beyond the plain read (a policy's versions, a role's instance profiles): read for the
    # steps that change something, then plan again from the fuller picture (planning is pure and cheap)
    todo = [(s.kind, s.name, s.action.value) for s in p.steps
            if s.action.value in ("update", "replace", "delete")]
    changing = {(s.kind, s.name) for s in p.steps if s.action.value in ("create", "update", "replace")}
    later = [r for r in m.resources if (r.kind, r.name) in changing and REGISTRY[r.kind].facts_when_changing] \
        if normal else []
    if todo:
        extra = _details(t.aws, todo, live, extra, ctx, opts.concurrency)
    if later:
        known.update(_facts(t.aws, later, desired, ctx))
    if todo or later:
        p = make()
    if m.environment:
        p = p.model_copy(update={"environment": m.environment})
    # issue 25: what the instances cost before and after, and whether the account's quotas allow them at their
    # maximum (a quota the plan's changes exceed is a plan problem: apply refuses before any write)
    states = cost.live_states(live, extra)
    over, short = quotas.judge(quotas_read.result(), m.resources, p, states) if quotas_read else ([], [])
    return p.model_copy(update={"problems": p.problems + tuple(over), "warnings": p.warnings + tuple(short),
                                "costs": cost.estimate(p, states, prices.load())})


def _facts(aws: Aws, resources: list[Any], desired: dict[Any, dict[str, Any]], ctx: PlanContext,
           ) -> dict[Any, dict[str, Any]]:
    out = {}
    for r in resources:
        found = REGISTRY[r.kind].plan_facts(aws, r, desired[(r.kind, r.name)], ctx)
        if found:
            out[(r.kind, r.name)] = found
    return out


def _details(aws: Aws, todo: list[tuple[str, str, str]], live: dict[Any, Any], owned_list: list[Any],
             ctx: PlanContext, concurrency: int) -> list[Any]:
    """``live`` (updated in place) and the owned list, with ``Kind.read_details`` for each step of ``todo``."""
    from reconciler.observe import Pools

    pools = Pools(concurrency)
    actions = {(k, n): a for k, n, a in todo}
    by_id = {(o.kind, o.name): o for o in owned_list}

    def one(key: tuple[str, str]) -> Any:
        obs = live.get(key) or by_id.get(key)
        return REGISTRY[key[0]].read_details(aws, obs, actions[key], ctx) if obs is not None else None

    try:
        done = dict(zip(actions, pools.mapper("details")(one, list(actions)), strict=True))
    finally:
        pools.close()
    for key, obs in done.items():
        if obs is not None and live.get(key) is not None:
            live[key] = obs
    return [done.get((o.kind, o.name)) or o for o in owned_list]


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
                       progress=opts.progress, options={"lock": opts.lock, "manifests": opts.manifests})
    t.aws.invalidate()  # apply re-reads what it changes as a saved plan's apply does: nothing the plan cached
    from reconciler import runlog

    runlog.executing(t.aws.run_id, p)
    outcome = execute(p, ctx, opts.concurrency)
    runlog.finished(t.aws.run_id, outcome.ok)
    drift: list[str] = []
    if outcome.done:
        opts.progress("verifying: re-reading what changed …")
        vctx = PlanContext(stack=stack, account=t.account, region=t.region, partition=t.aws.partition)
        drift = remaining(t.aws, outcome.done, vctx, opts.concurrency)
    return Applied(outcome, drift)
