"""The benchmark: reconcile (as a subprocess, like a user runs it) against moto behind a latency proxy.

    .venv/bin/python -m benchmarks            # full run (~15 min on 2 shared cores)
    .venv/bin/python -m benchmarks --quick    # N up to 1000, no 30 s endpoint waits (~5 min)
    .venv/bin/python -m benchmarks --help

Results: benchmarks/results/<time>.json, latest.json, summary.md, scaling.png (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks import chart, stack, terraform
from benchmarks.proxy import Proxy
from benchmarks.report import figures, report

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PY = sys.executable
#: the last release users run (as tests/e2e/test_upgrade.py): the default "before" of every run
RELEASE = "1d8072ad2d6f5ed62ba9345319ff861dfd57a4a3"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load() -> str:
    a, b, c = os.getloadavg()
    return f"{a:.2f} {b:.2f} {c:.2f}"


class Moto:
    """The sandbox's moto server (with reconcile's SageMaker extensions) on a free loopback port."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / "moto.log", "wb")
        env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}
        self.proc = subprocess.Popen([PY, "-m", "reconciler.sandbox.server", "--port", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                     cwd=ROOT)
        from reconciler.sandbox import _ping

        deadline = time.monotonic() + 90
        while not _ping(self.port, 0.5):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"moto server did not start (see {self.log.name})")
            time.sleep(0.1)
        self.warm()

    #: one read per service reconcile calls: moto imports a service's backend on its first request (~1.5 s for
    #: IAM, STS and the tagging API together), which would otherwise be charged to whichever tool runs first
    WARM = (("iam", "list_roles"), ("sts", "get_caller_identity"), ("resourcegroupstaggingapi", "get_resources"),
            ("sagemaker", "list_endpoints"), ("lambda", "list_functions"), ("apigatewayv2", "get_apis"),
            ("secretsmanager", "list_secrets"), ("application-autoscaling", "describe_scalable_targets"),
            ("service-quotas", "list_service_quotas"))

    def warm(self) -> None:
        import botocore.session
        from botocore.config import Config

        session = botocore.session.Session()
        for service, op in self.WARM:
            client = session.create_client(service, region_name="us-east-1", endpoint_url=self.url,
                                           aws_access_key_id="bench", aws_secret_access_key="bench",
                                           config=Config(retries={"max_attempts": 1}))
            args = {"application-autoscaling": {"ServiceNamespace": "sagemaker"},
                    "service-quotas": {"ServiceCode": "sagemaker"}}.get(service, {})
            try:
                getattr(client, op)(**args)
            except Exception as e:  # noqa: BLE001 (a service the sandbox does not serve is warmed by nothing)
                print(f"  (warming {service}: {type(e).__name__})", flush=True)

    def post(self, path: str, payload: dict | None = None) -> None:
        data = json.dumps(payload).encode() if payload is not None else b""
        req = urllib.request.Request(self.url + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as r:
            r.read()

    def reset(self, create: float = 0.0, update: float = 0.0, delete: float = 0.0) -> None:
        self.post("/moto-api/reset")
        self.post("/reconcile-sandbox/sagemaker/config",
                  {"create_seconds": create, "update_seconds": update, "delete_seconds": delete})

    def cpu(self) -> float:
        """CPU seconds (user + system) the moto server has used so far (from /proc; 0 where there is none)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path):
        self.args = args
        self.workdir = workdir
        self.moto = Moto(workdir)
        self.proxy = Proxy(self.moto.port, latency=args.latency).start()
        # reconcile runs with its bytecode cached, as an installed package does (pip compiles it):
        # PYTHONDONTWRITEBYTECODE (set in some dev shells) would make every command recompile reconciler/
        dropped = ("RECONCILE_SANDBOX",) + (() if args.no_bytecode_cache else ("PYTHONDONTWRITEBYTECODE",))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in dropped}
        self.env.update({
            "AWS_ENDPOINT_URL": self.proxy.url, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "RECONCILE_HOME": str(workdir / "home"),
            "RECONCILE_POLL_SECONDS": str(args.poll), "NO_COLOR": "1", "PYTHONUNBUFFERED": "1",
        })
        self.runs = 0
        self.profiled = False
        #: set while running the --before checkout's reconcile (same emulator, proxy and machine load)
        self.pythonpath: str | None = None

    def close(self) -> None:
        self.proxy.stop()
        self.moto.stop()

    def reconcile(self, *argv: str, expect: tuple[int, ...] = (0,), label: str = "") -> dict[str, Any]:
        """Run one reconcile command (this checkout's, or ``pythonpath``'s while it is set)."""
        env = self.env if self.pythonpath is None else {**self.env, "PYTHONPATH": self.pythonpath,
                                                        "RECONCILE_HOME": str(self.workdir / "home-before")}
        return self.measure([PY, "-m", "reconciler", *argv], env, self.workdir, expect, label or argv[0])

    def measure(self, cmd: list[str], env: dict[str, str], cwd: Path, expect: tuple[int, ...],
                label: str) -> dict[str, Any]:
        """Run one command; wall time, exit code, peak RSS and CPU (its own and its children's, via wait4),
        the proxy's counts and the emulator's CPU over the same interval."""
        self.runs += 1
        log = self.workdir / f"run-{self.runs:03d}-{label}.log"
        before = self.proxy.snapshot()
        moto_cpu = self.moto.cpu()
        started = time.monotonic()
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                    cwd=cwd)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        after = self.proxy.snapshot()
        moto_cpu = self.moto.cpu() - moto_cpu
        calls = after["counts"] - before["counts"]
        throttled = after["throttled"] - before["throttled"]
        rc = proc.returncode
        if rc not in expect:
            tail = log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"{' '.join(cmd[:4])} … exited {rc} (expected {expect}); log {log}:\n{tail}")
        return {"wall": round(wall, 3), "rc": rc, "rss_mb": round(usage.ru_maxrss / 1024, 1),
                "cpu": round(usage.ru_utime + usage.ru_stime, 2),
                "cpu_user": round(usage.ru_utime, 2), "cpu_sys": round(usage.ru_stime, 2),
                "moto_cpu": round(moto_cpu, 2),
                "calls": sum(calls.values()), "throttled": sum(throttled.values()),
                "moto_seconds": round(after["upstream_seconds"] - before["upstream_seconds"], 3),
                "by_service": _by_service(calls), "top_ops": dict(calls.most_common(12)),
                "load": load(), "log": str(log)}

    # ---- the four operations on one stack ------------------------------------------------------
    def cycle(self, n: int, concurrency: int, full: bool = True) -> dict[str, Any]:
        """Cold apply, no-change plan, plan after one edit, prune of half (N resources, --concurrency c)."""
        self.moto.reset()
        d = self.workdir / f"stack-{n}"
        count = stack.write(d, n, iam_only=self.args.iam_only)
        c = [*flag(concurrency), "--quiet"]
        out: dict[str, Any] = {"n": count, "concurrency": concurrency or "default"}
        print(f"  N={count} --concurrency {concurrency or 'default'}: apply …", flush=True)
        out["apply"] = self.reconcile("apply", str(d), "--auto-approve", *c, label=f"apply-{count}-c{concurrency}")
        print(f"    {figures(out['apply'], count)}", flush=True)
        out["plan"] = median([self.reconcile("plan", str(d), "--detailed-exitcode", *c, label=f"plan-{count}-c{concurrency}")
                              for _ in range(max(1, self.args.repeat))])
        print(f"  plan (no change): {figures(out['plan'], count)}{spread(out['plan'])}", flush=True)
        if self.args.profile and concurrency == self.args.concurrency and not self.profiled and not self.pythonpath:
            self.profiled = True
            out["profile"] = self.profile_plan(d)
        if not full:
            return out
        if self.args.latency and concurrency != 1:
            self.proxy.configure(latency=0.0)
            out["plan_zero_latency"] = self.reconcile("plan", str(d), "--detailed-exitcode", *c, label="plan-0ms")
            self.proxy.configure(latency=self.args.latency)
            print(f"  plan (0 ms latency): {figures(out['plan_zero_latency'], count)}", flush=True)
        e = self.workdir / f"stack-{n}-edit"
        stack.write(e, n, iam_only=self.args.iam_only)
        stack.edit_one(e)
        out["plan_edit"] = self.reconcile("plan", str(e), "--detailed-exitcode", *c, expect=(2,),
                                          label=f"plan-edit-c{concurrency}")
        print(f"  plan (one edit): {figures(out['plan_edit'], count)}", flush=True)
        h = self.workdir / f"stack-{n}-half"
        stack.write(h, n, keep=lambda g: g % 2 == 0, iam_only=self.args.iam_only)
        out["prune"] = self.reconcile("prune", str(h), "--auto-approve", *c, label=f"prune-c{concurrency}")
        print(f"  prune half: {figures(out['prune'], count)}", flush=True)
        return out

    def throttled_plan(self, n: int, rate: float) -> dict[str, Any]:
        """A no-change plan while the proxy throttles IAM and SageMaker past ``rate`` requests/s each."""
        self.moto.reset()
        d = self.workdir / f"stack-{n}"
        count = stack.write(d, n, iam_only=self.args.iam_only)
        c = [*flag(self.args.concurrency), "--quiet"]
        self.reconcile("apply", str(d), "--auto-approve", *c, label="apply-for-throttle")
        self.proxy.configure(rates={"iam": rate, "sagemaker": rate})
        try:
            r = self.reconcile("plan", str(d), "--detailed-exitcode", *c, label="plan-throttled")
        finally:
            self.proxy.configure(rates={})
        r["rate"] = rate
        r["n"] = count
        return r

    def waits(self, seconds: float, count: int) -> dict[str, Any]:
        """Apply one endpoint, then ``count`` endpoints, each taking ``seconds`` to create in the emulator."""
        out: dict[str, Any] = {"create_seconds": seconds, "count": count}
        for label, n, conc in (("one", 1, self.args.concurrency), ("many", count, self.args.concurrency),
                               ("many_wide", count, max(count, self.args.concurrency or 0))):
            self.moto.reset(create=seconds)
            d = self.workdir / f"waits-{n}"
            stack.endpoints_only(d, n)
            print(f"  {n} endpoint(s), {seconds:.0f} s create each, --concurrency {conc or 'default'} …", flush=True)
            r = self.reconcile("apply", str(d), "--auto-approve", *flag(conc), "--quiet",
                               label=f"waits-{n}-c{conc}")
            r["concurrency"] = conc or "default"
            out[label] = r
            print(f"    {r['wall']:.1f} s", flush=True)
        out["ratio"] = round(out["many"]["wall"] / out["one"]["wall"], 2)
        out["ratio_wide"] = round(out["many_wide"]["wall"] / out["one"]["wall"], 2)
        return out

    def profile_plan(self, d: Path) -> dict[str, Any]:
        """The no-change plan again, twice: under ``-X importtime`` and under cProfile (every thread)."""
        argv = ["plan", str(d), "--detailed-exitcode", *flag(self.args.concurrency), "--quiet"]
        it = subprocess.run([PY, "-X", "importtime", "-m", "reconciler", *argv], capture_output=True, text=True,
                            env=self.env, cwd=self.workdir)
        rows = []
        for line in it.stderr.splitlines():
            parts = line.split("|")
            if line.startswith("import time:") and len(parts) == 3:
                try:
                    rows.append((int(parts[0].split(":")[1]), int(parts[1]), parts[2].rstrip()))
                except ValueError:
                    continue
        by_self = [{"self_ms": round(s / 1000, 1), "module": m.strip()} for s, _, m in sorted(rows, reverse=True)[:15]]
        top_level = sorted(({"cumulative_ms": round(c / 1000, 1), "module": m.strip()} for _, c, m in rows
                            if m.startswith(" ") and not m.startswith("  ")), key=lambda r: -r["cumulative_ms"])
        prof = self.workdir / "plan.prof"
        subprocess.run([PY, "-m", "benchmarks.profiled", str(prof), *argv], capture_output=True,
                       env={**self.env, "PYTHONPATH": os.pathsep.join([str(ROOT), self.env.get("PYTHONPATH", "")])},
                       cwd=self.workdir)
        import pstats

        stats = pstats.Stats(str(prof))
        funcs = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:20]  # (cc, nc, tottime, cumtime, callers)
        top_funcs = [{"own_s": round(v[2], 3), "cum_s": round(v[3], 3), "calls": v[1],
                      "function": f"{Path(k[0]).name}:{k[1]}({k[2]})"} for k, v in funcs]
        own_by_module: Counter = Counter()
        for k, v in stats.stats.items():
            own_by_module[_package_of(k[0])] += v[2]
        top_modules_own = [{"own_s": round(t, 3), "package": m} for m, t in own_by_module.most_common(12)]
        return {"imports_total_ms": round(sum(c for _, c, m in rows if m.startswith(" ") and not m.startswith("  ")) / 1000, 1),
                "imports_top_level": top_level[:12], "imports_by_self": by_self, "functions_by_own": top_funcs,
                "packages_by_own": top_modules_own, "total_s": round(stats.total_tt, 3)}

    def startup(self, n: int) -> dict[str, Any]:
        d = self.workdir / f"stack-{n}"
        count = stack.write(d, n, iam_only=self.args.iam_only)
        helps, validates = [], []
        for _ in range(5):
            helps.append(self.reconcile("--help", label="help")["wall"])
        for _ in range(3):
            validates.append(self.reconcile("validate", str(d), label="validate")["wall"])
        it = subprocess.run([PY, "-X", "importtime", "-m", "reconciler", "validate", str(d)],
                            capture_output=True, text=True, env=self.env, cwd=self.workdir)
        rows = []
        for line in it.stderr.splitlines():
            if line.startswith("import time:") and "|" in line:
                parts = line.split("|")
                try:
                    rows.append((int(parts[1].strip()), parts[2].rstrip()))
                except ValueError:
                    continue
        top = [{"cumulative_ms": round(us / 1000, 1), "module": m.strip()} for us, m in
               sorted(rows, reverse=True)[:12]]
        return {"help_s": round(statistics.median(helps), 3), "validate_s": round(statistics.median(validates), 3),
                "validate_n": count, "help_all": helps, "validate_all": validates, "importtime_top": top,
                "load": load()}


def _package_of(filename: str) -> str:
    """'botocore' for .../site-packages/botocore/parsers.py, 'reconciler.observe' for our own modules."""
    parts = Path(filename).parts
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1:]
        return rest[0].removesuffix(".py") if rest else filename
    if "reconciler" in parts:
        return ".".join(parts[parts.index("reconciler"):]).removesuffix(".py")
    if filename.startswith("<") or filename == "~":
        return "(builtins)"
    return "(stdlib) " + Path(filename).stem


def flag(concurrency: int) -> list[str]:
    """``--concurrency N``, or nothing for 0 (the reconcile being run uses its own default)."""
    return ["--concurrency", str(concurrency)] if concurrency else []


def median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall time, with every run's wall and CPU beside it (``walls``, ``cpus``)."""
    ordered = sorted(runs, key=lambda r: r["wall"])
    return {**ordered[(len(ordered) - 1) // 2], "walls": [r["wall"] for r in runs], "cpus": [r["cpu"] for r in runs]}


def spread(r: dict[str, Any]) -> str:
    walls = r.get("walls") or []
    return f"  (median of {len(walls)}: {', '.join(f'{w:.2f}' for w in walls)} s)" if len(walls) > 1 else ""


def release(commit: str, into: Path) -> str:
    """Extract ``commit``'s reconciler/ into ``into`` (git archive); '' when done, else why not."""
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True,
                           text=True)
    if found.returncode != 0:
        return (f"commit {commit} is not in the repository at {ROOT} (a shallow clone? git fetch --unshallow): "
                + (found.stderr.strip() or "not found"))
    into.mkdir(parents=True, exist_ok=True)
    tar = subprocess.run(f"set -o pipefail; git -C '{ROOT}' archive --format=tar {commit} reconciler | tar -x -C '{into}'",
                         shell=True, capture_output=True, text=True, executable="/bin/bash")
    return "" if tar.returncode == 0 else f"git archive {commit} failed: {tar.stderr.strip()}"


def _by_service(calls: Counter) -> dict[str, int]:
    out: Counter = Counter()
    for k, v in calls.items():
        out[k.split(":", 1)[0]] += v
    return dict(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="resources in the main stack (default 300)")
    ap.add_argument("--latency", type=float, default=0.05, help="seconds added to every request (default 0.05)")
    ap.add_argument("--concurrency", type=int, default=0,
                    help="reconcile --concurrency (default: none given, each reconcile's own default)")
    ap.add_argument("--scale", default="100,300,1000,3000", help="N values for the growth table")
    ap.add_argument("--quick", action="store_true", help="scale to 1000 only, no 30 s endpoint waits")
    ap.add_argument("--no-baseline", action="store_true", help="skip the --concurrency 1 run")
    ap.add_argument("--no-scale", action="store_true")
    ap.add_argument("--no-waits", action="store_true")
    ap.add_argument("--no-throttle", action="store_true")
    ap.add_argument("--no-startup", action="store_true")
    ap.add_argument("--throttle-rate", type=float, default=20.0, help="requests/s per service when throttling")
    ap.add_argument("--waits-seconds", type=float, default=30.0)
    ap.add_argument("--waits-count", type=int, default=20)
    ap.add_argument("--poll", type=float, default=1.0, help="RECONCILE_POLL_SECONDS for endpoint waits")
    ap.add_argument("--iam-only", action="store_true",
                    help="stacks without endpoints (N=300: the 250-resource IAM stack)")
    ap.add_argument("--profile", action="store_true",
                    help="profile the no-change plan: top modules by import time, top functions by own time")
    ap.add_argument("--before", metavar="DIR",
                    help="run the main stack again with the reconcile of another checkout (e.g. `git worktree add "
                         "/tmp/before main`), right after this one, against the same emulator: before/after ratios "
                         "(default: the last release, RELEASE, extracted from git)")
    ap.add_argument("--release", default=RELEASE, metavar="COMMIT",
                    help=f"the last release's commit, the default --before (default {RELEASE[:7]})")
    ap.add_argument("--no-before", action="store_true", help="no before/after run (neither --before nor the release)")
    ap.add_argument("--no-terraform", action="store_true",
                    help="skip Terraform (run, where terraform and a hashicorp/aws mirror are here, on the IAM stack)")
    ap.add_argument("--repeat", type=int, default=3, help="no-change plans per tool, the median reported (default 3)")
    ap.add_argument("--no-bytecode-cache", action="store_true",
                    help="keep PYTHONDONTWRITEBYTECODE if set (every command then compiles reconciler/ again)")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs, manifests)")
    args = ap.parse_args(argv)
    scale = [int(x) for x in args.scale.split(",") if x]
    if args.quick:
        scale = [x for x in scale if x <= 1000]
        args.no_waits = True

    RESULTS.mkdir(exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers and write what was measured
    workdir = Path(tempfile.mkdtemp(prefix="reconcile-bench-"))
    res: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(),
                           "load_start": load(), "latency": args.latency, "args": vars(args)}
    print(f"reconcile benchmark: work folder {workdir}, load {res['load_start']}", flush=True)
    bench = Bench(args, workdir)
    try:
        if not args.no_startup:
            print("start-up …", flush=True)
            res["startup"] = bench.startup(args.n)
            print(f"  --help {res['startup']['help_s']:.3f} s, validate {res['startup']['validate_s']:.3f} s", flush=True)
        print(f"main stack, --concurrency {args.concurrency or 'default'} …", flush=True)
        res["main"] = {"c": bench.cycle(args.n, args.concurrency)}
        before = None if args.no_before else args.before
        if before is None and not args.no_before:
            why = release(args.release, workdir / "release")
            if why:
                res["release_unavailable"] = why
                print(f"the last release is not available: {why}", flush=True)
            else:
                before = str(workdir / "release")
        res["before_label"] = (args.before or f"the last release ({args.release[:7]})") if before else None
        if before:
            print(f"the same with the reconcile of {res['before_label']} …", flush=True)
            bench.pythonpath = str(Path(before).resolve())
            try:
                res["main"]["before"] = bench.cycle(args.n, args.concurrency)
            finally:
                bench.pythonpath = None
        if not args.no_terraform:
            res["terraform"] = terraform.cycle(bench, args.n) if args.iam_only else {
                "unavailable": "the Terraform configuration covers the IAM stack: run with --iam-only"}
            if "unavailable" in res["terraform"]:
                print(f"Terraform not run: {res['terraform']['unavailable']}", flush=True)
        if not args.no_baseline:
            print("baseline, --concurrency 1 …", flush=True)
            res["main"]["baseline"] = bench.cycle(args.n, 1)
        if not args.no_throttle:
            print(f"throttled plan ({args.throttle_rate:.0f} requests/s per service) …", flush=True)
            res["throttled"] = bench.throttled_plan(args.n, args.throttle_rate)
            print(f"  {figures(res['throttled'], res['throttled']['n'])}, {res['throttled']['throttled']} throttled")
        if not args.no_scale:
            print("growth with N …", flush=True)
            res["scale"] = []
            for n in scale:
                if n == args.n and "main" in res:
                    c = res["main"]["c"]
                    res["scale"].append({"n": c["n"], "apply": c["apply"], "plan": c["plan"]})
                    continue
                res["scale"].append(bench.cycle(n, args.concurrency, full=False))
        if not args.no_waits:
            print("endpoint waits …", flush=True)
            res["waits"] = bench.waits(args.waits_seconds, args.waits_count)
    finally:
        bench.close()
        res["load_end"] = load()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        (RESULTS / f"{stamp}.json").write_text(json.dumps(res, indent=1, default=str))
        (RESULTS / "latest.json").write_text(json.dumps(res, indent=1, default=str))
        if res.get("scale") and len(res["scale"]) >= 2:
            chart.scaling_png(res["scale"], RESULTS / "scaling.png")
        text = report(res)
        (RESULTS / "summary.md").write_text(text)
        print("\n" + text)
        if args.keep:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0
