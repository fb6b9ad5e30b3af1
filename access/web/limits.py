"""The largest request body the portal reads: refused with 413 from its Content-Length before a byte is read,
or as soon as a body sent without one (chunked) goes past the limit — never read whole first."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    """ASGI middleware refusing request bodies larger than ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a counting ``receive``, or answer 413."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, send)
            return
        seen = 0
        started = refused = False

        async def counting() -> Message:
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit and not refused:
                refused = True
                if not started:
                    await self._refuse(scope, send)
                return {"type": "http.disconnect"}  # the application stops reading: the rest is never read
            return message

        async def watching(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the application answers to the cut body is dropped
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, watching)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, scope: Scope, send: Send) -> None:
        kib = self.limit // 1024
        if scope["path"].startswith("/api/"):
            body = json.dumps(
                {
                    "error": f"The request is too large: at most {kib} KiB is read.",
                    "hint": "Send less: long texts have limits of their own (see /api/openapi.json).",
                }
            )
            kind = b"application/json"
        else:
            body = (
                f"<!DOCTYPE html><html lang=en><title>Too large</title><h1>The form is too large</h1>"
                f"<p>At most {kib} KiB is read. Go back and send less.</p></html>"
            )
            kind = b"text/html; charset=utf-8"
        data = body.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(data)).encode()),
                    (b"cache-control", b"no-store"),
                    (b"connection", b"close"),
                    (b"x-content-type-options", b"nosniff"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})
