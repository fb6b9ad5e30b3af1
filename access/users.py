"""Researchers, archivists and administrators: accounts with Argon2id password hashes.

Passwords are hashed with argon2-cffi's defaults (Argon2id, 64 MiB, 3 passes), which follow
RFC 9106's recommendation; a hash made with older parameters is replaced at the next sign-in.
Signing in with an unknown address costs the same as with a wrong password, so the time taken
does not reveal who has an account.
"""

from __future__ import annotations

import functools
import re
import time
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from access.typed_text import refuse_control_characters
from catalogue import Database
from catalogue.accounts import (
    User,
    add_user,
    find_user,
    list_users,
    sessions_reset_at,
    update_user,
)
from catalogue.portal_sessions import end_user_sessions
from preservation.errors import AccessDenied, AccountError, NotFound
from preservation.identifiers import new_uuid, timestamp

ROLES = ("researcher", "archivist", "administrator")
MIN_PASSWORD = 12  # characters (ASVS 2.1.1); passphrases are welcome
MAX_PASSWORD = 128  # longer is refused, never cut short (ASVS 2.1.2)
_ATOM = r"[^@\s<>,;:\"()\[\]\\]+"  # no spaces, and none of the characters that separate or quote addresses
# runs of keys and words found at the start of every list of leaked passwords
GUESSED_FIRST = (
    "password",
    "123456",
    "234567",
    "345678",
    "456789",
    "987654",
    "qwerty",
    "azerty",
    "asdfgh",
    "zxcvbn",
    "1q2w3e",
    "q1w2e3",
    "letmein",
    "iloveyou",
    "welcome",
    "abcdef",
    "changeme",
    "trustno",
    "football",
    "baseball",
    "dragon",
    "monkey",
    "sunshine",
    "princess",
    "master",
    "shadow",
    "superman",
)
LOOKALIKES = str.maketrans({"@": "a", "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "$": "s", "!": "i"})
EMAIL = re.compile(rf"^{_ATOM}@{_ATOM}\.{_ATOM}$")

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash verified against when the address is unknown (made once, on first use: it takes a fifth of a
    second, which every command importing this module would otherwise pay)."""
    return _hasher.hash("not a password anyone has")


def create_user(database: Database, email: str, name: str, role: str, password: str) -> User:
    """A new account; AccountError for a bad address, role or password, or an address in use."""
    address = valid_address(email)
    _check_role(role)
    check_password(password, address)
    refuse_control_characters(name, "a name", AccountError)
    hashed = _hasher.hash(password)  # the slow part, before a database connection is taken
    with database.session() as session:
        if find_user(session, address) is not None:
            raise AccountError(
                f"{address}: there is already an account with this address",
                hint="`preserve user list` shows the accounts; change that one's role or password instead.",
            )
        user = User(new_uuid(), address, name.strip() or address, role, timestamp())
        add_user(session, user, hashed)
    return user


def authenticate(database: Database, email: str, password: str) -> User | None:
    """The user, if the address and password match an account that is not disabled; else None.
    The hash is checked (and remade) with no database connection held."""
    with database.session() as session:
        found = find_user(session, email)
    if found is None:
        _verify(_dummy_hash(), password)  # the same work as a real check
        return None
    user, stored = found
    if not _verify(stored, password) or user.disabled:
        return None
    values: dict[str, object] = {"last_login": timestamp()}
    if _hasher.check_needs_rehash(stored):
        values["password_hash"] = _hasher.hash(password)
    with database.session() as session:
        update_user(session, user.id, **values)
    return user


def set_password(database: Database, email: str, password: str) -> User:
    """Give an account a new password."""
    check_password(password, email)
    hashed = _hasher.hash(password)
    return _change(database, email, "password changed", password_hash=hashed)


def set_role(database: Database, email: str, role: str) -> User:
    """Change what an account may do."""
    _check_role(role)
    return _change(database, email, "role changed", role=role)


def set_disabled(database: Database, email: str, disabled: bool) -> User:
    """Stop (or allow again) an account signing in; nothing it did is removed."""
    return _change(database, email, "account disabled" if disabled else "", disabled=int(disabled))


def users(database: Database) -> list[User]:
    """Every account."""
    with database.session() as session:
        return list_users(session)


def sessions_reset(database: Database, email: str) -> float:
    """When the account's sessions were last all ended (0: never, or no such account)."""
    with database.session() as session:
        return sessions_reset_at(session, email)


def require_role(user: User | None, *roles: str) -> User:
    """AccessDenied unless ``user`` is signed in with one of ``roles`` (administrators may do everything)."""
    if user is None or user.disabled or (user.role not in roles and user.role != "administrator"):
        raise AccessDenied("you are not allowed to do this", hint="Sign in with an account that may.")
    return user


def _change(database: Database, email: str, ends_sessions: str, **values: object) -> User:
    """Change an account; when ``ends_sessions`` says why, every portal session it has running ends with it."""
    with database.session() as session:
        found = find_user(session, email)
        if found is None:
            raise NotFound(f"{email}: no account has this address", hint="`preserve user list` lists accounts.")
        if ends_sessions:
            now = time.time()
            values["sessions_reset_at"] = now  # device cookies signed before now no longer count either
            end_user_sessions(session, found[0].id, ends_sessions, now)
        update_user(session, found[0].id, **values)
        changed = find_user(session, email)
        assert changed is not None  # found above, in this same transaction
        return changed[0]


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password[:1024])  # accounts made when longer passwords were allowed
    except (VerificationError, InvalidHashError):
        return False


def valid_address(email: str) -> str:
    """The address, lower-cased; AccountError unless it looks like an e-mail address."""
    address = email.strip().lower()
    if (
        not (address.isascii() and address.isprintable())
        or "=?" in address
        or not EMAIL.match(address)
        or len(address) > 320
    ):
        raise AccountError(
            f"{email!r} is not an e-mail address",
            hint="Write one plain address like name@example.org: ASCII, no spaces, no quotes or brackets.",
        )
    return address


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role", hint=f"Roles: {', '.join(ROLES)}.")


def _repeats(text: str) -> bool:
    """Whether ``text`` is one short piece (up to 6 characters) over and over: 'dragondragon', 'abcdeabcdeab'."""
    return any(len(text) > size and (text[:size] * (len(text) // size + 1)).startswith(text) for size in range(1, 7))


def check_password(password: str, address: str) -> None:
    """AccountError for a password of the wrong length, or one guessed first: the same few characters over and
    over, a well-known run of keys, or the account's own address in it."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            f"the password is too short: at least {MIN_PASSWORD} characters",
            hint="Three or four random words make a good password.",
        )
    if len(password) > MAX_PASSWORD:
        raise AccountError(
            f"the password is too long: at most {MAX_PASSWORD} characters",
            hint="Choose a shorter password (a passphrase of a few words is enough).",
        )
    folded = "".join(unicodedata.normalize("NFKC", password).lower().split())  # full-width letters are letters
    plain = folded.translate(LOOKALIKES)  # p@ssw0rd is password
    address = address.strip().lower()
    local = address.split("@")[0]
    if (
        len(set(folded)) < 5
        or _repeats(folded)
        or any(word in plain or word in folded for word in GUESSED_FIRST)
        or address in folded
        or (len(local) >= 3 and local in folded)
        or folded in address
    ):
        raise AccountError(
            "the password is too easy to guess: it repeats a few characters, follows the keyboard "
            "or holds the e-mail address",
            hint="Three or four random words make a good password.",
        )
