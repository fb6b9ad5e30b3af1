"""Signed-in portal sessions, in the catalogue: what a session cookie's id stands for, and until when."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalogue.database import rows_changed
from catalogue.models import PortalSessionRow


@dataclass(frozen=True)
class PortalSession:
    """A session as the catalogue holds it (``id`` is the SHA-256 of the cookie's id, never the id itself)."""

    id: str
    user_id: str
    created_at: float
    last_seen: float
    ended_at: float = 0.0
    ended_why: str = ""
    client: str = ""
    agent: str = ""


def add_session(session: Session, row: PortalSession) -> None:
    """Record a new session."""
    session.add(
        PortalSessionRow(
            id=row.id,
            user_id=row.user_id,
            created_at=row.created_at,
            last_seen=row.last_seen,
            client=row.client,
            agent=row.agent,
        )
    )


def get_session(session: Session, session_id: str) -> PortalSession | None:
    """The session with this (hashed) id, if there is one."""
    row = session.get(PortalSessionRow, session_id)
    return _session(row) if row is not None else None


def touch_session(session: Session, session_id: str, when: float) -> None:
    """Note that the session was used at ``when``."""
    session.execute(update(PortalSessionRow).where(PortalSessionRow.id == session_id).values(last_seen=when))


def end_session(session: Session, session_id: str, why: str, when: float) -> None:
    """End one session (if it has not ended already)."""
    session.execute(
        update(PortalSessionRow)
        .where(PortalSessionRow.id == session_id, PortalSessionRow.ended_at == 0)
        .values(ended_at=when, ended_why=why)
    )


def end_user_sessions(session: Session, user_id: str, why: str, when: float) -> int:
    """End every running session of a person; how many there were."""
    return rows_changed(
        session,
        update(PortalSessionRow)
        .where(PortalSessionRow.user_id == user_id, PortalSessionRow.ended_at == 0)
        .values(ended_at=when, ended_why=why),
    )


def user_sessions(session: Session, user_id: str) -> list[PortalSession]:
    """A person's sessions, newest first."""
    rows = session.scalars(
        select(PortalSessionRow).where(PortalSessionRow.user_id == user_id).order_by(PortalSessionRow.created_at.desc())
    )
    return [_session(row) for row in rows]


def _session(row: PortalSessionRow) -> PortalSession:
    return PortalSession(
        row.id, row.user_id, row.created_at, row.last_seen, row.ended_at, row.ended_why, row.client, row.agent
    )
