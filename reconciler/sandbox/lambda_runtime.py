"""Lambda and HTTP APIs that run, in the sandbox (moto runs Lambda code only in Docker).

``install()`` patches this process's moto:

- **Invoke** runs a Python function's handler from its stored zip in a subprocess: the zip is
  unpacked once per CodeSha256, the handler gets the event on stdin and a small context object, and
  its environment is the function's own plus ``AWS_ENDPOINT_URL`` pointing back at this sandbox (so
  boto3 in the handler reaches the emulated SageMaker) and dummy credentials. Output goes to the
  function's CloudWatch log group; an exception answers ``X-Amz-Function-Error: Unhandled`` with
  Lambda's ``{errorMessage, errorType, stackTrace}``; the function's timeout is enforced.
- **execute-api**: the sandbox answers HTTP for an API Gateway HTTP API at
  ``<sandbox>/reconcile-sandbox/execute-api/<api id>/<path>`` (or with the Host header
  ``<api id>.execute-api.<region>.amazonaws.com``): the route is matched like API Gateway does
  (exact, then path parameters and greedy ``{proxy+}``, then ``$default``), the Lambda proxy
  integration gets a payload-format-2.0 event, the function's resource policy must allow
  ``apigateway.amazonaws.com`` from the route's ARN (else 500, as AWS answers), and the result is
  mapped back to HTTP (a ``{statusCode, headers, body}`` object, or any JSON as a 200).
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

from reconciler.sandbox.extensions import request_body
from reconciler.sandbox_contract import EXECUTE_API_PREFIX

ROUTE_PREFIX = EXECUTE_API_PREFIX
HOST = re.compile(r"^([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(:\d+)?$")
STARTUP_ALLOWANCE = 5.0  # seconds for the interpreter and boto3 imports, on top of the function's timeout

_lock = threading.Lock()
_installed = False

# The handler side: runs in the subprocess, with the code folder as working directory.
BOOTSTRAP = r"""
import importlib, json, os, sys, time, traceback
sys.path.insert(0, os.getcwd())
result_path, deadline = sys.argv[1], float(sys.argv[2])

class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    function_version = "$LATEST"
    memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
    aws_request_id = os.environ.get("RECONCILE_REQUEST_ID", "")
    invoked_function_arn = os.environ.get("RECONCILE_FUNCTION_ARN", "")
    log_group_name = "/aws/lambda/" + function_name
    log_stream_name = "sandbox"
    def get_remaining_time_in_millis(self):
        return max(0, int((deadline - time.time()) * 1000))

try:
    module_name, func_name = os.environ["_HANDLER"].rsplit(".", 1)
    event = json.load(sys.stdin)
    handler = getattr(importlib.import_module(module_name.replace("/", ".")), func_name)
    out, error = json.dumps(handler(event, Context())), False
except Exception as e:
    traceback.print_exc()
    out = json.dumps({"errorMessage": str(e), "errorType": type(e).__name__,
                      "stackTrace": traceback.format_exc().splitlines()})
    error = True
with open(result_path, "w") as fh:
    json.dump({"payload": out, "error": error}, fh)
"""


# --------------------------------------------------------------------------------------------------
# Lambda Invoke


def _code_dir(fn: Any) -> Path:
    """The function's zip unpacked (once per code digest)."""
    digest = getattr(fn, "code_digest", "") or hashlib.sha256(fn.code_bytes).hexdigest()
    root = Path(tempfile.gettempdir()) / f"reconcile-lambda-{os.getuid() if hasattr(os, 'getuid') else 0}"
    target = root / digest
    if not target.exists():
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=root))
        with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as zf:
            zf.extractall(work)
        try:
            work.rename(target)
        except OSError:  # another invocation unpacked it first
            shutil.rmtree(work, ignore_errors=True)
    return target


def run(fn: Any, event: Any, endpoint: str | None) -> tuple[str, bool, str]:
    """Run ``fn``'s handler on ``event``: (payload JSON, errored, log output)."""
    from reconciler import sandbox

    runtime = str(fn.run_time or "")
    if not runtime.startswith("python"):
        return json.dumps({"errorType": "Runtime.Unsupported", "errorMessage":
                           f"the sandbox runs Python functions only, not {runtime or 'container images'}"}), True, ""
    timeout = float(fn.timeout or 3)
    request_id = str(uuid.uuid4())
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        **{str(k): str(v) for k, v in (fn.environment_vars or {}).items()},
        "_HANDLER": str(fn.handler),
        "AWS_REGION": fn.region,
        "AWS_DEFAULT_REGION": fn.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_ACCESS_KEY_ID": sandbox.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": sandbox.SECRET_KEY,
        "RECONCILE_REQUEST_ID": request_id,
        "RECONCILE_FUNCTION_ARN": fn.function_arn,
    }
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    code = _code_dir(fn)
    env["LAMBDA_TASK_ROOT"] = str(code)
    with tempfile.TemporaryDirectory(prefix="reconcile-invoke-") as tmp:
        result = Path(tmp) / "result.json"
        started = time.time()
        try:
            proc = subprocess.run(
                [sys.executable, "-c", BOOTSTRAP, str(result), str(started + timeout)],
                input=json.dumps(event), cwd=code, env=env, capture_output=True, text=True,
                timeout=timeout + STARTUP_ALLOWANCE)
            logs = proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as e:
            logs = _text(e.stdout) + _text(e.stderr)
            message = f"Task timed out after {timeout:.2f} seconds"
            return json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}), True, logs + message
        elapsed = (time.time() - started) * 1000
        logs = f"START RequestId: {request_id}\n{logs}END RequestId: {request_id}\nREPORT Duration: {elapsed:.2f} ms\n"
        if not result.exists():
            return json.dumps({"errorType": "Runtime.ExitError",
                               "errorMessage": f"the handler process exited with code {proc.returncode}"}), True, logs
        answer = json.loads(result.read_text())
    return answer["payload"], bool(answer["error"]), logs


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    for key in (name, name.lower(), name.title()):
        try:
            value = headers.get(key)
        except Exception:
            value = None
        if value:
            return str(value)
    return None


def _invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> str | bytes:
    """LambdaFunction.invoke, running the handler instead of a Docker container. As Lambda answers: a payload
    that is not JSON is 400 InvalidRequestContentException; ``Event`` runs the handler in the background and
    answers 202 with an empty body; ``DryRun`` runs nothing (204); ``RequestResponse`` names the
    ``ExecutedVersion``."""
    from moto.awslambda.exceptions import LambdaClientError

    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    try:
        event = json.loads(body) if body else {}
    except ValueError as e:
        raise LambdaClientError("InvalidRequestContentException", "Could not parse request body into json: Could "
                                f"not parse payload into json: {e.msg}: at line {e.lineno} column {e.colno}") from None
    host = _header(request_headers, "Host")
    kind = _header(request_headers, "X-Amz-Invocation-Type") or "RequestResponse"
    if kind == "DryRun":
        return b""
    if kind == "Event":
        threading.Thread(target=_run_and_log, args=(self, event, host), daemon=True).start()
        return b""
    payload, errored, logs = _run_and_log(self, event, host)
    if errored:
        response_headers["x-amz-function-error"] = "Unhandled"
    response_headers["x-amz-executed-version"] = str(getattr(self, "version", None) or "$LATEST")
    response_headers["x-amz-log-result"] = base64.b64encode(logs[-4096:].encode()).decode()
    return payload.encode()


def _run_and_log(fn: Any, event: Any, host: str | None) -> tuple[str, bool, str]:
    payload, errored, logs = run(fn, event, f"http://{host}" if host else None)
    try:
        fn.save_logs(logs)
    except Exception:  # logs are a nicety; the answer matters
        pass
    return payload, errored, logs


# --------------------------------------------------------------------------------------------------
# execute-api: HTTP APIs in front of Lambda


def match_route(route_keys: list[str], method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The route API Gateway picks for ``method path``, with its path parameters (None: no route)."""
    candidates: list[tuple[tuple[int, int, int], str, dict[str, str]]] = []
    for key in route_keys:
        if key == "$default":
            continue
        r_method, r_path = key.split(" ", 1)
        if r_method not in ("ANY", method):
            continue
        pattern, literal, greedy = "", 0, 0
        for part in re.split(r"(\{[^}]+\})", r_path):
            if part.startswith("{") and part.endswith("+}"):
                pattern += f"(?P<{part[1:-2]}>.+)"
                greedy = 1
            elif part.startswith("{"):
                pattern += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                pattern += re.escape(part)
                literal += len(part)
        m = re.fullmatch(pattern, path)
        if m:
            # exact method before ANY, fewer greedy parameters, longer literal text
            candidates.append(((-greedy, literal, int(r_method == method)), key, m.groupdict()))
    if candidates:
        _, key, params = max(candidates, key=lambda c: c[0])
        return key, params
    return ("$default", {}) if "$default" in route_keys else None


def http_event(*, api_id: str, account: str, region: str, route_key: str, method: str, path: str, query: str,
               headers: dict[str, str], body: bytes, params: dict[str, str], source_ip: str = "127.0.0.1") -> dict[str, Any]:
    """The Lambda proxy event of payload format 2.0."""
    now = time.time()
    lower = {k.lower(): v for k, v in headers.items()}
    cookies = [c.strip() for c in lower.pop("cookie", "").split(";") if c.strip()]
    text_types = ("json", "text", "xml", "x-www-form-urlencoded", "javascript")
    is_text = not body or any(t in lower.get("content-type", "application/json") for t in text_types)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": lower,
        "requestContext": {
            "accountId": account, "apiId": api_id, "domainName": f"{api_id}.execute-api.{region}.amazonaws.com",
            "domainPrefix": api_id, "requestId": uuid.uuid4().hex[:16], "routeKey": route_key, "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), "timeEpoch": int(now * 1000),
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": lower.get("user-agent", "")},
        },
        "isBase64Encoded": not is_text,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        qs: dict[str, list[str]] = {}
        for k, v in parse_qsl(query, keep_blank_values=True):
            qs.setdefault(k, []).append(v)
        event["queryStringParameters"] = {k: ",".join(v) for k, v in qs.items()}
    if params:
        event["pathParameters"] = params
    if body:
        event["body"] = body.decode() if is_text else base64.b64encode(body).decode()
    return event


def http_response(payload: str) -> tuple[int, dict[str, str], bytes]:
    """Payload format 2.0's response mapping: {statusCode, headers, body, isBase64Encoded} or any JSON (a 200)."""
    try:
        value = json.loads(payload) if payload else None
    except ValueError:
        return 502, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}'
    if isinstance(value, dict) and "statusCode" in value:
        headers = {str(k).lower(): str(v) for k, v in (value.get("headers") or {}).items()}
        body = value.get("body") or ""
        data = base64.b64decode(body) if value.get("isBase64Encoded") else str(body).encode()
        if value.get("cookies"):
            headers["set-cookie"] = ", ".join(value["cookies"])
        return int(value["statusCode"]), headers, data
    return 200, {"content-type": "application/json"}, (payload or "").encode()


INVOKE_ARN = re.compile(r"^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/[0-9-]+/functions/(.+)/invocations$")


def function_of(integration_uri: str) -> str:
    """The Lambda function an AWS_PROXY integration names: its ARN as given, or the one inside its invoke ARN
    (``arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations``; AWS takes both)."""
    m = INVOKE_ARN.match(integration_uri or "")
    return m.group(1) if m else integration_uri


def _permitted(fn: Any, source: str) -> bool:
    """Does the function's resource policy let API Gateway invoke it from ``source`` (an execute-api ARN)?"""
    for st in getattr(fn.policy, "statements", []):
        principal = st.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else principal
        if st.get("Effect", "Allow") != "Allow" or service != "apigateway.amazonaws.com":
            continue
        if _conditions_allow(st.get("Condition") or {}, source):
            return True
    return False


def _conditions_allow(condition: dict[str, Any], source: str) -> bool:
    """IAM's evaluation of the statement's ``aws:SourceArn`` conditions (ArnLike/ArnEquals/StringLike/
    StringEquals, any value of a list matching); a statement without one allows every source. Written
    here, not shared with reconcile's adapters, so that the emulator checks the client independently."""
    for operator, tests in condition.items():
        for key, values in (tests or {}).items():
            if key.lower() != "aws:sourcearn":
                continue
            values = values if isinstance(values, list) else [values]
            exact = operator in ("ArnEquals", "StringEquals")
            if not any((source == v) if exact else fnmatch.fnmatchcase(source, str(v)) for v in values):
                return False
    return True


def _find_api(api_id: str) -> tuple[Any, str, str] | None:
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account, regions in list(apigatewayv2_backends.items()):
        for region, backend in list(regions.items()):
            if api_id in backend.apis:
                return backend.apis[api_id], account, region
    return None


def _json(status: int, message: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps({"message": message}).encode()


def execute(api_id: str, method: str, path: str, query: str, headers: dict[str, str], body: bytes,
            endpoint: str | None) -> tuple[int, dict[str, str], bytes]:
    """Answer one HTTP request to HTTP API ``api_id`` as API Gateway would."""
    from moto.awslambda.models import lambda_backends

    found = _find_api(api_id)
    if found is None or "$default" not in found[0].stages:
        return _json(404, "Not Found")
    api, account, region = found
    routes = {r.route_key: r for r in api.routes.values()}
    matched = match_route(list(routes), method, path)
    if matched is None:
        return _json(404, "Not Found")
    key, params = matched
    integration = api.integrations.get((routes[key].target or "").removeprefix("integrations/"))
    if integration is None or integration.integration_type != "AWS_PROXY":
        return _json(500, "Internal Server Error")
    try:
        fn = lambda_backends[account][region].get_function(function_of(integration.integration_uri))
    except Exception:
        return _json(500, "Internal Server Error")
    # the source ARN names the route's path template (/items/{id}), as API Gateway's does
    m_path = "$default" if key == "$default" else f"{method}{key.split(' ', 1)[1]}"
    if not _permitted(fn, f"arn:aws:execute-api:{region}:{account}:{api_id}/$default/{m_path}"):
        return _json(500, "Internal Server Error")  # AWS: the API may not invoke the function
    event = http_event(api_id=api_id, account=account, region=region, route_key=key, method=method, path=path,
                       query=query, headers=headers, body=body, params=params)
    payload, errored, logs = run(fn, event, endpoint)
    try:
        fn.save_logs(logs)
    except Exception:
        pass
    if errored:
        return _json(500, "Internal Server Error")
    return http_response(payload)


def wsgi_middleware(app: Any) -> Any:
    """Answer execute-api requests; pass everything else to ``app``."""

    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        host = environ.get("HTTP_HOST", "")
        by_host = HOST.match(host)
        if by_host:
            api_id, rest = by_host.group(1), path
        elif path.startswith(ROUTE_PREFIX):
            api_id, _, rest = path[len(ROUTE_PREFIX):].partition("/")
            rest = "/" + rest
        else:
            return app(environ, start_response)
        # the handler's boto3 calls come back to this server
        endpoint = f"http://{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
        body = request_body(environ)
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        status, out_headers, data = execute(api_id, environ.get("REQUEST_METHOD", "GET"), unquote(rest),
                                            environ.get("QUERY_STRING", ""), headers, body, endpoint)
        out_headers = {**out_headers, "content-length": str(len(data))}
        start_response(f"{status} {_reason(status)}", list(out_headers.items()))
        return [data]

    return middleware


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


# --------------------------------------------------------------------------------------------------
# install


def _install_role_check() -> None:
    """CreateFunction refuses a role Lambda cannot assume (missing, not trusting lambda.amazonaws.com, or
    younger than the sandbox's role_propagation_seconds): InvalidParameterValueException, as AWS."""
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend

    from reconciler.sandbox.roles import why_not_assumable
    from reconciler.sandbox.sagemaker.controls import get_config

    original = LambdaBackend.create_function

    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        role = str(spec.get("Role") or "")
        if re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:role/.+", role) and role.split(":")[4] == self.account_id:
            if why_not_assumable(self.account_id, role, "lambda.amazonaws.com",
                                 get_config()["role_propagation_seconds"]):
                raise InvalidParameterValueException("The role defined for the function cannot be assumed by Lambda.")
        return original(self, spec)

    LambdaBackend.create_function = create_function  # type: ignore[method-assign]


def install() -> None:
    """Patch moto's Lambda invoke and the server's dispatcher in this process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    from moto.awslambda.models import LambdaFunction

    LambdaFunction.invoke = _invoke  # type: ignore[method-assign]
    _install_role_check()
    from reconciler.sandbox.extensions import in_front_of_server

    in_front_of_server(wsgi_middleware)
