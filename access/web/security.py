"""Sessions, CSRF tokens, the client's address and the sign-in limits of the portal.

The session cookie is signed with the archive's secret key (Starlette's SessionMiddleware, through
itsdangerous). It holds a CSRF token and, once signed in, a random session id: whose session it is and whether it
still runs is kept in the catalogue (``access.sessions``), so sign-out, a password change and disabling end it.
Every form carries the CSRF token and every state-changing request must send it back (a form field, or the
``X-CSRF-Token`` header for the JSON API). Sign-in attempts are counted in the catalogue (``access.throttle``).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from fastapi import HTTPException, Request

from access import throttle
from access.devices import device_of, new_device_token, remembered
from access.secret import archive_secret
from access.sessions import session_user, start_session
from access.sessions import sign_out as end_session_of
from access.users import authenticate, sessions_reset
from catalogue import Database
from catalogue.accounts import User
from preservation.config import Settings

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


def client_address(request: Request, trusted_proxies: tuple[str, ...]) -> str:
    """The address of the person's machine: the connection's own, unless it comes from a trusted proxy, when the
    nearest address in X-Forwarded-For that is not itself a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return peer
    forwarded = [part.strip() for part in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for address in reversed([part for part in forwarded if part]):
        if not _trusted(address, trusted_proxies):
            return address if _is_address(address) else peer
    return peer


def current_user(request: Request, database: Database) -> User | None:
    """The signed-in person, if the session cookie names a running session of an enabled account."""
    token = request.session.get("sid", "")
    if not token:
        return None
    if not hasattr(request.state, "user"):
        request.state.user = session_user(request.app.state.portal.settings, database, token)
    if request.state.user is None:
        request.session.clear()  # signed out elsewhere, timed out, disabled or removed
    return request.state.user


def sign_in(request: Request, database: Database, user: User, settings: Settings) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too: nothing carries over from before)."""
    request.session.clear()
    request.session["sid"] = start_session(
        database, user, client_address(request, settings.trusted_proxies), request.headers.get("user-agent", "")
    )
    request.state.user = user
    csrf_token(request)


def attempt_sign_in(request: Request, database: Database, settings: Settings, email: str, password: str) -> User:
    """Sign in with an address and password, within the limits; 429 when over one, 401 when wrong. A success
    marks the browser as a known device of the account (``request.state.device``, set as a cookie on the answer)."""
    client = client_address(request, settings.trusted_proxies)
    secret = archive_secret(settings)
    tokens = request.cookies.get(device_cookie(settings), "")[:2000].split("~")
    reset_at = sessions_reset(database, email)
    device = device_of(secret, email, reset_at, tokens)
    try:
        ticket = throttle.begin_sign_in(database, email, client, device=device)
    except throttle.TooManyAttempts as exc:
        minutes = "a minute" if exc.wait <= 60 else f"{exc.wait // 60 + 1} minutes"
        raise HTTPException(
            429, f"Too many sign-in attempts. Try again in {minutes}.", headers={"Retry-After": str(exc.wait)}
        ) from None
    user = authenticate(database, email, password)
    if user is None:
        raise HTTPException(401, "The email address or password is not right.")
    throttle.succeeded(database, ticket)
    sign_in(request, database, user, settings)
    request.state.device = remembered(new_device_token(secret, email, reset_at), tokens, secret, email, reset_at)
    return user


def device_cookie(settings: Settings) -> str:
    """The name of the cookie marking the browsers an account has signed in from (``__Host-`` over https)."""
    return "__Host-preserve_device" if settings.portal_url.startswith("https://") else "preserve_device"


def _trusted(address: str, trusted_proxies: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def sign_out(request: Request, database: Database) -> None:
    """End the signed-in session (in the catalogue: the cookie is worthless from now on) and forget the cookie's."""
    token = request.session.get("sid", "")
    if token:
        end_session_of(database, token)
    request.session.clear()
