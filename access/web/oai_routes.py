"""The portal's OAI-PMH endpoint, /oai (GET, or POST with a form, as the protocol allows)."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from access.oai import answer

router = APIRouter()


@router.get("/oai")
def oai_get(request: Request) -> Response:
    """An OAI-PMH request in the query string (answered in a worker thread: it reads the catalogue)."""
    return _respond(request, parse_qs(request.url.query, keep_blank_values=True))


@router.post("/oai")
async def oai_post(request: Request) -> Response:
    """An OAI-PMH request as a form (application/x-www-form-urlencoded)."""
    body = (await request.body()).decode("utf-8", "replace")
    return await run_in_threadpool(_respond, request, parse_qs(body, keep_blank_values=True))


def _respond(request: Request, arguments: dict[str, list[str]]) -> Response:
    portal = request.app.state.portal
    return Response(answer(portal.settings, portal.database, arguments), media_type="text/xml; charset=utf-8")
