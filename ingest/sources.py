"""Transfer sources: what may be ingested from a folder, checked before anything is written."""

from __future__ import annotations

import hashlib
import os
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from preservation.errors import Problem, TransferError

MAX_REPORTED = 100_000  # problems kept in memory; the CLI prints 50 and lists them all in a file


@dataclass(frozen=True)
class EmptyFolder:
    """A folder of the transfer with nothing in it: kept in the AIP by a placeholder file."""

    path: str  # absolute path on disk
    relative: str  # relative, '/'-separated, exactly as given


@dataclass(frozen=True)
class SourceFile:
    """A regular file offered for ingest: where it is, and its path relative to the transfer root."""

    path: str  # absolute path on disk
    relative: str  # relative, '/'-separated, exactly as given
    size: int
    mtime_ns: int


def display_name(name: str) -> str:
    """A file name safe to print: undecodable bytes shown as ``\\xNN``, control characters escaped."""
    raw = os.fsencode(name)
    text = raw.decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def name_problem(name: str) -> str:
    """Why a file or folder name cannot be ingested as it is ('' when it can)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "name is not valid UTF-8"
    if any(unicodedata.category(c) == "Cc" for c in name):
        return "name contains control characters"
    return ""


class DirectorySource:
    """A folder of files to ingest, walked in a stable (sorted) order without following links."""

    def __init__(self, root: Path, exclude: tuple[str, ...] = (), within: Path | None = None):
        self.root = Path(root)
        self.exclude = frozenset(exclude)  # names at the top level that are not part of this source
        self.within = str(within or root)  # the whole transfer, which a link may point inside or outside of

    def check_root(self) -> None:
        """Refuse a path that does not exist or is not a folder."""
        root = self.root
        if not os.path.lexists(root):
            raise TransferError(
                f"{root}: no such file or folder",
                hint="Check the path (a folder, or a .zip, .tar, .tar.gz or .7z of one); relative paths start from "
                f"the current folder, {os.getcwd()}.",
            )
        if root.is_symlink():
            raise TransferError(f"{root}: is a symbolic link", hint="Give the folder it points to instead.")
        if not root.is_dir():
            raise TransferError(
                f"{root}: is not a folder or an archive of one",
                hint="`preserve ingest` takes a folder of files, or a .zip, .tar, .tar.gz or .7z of one: put a single "
                "file in a folder of its own.",
            )
        if not os.access(root, os.R_OK | os.X_OK):
            raise TransferError(
                f"{root}: folder cannot be read (permission denied)",
                hint="Ask for read access to the folder and everything in it, or copy it somewhere you can read.",
            )

    def scan(self, require_files: bool = True) -> Iterator[SourceFile | EmptyFolder]:
        """Yield every file (and every empty folder) in path order; raise TransferError listing every problem.

        Problems are collected over the whole walk (keeping the first ``MAX_REPORTED``), so an
        archivist sees them all at once rather than one per attempt.
        """
        self.check_root()
        problems: list[Problem] = []
        problem_count = 0
        found = 0

        def report(path: str, check: str) -> None:
            nonlocal problem_count
            problem_count += 1
            if len(problems) < MAX_REPORTED:
                problems.append(Problem(display_name(path), check))

        def walk_error(error: OSError) -> None:
            report(error.filename or str(self.root), f"folder cannot be read ({error.strerror})")

        root = str(self.root)
        for dirpath, dirnames, filenames in os.walk(root, onerror=walk_error, followlinks=False):
            if dirpath == root and self.exclude:
                dirnames[:] = [d for d in dirnames if d not in self.exclude]
                filenames = [f for f in filenames if f not in self.exclude]
            elif not dirnames and not filenames and not problem_count:
                yield EmptyFolder(dirpath, os.path.relpath(dirpath, root).replace(os.sep, "/"))
            dirnames.sort()
            kept_dirs = []
            for dirname in dirnames:
                full = os.path.join(dirpath, dirname)
                if os.path.islink(full):
                    report(full, _link_problem(full, self.within))
                else:
                    kept_dirs.append(dirname)
            dirnames[:] = kept_dirs
            for filename in sorted(filenames):
                full = os.path.join(dirpath, filename)
                try:
                    info = os.lstat(full)
                except OSError as exc:
                    report(full, f"cannot be examined ({exc.strerror})")
                    continue
                if stat.S_ISLNK(info.st_mode):
                    report(full, _link_problem(full, self.within))
                    continue
                if not stat.S_ISREG(info.st_mode):
                    report(full, "is not a regular file (a device, pipe or socket)")
                    continue
                if problem := _read_problem(full):
                    report(full, problem)
                    continue
                found += 1
                if not problem_count:
                    relative = os.path.relpath(full, root).replace(os.sep, "/")
                    yield SourceFile(full, relative, info.st_size, info.st_mtime_ns)
        if problem_count:
            more = f" (the first {MAX_REPORTED} are listed)" if problem_count > MAX_REPORTED else ""
            raise TransferError(
                f"{self.root}: {problem_count} file(s) cannot be ingested as they are{more}",
                hint="Fix or remove the files listed, then ingest again; nothing has been stored.",
                details=problems,
            )
        if not found and require_files:
            raise TransferError(
                f"{self.root}: the folder holds no files to ingest (empty folders alone are not a record)",
                hint="Check that you gave the right folder.",
            )


def _link_problem(path: str, root: str) -> str:
    target, root = os.path.realpath(path), os.path.realpath(root)  # both resolved: /tmp may itself be a link
    where = "inside" if target == root or target.startswith(root.rstrip(os.sep) + os.sep) else "outside"
    return f"is a symbolic link to {display_name(target)} ({where} the transfer); links are not followed"


def _read_problem(path: str) -> str:
    try:
        with open(path, "rb"):
            return ""
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"


def original_name(relative: str) -> str:
    """A path exactly as given, for PREMIS originalName: bytes that are not UTF-8 and characters XML
    cannot hold (controls) are written ``\\xNN``, and a backslash as ``\\\\``, so nothing is lost."""
    out = []
    for char in relative:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as Python's filesystem encoding keeps it
            out.append(f"\\x{code - 0xDC00:02X}")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02X}")
        elif char == "\\":
            out.append("\\\\")
        else:
            out.append(char)
    return "".join(out)


# a stored name's limit: 255 bytes on the common file systems (ext4, XFS, NTFS, APFS), less room for the
# temporary name a location writes it under first (``.preserve-tmp-<pid>-<name>``)
MAX_NAME_BYTES = 200
RENAMING_RULE = (
    "bytes that are not UTF-8, control characters and backslashes become %XX, then Unicode NFC; "
    "a name longer than 200 bytes is shortened and given a digest of the original; a name that "
    "then collides with another (also ignoring upper/lower case) gets ~2, ~3 … before its extension"
)


def logical_name(relative: str) -> str:
    """The stored form of a relative path — the one recorded renaming rule: bytes that are not UTF-8,
    control characters and backslashes become ``%XX``; the result is Unicode NFC, each name at most
    200 bytes (longer ones keep their start and extension and gain a digest of the whole name)."""
    out = []
    for char in relative:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"%{code - 0xDC00:02X}")
        elif code < 0x20 or code == 0x7F or char == "\\":
            out.append(f"%{ord(char):02X}")
        else:
            out.append(char)
    text = unicodedata.normalize("NFC", "".join(out))
    return "/".join(_short_name(part) for part in text.split("/"))


def _short_name(name: str) -> str:
    """A name cut to MAX_NAME_BYTES, keeping its extension, with a digest of the whole name (deterministic)."""
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension.encode("utf-8")) > 16:
        stem, extension = name, ""
    tail = "~" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12] + (f".{extension}" if extension else "")
    room = MAX_NAME_BYTES - len(tail.encode("utf-8"))
    return stem.encode("utf-8")[:room].decode("utf-8", "ignore") + tail


def numbered(logical: str, number: int) -> str:
    """``logical`` with ``~number`` before the last name's extension: how a colliding name is told apart."""
    folder, slash, name = logical.rpartition("/")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    return f"{folder}{slash}{stem}~{number}" + (f".{extension}" if extension else "")
