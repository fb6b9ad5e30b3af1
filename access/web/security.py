"""Sessions, CSRF tokens and the sign-in rate limit of the portal.

The session is a cookie signed with the archive's secret key (Starlette's SessionMiddleware, through
itsdangerous): it holds the account id and a CSRF token, never a password. Every form carries the
token and every state-changing request must send it back (a form field, or the ``X-CSRF-Token``
header for the JSON API). Sign-in attempts are limited per address and per client.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque

from fastapi import HTTPException, Request

from access.users import signed_in
from preservation.catalogue import Database
from preservation.catalogue.users import User

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class SignInNeeded(Exception):
    """A page needs a signed-in person: the portal sends them to sign in, then back to ``next``."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf(request: Request, sent: str | None) -> None:
    """403 unless ``sent`` is this session's CSRF token."""
    expected = request.session.get("csrf", "")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise HTTPException(403, "The form has expired or did not come from this site. Go back and try again.")


def current_user(request: Request, database: Database) -> User | None:
    """The signed-in person, if the session names an enabled account."""
    user_id = request.session.get("user", "")
    user = signed_in(database, user_id) if user_id else None
    if user_id and user is None:
        request.session.clear()  # the account was disabled or removed
    return user


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too: nothing carries over from before)."""
    request.session.clear()
    request.session["user"] = user.id
    csrf_token(request)


class RateLimit:
    """At most ``attempts`` failures per key within ``window`` seconds (in this process)."""

    def __init__(self, attempts: int = 5, window: float = 900.0):
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds until another attempt is allowed for all of ``keys`` (0: now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                failures = self._failures.get(key)
                while failures and failures[0] <= now - self.window:
                    failures.popleft()
                if failures and len(failures) >= self.attempts:
                    wait = max(wait, failures[0] + self.window - now)
        return int(wait) + (1 if wait else 0)

    def failed(self, *keys: str) -> None:
        """Count a failed attempt against each key."""
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        """Forget the failures of a key that has just signed in."""
        with self._lock:
            self._failures.pop(key, None)


def attempt_sign_in(request: Request, database: Database, limits: RateLimit, email: str, password: str) -> User:
    """Sign in with an address and password, within the rate limit; 429 when over it, 401 when wrong."""
    from access.users import authenticate

    client = f"client:{request.client.host if request.client else '?'}"
    address = f"address:{email.strip().lower()}"
    wait = limits.retry_after(client, address)
    if wait:
        raise HTTPException(429, f"Too many failed sign-ins. Try again in {wait // 60 + 1} minutes.",
                            headers={"Retry-After": str(wait)})
    user = authenticate(database, email, password)
    if user is None:
        limits.failed(client, address)
        raise HTTPException(401, "The email address or password is not right.")
    limits.succeeded(address)
    sign_in(request, user)
    return user
