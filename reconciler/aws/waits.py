"""The waits a plan lists as operations of their own (``Operation.action == "Wait"``), by name.

Each polls its service through the adapters until the condition holds, fails with the service's own
reason, or times out (``Unsettled``: nothing is undone, apply again keeps waiting); progress goes to
``ctx.progress``. A wait's request names what it waits for as the AWS calls name it (``EndpointName``,
``EndpointConfigName`` …) plus ``TimeoutSeconds`` (the manifest's ``spec.waitTimeoutSeconds``; the
``RECONCILE_WAIT_TIMEOUT`` environment variable overrides it) and ``After`` (the call it follows, for the
wording of a failure).

Also here: the calls sent again while AWS answers "not yet" (``interpreter.RETRIES``: a role IAM has not
propagated yet).
"""

from __future__ import annotations

import os
from typing import Any

from reconciler import interpreter
from reconciler.aws import lambda_ as lamx
from reconciler.aws import sagemaker as smx
from reconciler.errors import AwsError

SERVICE = "sagemaker"


def timeout(request: dict[str, Any], ctx: Any) -> float:
    """The apply option, else RECONCILE_WAIT_TIMEOUT (seconds), else the plan's TimeoutSeconds."""
    override = ctx.options.get("wait_timeout") or os.environ.get("RECONCILE_WAIT_TIMEOUT")
    return float(override or request.get("TimeoutSeconds") or smx.DEFAULT_TIMEOUT)


def _verb(request: dict[str, Any]) -> str:
    after = str(request.get("After") or "")
    return "update" if after.startswith("Update") else "delete" if after.startswith("Delete") else "create"


@interpreter.waiter("EndpointInService")
def endpoint_in_service(aws: Any, request: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """The endpoint settles InService, on ``EndpointConfigName`` when given (else the update was rolled back),
    with no FailureReason other than ``FailureReason`` (the one it had before the call)."""
    return smx.wait_endpoint(aws.client(SERVICE), request["EndpointName"], progress=ctx.progress,
                             timeout=timeout(request, ctx), want_config=request.get("EndpointConfigName"),
                             old_failure=request.get("FailureReason"), action=_verb(request))


@interpreter.waiter("EndpointSettled")
def endpoint_settled(aws: Any, request: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Creating, Updating, RollingBack … ends (AWS refuses to delete or update an endpoint meanwhile)."""
    return smx.settle_endpoint(aws.client(SERVICE), request["EndpointName"], progress=ctx.progress,
                               timeout=timeout(request, ctx)) or {}


@interpreter.waiter("EndpointDeleted")
def endpoint_deleted(aws: Any, request: dict[str, Any], ctx: Any) -> dict[str, Any]:
    name = request["EndpointName"]
    sm = aws.client(SERVICE)
    d = smx.poll(lambda: smx.describe_endpoint(sm, name), "EndpointStatus", f"Endpoint/{name}", progress=ctx.progress,
                 timeout=timeout(request, ctx), until=lambda s: s is None or s not in smx.TRANSITIONAL,
                 doing=", waiting until deleted", action="delete")
    if d is not None:
        raise AwsError(f"Failed to delete Endpoint/{name}: it is {d.get('EndpointStatus')} after DeleteEndpoint: "
                       f"{d.get('FailureReason', '')}")
    ctx.progress(f"Endpoint/{name}: deleted")
    return {}


@interpreter.waiter("InferenceComponentInService")
def component_in_service(aws: Any, request: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """The component settles InService, running ``ModelName`` when given (else the update was rolled back)."""
    return smx.wait_ic(aws.client(SERVICE), request["InferenceComponentName"], progress=ctx.progress,
                       timeout=timeout(request, ctx), want_model=request.get("ModelName"), action=_verb(request))


@interpreter.waiter("InferenceComponentSettled")
def component_settled(aws: Any, request: dict[str, Any], ctx: Any) -> dict[str, Any]:
    smx.wait_ic_settled(aws.client(SERVICE), request["InferenceComponentName"], progress=ctx.progress,
                        timeout=timeout(request, ctx))
    return {}


@interpreter.waiter("InferenceComponentDeleted")
def component_deleted(aws: Any, request: dict[str, Any], ctx: Any) -> dict[str, Any]:
    name = request["InferenceComponentName"]
    smx.wait_ic_gone(aws.client(SERVICE), name, progress=ctx.progress, timeout=timeout(request, ctx))
    ctx.progress(f"InferenceComponent/{name}: deleted")
    return {}


@interpreter.waiter("SmokeTestPasses")
def smoke_test(aws: Any, request: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """One InvokeEndpoint (writes nothing): it answers, and the answer contains ``Expect`` when given."""
    from reconciler import invoke

    endpoint, component = request["EndpointName"], request.get("InferenceComponentName")
    what = f"InferenceComponent/{component}" if component else f"Endpoint/{endpoint}"
    try:
        text = invoke.generate(aws, endpoint, request["Inputs"], request.get("Parameters") or {}, component=component)
    except AwsError as e:
        raise AwsError(f"Smoke test of {what} failed: {e}") from e
    expect = request.get("Expect")
    if expect and expect not in text:
        raise AwsError(f"Smoke test of {what} failed: the answer does not contain {expect!r}: {text[:200]!r}")
    ctx.progress(f"{what}: smoke test passed ({len(text)} characters generated)")
    return {"Characters": len(text)}


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


# ---- a role created in the same apply may not be assumable yet (IAM propagates within seconds) -----------
interpreter.RETRIES[("lambda", "CreateFunction")] = lambda call, _progress: lamx.retry_role(call)
interpreter.RETRIES[("lambda", "UpdateFunctionConfiguration")] = lambda call, _progress: lamx.retry_role(call)
# SageMaker's CreateModel: "Could not assume role" for about two minutes, said through progress
interpreter.RETRIES[(SERVICE, "CreateModel")] = lambda call, progress: smx.assuming_role(call, "CreateModel", progress)
