"""Taking turns: work on the same keys (an account's attempts, a person's basket) done one transaction at a time,
by every server process and host alike."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def take_turn(session: Session, keys: list[str]) -> None:
    """Until this transaction ends, no other transaction taking a turn at any of ``keys`` goes on. PostgreSQL: an
    advisory lock per key, taken in one order so that two transactions cannot wait on each other; SQLite: the
    database's write lock, taken by a write that changes nothing. Call it first in the transaction: what is read
    after it includes everything the previous holder committed."""
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(set(keys)):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})
    else:
        session.execute(text("DELETE FROM attempts WHERE 1 = 0"))
