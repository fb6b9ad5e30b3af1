"""The portal's IIIF endpoints: the Image API 3.0 under /iiif/3/{identifier}, manifests under /iiif/manifest/.

Every answer carries ``Access-Control-Allow-Origin: *`` (any IIIF viewer may load what is open); nothing here
reads the visitor's session — an image is served to everyone or to no one (``access.iiif``)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from access import iiif, iiif_images
from access.iiif_images import FORMATS, ImageRequestError

router = APIRouter(include_in_schema=False)  # IIIF is its own API, described by its own specification
CORS = {"Access-Control-Allow-Origin": "*"}
IMAGE_JSON_LD = f'application/ld+json;profile="{iiif.IMAGE_CONTEXT}"'
PRESENTATION_JSON_LD = f'application/ld+json;profile="{iiif.PRESENTATION_CONTEXT}"'


@router.api_route("/iiif/3/{identifier}", methods=["GET", "HEAD"])
def image_base(request: Request, identifier: str) -> Response:
    """The image's base URI: a redirect to its information document."""
    portal = request.app.state.portal
    iiif.open_image(portal.database, identifier)  # 404 for anything not open, before anything is said of it
    return RedirectResponse(f"/iiif/3/{identifier}/info.json", status_code=303, headers=CORS)


@router.api_route("/iiif/3/{identifier}/info.json", methods=["GET", "HEAD"])
def image_information(request: Request, identifier: str) -> Response:
    """The image's information document: its size, tiles and what the service offers."""
    portal = request.app.state.portal
    image = iiif.open_image(portal.database, identifier)
    try:
        levels = iiif.pyramid(portal.settings, portal.database, image)
    except iiif.ImageBusy as exc:
        return _busy(exc)
    body = json.dumps(iiif.info_json(portal.settings.portal_url, identifier, levels), indent=1)
    media = IMAGE_JSON_LD if "application/ld+json" in request.headers.get("accept", "") else "application/json"
    return Response(body, media_type=media, headers=CORS)


@router.api_route("/iiif/3/{identifier}/{region}/{size}/{rotation}/{image_name}", methods=["GET", "HEAD"])
def image_content(
    request: Request, identifier: str, region: str, size: str, rotation: str, image_name: str
) -> Response:
    """A region of the image at a size: ``{region}/{size}/{rotation}/{quality}.{format}``."""
    portal = request.app.state.portal
    image = iiif.open_image(portal.database, identifier)
    quality, _, fmt = image_name.rpartition(".")
    try:
        levels = iiif.pyramid(portal.settings, portal.database, image)
    except iiif.ImageBusy as exc:
        return _busy(exc)
    try:
        asked = iiif_images.parse_request(levels, region, size, rotation, quality, fmt, iiif.MAX_AREA)
    except ImageRequestError as exc:
        return PlainTextResponse(f"{exc.message}\n", status_code=exc.status, headers=CORS)
    content = iiif_images.render(levels, asked)
    link = {"Link": f'<{iiif.IMAGE_CONTEXT}>;rel="profile"'}
    return Response(content, media_type=FORMATS[asked.format], headers=CORS | link)


@router.api_route("/iiif/manifest/{aip_id}", methods=["GET", "HEAD"])
@router.api_route("/iiif/manifest/{aip_id}/{path:path}", methods=["GET", "HEAD"])
def record_manifest(request: Request, aip_id: str, path: str = "") -> Response:
    """The Presentation 3.0 manifest of an open record: a canvas for every open image at or below it."""
    portal = request.app.state.portal
    data = iiif.manifest(portal.settings, portal.database, aip_id, path.strip("/"))
    media = PRESENTATION_JSON_LD if "application/ld+json" in request.headers.get("accept", "") else "application/json"
    return Response(json.dumps(data, indent=1, ensure_ascii=False), media_type=media, headers=CORS)


def _busy(exc: iiif.ImageBusy) -> Response:
    """503 with Retry-After: the image is not ready and enough requests already wait for images."""
    return PlainTextResponse(f"{exc.message}\n", status_code=503, headers=CORS | {"Retry-After": "5"})
