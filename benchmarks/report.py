"""The benchmark's summary: results/summary.md from one run's figures (see README.md)."""

from __future__ import annotations

from typing import Any


def figures(r: dict[str, Any], n: int) -> str:
    return (f"{r['wall']:7.2f} s  cpu {r['cpu']:5.2f} s  {r['calls']:6d} calls  {r['calls'] / max(1, n):5.2f}/resource  "
            f"{r['rss_mb']:6.1f} MB  moto {r['moto_seconds']:6.2f} s (cpu {r.get('moto_cpu', 0):5.2f} s)  "
            f"(load {r['load']})")


def report(res: dict[str, Any]) -> str:
    lines = [f"# reconcile benchmark — {res['started']}", "",
             f"Machine: {res['cpus']} CPUs, load average at start {res['load_start']}, at end {res.get('load_end')}. "
             f"Proxy latency {res['latency'] * 1000:.0f} ms per request.", ""]
    lines += versus(res)
    main = res.get("main")
    if main:
        n = main["c"]["n"]
        lines += [f"## The default stack (N={n}), --concurrency {main['c']['concurrency']} vs 1", "",
                  "| operation | wall s | reconcile CPU s (user+sys) | calls | calls/resource | peak MB | moto s | "
                  "moto CPU s | calls×latency s | baseline wall s | baseline calls | speed-up |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for op in ("apply", "plan", "plan_edit", "prune"):
            r, b = main["c"].get(op), (main.get("baseline") or {}).get(op)
            if not r:
                continue
            base = (f"{b['wall']:.2f} | {b['calls']} | {b['wall'] / r['wall']:.1f}×" if b else "– | – | –")
            lines.append(f"| {op} | {r['wall']:.2f} | {r['cpu']:.2f} ({r.get('cpu_user', 0):.2f}+{r.get('cpu_sys', 0):.2f}) | "
                         f"{r['calls']} | {r['calls'] / n:.2f} | {r['rss_mb']:.0f} | {r['moto_seconds']:.2f} | "
                         f"{r.get('moto_cpu', 0):.2f} | {r['calls'] * res['latency']:.1f} | {base} |")
        before = main.get("before")
        if before:
            lines += ["", f"### Before ({res.get('before_label') or res['args'].get('before')}) and after, in the same run", "",
                      "| operation | wall s before → after | reconcile CPU s before → after | calls before → after | "
                      "peak MB before → after | moto CPU s before → after | wall speed-up |",
                      "|---|---:|---:|---:|---:|---:|---:|"]
            for op in ("apply", "plan", "plan_zero_latency", "plan_edit", "prune"):
                r, b = main["c"].get(op), before.get(op)
                if r and b:
                    lines.append(f"| {op} | {b['wall']:.2f} → {r['wall']:.2f} | {b['cpu']:.2f} → {r['cpu']:.2f} | "
                                 f"{b['calls']} → {r['calls']} | {b['rss_mb']:.0f} → {r['rss_mb']:.0f} | "
                                 f"{b.get('moto_cpu', 0):.2f} → {r.get('moto_cpu', 0):.2f} | {b['wall'] / r['wall']:.2f}× |")
        z = main["c"].get("plan_zero_latency")
        if z:
            lines += ["", f"No-change plan with 0 ms latency (the emulator's and the tool's own cost): "
                          f"{z['wall']:.2f} s wall, {z['calls']} calls, moto busy {z['moto_seconds']:.2f} s "
                          f"({1000 * z['moto_seconds'] / max(1, z['calls']):.1f} ms per request in moto), "
                          f"reconcile CPU {z['cpu']:.2f} s."]
        p = main["c"]["plan"]
        lines += ["", f"No-change plan calls by service: {p['by_service']}; top operations: {p['top_ops']}.",
                  "", f"Cold apply top operations: {main['c']['apply']['top_ops']}."]
        prof = main["c"].get("profile")
        if prof:
            lines += ["", "### Profile of the no-change plan (--profile)", "",
                      f"Imports: {prof['imports_total_ms']:.0f} ms in all (-X importtime). Top-level imports "
                      "(cumulative ms): " + ", ".join(f"{r['module']} {r['cumulative_ms']}"
                                                      for r in prof["imports_top_level"][:8]) + ".",
                      "", "Modules by own import time (ms): " +
                      ", ".join(f"{r['module']} {r['self_ms']}" for r in prof["imports_by_self"][:10]) + ".",
                      "", f"cProfile (every thread, CPU time; {prof['total_s']:.2f} s in all, inflated by the "
                      "profiler). Packages by own time (s): " +
                      ", ".join(f"{r['package']} {r['own_s']}" for r in prof["packages_by_own"][:10]) + ".",
                      "", "| function | own s | cumulative s | calls |", "|---|---:|---:|---:|"]
            lines += [f"| `{r['function']}` | {r['own_s']} | {r['cum_s']} | {r['calls']} |"
                      for r in prof["functions_by_own"][:15]]
    t = res.get("throttled")
    if t:
        lines += ["", f"## Throttling: no-change plan with IAM and SageMaker limited to {t['rate']:.0f} requests/s each",
                  "", f"exit {t['rc']}, {t['wall']:.2f} s, {t['calls']} requests of which {t['throttled']} throttled "
                      f"(answered with AWS's throttling error and retried by botocore's adaptive mode)."]
    sc = res.get("scale")
    if sc:
        lines += ["", "## Growth with N (--concurrency default)", "",
                  "| N | apply s | apply calls | apply calls/res | plan s | plan CPU s | plan calls | plan calls/res | "
                  "plan s/res (ms) | plan CPU/res (ms) | peak MB (apply / plan) |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in sc:
            a, p = row["apply"], row["plan"]
            n = row["n"]
            lines.append(f"| {n} | {a['wall']:.1f} | {a['calls']} | {a['calls'] / n:.2f} | {p['wall']:.2f} | "
                         f"{p['cpu']:.2f} | {p['calls']} | {p['calls'] / n:.2f} | {1000 * p['wall'] / n:.1f} | "
                         f"{1000 * p['cpu'] / n:.2f} | "
                         f"{a['rss_mb']:.0f} / {p['rss_mb']:.0f} |")
        lines += ["", "Chart: results/scaling.png (time and calls per N, each divided by its value at the smallest N; "
                      "the grey line is exact linear growth)."]
    w = res.get("waits")
    if w:
        lines += ["", f"## Endpoint waits: {w['count']} endpoints, {w['create_seconds']:.0f} s to create each", "",
                  f"1 endpoint: {w['one']['wall']:.1f} s; {w['count']} endpoints at --concurrency "
                  f"{w['many']['concurrency']}: {w['many']['wall']:.1f} s ({w['ratio']}×); at --concurrency "
                  f"{w['many_wide']['concurrency']}: {w['many_wide']['wall']:.1f} s ({w['ratio_wide']}×)."]
    s = res.get("startup")
    if s:
        lines += ["", "## Start-up", "", f"`reconcile --help`: {s['help_s']:.3f} s (median of 5); "
                  f"`reconcile validate` of the N={s['validate_n']} stack: {s['validate_s']:.3f} s (median of 3); "
                  f"load {s['load']}.", "", "Slowest imports of validate (cumulative):", ""]
        lines += [f"- {r['module']}: {r['cumulative_ms']} ms" for r in s["importtime_top"][:8]]
    return "\n".join(lines) + "\n"


def versus(res: dict[str, Any]) -> list[str]:
    """Reconcile beside the last release (or --before) and Terraform: cold apply and no-change plan, one run."""
    main = res.get("main") or {}
    ours, before, tf = main.get("c"), main.get("before"), res.get("terraform") or {}
    if not ours:
        return []
    label = res.get("before_label") or "before"
    out = [f"## Side by side (same run, same emulator and proxy, {res['latency'] * 1000:.0f} ms per request)", ""]
    if tf.get("unavailable"):
        out += [f"Terraform was not run: {tf['unavailable']}.", ""]
    elif tf:
        out += [f"Terraform: {tf['version']}, default -parallelism (10), the same {tf['n']} resources.", ""]
    if res.get("release_unavailable"):
        out += [f"The last release was not run: {res['release_unavailable']}.", ""]
    head = "| operation | reconcile wall s | reconcile CPU s | calls |"
    rule = "|---|---:|---:|---:|"
    if before:
        head += f" {label} wall s | CPU s | calls | × faster than it |"
        rule += "---:|---:|---:|---:|"
    if tf.get("apply"):
        head += " Terraform wall s | CPU s (with provider) | calls | × faster than Terraform |"
        rule += "---:|---:|---:|---:|"
    out += [head, rule]
    for op, name in (("apply", "cold apply"), ("plan", "no-change plan")):
        r = ours.get(op)
        if not r:
            continue
        row = f"| {name} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['calls']} |"
        for other in (before, tf if tf.get("apply") else None):
            if other is None:
                continue
            o = other.get(op)
            row += (f" {o['wall']:.2f} | {o['cpu']:.2f} | {o['calls']} | {o['wall'] / r['wall']:.1f}× |" if o
                    else " – | – | – | – |")
        out.append(row)
    plans = [(who, x["plan"]) for who, x in (("reconcile", ours), (label, before), ("Terraform", tf))
             if x and x.get("plan") and len(x["plan"].get("walls") or ()) > 1]
    if plans:
        out += ["", "No-change plans (median reported): " + "; ".join(
            f"{who} {', '.join(f'{w:.2f}' for w in p['walls'])} s wall, {', '.join(f'{c:.2f}' for c in p['cpus'])} s CPU"
            for who, p in plans) + "."]
    return out + [""]
