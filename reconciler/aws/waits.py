"""The waits a plan lists as operations of their own (``Operation.action == "Wait"``), by name.

Each polls its service through the adapters until the condition holds, fails with the service's own
reason, or times out; progress goes to ``ctx.progress``.
"""

from __future__ import annotations

from typing import Any

from reconciler import interpreter
from reconciler.aws import lambda_ as lamx


# ---- Lambda -----------------------------------------------------------------------------------------
# Lambda refuses UpdateFunctionCode / UpdateFunctionConfiguration (ResourceConflictException) while the
# function is Pending or an update is InProgress: the plan waits in between (as botocore's waiters of these
# names, which poll GetFunction). Both return once the function is settled: not Pending, no update in
# progress; a Failed state or update fails with Lambda's reason.
@interpreter.waiter("FunctionActiveV2")
@interpreter.waiter("FunctionUpdatedV2")
def _function_settled(aws: Any, request: dict[str, Any], ctx: Any) -> dict[str, Any]:
    lamx.wait_settled(aws, request["FunctionName"])
    return {}


# a role created in the same apply may not be assumable by Lambda yet (IAM propagates within seconds)
interpreter.RETRIES[("lambda", "CreateFunction")] = lamx.retry_role
interpreter.RETRIES[("lambda", "UpdateFunctionConfiguration")] = lamx.retry_role
