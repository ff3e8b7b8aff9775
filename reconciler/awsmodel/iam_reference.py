"""The Service Authorization Reference: every IAM action, the resource types it acts on, their ARN formats and
condition keys, as AWS publishes them (docs.aws.amazon.com/service-authorization/latest/reference/), read from the
copy parliament ships (``parliament/iam_definition.json``, a dependency already installed for policy lint).

Used on both sides of the wire, each for its own purpose: ``reconcile permissions`` checks that every action it
grants exists and which resources and condition keys IAM allows for it; the sandbox's IAM authorization builds
from it the ARNs a request acts on. Loaded once, on first use (10 MB of JSON, about 0.3 s).

Terms as the reference uses them: a privilege lists resource types, a required one marked ``*`` (``endpoint*``);
an entry with no resource type holds the action's own condition keys (``aws:RequestTag/${TagKey}``); a resource
type's condition keys (``aws:ResourceTag/${TagKey}``) apply where the action acts on that type. An action with no
resource type takes only ``"Resource": "*"``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

RESOURCE_TAG = "aws:ResourceTag/${TagKey}"
#: S3's API operations whose IAM action has another name (the Amazon S3 User Guide, "Required permissions for
#: Amazon S3 API operations"): the object and listing operations, and the bucket configurations whose Delete* is the
#: Put* action. Every other S3 operation is checked as ``s3:<Operation>`` (s3:GetObject, s3:CreateBucket); the few
#: newer ones whose action is another service's (s3express:CreateSession) or not known here are not mapped.
S3_ACTIONS = {"ListObjectsV2": "s3:ListBucket", "ListObjects": "s3:ListBucket", "HeadBucket": "s3:ListBucket",
              "HeadObject": "s3:GetObject", "ListBuckets": "s3:ListAllMyBuckets", "DeleteObjects": "s3:DeleteObject",
              "ListObjectVersions": "s3:ListBucketVersions", "CreateMultipartUpload": "s3:PutObject",
              "UploadPart": "s3:PutObject", "CompleteMultipartUpload": "s3:PutObject", "CopyObject": "s3:PutObject",
              "ListMultipartUploads": "s3:ListBucketMultipartUploads", "ListParts": "s3:ListMultipartUploadParts",
              "GetObjectAttributes": "s3:GetObject", "UploadPartCopy": "s3:PutObject",
              "SelectObjectContent": "s3:GetObject",
              "GetBucketCors": "s3:GetBucketCORS", "PutBucketCors": "s3:PutBucketCORS", "DeleteBucketCors": "s3:PutBucketCORS",
              "GetBucketEncryption": "s3:GetEncryptionConfiguration",
              "PutBucketEncryption": "s3:PutEncryptionConfiguration",
              "DeleteBucketEncryption": "s3:PutEncryptionConfiguration",
              "GetBucketLifecycle": "s3:GetLifecycleConfiguration",
              "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
              "PutBucketLifecycle": "s3:PutLifecycleConfiguration",
              "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
              "DeleteBucketLifecycle": "s3:PutLifecycleConfiguration",
              "DeleteBucketTagging": "s3:PutBucketTagging",
              "GetBucketReplication": "s3:GetReplicationConfiguration",
              "PutBucketReplication": "s3:PutReplicationConfiguration",
              "DeleteBucketReplication": "s3:PutReplicationConfiguration",
              "DeleteBucketOwnershipControls": "s3:PutBucketOwnershipControls",
              "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
              "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
              "DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
              "GetBucketAccelerateConfiguration": "s3:GetAccelerateConfiguration",
              "PutBucketAccelerateConfiguration": "s3:PutAccelerateConfiguration",
              "GetBucketNotificationConfiguration": "s3:GetBucketNotification",
              "PutBucketNotificationConfiguration": "s3:PutBucketNotification",
              "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
              "PutObjectLockConfiguration": "s3:PutBucketObjectLockConfiguration",
              **{f"{verb}Bucket{what}Configuration{'s' if verb == 'List' else ''}":
                 f"s3:{'Get' if verb in ('Get', 'List') else 'Put'}{what}Configuration"
                 for what in ("Analytics", "IntelligentTiering", "Inventory", "Metrics")
                 for verb in ("Get", "Put", "Delete", "List")}}


def s3_action(operation: str) -> str:
    """The IAM action S3's API operation ``operation`` needs: ``ListObjectsV2`` -> ``s3:ListBucket``."""
    return S3_ACTIONS.get(operation, f"s3:{operation}")


@dataclass(frozen=True)
class ResourceType:
    name: str  # "endpoint", "role", "Api"
    arn: str  # "arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/${EndpointName}"
    condition_keys: tuple[str, ...]


@dataclass(frozen=True)
class Action:
    prefix: str  # "sagemaker"
    name: str  # "CreateEndpoint", as the reference spells it
    access_level: str  # Read | List | Write | Tagging | Permissions management
    #: (resource type, required) in the reference's order
    resource_types: tuple[tuple[str, bool], ...]
    #: the action's own condition keys (not those of its resource types)
    condition_keys: tuple[str, ...]
    #: actions IAM also checks when this one is called (``iam:PassRole`` for sagemaker:CreateModel)
    dependent: tuple[str, ...]

    @property
    def full(self) -> str:
        return f"{self.prefix}:{self.name}"

    @property
    def required(self) -> tuple[ResourceType, ...]:
        return tuple(t for n, req in self.resource_types if req for t in resource_types(self.prefix, n))

    @property
    def optional(self) -> tuple[ResourceType, ...]:
        return tuple(t for n, req in self.resource_types if not req for t in resource_types(self.prefix, n))

    @property
    def scoped(self) -> bool:
        """IAM takes resource ARNs for this action (else only ``"Resource": "*"``)."""
        return bool(self.resource_types)

    def keys_for(self, types: tuple[ResourceType, ...]) -> frozenset[str]:
        """Condition keys available when the action acts on ``types``."""
        return frozenset(self.condition_keys).union(*(t.condition_keys for t in types))

    def supports(self, key: str, types: tuple[ResourceType, ...] | None = None) -> bool:
        """Whether condition key ``key`` (``aws:ResourceTag/${TagKey}``) applies to this action on ``types``
        (default: every resource type it requires, or its optional ones when it requires none)."""
        types = types if types is not None else (self.required or self.optional)
        return key in self.condition_keys or bool(types) and all(key in t.condition_keys for t in types)


@functools.cache
def _data() -> tuple[dict[str, dict[str, Action]], dict[str, dict[str, list[ResourceType]]]]:
    from importlib import resources

    raw = json.loads((resources.files("parliament") / "iam_definition.json").read_text())
    actions: dict[str, dict[str, Action]] = {}
    types: dict[str, dict[str, list[ResourceType]]] = {}
    for service in raw:  # a prefix may come more than once (API Gateway: its v1 and v2 management APIs)
        prefix = service["prefix"]
        for r in service["resources"]:  # (API Gateway's v1 and v2 both have a "Stage", of different ARNs)
            types.setdefault(prefix, {}).setdefault(r["resource"].lower(), []).append(ResourceType(
                r["resource"], r["arn"], tuple(r["condition_keys"])))
        for p in service["privileges"]:
            typed = tuple((t["resource_type"].rstrip("*"), t["resource_type"].endswith("*"))
                          for t in p["resource_types"] if t["resource_type"])
            own = tuple(k for t in p["resource_types"] if not t["resource_type"] for k in t["condition_keys"])
            dependent = tuple(sorted({d for t in p["resource_types"] for d in t["dependent_actions"]}))
            known = actions.setdefault(prefix, {}).get(p["privilege"].lower())
            if known is not None:  # the same privilege in both of a prefix's APIs (apigateway:GET): merged
                typed = tuple(dict.fromkeys(known.resource_types + typed))
                own = tuple(dict.fromkeys(known.condition_keys + own))
                dependent = tuple(sorted(set(known.dependent) | set(dependent)))
            actions[prefix][p["privilege"].lower()] = Action(prefix, p["privilege"], p["access_level"], typed, own,
                                                              dependent)
    return actions, types


def action(full: str) -> Action | None:
    """``sagemaker:CreateEndpoint`` (any case, as IAM compares actions) -> its entry, or None when IAM has none."""
    prefix, _, name = full.partition(":")
    return _data()[0].get(prefix.lower(), {}).get(name.lower())


def resource_types(prefix: str, name: str) -> list[ResourceType]:
    """The resource types of that name (API Gateway's v1 and v2 share names: both)."""
    return _data()[1].get(prefix.lower(), {}).get(name.lower(), [])
