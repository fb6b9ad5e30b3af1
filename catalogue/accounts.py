"""People who sign in to the portal, in the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from catalogue.models import RegistrationRow, UserRow


@dataclass(frozen=True)
class User:
    """A person with a role; the password hash never leaves the access layer."""

    id: str
    email: str
    name: str
    role: str
    created_at: str
    disabled: bool = False
    last_login: str = ""


def add_user(session: Session, user: User, password_hash: str) -> None:
    """Insert a new user (the caller has checked the e-mail address is free)."""
    session.add(
        UserRow(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            password_hash=password_hash,
            created_at=user.created_at,
            disabled=int(user.disabled),
            last_login=user.last_login,
        )
    )


def find_user(session: Session, email: str) -> tuple[User, str] | None:
    """The user with this e-mail address and their password hash, if there is one."""
    row = session.scalars(select(UserRow).where(UserRow.email == email.strip().lower())).first()
    return (_user(row), row.password_hash) if row is not None else None


def user_by_id(session: Session, user_id: str) -> User | None:
    """The user with this id, if there is one."""
    row = session.get(UserRow, user_id)
    return _user(row) if row is not None else None


def sessions_reset_at(session: Session, email: str) -> float:
    """When the account's sessions were last all ended (0: never, or no such account)."""
    at = session.scalar(select(UserRow.sessions_reset_at).where(UserRow.email == email.strip().lower()))
    return at or 0.0


def list_users(session: Session) -> list[User]:
    """Everyone, by e-mail address."""
    return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.email))]


def update_user(session: Session, user_id: str, **values: object) -> None:
    """Change a user's role, disabled flag, password hash or last login."""
    session.execute(update(UserRow).where(UserRow.id == user_id).values(**values))


def _user(row: UserRow) -> User:
    return User(row.id, row.email, row.name, row.role, row.created_at, bool(row.disabled), row.last_login)


def add_registration(session: Session, token_hash: str, email: str, name: str, at: float) -> None:
    """Keep an asked-for account until its owner follows the link (only the link's hash is kept)."""
    session.add(RegistrationRow(token_hash=token_hash, email=email, name=name, created_at=at))


def registration(session: Session, token_hash: str) -> tuple[str, str, float] | None:
    """(address, name, when asked) of the registration a link's hash names, if there is one."""
    row = session.get(RegistrationRow, token_hash)
    return (row.email, row.name, row.created_at) if row is not None else None


def drop_registrations(session: Session, email: str = "", before: float = 0.0) -> None:
    """Forget the registrations of an address, or every one asked for before ``before``."""
    if email:
        session.execute(delete(RegistrationRow).where(RegistrationRow.email == email))
    if before:
        session.execute(delete(RegistrationRow).where(RegistrationRow.created_at < before))
