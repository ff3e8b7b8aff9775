"""One error base class; the CLI prints it as one clear message and exits 1."""

from __future__ import annotations

from dataclasses import dataclass


class ReconcileError(Exception):
    """Base of every error reconcile reports to the user."""

    def render(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Issue:
    """One problem in the manifests, located by file, line and field."""

    file: str
    line: int | None
    field: str
    message: str
    severity: str = "error"  # error | warning
    #: lint code (e.g. PASSROLE_STAR): a warning a resource accepts with reconciler/accept-lint is not repeated
    code: str = ""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


def a(noun: str) -> str:
    """``noun`` with its indefinite article, as said aloud: "an Endpoint", "an InferenceComponent", "an HttpApi"
    ("aitch"), "a User" ("you"), "a Role"."""
    vowel_sound = noun[:1] in "AEIOaeio" or noun.lower().startswith(("http", "html", "hour"))
    return f"{'an' if vowel_sound else 'a'} {noun}"


#: in a document's path -> line map, (WRITTEN, *path) -> a number or boolean as the YAML wrote it ("1.10", which
#: YAML reads as 1.1), so that a message can show the value as written
WRITTEN = "#written"


def line_of(lines: dict, path: tuple, default: int) -> int:
    """The line of the deepest prefix of ``path`` that ``lines`` (path -> line, from the YAML) knows, else ``default``."""
    p = path
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return default


class ManifestError(ReconcileError):
    """Bad input: one or more issues, all reported at once, before any AWS call."""

    def __init__(self, issues: list[Issue]):
        self.issues = [i for i in issues if i.severity == "error"]
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.issues)
        lines = [f"{n} error{'s' if n != 1 else ''} in manifests:"]
        lines += [f"  {i}" for i in self.issues]
        return "\n".join(lines)


class ConflictError(ReconcileError):
    """The plan contains problems (unowned resources, protected deletes) that apply refuses."""


#: error codes AWS answers when the credentials may not make a call (IAM: AccessDenied; JSON services: …Exception)
ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException"})
#: error codes AWS answers when it does not accept the credentials themselves (an unknown, deleted or inactive
#: key, an expired session, a wrong secret): no permission changes these
CREDENTIALS_REFUSED = frozenset({"InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken",
                                 "ExpiredTokenException", "SignatureDoesNotMatch", "InvalidSignatureException",
                                 "IncompleteSignature", "MissingAuthenticationToken", "AuthFailure",
                                 "InvalidAccessKeyId", "InvalidToken"})  # (the last two: S3's)


class AwsError(ReconcileError):
    """An AWS call failed: 'Failed to <verb> <kind>/<name>: <AWS message>'.

    ``code``: AWS's error code; ``permission``: the IAM action the call needs (e.g. ``sagemaker:ListModels``),
    when the adapter knows it.
    """

    def __init__(self, message: str, code: str | None = None, permission: str | None = None):
        self.code = code
        self.permission = permission
        super().__init__(message)

    @property
    def denied(self) -> bool:
        """The credentials may not make this call (AccessDenied)."""
        return self.code in ACCESS_DENIED


class Unsettled(AwsError):
    """An operation whose outcome is not known yet (a wait that ran out of time while AWS still works on it):
    nothing is undone (``Operation.on_failure`` does not run); apply again continues from the live state."""


class VerifyError(ReconcileError):
    """After apply, live state still differs from the manifests."""


class StalePlanError(ReconcileError):
    """A saved plan no longer matches the manifests or the live state it was made against."""


class UsageError(ReconcileError):
    """The command line asks for something that cannot be done."""
