"""The per-file steps of ingest: store while computing digests (one read), identify, read back.

These run in worker processes (see ``ingest.executors``): plain functions over plain data,
with no catalogue or broker in sight.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from formats.identify import Identifier
from formats.personal_data import PersonalDataScanner
from formats.validation import DEFAULT_TIMEOUT, Validator
from ingest.journal import FileResult, JournalFile
from preservation.config import LocationSettings
from preservation.errors import FixityError, PreservationError, StorageError, TransferError
from preservation.identifiers import timestamp
from preservation.model import FormatInfo
from storage import Storage, open_location
from storage.digests import hash_stream
from storage.ocfl import NewObject


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker needs to know: where the AIP's OCFL object is being written."""

    locations: tuple[LocationSettings, ...]
    object_id: str
    signatures: Path | None = None  # the archive's active signature set; None: the built-in one
    validation_timeout: float = DEFAULT_TIMEOUT
    personal_data_kinds: tuple[str, ...] = ()  # what the personal-data scan looks for (none: no scan)
    personal_data_max_bytes: int = 50_000_000
    resuming: bool = False  # finishing an interrupted ingest: keys it wrote may be there already
    file_time_limit: float = 3600  # seconds one attempt at one file may take
    file_retries: int = 2  # further attempts after an unexpected failure, before the file is recorded as failed
    extra_digests: tuple[str, ...] = ()  # algorithms the depositor's checksums use besides SHA-256/512 (md5, sha1)


class FileTookTooLong(Exception):
    """One attempt at one file ran past the time limit."""


class FileWorker:
    """Does the per-file steps; built once per worker process (it loads the format signatures)."""

    def __init__(self, setup: WorkerSetup):
        self.setup = setup
        self.identifier = Identifier(setup.signatures)
        self.validator = Validator(setup.validation_timeout)
        self.personal_data = PersonalDataScanner(setup.personal_data_kinds, setup.personal_data_max_bytes)
        self.objects = [
            NewObject(open_location(location), setup.object_id, setup.resuming) for location in setup.locations
        ]

    def run(self, item: JournalFile) -> FileResult:
        """``process`` under a time limit, retried after an unexpected failure; once the retries are spent
        the file comes back failed (with the error and traceback) so one poisoned file cannot stall the rest.

        Errors preserve raises on purpose (a changed source, a failing store) still stop the transfer."""
        attempts = 1 + max(0, self.setup.file_retries)
        for attempt in range(1, attempts + 1):
            try:
                with _time_limit(self.setup.file_time_limit, item):
                    return self.process(item)
            except PreservationError:
                raise
            except Exception as exc:  # noqa: BLE001 - anything else is this file's fault: retried, then recorded
                if attempt == attempts:
                    return FileResult(
                        item.idx,
                        item.size,
                        "",
                        "",
                        FormatInfo(),
                        "",
                        "",
                        "",
                        error=f"{type(exc).__name__}: {exc}",
                        traceback=traceback.format_exc(),
                        attempts=attempt,
                    )
                if not self.objects[0].resuming:  # the failed attempt may have stored the file already
                    self.objects = [NewObject(obj.storage, obj.object_id, resuming=True) for obj in self.objects]
        raise AssertionError("unreachable")

    def process(self, item: JournalFile) -> FileResult:
        """Store one file in every location, computing its digests in the same read; identify; verify."""
        clock = time.perf_counter()
        before = _stat(item)
        if (before.st_size, before.st_mtime_ns) != (item.size, item.mtime_ns):
            raise TransferError(f"{item.source}: changed after the transfer was scanned", hint=_RETRY)
        first, *others = self.objects
        try:
            with _open_source(item) as handle:
                stored = first.put_file(
                    item.logical,
                    handle,
                    size=before.st_size,
                    algorithms=("sha256", "sha512", *self.setup.extra_digests),
                )
        except StorageError:
            _raise_if_changed(item, before)
            raise
        hashed_at = timestamp()
        seconds, clock = {"store": time.perf_counter() - clock}, time.perf_counter()
        fmt = self.identifier.identify(item.source)
        identified_at = timestamp()
        seconds["identify"], clock = time.perf_counter() - clock, time.perf_counter()
        _raise_if_changed(item, before)
        sha256, sha512 = stored.digests["sha256"], stored.digests["sha512"]
        verify_read_back(first.storage, stored.key, sha256, stored.size)
        for obj in others:
            self._store(obj, item, sha256, stored.size)
        stored_at = timestamp()
        seconds["store"], clock = seconds["store"] + time.perf_counter() - clock, time.perf_counter()
        validation = self.validator.validate(item.source, fmt, name=item.logical.removeprefix("data/"))
        validated_at = timestamp()
        seconds["validate"], clock = time.perf_counter() - clock, time.perf_counter()
        scan = self.personal_data.scan(item.source, fmt)
        seconds["personal data"] = time.perf_counter() - clock
        return FileResult(
            item.idx,
            stored.size,
            sha256,
            sha512,
            fmt,
            hashed_at,
            identified_at,
            stored_at,
            validation,
            validated_at,
            scan,
            timestamp() if scan else "",
            other_digests={name: stored.digests[name] for name in self.setup.extra_digests},
            seconds=seconds,
        )

    def close(self) -> None:
        """Stop the validator's and the scanner's child processes."""
        self.validator.close()
        self.personal_data.close()

    def _store(self, obj: NewObject, item: JournalFile, sha256: str, size: int) -> None:
        """Store a further copy from the source, check it is the same bytes, and read it back."""
        with _open_source(item) as handle:
            stored = obj.put_file(item.logical, handle, size=size)
        if stored.digests["sha256"] != sha256:
            obj.storage.delete(stored.key)
            raise TransferError(f"{item.source}: changed while it was being stored", hint=_RETRY)
        verify_read_back(obj.storage, stored.key, sha256, size)


def verify_read_back(storage: Storage, key: str, sha256: str, size: int) -> None:
    """Read a just-stored object back and compare it with what was sent; FixityError if it differs."""
    with storage.open(key) as handle:
        back, back_size = hash_stream(handle, ("sha256",))
    if back["sha256"] != sha256 or back_size != size:
        raise FixityError(
            f"{storage.describe()}: {key}: stored copy does not match the original when read back",
            hint="The storage location may be failing; nothing has been registered.",
        )


_RETRY = "Make sure nothing is writing to the transfer folder, then ingest again; nothing has been stored."


@contextmanager
def _time_limit(seconds: float, item: JournalFile):
    """Raise FileTookTooLong in this (main) thread when ``seconds`` pass; no limit off the main thread."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum, _frame):
        raise FileTookTooLong(f"{item.relative}: took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _raise_if_changed(item: JournalFile, before: os.stat_result) -> None:
    after = _stat(item)
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        raise TransferError(f"{item.source}: changed while it was being read", hint=_RETRY)


def _stat(item: JournalFile) -> os.stat_result:
    try:
        return os.stat(item.source)
    except FileNotFoundError:
        raise TransferError(f"{item.source}: disappeared during ingest", hint=_RETRY) from None
    except OSError as exc:
        raise TransferError(
            f"{item.source}: cannot be examined ({exc.strerror})",
            hint="Make sure nothing is moving or deleting files in the transfer folder, then ingest again.",
        ) from None


def _open_source(item: JournalFile):
    try:
        return open(item.source, "rb")
    except OSError as exc:
        raise TransferError(
            f"{item.source}: cannot be read ({exc.strerror})",
            hint="Check that this account can read the file, then ingest again; nothing has been stored.",
        ) from None
