"""Portal sessions kept on the server: the cookie holds only a random id, the catalogue says whose it is and
whether it still runs. Signing out, a new password, a new role and disabling the account end sessions; every
session ends ``session_hours`` after sign-in however busy, and after ``session_idle_minutes`` without a request.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime

from catalogue import Database
from catalogue.accounts import User, find_user, update_user, user_by_id
from catalogue.portal_sessions import (
    PortalSession,
    add_session,
    end_session,
    end_user_sessions,
    get_session,
    touch_session,
    user_sessions,
)
from preservation.config import Settings
from preservation.errors import NotFound

TOUCH_EVERY = 60.0  # seconds: last_seen is written at most this often per session


def start_session(database: Database, user: User, client: str, agent: str, now: float | None = None) -> str:
    """A new session for ``user``; the id to put in the cookie (only its hash is stored)."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    with database.session() as session:
        add_session(session, PortalSession(_hashed(token), user.id, now, now, client=client[:64], agent=agent[:300]))
    return token


def session_user(settings: Settings, database: Database, token: str, now: float | None = None) -> User | None:
    """The enabled person whose running session ``token`` names; None (and the session ended) once it has run
    out of time, or if it was ended."""
    now = time.time() if now is None else now
    with database.session() as session:
        found = get_session(session, _hashed(token))
        if found is None or found.ended_at:
            return None
        why = (
            "lasted its full time"
            if now - found.created_at > settings.session_hours * 3600
            else "idle too long"
            if now - found.last_seen > settings.session_idle_minutes * 60
            else ""
        )
        if why:
            end_session(session, found.id, why, now)
            return None
        user = user_by_id(session, found.user_id)
        if user is None or user.disabled:
            return None
        if now - found.last_seen >= TOUCH_EVERY:
            touch_session(session, found.id, now)
        return user


def sign_out(database: Database, token: str, now: float | None = None) -> None:
    """End the session ``token`` names."""
    with database.session() as session:
        end_session(session, _hashed(token), "signed out", time.time() if now is None else now)


def sessions(database: Database, email: str) -> tuple[User, list[PortalSession]]:
    """A person's sessions, newest first; NotFound for an unknown address."""
    with database.session() as session:
        found = find_user(session, email)
        if found is None:
            raise NotFound(f"{email}: no account has this address", hint="`preserve user list` lists accounts.")
        return found[0], user_sessions(session, found[0].id)


def end_sessions(database: Database, email: str, why: str = "ended by an administrator") -> int:
    """End every running session of a person; how many there were."""
    user, _ = sessions(database, email)
    now = time.time()
    with database.session() as session:
        update_user(session, user.id, sessions_reset_at=now)  # and the browsers it signed in from are forgotten
        return end_user_sessions(session, user.id, why, now)


def session_state(settings: Settings, found: PortalSession, now: float | None = None) -> str:
    """'running', or why the session ended (also when it has run out of time but nobody has used it since)."""
    now = time.time() if now is None else now
    if found.ended_at:
        return f"ended {when(found.ended_at)}: {found.ended_why}"
    if now - found.created_at > settings.session_hours * 3600:
        return "ended: lasted its full time"
    if now - found.last_seen > settings.session_idle_minutes * 60:
        return "ended: idle too long"
    return "running"


def when(at: float) -> str:
    """A session time as people read it (UTC, to the second)."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
