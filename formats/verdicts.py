"""The verdicts a validator gives, and keeping source paths on disk out of its messages.

- ``valid``: read as the specification says; ``well-formed`` where only syntax can be checked.
- ``valid with warnings``: readable, but the tool found something to say (a damaged PDF hint
  table, a cross-reference table qpdf had to rebuild); the messages say what.
- ``invalid``: the format is broken; content cannot be read as the specification says. Only this
  verdict counts for a format policy's ``invalid`` setting.
- ``not checked``: encrypted, the tool is missing, too large, or no validator for the format;
  the first message gives the reason.
- ``failed``: the validator hung or crashed on the file.
"""

from __future__ import annotations

import os

from formats.names import printable

VALID = "valid"
VALID_WITH_WARNINGS = "valid with warnings"
WELL_FORMED = "well-formed"
INVALID = "invalid"
NOT_CHECKED = "not checked"
FAILED = "failed"
VERDICTS = (VALID, VALID_WITH_WARNINGS, WELL_FORMED, INVALID, NOT_CHECKED, FAILED)

ENCRYPTED = "encrypted"  # the first word of the reason a file was not checked because it is encrypted
TOO_LARGE = "too large"
TOOL_MISSING = "tool missing"
MAX_MESSAGES = 50


def capped(messages: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """At most MAX_MESSAGES messages, the last saying how many more there were."""
    if len(messages) <= MAX_MESSAGES:
        return tuple(messages)
    return (*messages[: MAX_MESSAGES - 1], f"… and {len(messages) - MAX_MESSAGES + 1} more")


def scrub(text: str, path: str, name: str) -> str:
    """``text`` with the file's path on disk (as given, absolute or resolved; printable too) replaced by ``name``."""
    given = {path, os.path.abspath(path), os.path.realpath(path)}
    spellings = given | {printable(spelling) for spelling in given}
    for spelling in sorted(spellings, key=len, reverse=True):
        if spelling:
            text = text.replace(spelling, name)
    folder = os.path.dirname(os.path.abspath(path))
    if folder in ("", os.sep):
        return text
    for spelling in {folder, printable(folder)}:
        text = text.replace(spelling + os.sep, "")
    return text
