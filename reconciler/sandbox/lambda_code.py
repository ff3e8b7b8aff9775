"""GetFunction's Code.Location as AWS gives it: a URL the code zip can be downloaded from.

moto answers with an S3 URL of a bucket that does not exist; the sandbox answers with a URL on itself
(``/reconcile-sandbox/lambda-code/<account>/<region>/<function>``) that serves the function's zip, so
``reconcile import`` (and anyone following AWS's docs) can download the code of a function.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, unquote

PREFIX = "/reconcile-sandbox/lambda-code/"
_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from moto.awslambda.responses import LambdaResponse

    from reconciler.sandbox.extensions import in_front_of_server

    original = LambdaResponse.get_function

    def get_function(self: Any) -> str:
        body = json.loads(original(self))
        code = body.get("Code") or {}
        if code.get("RepositoryType") == "S3":
            host = self.headers.get("Host") or "127.0.0.1"
            name = body["Configuration"]["FunctionName"]
            code["Location"] = f"http://{host}{PREFIX}{self.current_account}/{self.region}/{quote(name)}"
        return json.dumps(body)

    LambdaResponse.get_function = get_function  # type: ignore[method-assign]
    in_front_of_server(_middleware)


def _middleware(app: Any) -> Any:
    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return app(environ, start_response)
        from moto.awslambda.models import lambda_backends

        parts = [unquote(p) for p in path[len(PREFIX):].split("/")]
        try:
            account, region, name = parts
            data = lambda_backends[account][region].get_function(name).code_bytes
        except Exception:
            start_response("404 Not Found", [("content-type", "text/plain")])
            return [b"no such function"]
        start_response("200 OK", [("content-type", "application/zip"), ("content-length", str(len(data)))])
        return [data]

    return middleware
