"""Zip, tar and 7z transfers, extracted safely into the staging area.

Refused, before anything is written: absolute paths, ``..``, drive letters, links (symbolic or
hard) and devices, names that are the same once normalised, encrypted members or archives.
Limited while extracting, counting the bytes actually written rather than trusting headers: total
size, number of files, and the compression ratio of a member (a zip bomb stops at the limit, not
at the end of the disk). 7z archives (py7zr) are checked the same way, their declared sizes before
extracting and the bytes written while extracting.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import threading
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from preservation.errors import Problem, TransferError

if TYPE_CHECKING:
    from py7zr.py7zr import ArchiveFile, SevenZipFile

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".7z")
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much an archive may unpack to."""

    max_bytes: int = 1024**4  # 1 TiB
    max_files: int = 1_000_000
    max_ratio: int = 200  # what the archive may unpack to, as a multiple of its own size …
    ratio_floor: int = 16 * CHUNK  # … once past 16 MiB (small archives of text compress well)

    def allowance(self, archive_size: int) -> int:
        """How many bytes an archive of this size may unpack to."""
        return min(self.max_bytes, max(self.ratio_floor, archive_size * self.max_ratio))


def is_archive(path: Path) -> bool:
    """Whether ``path`` names a zip, tar or 7z file preserve can take as a transfer."""
    name = path.name.lower()
    return path.is_file() and name.endswith(ARCHIVE_SUFFIXES)


def archive_kind(path: Path) -> str:
    """``zip``, ``7z`` or ``tar``: how an archive transfer came (by its name, as ``extract`` decides)."""
    name = path.name.lower()
    return "zip" if name.endswith(".zip") else "7z" if name.endswith(".7z") else "tar"


def _check_name(archive: Path, name: str, problems: list[Problem]) -> str | None:
    """The member's safe relative path, or None (with a problem recorded)."""
    cleaned = name.replace("\\", "/")
    parts = PurePosixPath(cleaned).parts
    if not cleaned or cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        problems.append(Problem(f"{archive}: {name}", "absolute path in the archive"))
        return None
    if ".." in parts:
        problems.append(Problem(f"{archive}: {name}", "path leads out of the archive (..)"))
        return None
    return "/".join(part for part in parts if part not in ("", "."))


def extract(archive: Path, dest: Path, limits: Limits = Limits()) -> Path:
    """Unpack a zip, tar or 7z transfer into ``dest`` (created); TransferError listing every problem."""
    dest.mkdir(parents=True)
    extractors = {"zip": _extract_zip, "7z": _extract_7z, "tar": _extract_tar}
    try:
        extractors[archive_kind(archive)](archive, dest, limits)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest


def _refuse(archive: Path, problems: list[Problem]) -> None:
    if problems:
        raise TransferError(
            f"{archive}: {len(problems)} member(s) cannot be extracted safely",
            hint="Nothing was extracted or stored. Repack the archive without them.",
            details=problems,
        )


def _check_collisions(archive: Path, names: list[str], problems: list[Problem]) -> None:
    seen: dict[str, str] = {}
    for name in names:
        key = unicodedata.normalize("NFC", name).casefold()
        if key in seen and seen[key] != name:
            problems.append(Problem(f"{archive}: {name}", f"same name as {seen[key]!r} once normalised"))
        elif key in seen:
            problems.append(Problem(f"{archive}: {name}", "appears twice in the archive"))
        seen.setdefault(key, name)


def _extract_zip(archive: Path, dest: Path, limits: Limits) -> None:
    try:
        handle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise TransferError(
            f"{archive}: not a readable zip file ({exc})",
            hint="Check the file is a complete zip (it may be truncated, or another kind of file named .zip).",
        ) from None
    with handle:
        problems: list[Problem] = []
        members = []
        for info in handle.infolist():
            relative = _check_name(archive, _zip_name(info), problems)
            mode = info.external_attr >> 16
            if relative is None:
                continue
            if stat.S_ISLNK(mode):
                problems.append(Problem(f"{archive}: {info.filename}", "symbolic link in the archive"))
                continue
            if info.flag_bits & 0x1:
                problems.append(Problem(f"{archive}: {info.filename}", "encrypted member"))
                continue
            members.append((info, relative))
        if len([m for m in members if not _is_folder(m[0])]) > limits.max_files:
            problems.append(Problem(str(archive), f"more than {limits.max_files} files"))
        _check_collisions(archive, [relative for info, relative in members if not _is_folder(info)], problems)
        _refuse(archive, problems)
        allowance = limits.allowance(os.path.getsize(archive))
        written = 0
        for info, relative in members:
            target = dest / relative
            if _is_folder(info):
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with handle.open(info) as source, open(target, "xb") as out:
                    count = _copy_limited(source, out, allowance - written)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise TransferError(
                    f"{archive}: {info.filename}: cannot be extracted ({exc})",
                    hint="Check the file is complete (it may be truncated); ask the depositor for a fresh copy.",
                ) from None
            if count is None:
                raise TransferError(
                    f"{archive}: {info.filename}: the archive unpacks to more than {allowance} bytes "
                    f"({limits.max_ratio} times its size, at most {limits.max_bytes}): a zip bomb?",
                    hint="Nothing was stored. Check where the archive came from.",
                )
            written += count


def _is_folder(info: zipfile.ZipInfo) -> bool:
    """A folder entry: named with a trailing separator (a backslash, as some Windows tools write it), or
    empty and carrying the MS-DOS directory attribute."""
    dos_directory = info.external_attr & 0x10 and info.file_size == 0
    return info.is_dir() or info.filename.endswith("\\") or bool(dos_directory)


def _zip_name(info: zipfile.ZipInfo) -> str:
    """A member's name with its original bytes: zipfile reads names without the UTF-8 flag as CP437,
    but most tools wrote UTF-8 or the local code page; undecodable bytes are kept (surrogate-escaped),
    so ingest sanitises the stored name and records the original in PREMIS originalName."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return os.fsdecode(raw)


def _copy_limited(source, out, allowed: int) -> int | None:
    """Copy at most ``allowed`` bytes; None if there was more."""
    count = 0
    while chunk := source.read(CHUNK):
        count += len(chunk)
        if count > allowed:
            return None
        out.write(chunk)
    return count


def _extract_tar(archive: Path, dest: Path, limits: Limits) -> None:
    try:
        handle = tarfile.open(archive, "r:*")  # noqa: SIM115 - closed by the with statement below
    except (tarfile.TarError, OSError) as exc:
        raise TransferError(
            f"{archive}: not a readable tar file ({exc})",
            hint="Check the file is a complete tar (it may be truncated, or another kind of file).",
        ) from None
    compressed = os.path.getsize(archive)
    with handle:
        problems: list[Problem] = []
        members = []
        try:
            infos = handle.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise TransferError(
                f"{archive}: damaged tar file ({exc})",
                hint="Check the file is complete (it may be truncated); ask the depositor for a fresh copy.",
            ) from None
        for info in infos:
            relative = _check_name(archive, info.name, problems)
            if relative is None:
                continue
            if info.issym() or info.islnk():
                problems.append(Problem(f"{archive}: {info.name}", "link in the archive"))
                continue
            if not (info.isfile() or info.isdir()):
                problems.append(Problem(f"{archive}: {info.name}", "device, pipe or other special member"))
                continue
            members.append((info, relative))
        files = [(info, relative) for info, relative in members if info.isfile()]
        declared = sum(info.size for info, _ in files)
        if len(files) > limits.max_files:
            problems.append(Problem(str(archive), f"more than {limits.max_files} files"))
        if declared > limits.allowance(compressed):
            problems.append(
                Problem(
                    str(archive),
                    f"unpacks to {declared} bytes, more than {limits.max_ratio} times "
                    f"its size (at most {limits.max_bytes}): an archive bomb?",
                )
            )
        _check_collisions(archive, [relative for _, relative in files], problems)
        _refuse(archive, problems)
        for info, relative in members:
            target = dest / relative
            if info.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            data = handle.extractfile(info)
            assert data is not None  # a regular file always has data (links and special members were refused)
            with data as source, open(target, "xb") as out:
                if _copy_limited(source, out, info.size) is None:
                    raise TransferError(
                        f"{archive}: {info.name}: more data than its header says",
                        hint="The archive is damaged or crafted; ask the depositor for a fresh copy.",
                    )


# --- 7z (py7zr) ----------------------------------------------------------------------------------

_REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT: a Windows symbolic link or junction


def _extract_7z(archive: Path, dest: Path, limits: Limits) -> None:
    """Check every entry of a 7z archive, then extract through writers that count what they write."""
    with _open_7z(archive) as handle:
        if handle.needs_password():
            raise _encrypted(archive)
        members = _checked_7z_members(archive, handle, limits)
        allowance = limits.allowance(os.path.getsize(archive))
        files = _prepare_7z_targets(dest, members)
        writers = _LimitedWriters(archive, dest, files, allowance, limits)
        try:
            handle.extract(factory=writers)
        except TransferError:
            raise
        except Exception as exc:  # py7zr's own errors and those of each decompressor (lzma, zlib, bz2, ...)
            raise TransferError(
                f"{archive}: damaged 7z archive, cannot be extracted ({_reason(exc)})",
                hint="Nothing was stored. Ask for a fresh copy of the archive.",
            ) from None
        finally:
            writers.close_all()
        writers.check_complete()


def _open_7z(archive: Path):
    """The archive opened for reading; TransferError naming it when it is not a readable 7z file."""
    import py7zr  # imported here: ~40 ms at every start-up, and only 7z transfers need it  # noqa: PLC0415

    try:
        return py7zr.SevenZipFile(archive, mode="r")
    except py7zr.exceptions.PasswordRequired:
        raise _encrypted(archive) from None
    except Exception as exc:  # py7zr reports a damaged header with many kinds of error
        raise TransferError(
            f"{archive}: not a readable 7z file ({_reason(exc)})",
            hint="Nothing was stored. Ask for a fresh copy of the archive.",
        ) from None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _encrypted(archive: Path) -> TransferError:
    return TransferError(
        f"{archive}: encrypted 7z archive (password protected): preserve cannot check or keep encrypted content",
        hint="Nothing was stored. Ask the depositor for an archive without a password.",
    )


def _special_7z(entry: ArchiveFile) -> str:
    """Why an entry cannot be extracted as a plain file or folder ('' when it can)."""
    if entry.is_symlink or entry.is_junction or entry._test_attribute(_REPARSE_POINT):
        return "symbolic link in the archive"
    kind = entry.st_fmt
    if entry.is_socket or (kind and not (stat.S_ISREG(kind) or stat.S_ISDIR(kind))):
        return "device, pipe or other special member"
    return ""


def _checked_7z_members(archive: Path, handle: SevenZipFile, limits: Limits) -> list[tuple[ArchiveFile, str]]:
    """(entry, safe relative path) for every entry; TransferError listing every problem, before any write."""
    problems: list[Problem] = []
    members: list[tuple[ArchiveFile, str]] = []
    for entry in handle.files:
        relative = _check_name(archive, entry.filename, problems)
        if relative is None:
            continue
        special = _special_7z(entry)
        if special:
            problems.append(Problem(f"{archive}: {entry.filename}", special))
            continue
        members.append((entry, relative))
    files = [(entry, relative) for entry, relative in members if not entry.is_directory]
    declared = sum(entry.uncompressed or 0 for entry, _ in files)
    if len(files) > limits.max_files:
        problems.append(Problem(str(archive), f"more than {limits.max_files} files"))
    if declared > limits.allowance(os.path.getsize(archive)):
        problems.append(
            Problem(
                str(archive),
                f"unpacks to {declared} bytes, more than {limits.max_ratio} times "
                f"its size (at most {limits.max_bytes}): an archive bomb?",
            )
        )
    _check_collisions(archive, [relative for _, relative in files], problems)
    _refuse(archive, problems)
    return members


def _prepare_7z_targets(dest: Path, members: list[tuple[ArchiveFile, str]]) -> dict[str, tuple[str, int]]:
    """Make the folders; the files by their checked relative path: (name in the archive, declared size)."""
    files = {}
    for entry, relative in members:
        target = dest / relative
        if entry.is_directory:
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        files[relative] = (entry.filename, 0 if entry.emptystream else entry.uncompressed or 0)
    return files


class _LimitedWriters:
    """py7zr's writer factory: each member goes to its checked path, and all of them together stop at the
    archive's allowance (the bytes actually written count, not the sizes the headers declare)."""

    def __init__(self, archive: Path, dest: Path, files: dict[str, tuple[str, int]], allowance: int, limits: Limits):
        self.archive, self.dest, self.files = archive, dest, files
        self.allowance, self.limits = allowance, limits
        self.written = 0
        self.lock = threading.Lock()  # py7zr extracts independent folders on threads
        self.open: dict[str, _LimitedWriter] = {}

    def create(self, filename: str) -> _LimitedWriter:
        """A writer for the member py7zr calls ``filename``; only members that were checked get one."""
        relative = "/".join(part for part in PurePosixPath(filename.replace("\\", "/")).parts if part not in ("", "."))
        if relative not in self.files or relative in self.open:
            raise TransferError(
                f"{self.archive}: {filename}: not an entry that was checked; refusing to write it",
                hint="Nothing was kept; report this: the archive changed between being checked and being extracted.",
            )
        writer = _LimitedWriter(self, relative, open(self.dest / relative, "xb"))  # noqa: SIM115 - closed by close_all
        self.open[relative] = writer
        return writer

    def count(self, name: str, size: int) -> None:
        """Add ``size`` bytes to the total; TransferError once past the allowance."""
        with self.lock:
            self.written += size
            over = self.written > self.allowance
        if over:
            raise TransferError(
                f"{self.archive}: {self.files[name][0]}: the archive unpacks to more than {self.allowance} bytes "
                f"({self.limits.max_ratio} times its size, at most {self.limits.max_bytes}): an archive bomb?",
                hint="Nothing was stored. Check where the archive came from.",
            )

    def close_all(self) -> None:
        """Close every file opened (py7zr does not close a writer whose member failed)."""
        for writer in self.open.values():
            writer.out.close()

    def check_complete(self) -> None:
        """Every member with data was written, to the size its header declares (a damaged archive is not)."""
        for relative, (name, size) in self.files.items():
            writer = self.open.get(relative)
            if writer is None and size == 0:  # an empty file py7zr had nothing to write for
                (self.dest / relative).touch(exist_ok=False)
                continue
            got = writer.count if writer else 0
            if got != size:
                raise TransferError(
                    f"{self.archive}: {name}: extracted {got} bytes of {size}: damaged 7z archive",
                    hint="Nothing was stored. Ask for a fresh copy of the archive.",
                )


class _LimitedWriter:
    """One member's output file (py7zr's Py7zIO interface, write-only)."""

    def __init__(self, owner: _LimitedWriters, name: str, out) -> None:
        self.owner, self.name, self.out = owner, name, out
        self.count = 0

    def write(self, data: bytes | bytearray) -> int:
        """Write, counting against the archive's allowance."""
        self.owner.count(self.name, len(data))
        self.count += len(data)
        return self.out.write(data)

    def read(self, size: int | None = None) -> bytes:
        """Nothing is read back."""
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        """Writers only go forward."""
        return self.count

    def seekable(self) -> bool:
        """Not seekable: py7zr then does not rewind it."""
        return False

    def flush(self) -> None:
        """Flush the file."""
        self.out.flush()

    def size(self) -> int:
        """Bytes written so far."""
        return self.count

    def close(self) -> None:
        """The member is complete."""
        self.out.close()
