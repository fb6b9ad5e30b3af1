"""Local-disk storage: atomic writes (temp file, fsync, rename) under a root directory."""

from __future__ import annotations

import builtins
import contextlib
import errno
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from preservation.errors import NotFound, StorageError
from storage.base import Readable, StoredObject, check_key
from storage.digests import hash_stream

TEMP_PREFIX = ".preserve-tmp-"


class LocalStorage:
    """A storage location in a directory on a local or mounted file system."""

    keeps_checksums = False

    def __init__(self, name: str, root: Path):
        self.name = name
        self.root = Path(root)

    def describe(self) -> str:
        """Where this location keeps its bytes."""
        return f"{self.name} ({self.root})"

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(
        self,
        key: str,
        stream: Readable,
        *,
        size: int | None = None,
        algorithms: tuple[str, ...] = ("sha256",),
        durable: bool = True,
        overwrite: bool = True,
    ) -> StoredObject:
        """Write ``stream`` to ``key`` via a temp file and rename; return its digests.

        With ``durable`` the data is fsynced before the rename. Without it the write to disk is
        only started, and the caller must call ``sync`` on the keys before relying on them (an
        OCFL object does so before its inventory, its commit point, is written).
        """
        target = self._path(key)
        temp = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{target.name}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as out:
                if size:
                    _preallocate(out.fileno(), size)
                digests, written = hash_stream(stream, algorithms, sink=out.write)
                out.flush()
                if durable:
                    os.fsync(out.fileno())
                else:
                    _start_writeback(out.fileno())
            if size is not None and written != size:
                raise StorageError(
                    f"{self.describe()}: {key}: expected {size} bytes, received {written}",
                    hint="The source changed or was truncated while it was being stored.",
                )
            if overwrite:
                os.replace(temp, target)
            else:  # a hard link fails if the target exists: no window for a silent replacement
                try:
                    os.link(temp, target)
                except FileExistsError:
                    raise StorageError(
                        f"{self.describe()}: {key} already exists; it is never silently replaced", hint=""
                    ) from None
                finally:
                    temp.unlink(missing_ok=True)
            if durable:
                _fsync_dir(target.parent)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            reason = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
            raise StorageError(f"{self.describe()}: cannot write {key}: {reason}") from exc
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return StoredObject(key=key, size=written, digests=digests, modified=target.stat().st_mtime)

    def open(self, key: str) -> BinaryIO:
        """Open ``key`` for streaming reads."""
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise NotFound(
                f"{self.describe()}: {key} is missing", hint="`preserve audit` repairs it from a good copy."
            ) from None
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot read {key}: {exc.strerror}") from exc

    def stat(self, key: str) -> StoredObject:
        """Size and modification time of ``key``."""
        try:
            info = self._path(key).stat()
        except FileNotFoundError:
            raise NotFound(
                f"{self.describe()}: {key} is missing", hint="`preserve audit` repairs it from a good copy."
            ) from None
        return StoredObject(key=key, size=info.st_size, modified=info.st_mtime)

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every stored object under ``prefix`` (a key prefix), folder by folder: a folder's files in name order,
        then its subfolders in name order (not overall key order); temp files are skipped."""
        base = self.root
        if not base.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, base)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
            if prefix and not (rel_dir.startswith(prefix) or prefix.startswith(rel_dir)):
                dirnames[:] = []
                continue
            for filename in sorted(filenames):
                key = rel_dir + filename
                if filename.startswith(TEMP_PREFIX) or not key.startswith(prefix):
                    continue
                info = os.stat(os.path.join(dirpath, filename))
                yield StoredObject(key=key, size=info.st_size, modified=info.st_mtime)

    def sync(self, keys: Iterable[str]) -> None:
        """Make the data of ``keys`` (written with ``durable=False``) and their folder entries durable."""
        folders = set()
        try:
            for key in keys:
                path = self._path(key)
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                folders.add(path.parent)
            for folder in sorted(folders):
                _fsync_dir(folder)
        except FileNotFoundError as exc:
            raise NotFound(
                f"{self.describe()}: {exc.filename} is missing", hint="`preserve audit` repairs it from a good copy."
            ) from None
        except OSError as exc:
            raise StorageError(f"{self.describe()}: cannot make stored data durable: {exc.strerror}") from exc

    def current_versions(self, prefix: str) -> dict[str, str]:
        """None: a file system keeps one version of each file."""
        return {}

    def retain(self, prefix: str) -> dict[str, str]:
        """Nothing to do: a file system has no retention (protect the folder with permissions or snapshots)."""
        return {}

    def abandoned_writes(self, older_than: float, remove: bool = False, prefix: str = "") -> builtins.list[str]:
        """Temp files older than ``older_than`` seconds left by a write that was killed; removed if asked."""
        found: builtins.list[str] = []
        top = self.root / prefix if prefix else self.root
        if not top.is_dir():
            return found
        cutoff = time.time() - older_than
        for dirpath, _, filenames in os.walk(top):
            for filename in sorted(filenames):
                path = Path(dirpath) / filename
                with contextlib.suppress(FileNotFoundError):
                    if filename.startswith(TEMP_PREFIX) and path.stat().st_mtime < cutoff:
                        found.append(path.relative_to(self.root).as_posix())
                        if remove:
                            path.unlink()
        return found

    def legal_hold(self, versions: dict[str, str], on: bool) -> None:
        """Refused: a file system has no legal holds."""
        raise StorageError(
            f"{self.describe()}: local disks have no legal holds",
            hint="Protect the folder with permissions or snapshots.",
        )

    def delete(self, key: str) -> None:
        """Remove ``key`` and any directories it leaves empty."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != self.root and parent.is_relative_to(self.root):
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent


def _preallocate(fd: int, size: int) -> None:
    """Reserve the file's blocks in one go (ext4 and XFS then write faster and fragment less)."""
    with contextlib.suppress(AttributeError, OSError):  # not supported here: blocks come as written
        os.posix_fallocate(fd, 0, size)


def _start_writeback(fd: int) -> None:
    """Ask the kernel to start writing a file's dirty pages now, without waiting (Linux)."""
    with contextlib.suppress(AttributeError, OSError):  # elsewhere the later fsync does all the work
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
