"""Image URIs read from the SageMaker SDK's bundled configs agree with the SDK's own retrieve()."""

from __future__ import annotations

import pytest

from reconciler import images

CASES = [
    ("huggingfaceLlm", "2.2.0", "us-east-1"),
    ("huggingfaceLlm", "3.3", "eu-west-1"),
    ("huggingfaceLlm", "1.4.5", "cn-north-1"),
    ("huggingfaceLlm", "2.0", "ap-southeast-2"),
    ("huggingfaceTei", "1.8.2", "us-west-2"),
    ("huggingfaceTeiCpu", "1.8.2", "us-east-1"),
    ("djlLmi", "0.29.0", "eu-central-1"),
    ("huggingfaceVllm", "0.29.0", "us-east-1"),
    ("vllm", "0.30.0", "us-east-1"),
]


def test_matches_the_sdk_retrieve():
    from sagemaker.core.image_uris import retrieve  # a dependency: never skipped
    for key, version, region in CASES:
        framework = images.FAMILIES[key].framework
        want = retrieve(framework=framework, region=region, version=version, image_scope="inference")
        assert images.uri(key, version, region) == want, (key, version, region)


def test_known_uri_shape():
    assert images.uri("huggingfaceLlm", "2.2.0", "us-east-1") == (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:"
        "2.3.0-tgi2.2.0-gpu-py310-cu121-ubuntu22.04-v2.0")
    assert images.uri("huggingfaceLlm", "1.4.5", "cn-north-1").startswith("727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/")


def test_unknown_version_lists_the_available_ones():
    msg = images.check_version("huggingfaceLlm", "9.9.9")
    assert msg and "unknown huggingfaceLlm version '9.9.9'" in msg and "2.2.0" in msg and "3.3.6" in msg
    assert images.check_version("huggingfaceLlm", "2.2.0") is None
    with pytest.raises(images.ImageError, match="available: "):
        images.uri("djlLmi", "0.0.1", "us-east-1")


def test_unpublished_region_is_an_error():
    with pytest.raises(images.ImageError, match="not published in region"):
        images.uri("huggingfaceLlm", "2.2.0", "xx-nowhere-1")
