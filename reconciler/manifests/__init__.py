"""YAML manifests -> typed resources, with file:line:field for every error, all reported at once.

One module per step:
  discovery.py      which files under the folder are manifests (and which are skipped, and why)
  yaml_reader.py    one file -> plain documents with the line of every path (defensive YAML)
  models.py         the Stack and metadata models, tag rules, Manifests (the loaded folder)
  error_wording.py  pydantic's errors -> one friendly issue per wrong field
  loading.py        load(): discover, read, compose environments, validate, check names and references
"""

from reconciler.manifests.discovery import MANIFEST_SUFFIXES, Discovery, discover, is_manifest_name
from reconciler.manifests.error_wording import _pydantic_issues
from reconciler.manifests.loading import _default_stack_name, _load_document, load
from reconciler.manifests.models import (
    _REGION,
    MAX_USER_TAGS,
    RESERVED_TAG_PREFIXES,
    Manifests,
    Metadata,
    Stack,
    StackSpec,
    tag_problems,
)
from reconciler.manifests.yaml_reader import _read_documents

__all__ = [
    "MANIFEST_SUFFIXES", "MAX_USER_TAGS", "RESERVED_TAG_PREFIXES", "Discovery", "Manifests", "Metadata", "Stack",
    "StackSpec", "_REGION", "_default_stack_name", "_load_document", "_pydantic_issues", "_read_documents", "discover",
    "is_manifest_name", "load", "tag_problems",
]
