"""Attempts (at signing in, at registering) counted in the catalogue, so that every server process agrees."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from catalogue.database import rows_changed
from catalogue.models import AttemptRow
from catalogue.turns import take_turn


def lock_attempts(session: Session, keys: list[str], forget_before: float) -> None:
    """Take this transaction's turn at ``keys``: until it ends, no other attempt at them is counted or recorded
    (and forget attempts older than ``forget_before``)."""
    take_turn(session, keys)
    forget_attempts_before(session, forget_before)


def add_attempts(session: Session, keys: list[str], at: float) -> list[int]:
    """Record one attempt against each key; their ids, to withdraw them later."""
    rows = [AttemptRow(key=key, at=at) for key in keys]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def attempts_since(session: Session, key: str, since: float, oldest: bool = False) -> tuple[int, float]:
    """How many attempts ``key`` has had since ``since``, and when the latest (or the oldest) of them was (0 if
    none)."""
    when = func.min(AttemptRow.at) if oldest else func.max(AttemptRow.at)
    query = select(func.count(), when).where(AttemptRow.key == key, AttemptRow.at >= since)
    count, at = session.execute(query).one()
    return count, at or 0.0


def withdraw_attempts(session: Session, ids: list[int]) -> None:
    """Forget attempts that do not count (a success)."""
    session.execute(delete(AttemptRow).where(AttemptRow.id.in_(ids)))


def forget_attempts(session: Session, key: str) -> None:
    """Forget every attempt against ``key`` (its owner has just signed in from there)."""
    session.execute(delete(AttemptRow).where(AttemptRow.key == key))


def forget_attempts_before(session: Session, before: float) -> int:
    """Remove attempts older than every window that reads them; how many went."""
    return rows_changed(session, delete(AttemptRow).where(AttemptRow.at < before))
