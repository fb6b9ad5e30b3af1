"""IIIF for open images: the Image API 3.0 (``info.json`` and any region at any size, from a pyramid made once per
image) and Presentation API 3.0 manifests (a record and every open image at or below it, one canvas each).

Only what anyone may see is ever served: an image is offered when its record is open and the file shown is open
too, for every visitor alike — a closed or restricted image, or one that does not exist, is the same 404 to an
anonymous visitor, a researcher and an archivist (IIIF addresses are shared and cached outside the portal;
archivists see closed images in the record page's preview)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

from access import delivery, iiif_images
from access.derived_cache import cached
from access.iiif_images import NONE, PYRAMID, TILE, TILEABLE, Pyramid
from catalogue import Database
from catalogue.images import file_record_of, open_images
from catalogue.record_index import Record, record_at
from preservation.config import Settings
from preservation.errors import NotFound, PreservationError
from preservation.model import FileRecord

MAX_AREA = 4096 * 4096  # pixels served in one answer at most (maxArea); larger sizes are refused
MAX_CANVASES = 1000  # images in one manifest: more are reached through the records below
MIB = 1024 * 1024
IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
NO_IMAGE = "no such image"


WAITING = threading.BoundedSemaphore(4)  # requests in one server process waiting for a pyramid to be made


class ImageBusy(PreservationError):
    """Too many requests are already waiting for pyramids to be made (503, with Retry-After)."""


@dataclass(frozen=True)
class OpenImage:
    """An open image as the service offers it: its identifier is the id of the file shown."""

    record: Record
    file: FileRecord


def cache_folder(settings: Settings) -> Path:
    """Where pyramids are kept."""
    return settings.home / "cache" / "iiif"


def open_image(database: Database, identifier: str, today: str | None = None) -> OpenImage:
    """The open image with this identifier (a file id); NotFound for any other, whoever asks."""
    today = today or date.today().isoformat()
    with database.session() as session:  # the same queries whether the file exists or not: no time to tell by
        place = (file_record_of(session, identifier) if len(identifier) <= 64 else None) or ("", "")
        record = record_at(session, place[0], place[1], today)
        found = open_images(session, place[0], place[1], today, TILEABLE, 1)
    if not found or record is None or found[0][0].path != record.path or found[0][1].id != identifier:
        raise NotFound(NO_IMAGE, hint="Search the catalogue to find open images.")
    return OpenImage(*found[0])


def pyramid(settings: Settings, database: Database, image: OpenImage) -> Pyramid:
    """The image's pyramid from the cache, made first (from a copy checked against the inventory) if it is not
    there; NotFound when the image has none (larger than the limits, or one libvips cannot read)."""
    chosen = image.file
    if chosen.size > settings.iiif_max_mib * MIB:
        raise NotFound(NO_IMAGE, hint="This image is too large to be served here; request a copy instead.")

    def make(work: Path) -> Path:
        source = delivery.fetch_files(settings, database, work, [chosen])[chosen.id]
        target = work / "pyramid"
        suffix = iiif_images.make_pyramid(source, target, settings.iiif_max_megapixels * 1_000_000)
        source.unlink()
        return target.rename(target.with_suffix(suffix))

    ready = _entry(settings, chosen, PYRAMID).is_file() or _entry(settings, chosen, NONE).is_file()
    # to be made: only a few of the server's threads may wait for pyramids, the rest answer everyone else
    if not ready and not WAITING.acquire(blocking=False):
        raise ImageBusy("images are being made ready; try again in a few seconds", hint="Try again shortly.")
    try:
        name = _entry(settings, chosen, "").name
        entry = cached(cache_folder(settings), name, (PYRAMID, NONE), make, settings.iiif_cache_mib * MIB)
    finally:
        if not ready:
            WAITING.release()
    if entry.suffix == NONE:
        raise NotFound(NO_IMAGE, hint="This image cannot be served here; request a copy instead.")
    return iiif_images.read_pyramid(entry)


def service_url(portal: str, image_id: str) -> str:
    """The base URI of an image's service."""
    return f"{portal}/iiif/3/{image_id}"


def info_json(portal: str, image_id: str, levels: Pyramid) -> dict[str, object]:
    """The image information document (Image API 3.0, level 1 and the level 2 features offered)."""
    return {
        "@context": IMAGE_CONTEXT,
        "id": service_url(portal, image_id),
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": "level1",
        "width": levels.width,
        "height": levels.height,
        "maxArea": MAX_AREA,
        "sizes": [{"width": w, "height": h} for w, h in iiif_images.pyramid_sizes(levels, MAX_AREA)],
        "tiles": [{"width": TILE, "height": TILE, "scaleFactors": iiif_images.scale_factors(levels)}],
        "extraQualities": ["color", "gray"],
        "extraFormats": ["png"],
        "extraFeatures": ["regionByPct", "sizeByConfinedWh", "sizeByPct", "sizeByWh"],
    }


def manifest_url(portal: str, aip_id: str, path: str) -> str:
    """The address of a record's manifest."""
    return f"{portal}/iiif/manifest/{aip_id}" + (f"/{quote(path)}" if path else "")


def manifest(settings: Settings, database: Database, aip_id: str, path: str, today: str | None = None) -> dict:
    """The Presentation 3.0 manifest of the open record at ``path`` of AIP ``aip_id``: a canvas for each open image
    at or below it (MAX_CANVASES at most); NotFound when the record is not open or holds no open image."""
    today = today or date.today().isoformat()
    with database.session() as session:  # the same queries whether the record exists, is closed or is open
        record = record_at(session, aip_id, path, today)
        images = open_images(session, aip_id, path, today, TILEABLE, MAX_CANVASES)
    images = [(record_, shown) for record_, shown in images if not _refused(settings, shown)]
    if record is None or record.access != "open" or not images:
        raise NotFound("no such manifest", hint="Search the catalogue to find open images.")
    portal = settings.portal_url
    own = manifest_url(portal, aip_id, path)
    page = f"{portal}/records/{aip_id}" + (f"/{quote(path)}" if path else "")
    label = record.title or path or aip_id
    data: dict[str, object] = {
        "@context": PRESENTATION_CONTEXT,
        "id": own,
        "type": "Manifest",
        "label": {"none": [label]},
        "requiredStatement": {"label": {"en": ["Held by"]}, "value": {"none": [settings.archive_name]}},
        "homepage": [{"id": page, "type": "Text", "label": {"none": [label]}, "format": "text/html"}],
        "items": [_canvas(settings, own, number, *image) for number, image in enumerate(images, 1)],
    }
    if record.reference:
        data["metadata"] = [{"label": {"en": ["Reference"]}, "value": {"none": [record.reference]}}]
    return data


def _canvas(settings: Settings, manifest_id: str, number: int, record: Record, shown: FileRecord) -> dict:
    """One image's canvas, the image painted on the whole of it, its service named."""
    width, height = image_size(settings, shown)
    canvas = f"{manifest_id}/canvas/{number}"
    service = service_url(settings.portal_url, shown.id)
    body = {
        "id": f"{service}/full/max/0/default.jpg",
        "type": "Image",
        "format": "image/jpeg",
        "service": [{"id": service, "type": "ImageService3", "profile": "level1"}],
    }
    painting = {"id": f"{canvas}/painting", "type": "Annotation", "motivation": "painting", "body": body}
    return {
        "id": canvas,
        "type": "Canvas",
        "label": {"none": [record.title or record.path]},
        "width": width,
        "height": height,
        "items": [{"id": f"{canvas}/page", "type": "AnnotationPage", "items": [painting | {"target": canvas}]}],
    }


def _entry(settings: Settings, shown: FileRecord, suffix: str) -> Path:
    """The cache entry of an image's pyramid (``suffix`` PYRAMID) or of its refusal (NONE)."""
    return cache_folder(settings) / f"{shown.sha256}-{iiif_images.DERIVATION}{suffix}"


def _refused(settings: Settings, shown: FileRecord) -> bool:
    """Whether making the image's pyramid was tried and refused (too large, or unreadable): a manifest leaves it out
    rather than send viewers to a service that will not answer."""
    return _entry(settings, shown, NONE).is_file()


def image_size(settings: Settings, shown: FileRecord) -> tuple[int, int]:
    """An image's width and height as served: its pyramid's where it has been made, else as validation measured
    it (turned by its EXIF orientation), else 1 x 1 until its pyramid is made."""
    entry = _entry(settings, shown, PYRAMID)
    if entry.is_file():
        levels = iiif_images.read_pyramid(entry)
        return levels.width, levels.height
    traits = dict(shown.validation.characteristics)
    try:
        width, height = int(traits["width"]), int(traits["height"])
    except (KeyError, ValueError):
        return 1, 1
    turned = traits.get("orientation", "1") in ("5", "6", "7", "8")  # a quarter turn: width and height swap
    return (height, width) if turned else (width, height)
