"""Commands on live resources, one at a time: import (live resources into manifests), invoke (an LLM endpoint),
rollback (an endpoint to its previous config) and call-api (a route of an HTTP API)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from reconciler import __version__
from reconciler.cli.group import (
    CONTEXT,
    _confirm,
    _settings,
    cli,
    env_option,
    global_options,
    manifests_option,
)
from reconciler.errors import ReconcileError, UsageError


def _import_folder(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if Path(value).exists() and not Path(value).is_dir():
        raise click.BadParameter(f"{value} is not a folder: import writes manifests into a folder (created when it "
                                 "does not exist)")
    return value


def _stack_name(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    from reconciler.environments import STACK_NAME

    if value is not None and not STACK_NAME.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a valid stack name: 1-63 letters, digits and hyphens, starting "
                                 "with a letter or digit")
    return value


def _selectors(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> list[tuple[str, str]]:
    from reconciler import importer

    try:
        return importer.parse_selectors(value)
    except UsageError as e:
        raise click.BadParameter(str(e)) from None


@cli.command("import", context_settings=CONTEXT)
@click.argument("directory", type=click.Path(file_okay=False), callback=_import_folder)
@click.argument("selectors", nargs=-1, callback=_selectors)
@click.option("--stack", "stack_name", default=None, callback=_stack_name,
              help="Stack that adopts them (default: DIR's Stack, else DIR's folder name).")
@click.option("--all-endpoints", is_flag=True, help="Every SageMaker endpoint in the region.")
@click.option("--force", is_flag=True, help="Overwrite files an earlier import wrote in DIR.")
@env_option
@global_options
def import_(directory: str, selectors: list[tuple[str, str]], stack_name: str | None, all_endpoints: bool,
            force: bool, env: str | None) -> None:
    """Read live resources (Endpoint/NAME, Role/NAME, User/NAME, Policy/NAME, Function/NAME, HttpApi/NAME) into
    manifests in DIR that adopt them (reconciler/adopt: "true"); secrets become Secrets Manager references."""
    from reconciler import importer, pipeline
    from reconciler.kinds.base import PlanContext
    from reconciler.manifests import _default_stack_name

    wanted = list(selectors)
    if not wanted and not all_endpoints:
        raise click.UsageError("name what to import: KIND/NAME selectors (e.g. Endpoint/my-llm) or --all-endpoints")
    dest = importer.into(directory, env, stack_name)  # DIR's Stack, environment (DIR/ENV) and declarations
    have = dest.stack.name if dest.stack else None
    if have and stack_name and have != stack_name:
        raise UsageError(f"--stack {stack_name} conflicts with the Stack {have!r} that {directory} declares"
                         + (f" ({dest.stack.file})" if dest.stack and dest.stack.file else ""))
    t = pipeline.connect(_settings().options(), dest.stack)
    if t.sandbox:
        click.echo(f"SANDBOX (local emulated AWS) · account {t.account} · {t.region}", err=True)
    stack = have or stack_name or _default_stack_name(Path(directory))
    ctx = PlanContext(stack=stack, account=t.account, region=t.region, partition=t.aws.partition)
    if all_endpoints:
        wanted += [w for w in importer.all_endpoints(t.aws) if w not in wanted]
    result = importer.run(t.aws, ctx, wanted, force, write_stack=have is None, dest=dest, directory=Path(directory))
    out, err = importer.report(result, directory)
    for line in err:
        click.echo(line, err=True)
    click.echo("\n".join(out))
    if result.refused:
        raise SystemExit(1)


def _holds_manifests(folder: Path) -> bool:
    """True when ``folder`` itself has a reconcile manifest (apiVersion reconciler/…) among its YAML files."""
    for f in sorted(folder.glob("*.y*ml"))[:50]:
        try:
            with f.open("rb") as fh:
                if b"apiVersion: reconciler/" in fh.read(65536):
                    return True
        except OSError:
            continue
    return False


def _stack_target(manifests_dir: str | None, env: str | None = None) -> tuple[Any, str]:
    """(the Target, the stack name) for a command on one live resource: from -f DIR, or the current folder."""
    from reconciler import manifests as mf
    from reconciler import pipeline

    s = _settings()
    if manifests_dir is None and _holds_manifests(Path.cwd()):
        manifests_dir = "."
    if manifests_dir is None:
        t = pipeline.connect(s.options())
        stack = ""
    else:
        m = mf.load(manifests_dir, env, click.get_current_context().info_name or "this command")  # (not linted)
        t = pipeline.connect(s.options(), m.stack)
        stack = m.stack.name
    if t.sandbox:
        click.echo(f"SANDBOX (local emulated AWS) · account {t.account} · {t.region}", err=True)
    return t, stack


# ---- endpoints: invoke and rollback -------------------------------------------------------------


@cli.command(context_settings=CONTEXT)
@click.argument("endpoint")
@click.option("--prompt", required=True, help="The prompt (sent as TGI 'inputs').")
@click.option("--max-new-tokens", type=click.IntRange(1), default=None, help="Most tokens to generate.")
@click.option("--temperature", type=float, default=None, help="Sampling temperature.")
@click.option("--top-p", type=float, default=None, help="Nucleus sampling probability.")
@click.option("--repetition-penalty", type=float, default=None, help="Penalty for repeated tokens.")
@click.option("--return-full-text/--no-return-full-text", default=None, help="Prefix the answer with the prompt.")
@click.option("--stop", multiple=True, help="Stop sequence (repeatable).")
@click.option("--inference-component", default=None,
              help="Inference component to call (default: the endpoint's only one, if it uses components).")
@click.option("--stream", is_flag=True, help="Print the tokens as they arrive (InvokeEndpointWithResponseStream, "
                                             "TGI's \"stream\": true).")
@manifests_option
@global_options
def invoke(endpoint: str, prompt: str, max_new_tokens: Any, temperature: Any, top_p: Any, repetition_penalty: Any,
           return_full_text: Any, stop: tuple[str, ...], inference_component: Any, stream: bool, manifests_dir: Any,
           env: Any = None) -> None:
    """Send one prompt to a deployed LLM endpoint and print the generated text (--stream: as it is generated)."""
    from reconciler import invoke as inv

    t, _stack = _stack_target(manifests_dir, env)
    params = {"max_new_tokens": max_new_tokens, "temperature": temperature, "top_p": top_p,
              "repetition_penalty": repetition_penalty, "return_full_text": return_full_text,
              "stop": list(stop) or None}
    if not stream:
        click.echo(inv.generate(t.aws, endpoint, prompt, params, component=inference_component))
        return
    printed = False
    try:
        for piece in inv.stream(t.aws, endpoint, prompt, params, component=inference_component):
            click.echo(piece, nl=False)  # (click flushes: each token shows as it arrives)
            printed = printed or bool(piece)
    finally:
        if printed:
            click.echo()


@cli.command(context_settings=CONTEXT)
@click.argument("endpoint")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (CI).")
@click.option("--timeout", type=click.IntRange(60), default=3600, show_default=True, help="Seconds to wait for InService.")
@click.option("--inference-component", default=None, metavar="NAME",
              help="Roll back only this InferenceComponent on ENDPOINT to the model it ran before (kept on it).")
@manifests_option
@global_options
def rollback(endpoint: str, auto_approve: bool, timeout: int, inference_component: Any, manifests_dir: Any,
             env: Any = None) -> None:
    """Switch ENDPOINT (or one --inference-component on it) back to the config/model it ran before its last
    update (kept for this).

    The manifests still describe the newer version: revert them in git, or the next apply rolls forward again.
    """
    from reconciler import runlog
    from reconciler.apply import describe_failure, execute
    from reconciler.errors import StalePlanError
    from reconciler.freshness import differences
    from reconciler.kinds.base import ApplyContext
    from reconciler.render import render

    s = _settings()
    t, stack = _stack_target(manifests_dir, env)
    p, lines = _rollback_plan(t, stack, endpoint, inference_component, timeout)
    click.echo("\n".join([*lines, render(p, "text", color=s.use_color)]))
    what = f"inference component {inference_component}" if inference_component else f"endpoint {endpoint}"
    _confirm(auto_approve, f"roll back {what}")
    if not auto_approve:  # time passed at the prompt: what runs must still be what was shown
        t.aws.invalidate()
        found = differences(p, _rollback_plan(t, stack, endpoint, inference_component, timeout)[0])
        if found:
            raise StalePlanError("refusing to roll back: the live state changed while the plan waited for its answer "
                                 "(nothing was changed):\n" + "\n".join(f"  {x}" for x in found))
    [step] = p.steps
    ctx = ApplyContext(aws=t.aws, stack=p.stack, account=t.account, region=t.region, partition=t.aws.partition,
                       progress=s.progress)
    runlog.executing(t.aws.run_id, p)  # (what the write audit compares the run's writes with)
    outcome = execute(p, ctx, 1)
    runlog.finished(t.aws.run_id, outcome.ok)
    if outcome.failed:
        raise ReconcileError(describe_failure(*outcome.failed[0]))
    if not outcome.ok:
        raise ReconcileError(f"Rollback of {step.id} interrupted; run it again (it starts from the live state)")
    done = step.reason.removeprefix("rollback: ").split(";")[0]
    click.echo(f"Rolled back {step.id}: {done}. Revert the manifest change too, or the next apply rolls forward again.")


def _rollback_plan(t: Any, stack: str, endpoint: str, component: str | None, timeout: int) -> tuple[Any, list[str]]:
    """The rollback as a plan (PlanMode.rollback) of one step, and the lines to show before it."""
    from datetime import UTC, datetime

    from reconciler.kinds import REGISTRY
    from reconciler.plan import Plan, PlanMode

    if component:
        step, lines, owner = REGISTRY["InferenceComponent"].rollback_step(  # type: ignore[attr-defined]
            t.aws, endpoint, component, stack, timeout)
    else:
        step, lines, owner = REGISTRY["Endpoint"].rollback_step(  # type: ignore[attr-defined]
            t.aws, endpoint, stack, (t.account, t.region, t.aws.partition), timeout)
    return Plan(command="rollback", mode=PlanMode.rollback, stack=owner, account=t.account, region=t.region,
                sandbox=t.sandbox, created_at=datetime.now(UTC).isoformat(timespec="seconds"), steps=(step,)), lines


# ---- HTTP APIs: call a route -----------------------------------------------------------------------


@cli.command("call-api", context_settings=CONTEXT)
@click.argument("api")
@click.argument("route", metavar="'METHOD /PATH'")
@click.option("--json", "body_json", default=None, help="JSON request body (sent as application/json).")
@click.option("--data", default=None, help="Raw request body.")
@click.option("--header", "-H", "headers", multiple=True, help="Extra header 'Name: value' (repeatable).")
@manifests_option
@global_options
def call_api(api: str, route: str, body_json: str | None, data: str | None, headers: tuple[str, ...],
             manifests_dir: Any, env: Any = None) -> None:
    """Send one HTTP request to a route of HttpApi API and print the answer (the sandbox serves it locally).

    \b
    reconcile call-api workshop-llm-api 'POST /generate' --json '{"prompt": "Hello"}'
    """
    import json
    import urllib.error
    import urllib.request

    from reconciler.kinds import REGISTRY

    method, _, path = route.strip().partition(" ")
    if not path.startswith("/"):
        raise UsageError(f"ROUTE {route!r}: give 'METHOD /path', e.g. 'POST /generate'")
    body = None
    sent = {"user-agent": f"reconcile/{__version__}"}
    if body_json is not None:
        try:
            body = json.dumps(json.loads(body_json)).encode()
        except ValueError as e:
            raise UsageError(f"--json is not JSON: {e}") from None
        sent["content-type"] = "application/json"
    elif data is not None:
        body = data.encode()
    for h in headers:
        name, sep, value = h.partition(":")
        if not sep:
            raise UsageError(f"--header {h!r}: give 'Name: value'")
        sent[name.strip().lower()] = value.strip()
    t, _stack = _stack_target(manifests_dir, env)
    base = REGISTRY["HttpApi"].url(t.aws, api)  # type: ignore[attr-defined]
    req = urllib.request.Request(base + path, data=body, method=method.upper(), headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, answer = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, answer = e.code, e.read()
    except urllib.error.URLError as e:
        raise ReconcileError(f"Failed to call {method.upper()} {base + path}: {e.reason}") from None
    click.echo(answer.decode(errors="replace"))
    if status >= 400:
        click.echo(f"HTTP {status} from {method.upper()} {base + path}", err=True)
        sys.exit(1)
