"""Text formats PRONOM cannot sign (CSV, JSON, plain text, XML without a declaration, Markdown).

libmagic (python-magic) reads the head of the file; a mapping gives the PRONOM identifier where
one exists. Used only when no byte or container signature matched.
"""

from __future__ import annotations

import os
import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import magic

# MIME type from libmagic -> PUID
MIME_TO_PUID = {
    "text/csv": "x-fmt/18",
    "application/json": "fmt/817",
    "text/xml": "fmt/101",
    "application/xml": "fmt/101",
    "text/html": "fmt/96",
    "text/plain": "x-fmt/111",
}
MARKDOWN = "fmt/1149"
MARKDOWN_EXTENSIONS = ("md", "markdown")
_XML_ROOT = re.compile(rb"\A\s*(?:<!--.*?-->\s*)*<([A-Za-z_][\w:.-]*)[\s>/]", re.DOTALL)
HEAD = 64 * 1024


@cache
def _magic() -> magic.Magic | None:
    try:
        import magic  # imported here: raises ImportError where the libmagic library is missing  # noqa: PLC0415

        return magic.Magic(mime=True)
    except (ImportError, OSError):  # python-magic or the libmagic library is missing
        return None


def available() -> bool:
    """Whether libmagic can be used here."""
    return _magic() is not None


def _binary(head: bytes) -> bool:
    """NUL bytes near the start: binary data, not text (UTF-16 with a byte-order mark excepted).

    A cheap test that spares a libmagic call (~1 ms) for every unidentified binary file."""
    return b"\x00" in head[:8192] and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def detect(head: bytes, filename: str) -> tuple[str, str] | None:
    """(PUID, MIME type) for text content, or None when it is not text (or libmagic is missing)."""
    detector = _magic()
    if detector is None or not head or _binary(head):
        return None
    mime = detector.from_buffer(head[:HEAD])
    if not (mime.startswith("text/") or mime in MIME_TO_PUID):
        return None
    ext = os.path.splitext(filename)[1].lower().lstrip(".")
    if mime == "text/plain" and _XML_ROOT.match(head):
        mime = "text/xml"  # XML without an <?xml …?> declaration, which libmagic calls plain text
    elif mime == "text/plain" and ext in MARKDOWN_EXTENSIONS:
        return MARKDOWN, "text/markdown"
    return MIME_TO_PUID.get(mime, "x-fmt/111"), mime
