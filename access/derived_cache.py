"""A cache of things derived from stored files (previews, image pyramids): one entry per file content, made once
and kept, trimmed to a size, least recently used first.

An entry is named by the file's SHA-256 and the version of its derivation, so every process and request agrees on
it. It is made under an exclusive lock (``fcntl.flock`` on ``<name>.lock`` beside it) in a work folder inside the
cache and renamed into place, so concurrent requests make it once and nothing half-written is ever served; the lock
is held while an entry is served, and a trim deletes only entries nobody holds. Using an entry touches it, and an
entry used in the last ``IN_USE_SECONDS`` is never deleted (a response may be about to open it)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

LOCK = ".lock"
WORK = ".work"  # suffix of the folder an entry is made in (its name starts with '.<entry name>.')
TRIM_LOCK = ".trim.lock"
IN_USE_SECONDS = 60  # an entry served this recently is kept whatever the cache's size


def cached(folder: Path, name: str, suffixes: tuple[str, ...], make: Callable[[Path], Path], limit: int) -> Path:
    """The entry ``name`` (with one of ``suffixes``) in ``folder``, made first if it is not there: ``make`` is given a
    work folder and returns the file it made there, named with its suffix. The cache is then trimmed to ``limit``
    bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    with locked(folder / f"{name}{LOCK}"):  # held while serving too: a trim deletes only entries nobody holds
        entry = _entry(folder, name, suffixes)
        made = entry is None
        if entry is None:
            work = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=WORK, dir=folder))
            try:
                result = make(work)
                with result.open("rb") as written:
                    os.fsync(written.fileno())  # on disk before its name says it is ready
                entry = folder / f"{name}{result.suffix}"
                os.replace(result, entry)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        os.utime(entry)  # the most recently used
    if made:
        trim(folder, limit)
    return entry


def _entry(folder: Path, name: str, suffixes: tuple[str, ...]) -> Path | None:
    """The entry called ``name`` whatever kind it is, if there is one."""
    return next((path for path in (folder / f"{name}{suffix}" for suffix in suffixes) if path.is_file()), None)


def trim(folder: Path, limit: int, now: float | None = None) -> list[Path]:
    """Delete the least recently used entries (by mtime) until the rest hold at most ``limit`` bytes, sparing
    those used in the last ``IN_USE_SECONDS``, and what makers that died left behind; the entries deleted."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    with locked(folder / TRIM_LOCK):
        entries, work, locks = [], [], []
        for item in os.scandir(folder):
            if item.name.startswith("."):
                if item.name.endswith(WORK):
                    work.append(Path(item.path))
            elif item.name.endswith(LOCK):
                locks.append(Path(item.path))
            elif item.is_file():
                with contextlib.suppress(FileNotFoundError):
                    status = item.stat()
                    entries.append((status.st_mtime, status.st_size, Path(item.path)))
        total = sum(size for _, size, _ in entries)
        for mtime, size, path in sorted(entries):
            if total <= limit or now - mtime < IN_USE_SECONDS:  # the rest are newer still
                break
            if _evict(path, now):
                total -= size
                removed.append(path)
        named = {path.name.split(".")[0] for _, _, path in entries if path not in removed}  # entries kept
        for path in work:  # a work folder whose entry nobody is making: its maker died
            name = path.name[1:].split(".")[0]
            _clear(folder / f"{name}{LOCK}", path, keep_lock=name in named)
        for path in locks:  # a lock with no entry (fetching it failed, or it was deleted): nobody needs it
            if path.name.split(".")[0] not in named:
                _clear(path, None, keep_lock=False)
    return removed


def _evict(entry: Path, now: float) -> bool:
    """Delete ``entry`` and its lock if nobody holds the lock and it has not been used since it was listed."""
    lock = entry.with_name(f"{entry.name.split('.')[0]}{LOCK}")
    handle = _lock(lock, wait=False)
    if handle is None:
        return False
    try:
        if now - entry.stat().st_mtime < IN_USE_SECONDS:
            return False
        entry.unlink()
        lock.unlink(missing_ok=True)  # while held: whoever waits on it sees it gone and locks a new one
        return True
    except FileNotFoundError:
        return False
    finally:
        os.close(handle)


def _clear(lock: Path, work: Path | None, keep_lock: bool) -> None:
    """Delete ``work`` and (unless ``keep_lock``) the lock itself, if nobody holds ``lock``."""
    handle = _lock(lock, wait=False)
    if handle is None:
        return
    try:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
        if not keep_lock:
            lock.unlink(missing_ok=True)
    finally:
        os.close(handle)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (across threads and processes) for the block."""
    handle = _lock(path)
    assert handle is not None  # waiting for it, the lock is always taken
    try:
        yield
    finally:
        os.close(handle)


def _lock(path: Path, wait: bool = True) -> int | None:
    """A descriptor holding an exclusive flock on ``path`` (made if missing); None when ``wait`` is false and
    another holds it. A lock file may be deleted by a trim while someone waits on it: after locking, the file
    locked must still be the one the path names, else it is tried again."""
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(handle)
            return None
        except BaseException:
            os.close(handle)
            raise
        try:
            if os.stat(path).st_ino == os.fstat(handle).st_ino:
                return handle
        except FileNotFoundError:
            pass
        os.close(handle)
