"""IAM adapter helpers shared by the Role and User kinds (users and roles have the same sub-resources)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler import policy
from reconciler.aws import Client

if TYPE_CHECKING:
    from reconciler.aws import Aws

# entity -> (name parameter, API noun) : role -> RoleName / "role", user -> UserName / "user"
_NOUN = {"role": ("RoleName", "role"), "user": ("UserName", "user")}


def attached(iam: Client, entity: str, name: str) -> list[str]:
    param, noun = _NOUN[entity]
    return sorted(p["PolicyArn"] for p in iam.paginate(
        f"list_attached_{noun}_policies", "AttachedPolicies", f"{entity.title()}/{name}", **{param: name}))


def inline(iam: Client, entity: str, name: str) -> dict[str, Any]:
    param, noun = _NOUN[entity]
    out = {}
    for pname in iam.paginate(f"list_{noun}_policies", "PolicyNames", f"{entity.title()}/{name}", **{param: name}):
        got = iam.get(f"get_{noun}_policy", f"{entity.title()}/{name}", **{param: name, "PolicyName": pname})
        if got is not None:
            out[pname] = policy.canonical(got["PolicyDocument"])
    return dict(sorted(out.items()))


# ---- bulk reads ------------------------------------------------------------------------------------
# GetAccountAuthorizationDetails returns every role, user and customer managed policy with their
# attachments, inline documents and (roles, users) tags: ceil(entities / 1000) calls for the whole
# account, against 3-5 calls per entity read one by one. It lacks a role's Description and
# MaxSessionDuration (ListRoles has them: one more call per 1000 roles), a policy's tags and a user's
# access keys (one call each, read once per command and shared with the prune scan).

BULK_MIN = 10
"""Declared IAM resources of one kind from which a command reads the account in bulk (RECONCILE_IAM_BULK=auto)."""

PAGE = 1000  # the largest MaxItems IAM accepts


@dataclass
class Account:
    """Every role, user and customer managed policy, by lower-case name (IAM names are case-insensitive)."""

    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)


def bulk(aws: Aws, count: int) -> bool:
    """Read ``count`` declared resources of an IAM kind from the account listing instead of one by one?

    RECONCILE_IAM_BULK: ``auto`` (default: when ``count`` >= BULK_MIN, or the listing was read already
    in this command), ``always``, ``never``.
    """
    mode = os.environ.get("RECONCILE_IAM_BULK", "auto").lower()
    if mode in ("always", "1", "true", "yes"):
        return True
    if mode in ("never", "0", "false", "no"):
        return False
    return count >= BULK_MIN or aws.is_cached("iam:account")


def _pages(iam: Client, op: str, what: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    marker = None
    while True:
        page = iam.call(op, what, MaxItems=PAGE, **kwargs, **({"Marker": marker} if marker else {}))
        yield page
        marker = page.get("Marker")
        if not page.get("IsTruncated") or not marker:
            return


def account(aws: Aws) -> Account:
    """The account's roles, users and customer managed policies (GetAccountAuthorizationDetails, once per command)."""

    def fetch() -> Account:
        out = Account()
        for page in _pages(aws.client("iam"), "get_account_authorization_details", "the account's IAM entities",
                           Filter=["Role", "User", "LocalManagedPolicy"]):
            for r in page.get("RoleDetailList", []):
                out.roles[r["RoleName"].lower()] = r
            for u in page.get("UserDetailList", []):
                out.users[u["UserName"].lower()] = u
            for p in page.get("Policies", []):
                name = p.get("PolicyName") or p["Arn"].rsplit("/", 1)[1]  # (moto leaves PolicyName out)
                out.policies[name.lower()] = {**p, "PolicyName": name}
        return out

    return aws.cached("iam:account", fetch)


#: reads ahead sent first, as a probe, when a plan only bets that what it declares exists (see account_beside)
PROBE = 1


def account_beside(aws: Aws, pmap: Any, ahead: list[tuple[str, str]], certain: bool = False) -> Account:
    """``account(aws)``, fetched while per-resource reads whose targets can be named without it (a declared
    policy's ARN, a declared user's name: ``read_ahead``) already run in the service's pool.

    ``certain`` (verify: apply has just made them): every read goes out at once. Otherwise the reads ahead are a
    bet that the declared resources exist, which they do in every plan but a new stack's: ``PROBE`` of them
    go out with the listing, and the rest as soon as one of them finds its resource. A no-change plan's
    per-resource calls then overlap the listing instead of following it, while a new stack's plan loses at most
    ``PROBE`` calls (a kind declaring fewer than ``BULK_MIN`` does not bet). Once the listing has said what exists, the reads ahead not started yet of what does not are
    cancelled. At concurrency 1 (``pmap.submit`` answers None) nothing is read ahead.

    The listing itself runs on the calling thread, beside the pool: IAM sees the pool's ``concurrency`` reads
    plus this one request. A stack that adds resources to existing ones loses the reads ahead of the new ones
    that went out before the listing answered (NoSuchEntity)."""
    submit = getattr(pmap, "submit", None)
    if submit is None or not ahead or (not certain and len(ahead) < BULK_MIN):
        return account(aws)  # (a bet on a few resources would save one round trip and could lose one call)
    probes = len(ahead) if certain else min(PROBE, len(ahead))
    # the probes are the last declared: the reads after the listing go in declared order, and one whose read ahead
    # is still out waits for it, holding a worker of the pool, so those come last
    bet = _ReadsAhead(aws, submit, ahead[len(ahead) - probes:] + ahead[:len(ahead) - probes])
    bet.start(probes)
    listing: Account | None = None
    try:
        listing = account(aws)
        return listing
    finally:
        bet.settle(listing)


class _ReadsAhead:
    """The reads ahead of one kind's declared resources: the probes, the rest once a probe finds its resource."""

    def __init__(self, aws: Aws, submit: Any, targets: list[tuple[str, str]]):
        self.aws, self.submit, self.targets = aws, submit, targets
        self.futures: list[tuple[tuple[str, str], Any]] = []
        self.lock = threading.RLock()  # (a future already done runs its callback at once, in _send)
        self.sent = 0
        self.settled = False

    def start(self, first: int) -> None:
        with self.lock:
            self._send(first)

    def _send(self, upto: int) -> None:  # (under self.lock)
        while self.sent < min(upto, len(self.targets)):
            target = self.targets[self.sent]
            self.sent += 1
            future = self.submit(read_ahead, self.aws, target)
            if future is not None:
                self.futures.append((target, future))
                future.add_done_callback(self._answered)

    def _answered(self, future: Any) -> None:
        if future.cancelled() or future.exception() is not None or not future.result():
            return
        with self.lock:
            if not self.settled:  # a probe found its resource: the declared ones exist, read the rest now
                self._send(len(self.targets))

    def settle(self, listing: Account | None) -> None:
        with self.lock:
            self.settled = True
            for (what, key), future in self.futures:
                if listing is None or not _listed(listing, what, key):
                    future.cancel()


def _listed(listing: Account, what: str, key: str) -> bool:
    if what == "policy":
        return key.rsplit("/", 1)[-1].lower() in listing.policies
    return key.lower() in listing.users


class _NotKept(Exception):
    """A read ahead whose answer is not kept: the resource is not there (yet), or its answer has more pages."""


def role_settings(aws: Aws) -> dict[str, dict[str, Any]]:
    """{lower-case role name: ListRoles entry} — Description and MaxSessionDuration, which the bulk listing lacks."""

    def fetch() -> dict[str, dict[str, Any]]:
        return {r["RoleName"].lower(): r for page in _pages(aws.client("iam"), "list_roles", "roles")
                for r in page.get("Roles", [])}

    return aws.cached("iam:list-roles", fetch)


def policy_tags(aws: Aws, arn: str, what: str) -> dict[str, str]:
    """Tags of a managed policy (read once per command)."""
    return aws.cached(f"iam:policy-tags:{arn.lower()}", lambda: policy.normalize_tags(
        list(aws.client("iam").paginate("list_policy_tags", "Tags", what, PolicyArn=arn))))


def read_ahead(aws: Aws, target: tuple[str, str]) -> bool:
    """Read a policy's tags (``("policy", ARN)``) or a user's access keys (``("user", NAME)``) before the account
    listing says it exists, under the same cache key ``policy_tags`` / ``access_keys`` read (a read for the same
    key waits for this one rather than making the call again). Kept only when found in one page: a policy or user
    not visible yet (IAM is eventually consistent) is read again once the listing has it, and an error here is
    the later read's to report. True: the answer is kept."""
    from reconciler.errors import AwsError

    what, key = target
    iam = aws.client("iam")

    def fetch() -> Any:
        if what == "policy":
            got = iam.get("list_policy_tags", f"Policy/{key.rsplit('/', 1)[-1]}", PolicyArn=key)
        else:
            got = iam.get("list_access_keys", f"User/{key}", UserName=key)
        if got is None or got.get("IsTruncated"):
            raise _NotKept
        if what == "policy":
            return policy.normalize_tags(got.get("Tags", []))
        return list(got.get("AccessKeyMetadata", []))

    try:
        aws.cached(f"iam:policy-tags:{key.lower()}" if what == "policy" else f"iam:access-keys:{key.lower()}", fetch)
    except (_NotKept, AwsError):
        return False
    return True


def access_keys(aws: Aws, user: str) -> list[dict[str, Any]]:
    """Access key metadata of a user (read once per command)."""
    return aws.cached(f"iam:access-keys:{user.lower()}", lambda: list(aws.client("iam").paginate(
        "list_access_keys", "AccessKeyMetadata", f"User/{user}", UserName=user)))


def attached_of(detail: dict[str, Any]) -> list[str]:
    """Managed policy ARNs of a role/user detail from the bulk listing."""
    return sorted(p["PolicyArn"] for p in detail.get("AttachedManagedPolicies", []))


def inline_of(detail: dict[str, Any], key: str) -> dict[str, Any]:
    """Inline policies of a role/user detail (``RolePolicyList`` / ``UserPolicyList``), canonical."""
    return dict(sorted((p["PolicyName"], policy.canonical(p["PolicyDocument"])) for p in detail.get(key, [])))


def default_document(detail: dict[str, Any]) -> Any:
    """The default version's document of a managed policy detail (None when the listing lacks it)."""
    for v in detail.get("PolicyVersionList", []):
        if v.get("IsDefaultVersion") or v.get("VersionId") == detail.get("DefaultVersionId"):
            return v.get("Document")
    return None
