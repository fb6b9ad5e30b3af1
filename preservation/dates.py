"""Dates of records as archivists write them: EDTF (`1923`, `1923-05`, `1920/1929`, `192X`, `1923~`).

The ``edtf`` library parses; this module turns what it parses into the first and last day a record
may date from, which the catalogue indexes (date facets) and closure counts from.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

EXAMPLES = "1923, 1923-05, 1923-05-04, 1920/1929, 192X, 1923~ or 1923?"


@dataclass(frozen=True)
class DateRange:
    """An EDTF date and the days it spans (None at an open end: `1920/..`)."""

    text: str
    start: date | None
    end: date | None

    @property
    def last_year(self) -> int | None:
        """The year of the record's last possible date (what UK closure periods count from)."""
        return self.end.year if self.end else None


class NotADate(ValueError):
    """The text is not an EDTF date (the message says what is accepted)."""


def parse_date(text: str) -> DateRange:
    """The range ``text`` spans; NotADate if it is not EDTF or its start is after its end."""
    # imported here: edtf costs ~65 ms at start-up, and most commands parse no dates
    from edtf import parse_edtf  # noqa: PLC0415
    from edtf.parser.edtf_exceptions import EDTFParseException  # noqa: PLC0415

    cleaned = text.strip()
    if not cleaned:
        raise NotADate(f"an empty date (write EDTF: {EXAMPLES})")
    try:
        parsed = parse_edtf(cleaned)
    except EDTFParseException:
        raise NotADate(f"{cleaned!r} is not an EDTF date (write e.g. {EXAMPLES})") from None
    start, end = _day(_bound(parsed, "lower")), _day(_bound(parsed, "upper"))
    if start and end and start > end:
        raise NotADate(f"{cleaned!r} ends before it starts")
    return DateRange(cleaned, start, end)


def _bound(parsed: Any, side: str) -> time.struct_time | float:
    """The strict lower or upper bound of any EDTF object (intervals have them on their ends)."""
    end = getattr(parsed, side, None)
    if end is not None and not isinstance(end, str) and hasattr(end, f"{side}_strict"):
        parsed = end
    try:
        bound: time.struct_time = getattr(parsed, f"{side}_strict")()
    except TypeError:  # an open end ('..') is an infinity, which the library cannot subscript
        return math.inf
    return bound


def _day(value: time.struct_time | float) -> date | None:
    if isinstance(value, float):  # +/- infinity: an open end
        return None
    return date(value.tm_year, value.tm_mon, value.tm_mday)
