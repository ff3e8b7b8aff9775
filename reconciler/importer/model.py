"""What one imported resource becomes: a manifest document, its comments, and what the user must know."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from reconciler import ADOPT_ANNOTATION
from reconciler.kinds._secrets import SECRETISH

OWN_TAG_PREFIX = "reconciler:"


@dataclass
class Imported:
    """One resource read back as a manifest document (``doc``), or refused (``refused``: why)."""

    kind: str
    name: str
    doc: dict[str, Any] = field(default_factory=dict)
    comments: dict[tuple, str] = field(default_factory=dict)
    #: (secret name, environment key, where its value is now): a Secrets Manager secret to create
    secrets: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    #: extra files to write next to the manifest (relative path -> bytes), e.g. a function's code
    files: dict[str, bytes] = field(default_factory=dict)
    #: comment lines above the document (what was defaulted, what the reader should know)
    head: list[str] = field(default_factory=list)
    #: the reconcile stack that owns the resource already (its ownership tags), if any
    owner: str | None = None

    def adopting(self, kind: str, name: str, tags: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
        """``document(...)``, remembering which reconcile stack owns the resource now (``owner``)."""
        from reconciler.policy import owner_of

        self.owner = owner_of(tags)
        return document(kind, name, tags, spec)

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.name}"


def document(kind: str, name: str, tags: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    """A manifest document carrying the adopt annotation; reconcile's own tags are left out."""
    user_tags = {k: v for k, v in sorted(tags.items()) if not k.startswith(OWN_TAG_PREFIX)
                 and not k.startswith("aws:")}
    meta: dict[str, Any] = {"name": name}
    if user_tags:
        meta["tags"] = user_tags
    meta["annotations"] = {ADOPT_ANNOTATION: "true"}
    return {"apiVersion": "reconciler/v1", "kind": kind, "metadata": meta, "spec": spec}


def is_secret(key: str, value: Any) -> bool:
    """A plain environment value that must not be written into a manifest."""
    return isinstance(value, str) and bool(value) and (
        bool(SECRETISH.search(key)) or key.upper() in ("HUGGING_FACE_HUB_TOKEN", "HF_TOKEN") or value.startswith("hf_"))


def secret_name(stack: str, resource: str, key: str) -> str:
    return re.sub(r"[^A-Za-z0-9/_+=.@-]", "-", f"{stack}/{resource}/{key.lower().replace('_', '-')}")[:180]


def environment(item: Imported, env: dict[str, Any], path: tuple, stack: str, where: str) -> dict[str, Any]:
    """``env`` as a manifest writes it: secret-looking plain values become {secretsManager: NAME} references
    (recorded in ``item.secrets``; the value is never kept)."""
    out: dict[str, Any] = {}
    for key, value in sorted(env.items()):
        if isinstance(value, dict) and value.get("secretsManager"):  # a reference reconcile applied
            out[key] = {"secretsManager": value["secretsManager"]}
        elif is_secret(key, value):
            name = secret_name(stack, item.name, key)
            out[key] = {"secretsManager": name}
            item.secrets.append((name, key, where))
            item.comments[path + (key,)] = "was plain text: create this secret first (the import output says how)"
        else:
            out[key] = value if isinstance(value, str) else str(value)
    return out
