"""One line per request in the common log format, for `preserve serve` — without the query string, which may
carry what a researcher searched for (personal data by the archive's own definition)."""

from __future__ import annotations

import logging
import time
from typing import Any

LOG = logging.getLogger("preserve.access")


class AccessLog:
    """ASGI middleware: ``client - - [time] "METHOD /path HTTP/1.1" status bytes`` after each HTTP response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Pass the request on, noting the status and the bytes sent; log once the response is complete."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = {"status": 500, "bytes": 0}

        async def noting(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            LOG.info(line(scope, seen["status"], seen["bytes"]))


def line(scope: dict[str, Any], status: int, size: int, now: float | None = None) -> str:
    """The request as a common-log-format line: the path only (never the query string), the client's address."""
    client = (scope.get("client") or ("-", 0))[0]
    stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))
    path = scope.get("path", "")
    safe = "".join(c if 32 < ord(c) < 127 else f"%{ord(c):02X}" for c in path)  # no forged log lines
    request = f"{scope.get('method', '-')} {safe} HTTP/{scope.get('http_version', '1.1')}"
    return f'{client} - - [{stamp}] "{request}" {status} {size or "-"}'


def log_to_stderr() -> None:
    """Send the access lines to standard error (what `preserve serve` prints); once per process."""
    if LOG.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    LOG.propagate = False
