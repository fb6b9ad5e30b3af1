"""Time-limited download links: presigned URLs from S3, HMAC-signed expiring links for local storage.

A local link is ``<key>?expires=<unix time>&signature=<hex>``; the portal (which serves local
files) checks it with ``verify_local_link`` and the same secret before it sends a byte.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qs, quote, unquote, urlsplit

from preservation.errors import AccessDenied, StorageError
from storage.base import Storage, check_key
from storage.s3 import S3Storage


def _signature(secret: bytes, location: str, key: str, expires: int) -> str:
    message = f"{location}\n{key}\n{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def download_link(storage: Storage, key: str, seconds: int, secret: bytes = b"") -> str:
    """A link to ``key`` that works for ``seconds`` seconds."""
    if seconds <= 0:
        raise StorageError("a download link must last at least a second")
    check_key(key)
    if isinstance(storage, S3Storage):  # the server checks the signature and the expiry
        return storage.presigned_url(key, seconds)
    return signed_link(storage.name, key, seconds, secret)


def signed_link(location: str, key: str, seconds: int, secret: bytes) -> str:
    """A link to ``key`` in ``location`` signed with ``secret`` for the portal to check (whatever the storage)."""
    if not secret:
        raise StorageError("local download links need a secret to sign them with")
    check_key(key)
    expires = int(time.time()) + seconds
    return f"{quote(key)}?expires={expires}&signature={_signature(secret, location, key, expires)}"


def verify_local_link(link: str, location: str, secret: bytes, now: float | None = None) -> str:
    """The key a local link grants, if its signature is right and it has not expired; else AccessDenied."""
    parts = urlsplit(link)
    query = parse_qs(parts.query)
    key = unquote(parts.path)
    try:
        written, signature = query["expires"][0], query["signature"][0]
    except (KeyError, IndexError):
        raise AccessDenied(
            "this download link is not valid", hint="Use the link exactly as it was given, or ask for a new one."
        ) from None
    if not (written.isascii() and written.isdigit() and len(written) <= 12) or written != str(int(written)):
        raise AccessDenied(
            "this download link is not valid", hint="Use the link exactly as it was given, or ask for a new one."
        )  # only the digits it was signed with
    expires = int(written)
    if not hmac.compare_digest(signature, _signature(secret, location, key, expires)):
        raise AccessDenied(
            "this download link is not valid", hint="Use the link exactly as it was given, or ask for a new one."
        )
    if (now if now is not None else time.time()) > expires:
        raise AccessDenied("this download link has expired", hint="Ask for a new link.")
    return check_key(key)
