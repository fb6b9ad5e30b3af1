"""Zip and tar transfers, extracted safely into the staging area.

Refused, before anything is written: absolute paths, ``..``, drive letters, links (symbolic or
hard) and devices, names that are the same once normalised. Limited while extracting, counting
the bytes actually written rather than trusting headers: total size, number of files, and the
compression ratio of a member (a zip bomb stops at the limit, not at the end of the disk).
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from preservation.errors import Problem, TransferError

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
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
    """Whether ``path`` names a zip or tar file preserve can take as a transfer."""
    name = path.name.lower()
    return path.is_file() and name.endswith(ARCHIVE_SUFFIXES)


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
    """Unpack a zip or tar transfer into ``dest`` (created); TransferError listing every problem."""
    dest.mkdir(parents=True)
    try:
        if archive.name.lower().endswith(".zip"):
            _extract_zip(archive, dest, limits)
        else:
            _extract_tar(archive, dest, limits)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return dest


def _refuse(archive: Path, problems: list[Problem]) -> None:
    if problems:
        raise TransferError(
            f"{archive}: {len(problems)} member(s) cannot be extracted safely",
            hint="Nothing was extracted or stored. Repack the archive without them.",
            details=problems[:50],
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
        raise TransferError(f"{archive}: not a readable zip file ({exc})") from None
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
        if len([m for m in members if not m[0].is_dir()]) > limits.max_files:
            problems.append(Problem(str(archive), f"more than {limits.max_files} files"))
        _check_collisions(archive, [relative for info, relative in members if not info.is_dir()], problems)
        _refuse(archive, problems)
        allowance = limits.allowance(os.path.getsize(archive))
        written = 0
        for info, relative in members:
            target = dest / relative
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with handle.open(info) as source, open(target, "xb") as out:
                    count = _copy_limited(source, out, allowance - written)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise TransferError(f"{archive}: {info.filename}: cannot be extracted ({exc})") from None
            if count is None:
                raise TransferError(
                    f"{archive}: {info.filename}: the archive unpacks to more than {allowance} bytes "
                    f"({limits.max_ratio} times its size, at most {limits.max_bytes}): a zip bomb?",
                    hint="Nothing was stored. Check where the archive came from.")
            written += count


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
        raise TransferError(f"{archive}: not a readable tar file ({exc})") from None
    compressed = os.path.getsize(archive)
    with handle:
        problems: list[Problem] = []
        members = []
        try:
            infos = handle.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise TransferError(f"{archive}: damaged tar file ({exc})") from None
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
            problems.append(Problem(str(archive), f"unpacks to {declared} bytes, more than {limits.max_ratio} times "
                                                  f"its size (at most {limits.max_bytes}): an archive bomb?"))
        _check_collisions(archive, [relative for _, relative in files], problems)
        _refuse(archive, problems)
        for info, relative in members:
            target = dest / relative
            if info.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with handle.extractfile(info) as source, open(target, "xb") as out:
                if _copy_limited(source, out, info.size) is None:
                    raise TransferError(f"{archive}: {info.name}: more data than its header says")
