"""Previews for the portal: one small derived file per file content, made once and kept in a cache.

An image is scaled down (its longer edge at most ``LONGEST_EDGE`` pixels) and saved as JPEG, or PNG when it has
transparency; a PDF is shown as it is. Files larger than ``preview_max_mib`` get no preview, decided from the
catalogue's recorded size before anything is copied. Entries live in ``<home>/cache/previews`` named by the file's
SHA-256 and the version of the derivation (``DERIVATION``), so every process and request agrees on them. An entry is
made under an exclusive lock (``fcntl.flock`` on ``<name>.lock`` beside it): the source is fetched (checked against
the inventory) into a work folder inside the cache, the preview written there and renamed into place, so concurrent
requests make it once and nothing half-written is ever served. An image Pillow refuses (a decompression bomb, or one
it cannot read), or one whose decoding needs more than ``MAX_DECODED_PIXELS`` (a baseline JPEG counts at the
fraction it is decoded at), gets an empty ``<name>.none`` entry, so it is not fetched again. At most two previews
are made at once in one server process (``MAKING``), so a burst of large images cannot take all its memory. After
each new entry the cache is trimmed to ``preview_cache_mib``, least recently used first: serving an entry touches
it, and an entry used in the last ``IN_USE_SECONDS`` is never deleted (a response may be about to open it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from access import delivery
from catalogue import Database
from preservation.config import Settings
from preservation.errors import NotFound
from preservation.model import FileRecord

DERIVATION = "v2"  # change when previews are made differently: older entries are then never used, and trimmed
LONGEST_EDGE = 2048  # pixels
# an image whose decoding needs more pixels than this has no preview: ~10 bytes a pixel at the peak (measured:
# a 6300 x 6300 RGBA PNG took 422 MB), so 16 million is ~170 MB. A baseline JPEG is decoded at 1/2, 1/4 or 1/8
# where that is enough and counts at that size; a progressive JPEG keeps a full-size buffer and counts whole
MAX_DECODED_PIXELS = 16_000_000
MAKING = threading.BoundedSemaphore(2)  # previews made at once in one server process
IMAGES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}  # -> Pillow format
PDF = "application/pdf"
KINDS = {".jpg": "image/jpeg", ".png": "image/png", ".pdf": PDF, ".none": ""}  # entry suffix -> MIME type
NONE = ".none"  # an image that has no preview (Pillow refused it)
LOCK = ".lock"
WORK = ".work"  # suffix of the folder an entry is made in (its name starts with '.<entry name>.')
TRIM_LOCK = ".trim.lock"
IN_USE_SECONDS = 60  # an entry served this recently is kept whatever the cache's size
MIB = 1024 * 1024
NO_PREVIEW = "no preview of this record"


def cache_folder(settings: Settings) -> Path:
    """Where previews are kept."""
    return settings.home / "cache" / "previews"


def cached_preview(settings: Settings, database: Database, chosen: FileRecord) -> tuple[Path, str]:
    """The preview of ``chosen`` from the cache, made first if it is not there; (file, MIME type).

    NotFound when there is none: not an image or a PDF, larger than ``preview_max_mib``, or an image Pillow
    refuses. The caller decides whether the person may see ``chosen`` at all."""
    mime = chosen.format.mime_type.split(";")[0].strip().lower()
    if (mime not in IMAGES and mime != PDF) or not re.fullmatch("[0-9a-f]{64}", chosen.sha256):
        raise NotFound(NO_PREVIEW, hint="Request a copy instead.")
    if chosen.size > settings.preview_max_mib * MIB:  # before anything is copied
        raise NotFound(NO_PREVIEW, hint="This file is too large to show here; request a copy instead.")
    folder = cache_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{chosen.sha256}-{DERIVATION}"
    with _locked(folder / f"{name}{LOCK}"):  # held while serving too: a trim deletes only entries nobody holds
        entry = _entry(folder, name)
        made = entry is None
        if entry is None:
            with MAKING:  # decoding a large image takes hundreds of MiB: a few at a time per server process
                entry = _make(settings, database, chosen, mime, folder, name)
        os.utime(entry)  # the most recently used
    if made:
        trim(folder, settings.preview_cache_mib * MIB)
    if entry.suffix == NONE:
        raise NotFound(NO_PREVIEW, hint="This image cannot be shown here; request a copy instead.")
    return entry, KINDS[entry.suffix]


def trim(folder: Path, limit: int, now: float | None = None) -> list[Path]:
    """Delete the least recently used entries (by mtime) until the rest hold at most ``limit`` bytes, sparing
    those used in the last ``IN_USE_SECONDS``, and what makers that died left behind; the entries deleted."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    with _locked(folder / TRIM_LOCK):
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


def _entry(folder: Path, name: str) -> Path | None:
    """The entry called ``name`` whatever kind it is, if there is one."""
    return next((path for path in (folder / f"{name}{suffix}" for suffix in KINDS) if path.is_file()), None)


def _make(settings: Settings, database: Database, chosen: FileRecord, mime: str, folder: Path, name: str) -> Path:
    """Fetch ``chosen`` into a work folder in the cache, derive its preview there and rename it into place."""
    work = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=WORK, dir=folder))
    try:
        source = delivery.fetch_files(settings, database, work, [chosen])[chosen.id]
        if mime == PDF:
            made, suffix = source, ".pdf"
        else:
            made = work / "preview"
            suffix = _scaled(source, made, IMAGES[mime])
            source.unlink()
        with made.open("rb") as written:
            os.fsync(written.fileno())  # on disk before its name says it is ready
        entry = folder / f"{name}{suffix}"
        os.replace(made, entry)
        return entry
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _scaled(source: Path, target: Path, kind: str) -> str:
    """Write the image at ``source`` scaled down to ``target``; the entry suffix: '.jpg', '.png', or '.none' (and
    an empty file) when Pillow refuses it: a decompression bomb, or not an image of ``kind`` it can read."""
    # imported here: Pillow costs ~10 ms, which every command would pay at start-up (the CLI loads this module)
    from PIL import Image, ImageOps  # noqa: PLC0415

    refused = (Image.DecompressionBombError, Image.DecompressionBombWarning, OSError, SyntaxError, ValueError, EOFError)
    try:
        image = Image.open(source, formats=[kind])  # raises DecompressionBombError beyond twice the limit ...
    except refused:
        return _refused(target)
    with image:
        try:
            limit = Image.MAX_IMAGE_PIXELS  # (None only where Pillow's limit has been turned off)
            if limit is not None and image.width * image.height > limit:  # ... and only warns below that
                raise Image.DecompressionBombError(f"{image.width} x {image.height} pixels")
            progressive = image.format == "JPEG" and bool(
                image.info.get("progressive") or image.info.get("progression")
            )
            if image.format == "JPEG" and not progressive:
                image.draft(None, (LONGEST_EDGE, LONGEST_EDGE))  # decoded at 1/2, 1/4 or 1/8 where that is enough
            if image.width * image.height > MAX_DECODED_PIXELS:  # the size it will be decoded at
                raise Image.DecompressionBombError(f"{image.width} x {image.height} pixels to decode")
            image.thumbnail((LONGEST_EDGE, LONGEST_EDGE))  # the first frame, aspect ratio kept
            frame = ImageOps.exif_transpose(image)
            transparent = frame.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in frame.info
            if transparent:
                frame = frame.convert("RGBA")
            elif frame.mode not in ("RGB", "L"):
                frame = frame.convert("RGB")
        except refused:
            return _refused(target)
        if transparent:
            frame.save(target, "PNG")
            return ".png"
        frame.save(target, "JPEG", quality=85)
        return ".jpg"


def _refused(target: Path) -> str:
    """An empty file at ``target``: the entry that says this image has no preview."""
    target.write_bytes(b"")
    return NONE


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
def _locked(path: Path) -> Iterator[None]:
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
