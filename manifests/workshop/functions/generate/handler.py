"""POST /generate: the workshop's prompt -> SageMaker endpoint -> generated text, behind the HTTP API.

Request body (JSON):  {"prompt": "...", "parameters": {"max_new_tokens": 64, "temperature": 0.7, ...}}
Response (JSON):      {"generated_text": "..."}

The endpoint is named by the ENDPOINT_NAME environment variable (set in ../../api.yaml); the
function's role may call sagemaker:InvokeEndpoint on that endpoint only.
"""

import base64
import json
import os

import boto3

# Text Generation Inference parameters passed through; anything else is refused with a 400.
PARAMETERS = {"max_new_tokens", "temperature", "top_p", "top_k", "repetition_penalty", "do_sample",
              "return_full_text", "stop", "seed", "truncate", "typical_p"}

runtime = boto3.client("sagemaker-runtime")


def respond(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"},
            "body": json.dumps(body, ensure_ascii=False)}


def handler(event, context):
    raw = event.get("body") or "{}"
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode("utf-8")
    try:
        request = json.loads(raw)
    except ValueError:
        return respond(400, {"error": "the body must be JSON: {\"prompt\": ..., \"parameters\": {...}}"})
    if not isinstance(request, dict):
        return respond(400, {"error": "the body must be a JSON object"})
    prompt = request.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return respond(400, {"error": "'prompt' must be a non-empty string"})
    parameters = request.get("parameters") or {}
    unknown = sorted(set(parameters) - PARAMETERS) if isinstance(parameters, dict) else ["(not an object)"]
    if unknown:
        return respond(400, {"error": f"unknown parameters: {', '.join(unknown)}"})

    answer = runtime.invoke_endpoint(
        EndpointName=os.environ["ENDPOINT_NAME"],
        ContentType="application/json",
        Accept="application/json",
        Body=json.dumps({"inputs": prompt, "parameters": parameters}),
    )
    result = json.loads(answer["Body"].read())
    if isinstance(result, list):
        result = result[0] if result else {}
    return respond(200, {"generated_text": result.get("generated_text", "")})
