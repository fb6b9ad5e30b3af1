"""What a person types is checked at the edge: no control characters in names, purposes, reasons or searches.

A line break in a display name becomes a line break in a mail header (the mail library then refuses the
message); escape sequences and bidirectional overrides make a name show as something it is not.
"""

from __future__ import annotations

import unicodedata

# line and paragraph separators, and the bidirectional embeddings, overrides and isolates
INVISIBLE = {"\u2028", "\u2029", *(chr(c) for c in range(0x202A, 0x202F)), *(chr(c) for c in range(0x2066, 0x206A))}


def control_characters(text: str, line_breaks: bool = False) -> list[str]:
    """The control characters in ``text``, as U+XXXX (line breaks and tabs allowed when ``line_breaks``)."""
    allowed = {"\n", "\r", "\t"} if line_breaks else set()
    found = {char for char in text if char not in allowed and (unicodedata.category(char) == "Cc" or char in INVISIBLE)}
    return [f"U+{ord(char):04X}" for char in sorted(found)]


def refuse_control_characters(text: str, what: str, error: type[Exception], line_breaks: bool = False) -> None:
    """Raise ``error`` naming ``what`` and the characters when ``text`` holds control characters."""
    found = control_characters(text, line_breaks)
    if found:
        raise error(f"{what} must not contain control characters (found {', '.join(found)})")
