"""Previews for the portal: one small derived file per file content, made once and kept in a cache.

An image is scaled down (its longer edge at most ``LONGEST_EDGE`` pixels) and saved as JPEG, or PNG when it has
transparency; a PDF is shown as it is. Files larger than ``preview_max_mib`` get no preview, decided from the
catalogue's recorded size before anything is copied. Entries live in ``<home>/cache/previews`` named by the file's
SHA-256 and the version of the derivation (``DERIVATION``) and kept as ``access.derived_cache`` keeps entries: the
source is fetched (checked against the inventory) into a work folder inside the cache, the preview written there
and renamed into place, so concurrent requests make it once and nothing half-written is ever served.
An image Pillow refuses (a decompression bomb, or one
it cannot read), or one whose decoding needs more than ``MAX_DECODED_PIXELS`` (a baseline JPEG counts at the
fraction it is decoded at), gets an empty ``<name>.none`` entry, so it is not fetched again. At most two previews
are made at once in one server process (``MAKING``), so a burst of large images cannot take all its memory. After
each new entry the cache is trimmed to ``preview_cache_mib``, least recently used first.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from access import delivery, derived_cache
from access.derived_cache import cached
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

    def make(work: Path) -> Path:
        with MAKING:  # decoding a large image takes hundreds of MiB: a few at a time per server process
            return _make(settings, database, chosen, mime, work)

    name = f"{chosen.sha256}-{DERIVATION}"
    entry = cached(cache_folder(settings), name, tuple(KINDS), make, settings.preview_cache_mib * MIB)
    if entry.suffix == NONE:
        raise NotFound(NO_PREVIEW, hint="This image cannot be shown here; request a copy instead.")
    return entry, KINDS[entry.suffix]


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


def _make(settings: Settings, database: Database, chosen: FileRecord, mime: str, work: Path) -> Path:
    """Fetch ``chosen`` into ``work`` (checked against the inventory) and derive its preview there."""
    source = delivery.fetch_files(settings, database, work, [chosen])[chosen.id]
    if mime == PDF:
        return source.rename(work / "preview.pdf")
    made = work / "preview"
    suffix = _scaled(source, made, IMAGES[mime])
    source.unlink()
    return made.rename(made.with_suffix(suffix))


def trim(folder: Path, limit: int, now: float | None = None) -> list[Path]:
    """Trim the preview cache (see ``access.derived_cache.trim``)."""
    return derived_cache.trim(folder, limit, now)
