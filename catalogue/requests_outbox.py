"""Requests for records and the outbox of messages, in the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from catalogue.database import rows_changed
from catalogue.models import FileRow, OutboxRow, RecordRow, RequestItemRow, RequestRow, UserRow
from catalogue.queries import file_from_row
from preservation.errors import NotFound
from preservation.model import Access, FileRecord


@dataclass(frozen=True)
class Request:
    """A researcher's request and the records in it ((AIP id, target) pairs)."""

    id: str
    user_id: str
    purpose: str
    state: str
    created_at: str
    submitted_at: str = ""
    decided_at: str = ""
    decided_by: str = ""
    decision_reason: str = ""
    items: tuple[tuple[str, str], ...] = ()
    dip_location: str = ""
    dip_key: str = ""
    dip_files: int = 0
    delivered_at: str = ""
    expires_at: str = ""
    delivery_note: str = ""
    revoked_at: str = ""
    revoked_reason: str = ""


def open_request(session: Session, user_id: str) -> Request | None:
    """The user's request still being put together, if any."""
    row = session.scalars(select(RequestRow).where(RequestRow.user_id == user_id, RequestRow.state == "open")).first()
    return _request(session, row) if row else None


def add_request(session: Session, request: Request) -> None:
    """Insert a new request."""
    session.add(RequestRow(**{k: v for k, v in vars(request).items() if k != "items"}))


def add_item(session: Session, request_id: str, aip_id: str, target: str) -> None:
    """Put a record into a request (once)."""
    if session.get(RequestItemRow, (request_id, aip_id, target)) is None:
        session.add(RequestItemRow(request_id=request_id, aip_id=aip_id, target=target))


def remove_item(session: Session, request_id: str, aip_id: str, target: str) -> None:
    """Take a record out of a request."""
    row = session.get(RequestItemRow, (request_id, aip_id, target))
    if row is not None:
        session.delete(row)


def get_request(session: Session, reference: str) -> Request:
    """The request whose id is, or starts with, ``reference``; NotFound otherwise."""
    rows = list(
        session.scalars(select(RequestRow).where(RequestRow.id.startswith(reference, autoescape=True)).limit(2))
    )
    if len(rows) != 1:
        raise NotFound(
            f"{reference}: {'no' if not rows else 'more than one'} request has this id",
            hint="`preserve request list` lists requests.",
        )
    return _request(session, rows[0])


def list_requests(session: Session, state: str = "", user_id: str = "") -> list[Request]:
    """Requests, oldest first, optionally only in one state or of one user."""
    query = select(RequestRow).order_by(RequestRow.created_at)
    if state:
        query = query.where(RequestRow.state == state)
    if user_id:
        query = query.where(RequestRow.user_id == user_id)
    return [_request(session, row) for row in session.scalars(query)]


def update_request(session: Session, request_id: str, when_state: tuple[str, ...] = (), **values: object) -> bool:
    """Change a request's state, purpose or decision — only if it is in one of ``when_state`` (when given), checked
    and changed in one statement, so two people deciding at once cannot both succeed; whether it changed."""
    query = update(RequestRow).where(RequestRow.id == request_id)
    if when_state:
        query = query.where(RequestRow.state.in_(when_state))
    return rows_changed(session, query.values(**values)) > 0


def record_access(session: Session, aip_id: str, target: str) -> tuple[str, Access] | None:
    """(title, effective access) of the record (AIP '' or a path under objects/) the index holds, if any."""
    row = session.execute(
        select(RecordRow.title, RecordRow.access, RecordRow.closed_until).where(
            RecordRow.aip_id == aip_id, RecordRow.path == target
        )
    ).first()
    return (row[0], Access(row[1], row[2])) if row else None


def files_of_record(session: Session, aip_id: str, target: str) -> list[tuple[FileRecord, Access]]:
    """Every file (originals and derivatives) of the AIP under ``target`` ('' the whole AIP), with its access;
    the database picks them (one file of a large AIP does not read the AIP's every row)."""
    query = select(FileRow).where(FileRow.aip_id == aip_id).order_by(FileRow.path)
    if target:
        inside = or_(
            FileRow.path == f"data/objects/{target}",
            FileRow.path.startswith(f"data/objects/{target}/", autoescape=True),
        )
        sources = select(FileRow.id).where(FileRow.aip_id == aip_id, inside)
        query = query.where(or_(inside, FileRow.derived_from.in_(sources)))
    return [
        (file_from_row(row), Access(row.access, row.closed_until, row.access_reason)) for row in session.scalars(query)
    ]


def record_reference(session: Session, aip_id: str, target: str) -> str:
    """The reference code of the record (AIP '' or a path under objects/), '' when it has none."""
    return (
        session.execute(
            select(RecordRow.reference).where(RecordRow.aip_id == aip_id, RecordRow.path == target)
        ).scalar()
        or ""
    )


def user_address(session: Session, user_id: str) -> str:
    """A user's e-mail address."""
    return session.execute(select(UserRow.email).where(UserRow.id == user_id)).scalar_one()


def addresses_with_role(session: Session, *roles: str) -> list[str]:
    """The e-mail addresses of every enabled account with one of ``roles``."""
    return list(session.scalars(select(UserRow.email).where(UserRow.role.in_(roles), UserRow.disabled == 0)))


def mark_sent(session: Session, message_id: int, when: str) -> None:
    """Record that a message has been sent."""
    session.execute(update(OutboxRow).where(OutboxRow.id == message_id).values(sent_at=when))


def queue_message(session: Session, to_address: str, subject: str, body: str, when: str) -> None:
    """Put a message in the outbox."""
    session.add(OutboxRow(to_address=to_address, subject=subject, body=body, created_at=when, sent_at=""))


def redact_messages(session: Session, to_address: str, secret: str, replacement: str) -> None:
    """Replace ``secret`` (a used link's token, say) in every message to ``to_address``, sent or not."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.to_address == to_address, OutboxRow.body.contains(secret))
        .values(body=func.replace(OutboxRow.body, secret, replacement))
    )


def outbox(
    session: Session, unsent_only: bool = True, failed: bool | None = None
) -> list[tuple[int, str, str, str, str, str, str]]:
    """(id, to, subject, body, created, sent, failure) of the messages in the outbox, oldest first; ``failed``
    True: only those set aside as refused, False: only those not."""
    query = select(
        OutboxRow.id,
        OutboxRow.to_address,
        OutboxRow.subject,
        OutboxRow.body,
        OutboxRow.created_at,
        OutboxRow.sent_at,
        OutboxRow.failure,
    ).order_by(OutboxRow.id)
    if unsent_only:
        query = query.where(OutboxRow.sent_at == "")
    if failed is not None:
        query = query.where(OutboxRow.failure != "") if failed else query.where(OutboxRow.failure == "")
    return [
        (number, to, subject, body, created_at, sent_at, failure)
        for number, to, subject, body, created_at, sent_at, failure in session.execute(query)
    ]


def mark_failed(session: Session, message_id: int, why: str, when: str) -> None:
    """Set a message aside: the mail server or library refused it (the rest of the outbox still goes)."""
    session.execute(
        update(OutboxRow).where(OutboxRow.id == message_id).values(failure=why or "refused", failed_at=when)
    )


def retry_message(session: Session, message_id: int) -> bool:
    """Put a message set aside back in the queue; False if there is no such unsent message."""
    unsent = update(OutboxRow).where(OutboxRow.id == message_id, OutboxRow.sent_at == "")
    return rows_changed(session, unsent.values(failure="", failed_at="")) > 0


def drop_message(session: Session, message_id: int) -> bool:
    """Remove an unsent message from the outbox; False if there is no such unsent message."""
    return rows_changed(session, delete(OutboxRow).where(OutboxRow.id == message_id, OutboxRow.sent_at == "")) > 0


def _request(session: Session, row: RequestRow) -> Request:
    items = session.execute(
        select(RequestItemRow.aip_id, RequestItemRow.target)
        .where(RequestItemRow.request_id == row.id)
        .order_by(RequestItemRow.aip_id, RequestItemRow.target)
    ).all()
    return Request(
        row.id,
        row.user_id,
        row.purpose,
        row.state,
        row.created_at,
        row.submitted_at,
        row.decided_at,
        row.decided_by,
        row.decision_reason,
        tuple((aip_id, target) for aip_id, target in items),
        row.dip_location,
        row.dip_key,
        row.dip_files,
        row.delivered_at,
        row.expires_at,
        row.delivery_note,
        row.revoked_at,
        row.revoked_reason,
    )
