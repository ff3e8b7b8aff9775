"""`reconcile invoke --stream` against the sandbox: tokens printed as they arrive (a model-based endpoint and
an inference component), the same text as without --stream, and a ModelStreamError as a clear error."""

from __future__ import annotations

import subprocess
import time

from tests.support.cli import reconcile_exe
from tests.support.manifests import llm_endpoint, sagemaker_stack, write

COMPONENT = """
apiVersion: reconciler/v1
kind: Endpoint
metadata: {name: stream-ic}
spec:
  type: inference-component-based
  executionRole: stream-exec
  model:
    image: {huggingfaceLlm: {version: "2.2.0"}}
    environment: {HF_MODEL_ID: org/streamer}
  instance: {type: ml.g5.2xlarge, count: 1}
  inferenceComponent: {name: streamer, copies: 1, acceleratorDevices: 1, memoryMb: 4096}
"""


def deployed(cli, moto_server, tmp_path):  # type: ignore[no-untyped-def]
    moto_server.post("/reconcile-sandbox/sagemaker/config",
                     {"create_seconds": 0.2, "update_seconds": 0.2, "delete_seconds": 0.1})
    cli.env["RECONCILE_POLL_SECONDS"] = "0.05"
    m = write(tmp_path / "m", {"stack.yaml": sagemaker_stack("stream", "stream"),
                               "llm.yaml": llm_endpoint("stream-llm", "stream-exec", "org/model"),
                               "ic.yaml": COMPONENT})
    r = cli("apply", str(m), "--auto-approve")
    assert r.code == 0, r.text
    return m


def test_stream_prints_the_same_text_as_invoke_for_an_endpoint_and_a_component(cli, moto_server, tmp_path):
    deployed(cli, moto_server, tmp_path)
    for extra in ((), ("--inference-component", "streamer")):
        name = "stream-ic" if extra else "stream-llm"
        whole = cli("invoke", name, *extra, "--prompt", "Hello", "--max-new-tokens", "12")
        streamed = cli("invoke", name, *extra, "--prompt", "Hello", "--max-new-tokens", "12", "--stream")
        assert whole.code == 0 and streamed.code == 0, streamed.text
        assert streamed.out == whole.out and len(whole.out.split()) == 12, (whole.out, streamed.out)
    assert cli("invoke", "stream-ic", "--prompt", "Hi", "--stream").out.startswith("org/streamer here.")


def test_tokens_are_printed_as_they_arrive(cli, moto_server, tmp_path):
    deployed(cli, moto_server, tmp_path)
    moto_server.post("/reconcile-sandbox/sagemaker/config", {"token_seconds": 0.4})
    proc = subprocess.Popen([reconcile_exe(), "invoke", "stream-llm", "--prompt", "Hello", "--max-new-tokens", "8",
                             "--stream"], cwd=tmp_path, env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first = proc.stdout.read(4)  # type: ignore[union-attr]  # the first token: "Here"
        running = proc.poll() is None
        seen_at = time.monotonic()
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert first == b"Here" and running, err
    assert time.monotonic() - seen_at > 1.5  # seven more tokens, 0.4 s apart, came after it
    assert proc.returncode == 0 and len((first + rest).split()) == 8


def test_a_model_stream_error_is_a_clear_error_after_what_arrived(cli, moto_server, tmp_path):
    deployed(cli, moto_server, tmp_path)
    moto_server.post("/reconcile-sandbox/sagemaker/faults", {"endpoint": "stream-llm", "on": "stream",
                                                             "errorCode": "StreamBroken", "afterTokens": 3})
    r = cli("invoke", "stream-llm", "--prompt", "Hello", "--max-new-tokens", "8", "--stream")
    assert r.code == 1, r.text
    assert r.out == "Here is a\n"  # the tokens that came, ended with a newline
    assert r.err.startswith("Error: Failed to invoke Endpoint/stream-llm: the answer stopped part-way with "
                            "ModelStreamError: The stream from container primary was broken"), r.err
    assert "Traceback" not in r.err
    r = cli("invoke", "missing", "--prompt", "Hello", "--stream")
    assert r.code == 1 and "does not exist" in r.err
