"""What the pages and the JSON API do alike: reading search parameters, and deciding a request."""

from __future__ import annotations

from access.delivery import deliver_request
from access.requests import decide_request
from access.users import require_role
from preservation.agents import person_agent, software_agent
from preservation.catalogue import Database
from preservation.catalogue.records import PER_PAGE_MAX, RecordQuery
from preservation.catalogue.requests import Request
from preservation.catalogue.users import User
from preservation.config import Settings
from preservation.errors import PreservationError

MAX_QUERY = 1000  # characters of search words
MAX_PAGE = 10_000


def query_from(text: str, collection: str, puid: str, access: str, year_from: str, year_to: str, page: str,
               per_page: str, findable: tuple[str, ...]) -> tuple[RecordQuery, list[dict[str, str]]]:
    """A search query from request parameters as typed, and the problems with them (GOV.UK error-list form)."""
    problems = []
    if len(text) > MAX_QUERY:
        problems.append({"text": f"Search words must be {MAX_QUERY} characters or fewer", "href": "#q"})
        text = text[:MAX_QUERY]
    years = []
    for value, name, label in ((year_from, "year_from", "From"), (year_to, "year_to", "To")):
        value = value.strip()
        if value and not (value.isdigit() and len(value) <= 4):
            problems.append({"text": f"{label} year must be a year, like 1923", "href": f"#{name}"})
            value = ""
        years.append(int(value) if value else None)
    if years[0] is not None and years[1] is not None and years[0] > years[1]:
        problems.append({"text": "From year must be the same as or before To year", "href": "#year_from"})
    numbers = []
    for value, default, top in ((page, 1, MAX_PAGE), (per_page, 20, PER_PAGE_MAX)):
        numbers.append(min(int(value), top) if value.strip().isdigit() and int(value) > 0 else default)
    access = access if access in findable else ("" if not access else "none")
    return RecordQuery(text, collection[:255], puid[:40], access, years[0], years[1], findable, numbers[0],
                       numbers[1]), problems


def decide_and_deliver(settings: Settings, database: Database, user: User, reference: str, approve: bool,
                       reason: str) -> tuple[Request, str]:
    """Approve or refuse as ``user`` (an archivist); an approved request is delivered at once. Returns the request
    and, when the delivery failed (it can be retried with `preserve request deliver`), why."""
    require_role(user, "archivist")
    decided = decide_request(database, reference, approve, reason, user.name)
    if not approve:
        return decided, ""
    try:
        return deliver_request(settings, database, decided.id, [software_agent(), person_agent(user.name)]), ""
    except PreservationError as exc:
        return decided, exc.message
