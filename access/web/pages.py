"""The portal's pages: search, records, the request basket, my requests, the archivists' queue, accounts."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from access import requests as requesting
from access.delivery import delivery_link, dip_storage
from access.download import closed_today, open_download, request_of_key
from access.open_data import json_ld, sitemap
from access.record_view import findable, preview, view_catalogue_unit, view_record
from access.registration import LINK_HOURS, ask_for_account, finish_registration, pending_registration
from access.search import search
from access.secret import archive_secret
from access.throttle import TooManyAttempts, begin_registration
from access.users import require_role
from access.web.portal import Portal
from access.web.security import (
    SignInNeeded,
    attempt_sign_in,
    check_csrf,
    client_address,
    current_user,
    sign_in,
    sign_out,
)
from access.web.shared import decide, deliver_after_answer, query_from
from catalogue.accounts import User
from catalogue.record_index import FACETS
from preservation.errors import AccessDenied, AccountError, RequestError
from storage.links import verify_local_link

router = APIRouter(include_in_schema=False)


def _portal(request: Request) -> Portal:
    return request.app.state.portal


def _back(path: str, notice: str = "", error: str = "", request: Request | None = None) -> RedirectResponse:
    if request is not None and notice:
        request.session["notice"] = notice
    if request is not None and error:
        request.session["error"] = error
    return RedirectResponse(path if _local(path) else "/", 303)


def _local(path: str) -> bool:
    """Whether ``path`` stays on this site (not //host or /\\host, which browsers read as another site)."""
    return path.startswith("/") and not path.startswith(("//", "/\\")) and "\n" not in path and "\r" not in path


def _signed_in(request: Request, *roles: str) -> User:
    """The signed-in person with one of ``roles``: SignInNeeded sends anyone else to sign in first (403 for a
    person signed in without the role)."""
    user = current_user(request, _portal(request).database)
    if user is None:
        raise SignInNeeded(request.url.path if request.method == "GET" else "/")
    return require_role(user, *roles)


@router.get("/")
def search_page(
    request: Request,
    q: str = "",
    collection: str = "",
    format: str = "",
    access: str = "",
    year_from: str = "",
    year_to: str = "",
    undated: str = "",
    page: str = "1",
) -> Response:
    """Search the catalogue, with facets."""
    portal = _portal(request)
    user = current_user(request, portal.database)
    query, problems = query_from(q, collection, format, access, year_from, year_to, page, "20", findable(user), undated)
    results = search(portal.database, query) if not problems else None
    kept = {
        k: v
        for k, v in {
            "q": q,
            "collection": collection,
            "format": format,
            "access": access,
            "year_from": year_from,
            "year_to": year_to,
            "undated": undated,
        }.items()
        if v
    }
    return portal.page(
        request,
        "search.html",
        "Search the catalogue",
        400 if problems else 200,
        user=user,
        query=query,
        kept=kept,
        results=results,
        facets=FACETS,
        errors=problems,
        link=lambda **changes: "/?" + urlencode({k: v for k, v in (kept | changes).items() if v}),
    )


@router.get("/records/{aip_id}")
@router.get("/records/{aip_id}/{path:path}")
def record_page(request: Request, aip_id: str, path: str = "") -> Response:
    """One record: its description, breadcrumb, what is below it and a preview when it is open."""
    portal = _portal(request)
    user = current_user(request, portal.database)
    view = view_record(
        portal.database, user, aip_id, path.strip("/"), preview_limit=portal.settings.preview_max_mib << 20
    )
    settings = portal.settings
    linked = json_ld(view.record, view.breadcrumb, view.description, settings.archive_name, settings.portal_url)
    return portal.page(request, "record.html", view.record.title or "Record", user=user, view=view, json_ld=linked)


@router.get("/catalogue/{reference:path}")
def catalogue_unit_page(request: Request, reference: str) -> Response:
    """A unit of the archive's own catalogue (imported from a finding aid): its description, where it sits, what
    is below it — the units of the catalogue and the AIPs placed there."""
    portal = _portal(request)
    user = current_user(request, portal.database)
    view = view_catalogue_unit(portal.database, reference)
    settings = portal.settings
    linked = json_ld(view.record, view.breadcrumb, view.description, settings.archive_name, settings.portal_url)
    return portal.page(request, "record.html", view.record.title or reference, user=user, view=view, json_ld=linked)


@router.get("/sitemap.xml")
@router.get("/sitemap-{part}.xml")
def sitemap_page(request: Request, part: str = "") -> Response:
    """The open records' pages for search engines: one sitemap, or an index of parts of 50,000."""
    portal = _portal(request)
    number = int(part) if part.isascii() and part.isdigit() and 0 < len(part) < 7 else None
    if part and number is None:
        raise HTTPException(404)
    body = sitemap(portal.database, portal.settings.portal_url, number)
    return Response(body, media_type="application/xml")


@router.get("/preview/{aip_id}/{path:path}")
def preview_content(request: Request, aip_id: str, path: str) -> Response:
    """An open image or PDF, shown in the record page: a derived, size-capped copy made once and kept in the
    preview cache."""
    portal = _portal(request)
    user = current_user(request, portal.database)
    content, mime = preview(portal.settings, portal.database, user, aip_id, path.strip("/"))
    return FileResponse(
        content, media_type=mime, content_disposition_type="inline", headers={"Cache-Control": "private, no-store"}
    )


@router.post("/basket/add")
def basket_add(request: Request, aip_id: str = Form(...), path: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Put a record into the basket."""
    check_csrf(request, csrf_token)
    user = current_user(request, _portal(request).database)
    back = f"/records/{aip_id}/{path}".rstrip("/")
    if user is None:
        return _back("/login?" + urlencode({"next": back}), error="Sign in to request records.", request=request)
    try:
        requesting.add_to_request(_portal(request).database, user, aip_id, path)
    except (AccessDenied, RequestError) as exc:
        return _back(back, error=exc.message, request=request)
    return _back(back, notice="Added to your request basket.", request=request)


@router.get("/basket")
def basket_page(request: Request) -> Response:
    """The request being put together."""
    portal = _portal(request)
    user = _signed_in(request, "researcher", "archivist")
    basket = requesting.basket(portal.database, user)
    records = requesting.request_records(portal.database, user, basket) if basket else []
    return portal.page(
        request,
        "basket.html",
        "Your request basket",
        user=user,
        basket=basket,
        records=records,
        minimum=requesting.MIN_PURPOSE,
    )


@router.post("/basket/remove")
def basket_remove(
    request: Request, aip_id: str = Form(...), path: str = Form(""), csrf_token: str = Form("")
) -> Response:
    """Take a record out of the basket."""
    check_csrf(request, csrf_token)
    user = _signed_in(request, "researcher", "archivist")
    requesting.remove_from_request(_portal(request).database, user, aip_id, path)
    return _back("/basket", notice="Removed from your request basket.", request=request)


@router.post("/basket/submit")
def basket_submit(request: Request, purpose: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Send the basket to the archivists with its purpose."""
    check_csrf(request, csrf_token)
    user = _signed_in(request, "researcher", "archivist")
    try:
        submitted = requesting.submit_request(_portal(request).database, user, purpose[:5000])
    except RequestError as exc:
        return _back("/basket", error=exc.message, request=request)
    return _back(f"/requests/{submitted.id}", notice="Your request has been sent to the archivists.", request=request)


@router.get("/requests")
def my_requests(request: Request) -> Response:
    """The person's requests and where each one is."""
    portal = _portal(request)
    user = _signed_in(request, "researcher", "archivist")
    return portal.page(
        request,
        "requests.html",
        "Your requests",
        user=user,
        requests=list(reversed(requesting.requests_of(portal.database, user))),
    )


@router.get("/requests/{request_id}")
def request_page(request: Request, request_id: str) -> Response:
    """One of the person's requests, with the download once it is delivered."""
    portal = _portal(request)
    user = _signed_in(request, "researcher", "archivist", "administrator")
    found = requesting.request_for(portal.database, user, request_id)
    link, expired, closed = "", "", 0
    if found.state == "delivered":
        try:
            link = delivery_link(portal.settings, found)
        except RequestError as exc:
            expired = exc.message
        closed = len(closed_today(portal.database, found)) if link else 0
    return portal.page(
        request,
        "request.html",
        f"Request {found.id[:8]}",
        user=user,
        found=found,
        link=link,
        expired=expired,
        closed=closed,
        records=requesting.request_records(portal.database, user, found),
    )


@router.get("/queue")
def queue_page(request: Request) -> Response:
    """Requests waiting for an archivist's decision."""
    portal = _portal(request)
    user = _signed_in(request, "archivist")
    return portal.page(
        request,
        "queue.html",
        "Requests to decide",
        user=user,
        requests=requesting.waiting_requests(portal.database, user),
        preparing=requesting.waiting_requests(portal.database, user, "approved"),
    )


@router.get("/queue/{request_id}")
def decide_page(request: Request, request_id: str) -> Response:
    """A submitted request and the form to decide it."""
    portal = _portal(request)
    user = _signed_in(request, "archivist")
    found = requesting.request_for(portal.database, user, request_id)
    return portal.page(
        request,
        "decide.html",
        f"Decide request {found.id[:8]}",
        user=user,
        found=found,
        who=requesting.requester(portal.database, found),
        records=requesting.request_records(portal.database, user, found),
    )


@router.post("/queue/{request_id}")
def decide_request_page(
    request: Request,
    tasks: BackgroundTasks,
    request_id: str,
    decision: str = Form(""),
    reason: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    """Approve (and deliver) or refuse a request."""
    check_csrf(request, csrf_token)
    portal = _portal(request)
    user = _signed_in(request, "archivist")
    if decision not in ("approve", "refuse"):
        return _back(f"/queue/{request_id}", error="Choose whether to approve or refuse the request.", request=request)
    try:
        decided = decide(portal.database, user, request_id, decision == "approve", reason[:5000])
    except RequestError as exc:
        return _back(f"/queue/{request_id}", error=exc.message, request=request)
    if decided.state != "approved":
        return _back("/queue", notice=f"Request {decided.id[:8]} is {decided.state}.", request=request)
    tasks.add_task(deliver_after_answer, portal.settings, portal.database, decided.id, user.name)
    return _back(
        "/queue",
        notice=f"Request {decided.id[:8]} is approved. The copies are being prepared; the "
        "researcher will be told when they are ready.",
        request=request,
    )


@router.get("/download/{key:path}")
def download(request: Request, key: str) -> Response:
    """A DIP, through a signed link that has not expired, for the signed-in researcher whose request it is, with
    what has been closed since approval left out."""
    portal = _portal(request)
    settings = portal.settings
    user = current_user(request, portal.database)
    if user is None:  # first, whatever the link: nothing about a request is told to someone not signed in
        raise SignInNeeded(f"{request.url.path}?{request.url.query}")
    found = request_of_key(portal.database, key, user)
    granted = verify_local_link(
        f"{key}?{request.url.query}", dip_storage(settings, found.dip_location).name, archive_secret(settings)
    )
    sent = open_download(settings, portal.database, user, found)
    return StreamingResponse(
        sent.chunks,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="request-{granted.rsplit("/", 1)[-1]}"'},
    )


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return _portal(request).page(request, "login.html", "Sign in", next=next if _local(next) else "/")


@router.post("/login")
def login(
    request: Request, email: str = Form(""), password: str = Form(""), next: str = Form("/"), csrf_token: str = Form("")
) -> Response:
    """Sign in (limited attempts)."""
    check_csrf(request, csrf_token)
    portal = _portal(request)
    try:
        attempt_sign_in(request, portal.database, portal.settings, email[:320], password[:1024])
    except HTTPException as exc:
        response = portal.page(
            request,
            "login.html",
            "Sign in",
            exc.status_code,
            next=next,
            email=email,
            errors=[{"text": exc.detail, "href": "#email"}],
        )
        response.headers.update(exc.headers or {})
        return response
    return _back(next, notice="You are signed in.", request=request)


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    """Sign out."""
    check_csrf(request, csrf_token)
    sign_out(request, _portal(request).database)
    return _back("/", notice="You are signed out.", request=request)


@router.get("/register")
def register_page(request: Request) -> Response:
    """The form to create a researcher's account."""
    return _portal(request).page(request, "register.html", "Create an account")


@router.post("/register")
def register(request: Request, email: str = Form(""), name: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Ask for a researcher's account: the same answer whether or not the address has one (the mail differs)."""
    check_csrf(request, csrf_token)
    portal = _portal(request)
    try:
        begin_registration(portal.database, client_address(request, portal.settings.trusted_proxies))
    except TooManyAttempts as exc:
        raise HTTPException(
            429, "Too many accounts have been asked for. Try again later.", headers={"Retry-After": str(exc.wait)}
        ) from None
    try:
        address = ask_for_account(portal.settings, portal.database, email[:320], name[:200])
    except AccountError as exc:
        return portal.page(
            request, "register.html", "Create an account", 400, email=email, name=name, errors=[{"text": exc.message}]
        )
    return portal.page(request, "register_sent.html", "Check your email", address=address, hours=LINK_HOURS)


@router.get("/register/confirm")
def register_password_page(request: Request, token: str = "") -> Response:
    """The link sent to a new address: choose a password."""
    pending = pending_registration(_portal(request).database, token)
    if pending is None:
        raise HTTPException(
            404,
            "This link is not valid: it has been used, has expired or was never sent. "
            "Ask for an account again to be sent a new one.",
        )
    return _portal(request).page(
        request, "register_password.html", "Choose your password", address=pending[0], token=token
    )


@router.post("/register/confirm")
def register_password(
    request: Request, token: str = Form(""), password: str = Form(""), csrf_token: str = Form("")
) -> Response:
    """Make the account with the chosen password, and sign in."""
    check_csrf(request, csrf_token)
    portal = _portal(request)
    try:
        user = finish_registration(portal.database, token[:100], password)
    except AccountError as exc:
        pending = pending_registration(portal.database, token)
        if pending is None:
            raise HTTPException(404, exc.message) from None
        return portal.page(
            request,
            "register_password.html",
            "Choose your password",
            400,
            address=pending[0],
            token=token,
            errors=[{"text": exc.message, "href": "#password"}],
        )
    sign_in(request, portal.database, user, portal.settings)
    return _back("/", notice="Your account has been created and you are signed in.", request=request)
