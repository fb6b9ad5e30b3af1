"""The error hierarchy: every failure preserve reports to a user is a PreservationError.

Each class carries the CLI exit code for its kind of failure and an optional hint; validation
errors also carry structured ``details`` (path, check, expected, found) so callers can report
every problem, not only the first. ``Problem`` is also the one type for a problem a check finds
(``CopyProblem`` when it is found in a stored copy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass


@dataclass(frozen=True)
class Problem:
    """One thing found wrong: which path, which check, what was expected and what was found."""

    path: str
    check: str
    expected: str = ""
    found: str = ""

    @property
    def problem(self) -> str:
        """What is wrong, without the path: the check, and what was expected and found when they are given."""
        if self.expected:
            return f"{self.check} (expected {self.expected}, found {self.found or '-'})"
        if self.found:  # nothing in particular was expected: what was found says what is wrong
            return f"{self.check}: {self.found}"
        return self.check

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass(frozen=True)
class CopyProblem(Problem):
    """A problem found in one stored copy: also the location holding it and, when it is about one stored
    file, that file's key ('' otherwise: the copy as a whole, a file the object lacks). As text,
    ``<location>: <path>: <problem>``, the path left out when it is ''.

    A subclass rather than two more fields of ``Problem``: a refusal lists its problems' fields as JSON
    (path, check, expected, found; docs/errors.md), and that list stays as it is.
    """

    _: KW_ONLY
    location: str
    key: str = ""

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.location, self.path) if part)
        return f"{where}: {self.problem}" if where else self.problem


class PreservationError(Exception):
    """Root of every error preserve reports; ``exit_code`` is what the CLI exits with."""

    exit_code = 10
    default_hint = ""

    def __init__(self, message: str, *, hint: str = "", details: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint or self.default_hint
        self.details = list(details or [])

    def __reduce__(self) -> tuple[Callable[..., PreservationError], tuple[object, ...]]:
        # keep hint and details when the error crosses a process boundary
        return _rebuild, (type(self), self.message, self.hint, self.details)


def _rebuild(cls: type[PreservationError], message: str, hint: str, details: list[Problem]) -> PreservationError:
    return cls(message, hint=hint, details=details)


class ConfigError(PreservationError):
    """preserve.toml or a PRESERVE_* variable is missing, unreadable or invalid."""

    exit_code = 11
    default_hint = "Check preserve.toml (or run `preserve init`)."


class CatalogueError(PreservationError):
    """The catalogue database is unreachable or its schema is not the one this version expects."""

    exit_code = 12


class NotFound(PreservationError):
    """A named AIP, file or location does not exist."""

    exit_code = 13


class TransferError(PreservationError):
    """The material offered for ingest cannot be accepted as it is."""

    exit_code = 20


class FormatError(PreservationError):
    """Format identification or validation could not be carried out."""

    exit_code = 21
    default_hint = (
        "`preserve formats active` shows the signature set in use; `preserve formats import-droid` compiles a new one."
    )


class PackageError(PreservationError):
    """An AIP or bag could not be written, read or validated."""

    exit_code = 22


class IngestIncomplete(PreservationError):
    """An ingest stopped part way, keeping what it did: running the same ingest again finishes it."""

    exit_code = 23


class StorageError(PreservationError):
    """A storage location could not be written or read."""

    exit_code = 30
    default_hint = "Check that the storage location is reachable and has free space."


class FixityError(PreservationError):
    """Stored bytes do not match the digests recorded for them."""

    exit_code = 31


class QueueError(PreservationError):
    """The message broker (Celery) cannot be reached or refused the work."""

    exit_code = 32
    default_hint = "Check [executor] broker in preserve.toml, and that the broker is running."


class PolicyError(PreservationError):
    """A policy file is missing or invalid."""

    exit_code = 40
    default_hint = "Fix the policy file named above and check it with `preserve policy check FILE` (docs/policies.md)."


class AccessDenied(PreservationError):
    """The person asking is not entitled to the material."""

    exit_code = 50


class AccountError(PreservationError):
    """An account cannot be made or changed as asked (a bad address, role or password; an address in use)."""

    exit_code = 51


class RequestError(PreservationError):
    """A request for records cannot be made or changed as asked (nothing to submit, no purpose, decided already)."""

    exit_code = 52


class MailError(PreservationError):
    """Messages could not be sent: the SMTP server is unreachable or refused them."""

    exit_code = 53
    default_hint = "Check [mail] in preserve.toml and PRESERVE_MAIL_PASSWORD; the messages stay in the outbox."
