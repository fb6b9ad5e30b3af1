"""Known devices: a browser an account has signed in from carries a signed token for that account (OWASP's
"device cookie"), so guessers elsewhere cannot hold the owner back with the account-wide sign-in delay.

A token is ``<issued>-<random>.<HMAC-SHA256>``, signed with the archive's secret over the account's address,
the random part and when the account's sessions were last all ended (``sessions_reset_at``): a new password, a
new role, disabling and `preserve user sessions --end` therefore void every device token of the account. A
token lasts ``DEVICE_DAYS``; a browser keeps tokens for up to ``DEVICE_TOKENS`` accounts. A device's own failed
attempts are limited (``access.throttle.DEVICE``), so a copied token gives a guesser no more than a few tries.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

DEVICE_TOKENS = 4
DEVICE_DAYS = 180
TOKEN = re.compile(r"([0-9]{1,12})-([A-Za-z0-9_-]{16})\.([0-9a-f]{64})")


def new_device_token(secret: bytes, email: str, reset_at: float, now: float | None = None) -> str:
    """A token for this browser and the account ``email``."""
    nonce = f"{int(time.time() if now is None else now)}-{secrets.token_urlsafe(12)}"
    return f"{nonce}.{_signature(secret, email, reset_at, nonce)}"


def device_of(secret: bytes, email: str, reset_at: float, tokens: list[str], now: float | None = None) -> str:
    """The id of the first of ``tokens`` given to this browser for ``email`` (signed since its sessions were last
    ended, less than DEVICE_DAYS ago); '' if none is. Anything malformed is simply not a token."""
    now = time.time() if now is None else now
    for token in tokens[:DEVICE_TOKENS]:
        match = TOKEN.fullmatch(token)
        if match is None or now - int(match.group(1)) >= DEVICE_DAYS * 86400:
            continue
        nonce = f"{match.group(1)}-{match.group(2)}"
        if hmac.compare_digest(match.group(3), _signature(secret, email, reset_at, nonce)):
            return nonce
    return ""


def remembered(new: str, tokens: list[str], secret: bytes, email: str, reset_at: float) -> str:
    """The cookie's value after a sign-in: the new token first, then the browser's tokens for other accounts."""
    others = [t for t in tokens[:DEVICE_TOKENS] if TOKEN.fullmatch(t) and not device_of(secret, email, reset_at, [t])]
    return "~".join([new, *others][:DEVICE_TOKENS])


def _signature(secret: bytes, email: str, reset_at: float, nonce: str) -> str:
    message = f"device\n{email.strip().lower()}\n{reset_at!r}\n{nonce}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
