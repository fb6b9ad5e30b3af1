"""The JSON API (``/api/v1``): the portal's functions for programs, described at ``/api/openapi.json``.

It uses the same signed session cookie as the pages: sign in with ``POST /api/v1/session``, read the CSRF
token from its answer (or ``GET /api/v1/session``) and send it as ``X-CSRF-Token`` on every change.
"""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, BackgroundTasks, Header, HTTPException, Request
from pydantic import BaseModel, Field

from access import requests as requesting
from access.delivery import delivery_link
from access.open_data import page_url
from access.record_view import findable, view_record
from access.search import search
from access.users import require_role
from access.web.security import CSRF_HEADER, attempt_sign_in, check_csrf, csrf_token, current_user, sign_out
from access.web.shared import decide, deliver_after_answer, query_from
from catalogue.record_index import FACETS
from catalogue.requests_outbox import Request as RecordsRequest
from preservation.errors import RequestError

router = APIRouter(prefix="/api/v1")


class Credentials(BaseModel):
    """An address and password to sign in with."""

    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class RecordRef(BaseModel):
    """A record: an AIP, or a described folder or a file in it (path under objects/, '' the AIP)."""

    aip_id: str = Field(max_length=64)
    path: str = Field("", max_length=4096)


class Purpose(BaseModel):
    """What the requested records are wanted for."""

    purpose: str = Field(max_length=5000)


class Decision(BaseModel):
    """An archivist's decision on a request, and the reason the researcher is told."""

    approve: bool
    reason: str = Field(max_length=5000)


def _portal(request: Request):
    return request.app.state.portal


def _user(request: Request, *roles: str):
    user = current_user(request, _portal(request).database)
    if user is None:
        raise HTTPException(401, "Sign in first: POST /api/v1/session.")
    if roles:
        require_role(user, *roles)
    return user


def _request_json(request: Request, found: RecordsRequest, user) -> dict:
    shown = {k: v for k, v in dataclasses.asdict(found).items() if k not in ("items", "dip_location", "dip_key")}
    shown["records"] = requesting.request_records(_portal(request).database, user, found)
    if found.state == "delivered":
        try:
            shown["download"] = delivery_link(_portal(request).settings, found)
        except RequestError:
            shown["download"] = ""
    return shown


@router.get("/search")
def api_search(
    request: Request,
    q: str = "",
    collection: str = "",
    format: str = "",
    access: str = "",
    year_from: str = "",
    year_to: str = "",
    undated: str = "",
    page: str = "1",
    per_page: str = "20",
) -> dict:
    """Search the records the person may find; facet counts are over every match."""
    user = current_user(request, _portal(request).database)
    query, problems = query_from(
        q, collection, format, access, year_from, year_to, page, per_page, findable(user), undated
    )
    if problems:
        raise HTTPException(400, "; ".join(p["text"] for p in problems))
    results = search(_portal(request).database, query)
    return {
        "total": results.total,
        "approximate": results.approximate,
        "page": query.page,
        "per_page": query.per_page,
        # url: the record's page (a unit of the archive's own catalogue has no AIP: its aip_id is '')
        "records": [dataclasses.asdict(r) | {"url": page_url("", r)} for r in results.records],
        "facets": {name: [{"value": v, "count": n} for v, n in results.facets[name]] for name in FACETS},
    }


@router.get("/records/{aip_id}")
@router.get("/records/{aip_id}/{path:path}")
def api_record(request: Request, aip_id: str, path: str = "") -> dict:
    """One record, its description, breadcrumb and what is below it (404 for one the person may not find)."""
    user = current_user(request, _portal(request).database)
    settings = _portal(request).settings
    view = view_record(
        _portal(request).database, user, aip_id, path.strip("/"), preview_limit=settings.preview_max_mib << 20
    )
    return {
        "record": dataclasses.asdict(view.record),
        "description": [list(d) for d in view.description],
        "breadcrumb": [dataclasses.asdict(r) for r in view.breadcrumb],
        "children": [dataclasses.asdict(r) for r in view.children],
        "more_children": view.more_children,
        "preview": f"/preview/{aip_id}/{view.record.path}" if view.preview_mime else "",
    }


@router.get("/session")
def api_session(request: Request) -> dict:
    """Who is signed in, and the CSRF token to send with changes."""
    user = current_user(request, _portal(request).database)
    return {"user": _person(user), "csrf_token": csrf_token(request)}


@router.post("/session")
def api_sign_in(request: Request, credentials: Credentials) -> dict:
    """Sign in (limited attempts: 429 with Retry-After when over the limit)."""
    portal = _portal(request)
    user = attempt_sign_in(request, portal.database, portal.settings, credentials.email, credentials.password)
    return {"user": _person(user), "csrf_token": csrf_token(request)}


@router.delete("/session")
def api_sign_out(request: Request, token: str | None = Header(None, alias=CSRF_HEADER)) -> dict:
    """Sign out."""
    check_csrf(request, token)
    sign_out(request, _portal(request).database)
    return {"user": None}


@router.get("/basket")
def api_basket(request: Request) -> dict:
    """The request being put together."""
    user = _user(request, "researcher", "archivist")
    basket = requesting.basket(_portal(request).database, user)
    return {"records": requesting.request_records(_portal(request).database, user, basket) if basket else []}


@router.post("/basket/items")
def api_basket_add(request: Request, record: RecordRef, token: str | None = Header(None, alias=CSRF_HEADER)) -> dict:
    """Put a record into the basket (403 for a closed record or one that does not exist, alike)."""
    check_csrf(request, token)
    user = _user(request, "researcher", "archivist")
    basket = requesting.add_to_request(_portal(request).database, user, record.aip_id, record.path)
    return {"records": requesting.request_records(_portal(request).database, user, basket)}


@router.delete("/basket/items")
def api_basket_remove(request: Request, record: RecordRef, token: str | None = Header(None, alias=CSRF_HEADER)) -> dict:
    """Take a record out of the basket."""
    check_csrf(request, token)
    user = _user(request, "researcher", "archivist")
    basket = requesting.remove_from_request(_portal(request).database, user, record.aip_id, record.path)
    return {"records": requesting.request_records(_portal(request).database, user, basket) if basket else []}


@router.post("/basket/submit")
def api_submit(request: Request, purpose: Purpose, token: str | None = Header(None, alias=CSRF_HEADER)) -> dict:
    """Send the basket to the archivists."""
    check_csrf(request, token)
    user = _user(request, "researcher", "archivist")
    return _request_json(request, requesting.submit_request(_portal(request).database, user, purpose.purpose), user)


@router.get("/requests")
def api_requests(request: Request) -> list[dict]:
    """The person's requests."""
    user = _user(request, "researcher", "archivist")
    return [_request_json(request, r, user) for r in requesting.requests_of(_portal(request).database, user)]


@router.get("/requests/{request_id}")
def api_request(request: Request, request_id: str) -> dict:
    """One request (the person's own, or any for an archivist), with its download link once delivered."""
    user = _user(request)
    return _request_json(request, requesting.request_for(_portal(request).database, user, request_id), user)


@router.get("/queue")
def api_queue(request: Request) -> list[dict]:
    """Requests waiting for a decision (archivists), then approved ones still being prepared or whose delivery
    failed (with its delivery_note)."""
    user = _user(request, "archivist")
    return [
        _request_json(request, r, user) | {"user": requesting.requester(_portal(request).database, r)}
        for state in ("submitted", "approved")
        for r in requesting.waiting_requests(_portal(request).database, user, state)
    ]


@router.post("/queue/{request_id}/decision")
def api_decide(
    request: Request,
    tasks: BackgroundTasks,
    request_id: str,
    decision: Decision,
    token: str | None = Header(None, alias=CSRF_HEADER),
) -> dict:
    """Approve or refuse a request (archivists). An approved request is delivered after the answer: read it
    again with GET /api/v1/requests/{id} (state "delivered", or "approved" with a delivery_note on failure)."""
    check_csrf(request, token)
    user = _user(request, "archivist")
    portal = _portal(request)
    decided = decide(portal.database, user, request_id, decision.approve, decision.reason)
    if decided.state == "approved":
        tasks.add_task(deliver_after_answer, portal.settings, portal.database, decided.id, user.name)
    return _request_json(request, decided, user)


def _person(user) -> dict | None:
    return {"email": user.email, "name": user.name, "role": user.role} if user else None
