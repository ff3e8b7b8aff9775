"""Which AWS operations the sandbox answers: moto's, plus the ones ``reconciler/sandbox`` adds.

An operation is served when the response class that moto's server dispatches to has a method for it (moto
answers any other one with an HTTP 500 "has not been implemented"). The services are the ones the sandbox
emulates (docs/sandbox.md); ``served()`` lists, per service, the operations of botocore's model it answers
and ``missing()`` the ones it does not (docs/sandbox.md lists them; tests/sandbox/test_coverage.py keeps that
list current, tests/sandbox/test_paging.py pages every paginated read among the served ones).
"""

from __future__ import annotations

import functools
import importlib

#: botocore service name -> moto's response class (module:Class) for it
RESPONSES = {
    "sagemaker": "moto.sagemaker.responses:SageMakerResponse",
    "sagemaker-runtime": "moto.sagemakerruntime.responses:SageMakerRuntimeResponse",
    "iam": "moto.iam.responses:IamResponse",
    "sts": "moto.sts.responses:TokenResponse",
    "lambda": "moto.awslambda.responses:LambdaResponse",
    "apigatewayv2": "moto.apigatewayv2.responses:ApiGatewayV2Response",
    "secretsmanager": "moto.secretsmanager.responses:SecretsManagerResponse",
    "application-autoscaling": "moto.applicationautoscaling.responses:ApplicationAutoScalingResponse",
    "cloudwatch": "moto.cloudwatch.responses:CloudWatchResponse",
}
SERVICES = tuple(RESPONSES)
#: operations the sandbox answers in front of moto's server (a middleware), with no response method for them
IN_FRONT = {"sagemaker-runtime": ("InvokeEndpointWithResponseStream",)}  # sagemaker/streaming.py


@functools.cache
def served() -> dict[str, tuple[str, ...]]:
    """{service: operations (botocore's names) the sandbox answers}, with every extension installed."""
    import botocore.session
    from moto.core.utils import camelcase_to_underscores, method_names_from_class

    from reconciler.sandbox.extensions import install

    install()
    session = botocore.session.get_session()
    out = {}
    for service, where in RESPONSES.items():
        module, cls = where.split(":")
        methods = set(method_names_from_class(getattr(importlib.import_module(module), cls)))
        ops = session.get_service_model(service).operation_names
        out[service] = tuple(op for op in ops if camelcase_to_underscores(op) in methods
                             or op in IN_FRONT.get(service, ()))
    return out


def missing() -> dict[str, tuple[str, ...]]:
    """{service: operations of botocore's model the sandbox does not answer}."""
    import botocore.session

    session = botocore.session.get_session()
    return {s: tuple(op for op in session.get_service_model(s).operation_names if op not in ops)
            for s, ops in served().items()}


BEGIN, END = "<!-- missing operations: begin (python -m reconciler.sandbox.coverage", "<!-- missing operations: end -->"


def markdown() -> str:
    """docs/sandbox.md's list of the operations the sandbox does not answer, service by service (botocore's
    models grow: the list names the botocore it was made with)."""
    import botocore

    lines = [f"{BEGIN}; botocore {botocore.__version__}) -->", ""]
    for service, ops in missing().items():
        total = len(ops) + len(served()[service])
        lines.append(f"<details><summary><code>{service}</code>: {len(ops)} of {total} operations missing"
                     "</summary>\n")
        lines.append(", ".join(ops) if ops else "none")
        lines.append("\n</details>\n")
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
