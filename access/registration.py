"""Researchers create their own accounts, in two steps that reveal nothing about who has one.

Asking for an account gives the same answer whether or not the address has one: a message goes to the address
either way, and only its owner can go on. A new address gets a link (valid a day) to choose a password, which
makes the account; an address that has an account gets a note saying so. Nobody can therefore learn from the
portal who has an account, nor make one in someone else's name, nor choose the password of an account they do
not receive the mail of.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from access.typed_text import refuse_control_characters
from access.users import create_user, valid_address
from catalogue import Database
from catalogue.accounts import User, add_registration, drop_registrations, find_user, registration
from catalogue.requests_outbox import queue_message, redact_messages
from preservation.config import Settings
from preservation.errors import AccountError
from preservation.identifiers import timestamp

LINK_HOURS = 24


def ask_for_account(settings: Settings, database: Database, email: str, name: str) -> str:
    """Send the address its next step (a link to choose a password, or a note that it has an account already);
    the address as written. AccountError only for what is wrong with what was typed."""
    address = valid_address(email)
    name = name.strip()[:200]
    refuse_control_characters(name, "a name", AccountError)
    token = secrets.token_urlsafe(32)
    with database.session() as session:
        when = timestamp()
        if find_user(session, address) is not None:
            queue_message(
                session,
                address,
                f"Your account at {settings.archive_name}",
                _ALREADY.format(archive=settings.archive_name, url=settings.portal_url),
                when,
            )
            return address
        now = time.time()
        drop_registrations(session, before=now - LINK_HOURS * 3600)  # links no one followed
        add_registration(session, _hashed(token), address, name or address, now)
        queue_message(
            session,
            address,
            f"Finish creating your account at {settings.archive_name}",
            _CHOOSE.format(
                archive=settings.archive_name,
                url=f"{settings.portal_url}/register/confirm?token={token}",
                hours=LINK_HOURS,
            ),
            when,
        )
    return address


def pending_registration(database: Database, token: str, now: float | None = None) -> tuple[str, str] | None:
    """The (address, name) a registration link is for, if it is valid, unused and the address is still free."""
    now = time.time() if now is None else now
    with database.session() as session:
        found = registration(session, _hashed(token[:100]))
        if found is None or now - found[2] > LINK_HOURS * 3600 or find_user(session, found[0]) is not None:
            return None
        return found[0], found[1]


def finish_registration(database: Database, token: str, password: str) -> User:
    """Make the account a registration link is for, with the password its owner chose; AccountError when the
    link is not valid (any more) or the password is not acceptable."""
    pending = pending_registration(database, token)
    if pending is None:
        raise AccountError(
            "this link is not valid: it has been used, has expired or was never sent",
            hint="Ask for an account again to be sent a new link.",
        )
    user = create_user(database, pending[0], pending[1], "researcher", password)
    with database.session() as session:  # every link sent to this address is used up, and kept nowhere
        drop_registrations(session, user.email)
        redact_messages(session, user.email, token, "(used)")
    return user


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_CHOOSE = """Someone (we hope you) asked for an account at {archive} with this address.

To finish, choose a password here within {hours} hours:

{url}

If it was not you, do nothing: no account is made without this link.
"""

_ALREADY = """Someone (perhaps you) asked for an account at {archive} with this address.

You already have one: sign in at {url}/login. If you have forgotten your password, ask the archive to set a
new one.

If it was not you, do nothing: your account is unchanged.
"""
