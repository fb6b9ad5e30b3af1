"""What the pages and the JSON API do alike: reading search parameters, deciding and delivering a request."""

from __future__ import annotations

import logging

from access.delivery import deliver_request, record_delivery_failure
from access.requests import decide_request
from access.typed_text import control_characters
from access.users import require_role
from catalogue import Database
from catalogue.accounts import User
from catalogue.record_index import PER_PAGE_MAX, RecordQuery
from catalogue.requests_outbox import Request
from preservation.agents import person_agent, software_agent
from preservation.config import Settings
from preservation.errors import PreservationError

LOG = logging.getLogger("preserve.portal")
MAX_QUERY = 1000  # characters of search words
MAX_PAGE = 10_000


def query_from(
    text: str,
    collection: str,
    puid: str,
    access: str,
    year_from: str,
    year_to: str,
    page: str,
    per_page: str,
    findable: tuple[str, ...],
    undated: str = "",
) -> tuple[RecordQuery, list[dict[str, str]]]:
    """A search query from request parameters as typed, and the problems with them (GOV.UK error-list form)."""
    problems = []
    if control_characters(text):
        problems.append({"text": "Search words must not contain control characters", "href": "#q"})
        text = ""
    if len(text) > MAX_QUERY:
        problems.append({"text": f"Search words must be {MAX_QUERY} characters or fewer", "href": "#q"})
        text = text[:MAX_QUERY]
    years = []
    for value, name, label in ((year_from, "year_from", "From"), (year_to, "year_to", "To")):
        value = value.strip()
        if value and not (value.isascii() and value.isdigit() and len(value) <= 4):
            problems.append({"text": f"{label} year must be a year, like 1923", "href": f"#{name}"})
            value = ""
        years.append(int(value) if value else None)
    if years[0] is not None and years[1] is not None and years[0] > years[1]:
        problems.append({"text": "From year must be the same as or before To year", "href": "#year_from"})
    numbers = []
    for value, default, top, name in ((page, 1, MAX_PAGE, "Page"), (per_page, 20, PER_PAGE_MAX, "Results per page")):
        number = whole_number(value, top)
        if number is None:
            problems.append({"text": f"{name} must be a whole number from 1 to {top}", "href": "#results"})
        numbers.append(number or default)
    access = access if access in findable else ("" if not access else "none")
    query = RecordQuery(
        text, collection[:255], puid[:40], access, years[0], years[1], findable, numbers[0], numbers[1], bool(undated)
    )
    return query, problems


def whole_number(value: str, top: int) -> int | None:
    """A parameter as typed as a whole number from 1 to ``top`` (0 when not given), or None when it is not one:
    ASCII digits only — '²' and '٣' are digits to Python but not numbers anyone meant."""
    value = value.strip()
    if not value:
        return 0
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(top)) or not 1 <= int(value) <= top:
        return None
    return int(value)


def decide(database: Database, user: User, reference: str, approve: bool, reason: str) -> Request:
    """Approve or refuse a submitted request as ``user`` (an archivist)."""
    require_role(user, "archivist")
    return decide_request(database, reference, approve, reason, user.name, user.id)


def deliver_after_answer(settings: Settings, database: Database, request_id: str, archivist: str) -> None:
    """Build and deliver an approved request's DIP once the archivist has had their answer (conversions can take
    minutes); a failure is recorded on the request, which stays approved for `preserve request deliver`."""
    try:
        deliver_request(settings, database, request_id, [software_agent(), person_agent(archivist)])
    except PreservationError as exc:
        LOG.error("request %s could not be delivered: %s", request_id, exc.message)
        record_delivery_failure(database, request_id, exc.message)
