"""Requests: a researcher gathers records with a purpose; an archivist approves or refuses with a reason.

A closed record cannot be put in a request, and the refusal says no more than that (not its title,
not why). Each step leaves a message in the outbox for the people concerned: archivists when a
request comes in, the researcher when it is decided. Delivery of what was approved (a DIP of access
copies behind a time-limited link) follows approval.
"""

from __future__ import annotations

from datetime import date

from access.delivery import dip_storage
from access.record_view import findable
from access.typed_text import refuse_control_characters
from access.users import require_role
from catalogue import Database
from catalogue.accounts import User
from catalogue.requests_outbox import (
    Request,
    add_item,
    add_request,
    addresses_with_role,
    get_request,
    list_requests,
    open_request,
    queue_message,
    record_access,
    remove_item,
    update_request,
    user_address,
)
from catalogue.turns import take_turn
from preservation.config import Settings
from preservation.errors import AccessDenied, NotFound, RequestError
from preservation.identifiers import new_uuid, timestamp

MIN_PURPOSE = 10  # characters: enough to say what the records are wanted for
MAX_ITEMS = 200


def add_to_request(database: Database, user: User, aip_id: str, target: str = "", today: str | None = None) -> Request:
    """Put a record (an AIP, or a described folder or a file in it) into the user's open request."""
    require_role(user, "researcher", "archivist")
    today = today or date.today().isoformat()
    with database.session() as session:
        take_turn(session, [f"basket:{user.id}"])  # a double click: one basket, each record once
        found = record_access(session, aip_id, target)
        if found is None or found[1].in_force(today).status == "closed":  # the same answer either way
            raise AccessDenied("this record cannot be requested", hint="Closed records cannot be requested.")
        request = open_request(session, user.id)
        if request is None:
            request = Request(new_uuid(), user.id, "", "open", timestamp())
            add_request(session, request)
        if len(request.items) >= MAX_ITEMS:
            raise RequestError(
                f"a request holds at most {MAX_ITEMS} records", hint="Submit this request, then start another."
            )
        add_item(session, request.id, aip_id, target)
        updated = open_request(session, user.id)
        assert updated is not None  # the request just added to is still open: this transaction holds its turn
        return updated


def submit_request(database: Database, user: User, purpose: str) -> Request:
    """Send the user's open request to the archivists, with what the records are wanted for."""
    require_role(user, "researcher", "archivist")
    refuse_control_characters(purpose, "the purpose", RequestError, line_breaks=True)
    purpose = " ".join(purpose.split())
    if len(purpose) < MIN_PURPOSE:
        raise RequestError(
            f"say what the records are for (at least {MIN_PURPOSE} characters)",
            hint="Say in a sentence what the records will be used for.",
        )
    with database.session() as session:
        take_turn(session, [f"basket:{user.id}"])  # nothing is added to a basket while it is being sent
        request = open_request(session, user.id)
        if request is None or not request.items:
            raise RequestError(
                "there is nothing to submit: add records to the request first",
                hint="Add records to the basket from the catalogue, then submit it.",
            )
        when = timestamp()
        update_request(session, request.id, state="submitted", purpose=purpose, submitted_at=when)
        for address in addresses_with_role(session, "archivist", "administrator"):
            queue_message(
                session,
                address,
                f"New request {request.id[:8]}",  # no typed text in a mail header
                f"{user.name} ({user.email}) asks for {len(request.items)} record(s).\n\n"
                f"Purpose: {purpose}\n\nDecide with: preserve request approve|refuse {request.id}",
                when,
            )
        return get_request(session, request.id)


def decide_request(
    database: Database, reference: str, approve: bool, reason: str, archivist: str, archivist_id: str = ""
) -> Request:
    """Approve or refuse a submitted request, with a reason the researcher is told; an archivist signed in to the
    portal (``archivist_id``) may not decide their own."""
    refuse_control_characters(reason, "the reason", RequestError, line_breaks=True)
    reason = " ".join(reason.split())
    if not reason:
        raise RequestError(
            "give a reason: the researcher is told it", hint="Add --reason with what the researcher should be told."
        )
    with database.session() as session:
        request = get_request(session, reference)
        if request.state != "submitted":
            raise RequestError(
                f"request {request.id[:8]} is {request.state}, not waiting for a decision",
                hint="`preserve request show ID` says what happened to it.",
            )
        if archivist_id and request.user_id == archivist_id:
            raise AccessDenied("you cannot decide your own request", hint="Another archivist must decide it.")
        when = timestamp()
        state = "approved" if approve else "refused"
        if not update_request(
            session,
            request.id,
            ("submitted",),
            state=state,
            decided_at=when,
            decided_by=archivist,
            decision_reason=reason,
        ):
            raise RequestError(
                f"request {request.id[:8]} has just been decided by someone else",
                hint="`preserve request show ID` shows the decision that was made.",
            )
        queue_message(
            session,
            user_address(session, request.user_id),
            f"Your request {request.id[:8]} is {state}",
            f"Your request for {len(request.items)} record(s) has been {state}.\n\nReason: {reason}",
            when,
        )
        return get_request(session, request.id)


def revoke_request(settings: Settings, database: Database, reference: str, reason: str, archivist: str) -> Request:
    """Stop an approved or delivered request's downloads at once and remove its DIP; the researcher is told why."""
    refuse_control_characters(reason, "the reason", RequestError, line_breaks=True)
    reason = " ".join(reason.split())
    if not reason:
        raise RequestError(
            "give a reason: the researcher is told it", hint="Add --reason with what the researcher should be told."
        )
    with database.session() as session:
        request = get_request(session, reference)
        if request.state not in ("approved", "delivered"):
            raise RequestError(
                f"request {request.id[:8]} is {request.state}: only approved or delivered requests can be revoked",
                hint="`preserve request show ID` says what state it is in.",
            )
        when = timestamp()
        if not update_request(
            session,
            request.id,
            ("approved", "delivered"),
            state="revoked",
            revoked_at=when,
            revoked_reason=f"{reason} ({archivist})" if archivist else reason,
        ):
            raise RequestError(
                f"request {request.id[:8]} has just been changed by someone else: try again",
                hint="Run the same command again.",
            )
        request = get_request(session, request.id)  # a delivery may have finished since it was read
        queue_message(
            session,
            user_address(session, request.user_id),
            f"Your request {request.id[:8]} is revoked",
            f"The archive has withdrawn the download of your request for {len(request.items)} "
            f"record(s).\n\nReason: {reason}",
            when,
        )
    if request.dip_key:  # after the commit: from now on no download is served, whatever the storage does
        dip_storage(settings, request.dip_location).delete(request.dip_key)
        with database.session() as session:
            update_request(session, request.id, dip_key="")
    with database.session() as session:
        return get_request(session, request.id)


def basket(database: Database, user: User | None) -> Request | None:
    """The person's request still being put together, if any."""
    user = require_role(user, "researcher", "archivist")
    with database.session() as session:
        return open_request(session, user.id)


def remove_from_request(database: Database, user: User | None, aip_id: str, target: str) -> Request | None:
    """Take a record out of the person's open request."""
    user = require_role(user, "researcher", "archivist")
    with database.session() as session:
        take_turn(session, [f"basket:{user.id}"])
        request = open_request(session, user.id)
        if request is not None:
            remove_item(session, request.id, aip_id, target)
        return open_request(session, user.id)


def requests_of(database: Database, user: User | None) -> list[Request]:
    """The person's own requests, oldest first (not the one still open)."""
    user = require_role(user, "researcher", "archivist")
    with database.session() as session:
        return [r for r in list_requests(session, user_id=user.id) if r.state != "open"]


def request_for(database: Database, user: User | None, reference: str) -> Request:
    """A request the person may see: their own, or any for an archivist; NotFound for anyone else's."""
    user = require_role(user, "researcher", "archivist", "administrator")
    with database.session() as session:
        try:
            request = get_request(session, reference)
        except NotFound:
            request = None
    if request is None or (request.user_id != user.id and user.role not in ("archivist", "administrator")):
        raise NotFound(
            "no such request",
            hint="Check the request's number; `preserve request list` (or the portal's Requests page) shows them.",
        )  # another person's request looks like none at all
    return request


def waiting_requests(database: Database, user: User | None, state: str = "submitted") -> list[Request]:
    """Requests waiting for an archivist (archivists only), oldest first: submitted ones wait for a decision,
    approved ones for their delivery (being prepared, or failed)."""
    require_role(user, "archivist", "administrator")
    with database.session() as session:
        return list_requests(session, state)


def request_records(
    database: Database, user: User | None, request: Request, today: str | None = None
) -> list[dict[str, str]]:
    """The records of a request as the person may see them now: a record closed since it was added (for a
    researcher) or no longer held shows no title."""
    today = today or date.today().isoformat()
    allowed = findable(user)
    shown = []
    with database.session() as session:
        for aip_id, target in request.items:
            found = record_access(session, aip_id, target)
            title, status = (found[0], found[1].in_force(today).status) if found is not None else ("", "gone")
            visible = found is not None and status in allowed
            shown.append(
                {
                    "aip_id": aip_id,
                    "path": target,
                    "title": title if visible else "",
                    "access": status if visible else "unavailable",
                }
            )
    return shown


def requester(database: Database, request: Request) -> str:
    """Who made a request: their e-mail address."""
    with database.session() as session:
        return user_address(session, request.user_id)
