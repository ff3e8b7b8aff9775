"""reconciler/sandbox/speed.py: moto's per-request lookups of its own code, done once, answer as before."""

from __future__ import annotations

import os

import moto
import moto.backends
import moto.core.responses
from moto.core.responses import BaseResponse

from reconciler.sandbox import speed


def test_the_module_list_is_moto_s_package_folders():
    speed.install()
    root = os.path.dirname(moto.__file__)
    folders = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and not d.startswith("__"))
    assert list(moto.backends.list_of_moto_modules()) == folders
    assert "iam" in folders and "sagemaker" in folders


def test_a_method_added_to_a_response_class_later_is_still_found():
    speed.install()
    names = moto.core.responses.method_names_from_class

    class Answers(BaseResponse):
        def list_things(self) -> str:
            return "things"

    first = names(Answers)
    assert "list_things" in first and "describe_widget" not in first
    first.append("not_a_method")  # a caller changing the list it got does not change the next answer
    Answers.describe_widget = lambda self: "widget"  # type: ignore[attr-defined]  # (what an extension does)
    again = names(Answers)
    assert "describe_widget" in again and "list_things" in again and "not_a_method" not in again
