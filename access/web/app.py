"""The portal application: pages, the JSON API, assets, sessions and security headers.

FastAPI and Starlette are imported only in ``access.web``; everything the portal does goes through the
same functions as the command line (``access.*``), so the rules are enforced in one place.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from access.devices import DEVICE_DAYS
from access.secret import archive_secret
from access.web import api, iiif_routes, oai_routes, pages
from access.web.limits import BodyLimit
from access.web.portal import Portal
from access.web.security import SignInNeeded, device_cookie
from catalogue import Database
from catalogue.record_index import NO_COLLECTION, facet_label
from preservation.config import Settings
from preservation.errors import ConfigError, PreservationError

HERE = Path(__file__).parent
LOG = logging.getLogger("preserve.portal")
STATUS = {"NotFound": 404, "AccessDenied": 403, "RequestError": 400, "AccountError": 400}


def assets_folder() -> Path:
    """GOV.UK Frontend's built files: in a source checkout as npm installed them (`make portal-assets`), in an
    installed wheel the copy it carries (access/web/assets, which `make wheel` fills from the same npm package)."""
    npm, wheel = HERE / "node_modules" / "govuk-frontend" / "dist" / "govuk", HERE / "assets" / "govuk-frontend"
    default = npm if (npm / "govuk-frontend.min.css").is_file() or not wheel.is_dir() else wheel
    folder = Path(os.environ.get("PRESERVE_PORTAL_ASSETS", default))
    if not (folder / "govuk-frontend.min.css").is_file():
        raise ConfigError(
            f"{folder}: GOV.UK Frontend is not installed",
            hint="Run `make portal-assets` (npm ci in access/web), or set PRESERVE_PORTAL_ASSETS; "
            "a wheel carries them when built by `make wheel`.",
        )
    return folder


def viewer_folder() -> Path:
    """OpenSeadragon's built files (the deep-zoom viewer): as npm installed them in a source checkout, else the copy
    an installed wheel carries (access/web/assets/openseadragon)."""
    npm, wheel = HERE / "node_modules" / "openseadragon" / "build" / "openseadragon", HERE / "assets" / "openseadragon"
    folder = npm if (npm / "openseadragon.min.js").is_file() or not wheel.is_dir() else wheel
    if not (folder / "openseadragon.min.js").is_file():
        raise ConfigError(
            f"{folder}: OpenSeadragon is not installed",
            hint="Run `make portal-assets` (npm ci in access/web); a wheel carries it when built by `make wheel`.",
        )
    return folder


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """The portal for one archive."""

    database = database or Database(settings.catalogue_url)
    database.require_current()
    templates = Environment(
        loader=ChoiceLoader(
            [
                PackageLoader("access.web", "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    templates.globals["facet_label"] = facet_label  # facet values in words (format names, decades, undated)
    templates.globals["no_collection"] = NO_COLLECTION  # the collection filter for records in none
    app = FastAPI(
        title=f"{settings.archive_name} catalogue API",
        version="1",
        description="Search the catalogue, request records and decide requests.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.portal = Portal(settings, database, templates)
    assets = assets_folder()
    app.mount("/assets", StaticFiles(directory=assets / "assets"), name="assets")
    app.mount("/govuk", StaticFiles(directory=assets), name="govuk")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/viewer", StaticFiles(directory=viewer_folder()), name="viewer")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(oai_routes.router)
    app.include_router(iiif_routes.router)
    https = settings.portal_url.startswith("https://")
    _add_middleware(app, settings, https)
    _add_error_handlers(app, https)
    return app


def _add_middleware(app: FastAPI, settings: Settings, https: bool) -> None:
    """The body limit, the signed session cookie and the security headers on every answer."""
    app.add_middleware(BodyLimit, limit=settings.max_body_kib * 1024)
    # over https the cookie is __Host-: Secure, for this host only, path / — no other site or subdomain can set it
    app.add_middleware(
        SessionMiddleware,
        secret_key=archive_secret(settings).hex(),
        session_cookie="__Host-preserve_session" if https else "preserve_session",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=https,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        request.state.nonce = secrets.token_urlsafe(16)
        response = await call_next(request)
        if getattr(request.state, "device", ""):  # a sign-in succeeded: remember this browser for the account
            response.set_cookie(
                device_cookie(settings),
                request.state.device,
                max_age=DEVICE_DAYS * 86400,
                httponly=True,
                secure=https,
                samesite="lax",
            )
        return secure(request, response, https)


def _add_error_handlers(app: FastAPI, https: bool) -> None:
    """Every error answered alike: JSON under /api/, a page elsewhere; never a traceback or a value sent."""

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception):
        # answered outside the middleware above (Starlette's outermost layer): the same headers, no traceback
        LOG.exception("%s %r: unexpected %s", request.method, request.url.path, type(exc).__name__)
        response: Response
        if request.url.path.startswith("/api/"):
            response = JSONResponse(
                {
                    "error": "Something went wrong on our side.",
                    "hint": "Try again later; if it goes on, tell the archive.",
                },
                500,
            )
        else:
            response = HTMLResponse(
                "<!DOCTYPE html><html lang=en><title>Something went wrong</title>"
                "<h1>Something went wrong on our side</h1><p>Try again later; if it goes on, "
                "tell the archive.</p></html>",
                500,
            )
        return secure(request, response, https)

    @app.exception_handler(PreservationError)
    async def preservation_error(request: Request, exc: PreservationError):
        status = STATUS.get(type(exc).__name__, 500)
        message, hint = (
            (exc.message, exc.hint or "")
            if status < 500
            else ("Something went wrong on our side.", "Try again later; if it goes on, tell the archive.")
        )
        if status >= 500:
            LOG.error("%s %r: %s", request.method, request.url.path, exc.message)  # %r: no forged log lines
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message, "hint": hint}, status)
        return _error_page(request, status, message, hint)

    @app.exception_handler(SignInNeeded)
    async def sign_in_first(request: Request, exc: SignInNeeded):
        return RedirectResponse("/login?" + urlencode({"next": exc.next_path}), 303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc.detail), "hint": ""}, exc.status_code, headers=exc.headers)
        return _error_page(request, exc.status_code, str(exc.detail), "", exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        # FastAPI's own answer echoes what was sent (a password, say): name the fields, never their values
        fields = sorted(
            {".".join(str(part) for part in error.get("loc", ())[1:]) or "the body" for error in exc.errors()}
        )
        message = "The request is not valid: check " + ", ".join(fields)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message, "hint": "See /api/openapi.json for what each field takes."}, 422)
        return _error_page(request, 400, message, "")


def secure(request: Request, response: Response, https: bool) -> Response:
    """Add the portal's security headers to an answer: CSP with this request's nonce, no sniffing, no framing
    (previews: only by the portal), HSTS over https, and no caching of anything but the static files."""
    nonce = getattr(request.state, "nonce", "") or secrets.token_urlsafe(16)
    response.headers.setdefault(
        "Content-Security-Policy",
        (
            f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; img-src 'self' data:; "
            "object-src 'none'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
        ),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.url.path.startswith("/api/") and response.headers.get("content-type", "").startswith("application/json"):
        response.headers.setdefault("Content-Disposition", 'attachment; filename="api.json"')  # never rendered
    # only the portal's own record pages frame a preview; nothing else may be framed at all
    response.headers["X-Frame-Options"] = "SAMEORIGIN" if request.url.path.startswith("/preview/") else "DENY"
    if https:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    static = request.url.path.startswith(("/assets/", "/govuk/", "/static/", "/viewer/"))
    if static and response.status_code < 400:  # the same files for everyone: no one's data in them
        response.headers.setdefault("Cache-Control", "public, max-age=86400")
    elif response.status_code >= 400:  # an error page may carry a signed-in person's name and form token
        response.headers["Cache-Control"] = "no-store"
    else:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(request: Request, status: int, message: str, hint: str, headers=None) -> HTMLResponse:
    portal: Portal = request.app.state.portal
    titles = {403: "You cannot see this", 404: "Page not found", 429: "Too many attempts"}
    response = portal.page(
        request, "error.html", titles.get(status, "There is a problem"), status, message=message, hint=hint
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
