"""Images as the IIIF Image API 3.0 serves them: a pyramidal derivative made once per image, and any region of it
at any size (level 1 and more) cut from the pyramid level nearest above the size asked for.

The pyramid is a tiled, JPEG-compressed BigTIFF with a level for every halving (256-pixel tiles), made by libvips
(pyvips) reading the source a strip at a time, so memory stays small whatever the image's size; it is kept in the
access cache (``<home>/cache/iiif``, trimmed to ``iiif_cache_mib``) as ``access.derived_cache`` keeps entries,
named by the source's SHA-256. An image libvips refuses, or larger than ``iiif_max_megapixels``, gets an empty
``.none`` entry and no IIIF service. Only loaders libvips has fuzzed are used (``block_untrusted``)."""

from __future__ import annotations

import functools
import math
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from preservation.errors import PreservationError

DERIVATION = "p1"  # change when pyramids are made differently: older entries are then never used, and trimmed
TILE = 256  # pixels a side of the pyramid's tiles, and of the tiles the service offers
QUALITY = 85  # JPEG quality of the pyramid and of what is served
PYRAMID, NONE = ".tif", ".none"
# what libvips reads (its own loaders, fuzzed): a file of one of these types gets a pyramid
TILEABLE = {"image/jpeg", "image/png", "image/tiff", "image/webp", "image/gif", "image/heif", "image/avif"}
MAKING = threading.BoundedSemaphore(2)  # pyramids made at once in one server process
# an image libvips can only decode whole is refused past this (~5 bytes a pixel at the peak, measured: a
# 400-megapixel GIF took 1.9 GB): ~200 MB
WHOLE_MAX_PIXELS = 40_000_000
FORMATS = {"jpg": "image/jpeg", "png": "image/png"}
MAX_CUT = 64_000_000  # pixels of the pyramid one request may read (a full-size answer of 16.7 million needs < 4x)
QUALITIES = ("default", "color", "gray")


class ImageRequestError(PreservationError):
    """A request the Image API does not allow (400), or a parameter value this service does not offer or a size
    beyond its limits (404: the Image API 3.0's answer for both)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message, hint="See the image's info.json for what this service offers.")
        self.status = status


@dataclass(frozen=True)
class Pyramid:
    """A pyramid's full size and the size of each of its levels, largest first."""

    path: Path
    levels: tuple[tuple[int, int], ...]

    @property
    def width(self) -> int:
        """Width of the image, after its orientation is applied."""
        return self.levels[0][0]

    @property
    def height(self) -> int:
        """Height of the image, after its orientation is applied."""
        return self.levels[0][1]


def _vips():  # noqa: ANN202 - imported on first use: libvips costs ~60 ms to load, which no other command should pay
    import pyvips  # noqa: PLC0415

    pyvips.block_untrusted_set(True)
    pyvips.cache_set_max(0)  # every request opens what it needs; nothing is held between requests
    return pyvips


def make_pyramid(source: Path, target: Path, max_pixels: int) -> str:
    """Write the pyramid of the image at ``source`` to ``target``; the entry suffix: '.tif', or '.none' (and an
    empty file) when libvips cannot read it or it holds more than ``max_pixels``."""
    pyvips = _vips()
    with MAKING:
        try:
            header = pyvips.Image.new_from_file(str(source), fail_on="error")  # the header: nothing decoded yet
            pixels = header.width * header.height
            if pixels > max_pixels or (pixels > WHOLE_MAX_PIXELS and _decoded_whole(header)):
                raise ValueError(f"{header.width} x {header.height} pixels")
            turned = "orientation" in header.get_fields() and header.get("orientation") not in (0, 1)
            # a strip at a time where the image is shown as it is stored; turning it reads it out of order, so
            # libvips decodes it whole first (into memory, or a temporary file past 100 MB)
            image = pyvips.Image.new_from_file(
                str(source), access="random" if turned else "sequential", fail_on="error"
            )
            image = image.autorot()
            if image.hasalpha():
                image = image.flatten(background=[255] * (image.bands - 1))
            gray = image.bands == 1 or image.interpretation in ("b-w", "grey16")
            image = image.colourspace("b-w" if gray else "srgb")
            if image.format != "uchar":
                image = image.cast("uchar")
            image.tiffsave(
                str(target),
                tile=True,
                tile_width=TILE,
                tile_height=TILE,
                pyramid=True,
                compression="jpeg",
                Q=QUALITY,
                bigtiff=True,
                strip=True,
            )
        except (pyvips.Error, ValueError):
            target.write_bytes(b"")
            return NONE
    return PYRAMID


def _decoded_whole(header) -> bool:  # noqa: ANN001 - a pyvips.Image
    """Whether libvips must decode this image whole into memory (it reads baseline JPEG, non-interlaced PNG and
    TIFF a strip at a time; GIF, WebP, HEIF, interlaced PNG and progressive JPEG only whole)."""
    loader = str(header.get("vips-loader"))
    fields = header.get_fields()
    interlaced = "interlaced" in fields and bool(header.get("interlaced"))
    return loader not in ("jpegload", "pngload", "tiffload") or interlaced


def read_pyramid(path: Path) -> Pyramid:
    """The levels of the pyramid at ``path`` (remembered while the file is the same one: opening every level
    costs more than cutting a tile)."""
    status = path.stat()  # a pyramid is written once and renamed into place: a new one is a new inode
    return _levels(str(path), status.st_ino, status.st_size)


@functools.lru_cache(maxsize=256)
def _levels(path: str, inode: int, size: int) -> Pyramid:
    """The levels of the pyramid at ``path``, as it is at ``inode`` with ``size`` bytes."""
    pyvips = _vips()
    first = pyvips.Image.new_from_file(path)
    pages = first.get("n-pages") if "n-pages" in first.get_fields() else 1
    levels = [(first.width, first.height)]
    for page in range(1, pages):
        level = pyvips.Image.new_from_file(path, page=page)
        levels.append((level.width, level.height))
    return Pyramid(Path(path), tuple(levels))


@dataclass(frozen=True)
class ImageRequest:
    """A region at a size, read from the request's path segments and checked against the image."""

    x: int
    y: int
    w: int
    h: int
    width: int  # of the image served
    height: int
    gray: bool
    format: str


def parse_request(
    pyramid: Pyramid, region: str, size: str, rotation: str, quality: str, fmt: str, max_area: int
) -> ImageRequest:
    """The request ``{region}/{size}/{rotation}/{quality}.{format}`` for ``pyramid``; ImageRequestError (400 for
    what the API does not allow, 404 for what this service does not offer) otherwise."""
    x, y, w, h = _region(region, pyramid.width, pyramid.height)
    width, height = _size(size, w, h, max_area)
    level_w, level_h = pyramid.levels[level_for(pyramid, w, h, width, height)]
    cut = math.ceil(w * level_w / pyramid.width) * math.ceil(h * level_h / pyramid.height)
    if cut > MAX_CUT:  # a sliver as wide as a huge image, say: it would decode a whole level to send a line
        raise ImageRequestError(f"{region}/{size} would read {cut} pixels; this service reads {MAX_CUT} at most", 404)
    if rotation != "0":
        if not re.fullmatch(r"!?\d+(\.\d+)?", rotation) or float(rotation.lstrip("!")) > 360:
            raise ImageRequestError(f"rotation {rotation!r} is not a rotation")
        raise ImageRequestError(f"rotation {rotation!r} is not offered (only 0)", 404)
    if quality not in QUALITIES:
        known = quality == "bitonal"  # one the API defines, not offered here
        raise ImageRequestError(f"quality {quality!r} is not one of {', '.join(QUALITIES)}", 404 if known else 400)
    if fmt not in FORMATS:
        raise ImageRequestError(f"format {fmt!r} is not offered (jpg or png)", 404 if fmt.isalnum() else 400)
    return ImageRequest(x, y, w, h, width, height, quality == "gray", fmt)


def _region(region: str, full_w: int, full_h: int) -> tuple[int, int, int, int]:
    """The region in the full image's pixels, clipped to it."""
    if region == "full":
        return 0, 0, full_w, full_h
    if region == "square":
        side = min(full_w, full_h)
        return (full_w - side) // 2, (full_h - side) // 2, side, side
    number = r"(\d{1,9}(?:\.\d{1,9})?)"  # a billion pixels a side is beyond any image served
    match = re.fullmatch(rf"(pct:)?{number},{number},{number},{number}", region)
    if match is None:
        raise ImageRequestError(f"region {region!r} is not full, square, x,y,w,h or pct:x,y,w,h")
    pct, *numbers = match.groups()
    values = [float(n) for n in numbers]
    if pct:
        values = [value * (full_w if n % 2 == 0 else full_h) / 100 for n, value in enumerate(values)]
    elif any(not n.isdigit() for n in numbers):
        raise ImageRequestError(f"region {region!r}: pixels are whole numbers")
    x, y, w, h = (round(v) for v in values)
    if w <= 0 or h <= 0 or x >= full_w or y >= full_h:
        raise ImageRequestError(f"region {region!r} holds none of the image ({full_w} x {full_h})")
    return x, y, min(w, full_w - x), min(h, full_h - y)


def _size(size: str, w: int, h: int, max_area: int) -> tuple[int, int]:
    """The size to serve the region at; never larger than the region (no upscaling), nor than ``max_area``."""
    if size.startswith("^"):
        raise ImageRequestError(f"size {size!r}: upscaling is not offered", 404)
    if size == "max":
        scale = min(1.0, math.sqrt(max_area / (w * h)))
        return max(1, int(w * scale)), max(1, int(h * scale))
    match = re.fullmatch(r"(!)?(\d{0,9}),(\d{0,9})", size) or re.fullmatch(r"pct:(\d{1,9}(?:\.\d{1,9})?)", size)
    if match is None:
        raise ImageRequestError(f"size {size!r} is not max, w,, ,h, w,h, !w,h or pct:n")
    if size.startswith("pct:"):
        scale = float(match.group(1)) / 100
        width, height = round(w * scale), round(h * scale)
    else:
        confined, given_w, given_h = match.groups()
        if not given_w and not given_h or confined and not (given_w and given_h):
            raise ImageRequestError(f"size {size!r} gives no width or height")
        if confined:
            scale = min(int(given_w) / w, int(given_h) / h, 1.0)
            width, height = round(w * scale), round(h * scale)
        elif given_w and given_h:
            width, height = int(given_w), int(given_h)
        elif given_w:
            width, height = int(given_w), round(h * int(given_w) / w)
        else:
            width, height = round(w * int(given_h) / h), int(given_h)
    if width <= 0 or height <= 0:
        raise ImageRequestError(f"size {size!r} is no pixels")
    if width > w or height > h:
        raise ImageRequestError(f"size {size!r} is larger than the region ({w} x {h}): upscaling is not offered")
    if width * height > max_area:
        raise ImageRequestError(f"size {size!r} is more than the {max_area} pixels this service serves at once", 404)
    return width, height


def level_for(pyramid: Pyramid, w: int, h: int, width: int, height: int) -> int:
    """The smallest level of the pyramid at which a ``w`` x ``h`` region is still at least ``width`` x ``height``."""
    page = 0
    for index, (level_w, level_h) in enumerate(pyramid.levels):
        if w * level_w / pyramid.width >= width and h * level_h / pyramid.height >= height:
            page = index
    return page


def render(pyramid: Pyramid, request: ImageRequest) -> bytes:
    """The region of ``request`` at its size, cut from the smallest level at least that size, as its format."""
    pyvips = _vips()
    page = level_for(pyramid, request.w, request.h, request.width, request.height)
    level_w, level_h = pyramid.levels[page]
    sx, sy = level_w / pyramid.width, level_h / pyramid.height
    left, top = int(request.x * sx), int(request.y * sy)
    right = min(level_w, max(left + 1, math.ceil((request.x + request.w) * sx)))
    bottom = min(level_h, max(top + 1, math.ceil((request.y + request.h) * sy)))
    image = pyvips.Image.new_from_file(str(pyramid.path), page=page, access="random")
    cut = image.crop(left, top, right - left, bottom - top)
    if (cut.width, cut.height) != (request.width, request.height):
        cut = cut.resize(request.width / cut.width, vscale=request.height / cut.height)
    if cut.width != request.width or cut.height != request.height:  # resize may round a pixel the other way
        cut = cut.gravity("north-west", request.width, request.height, extend="copy")
    if request.gray and cut.bands > 1:
        cut = cut.colourspace("b-w")
    suffix = f".jpg[Q={QUALITY},strip]" if request.format == "jpg" else ".png[strip]"
    return bytes(cut.write_to_buffer(suffix))


def pyramid_sizes(pyramid: Pyramid, max_area: int) -> list[tuple[int, int]]:
    """The whole image's sizes that are served fastest (the pyramid's own levels), smallest first."""
    return sorted((w, h) for w, h in pyramid.levels if w * h <= max_area)


def scale_factors(pyramid: Pyramid) -> list[int]:
    """The scale factors tiles are offered at: each level's halving."""
    return [2**index for index in range(len(pyramid.levels))]
