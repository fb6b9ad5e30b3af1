"""Dates of records as archivists write them: EDTF (`1923`, `1923-05`, `1920/1929`, `192X`, `1923~`).

The ``edtf`` library parses; this module turns what it parses into the first and last day a record
may date from, which the catalogue indexes (date facets) and closure counts from.
"""

from __future__ import annotations

import calendar
import math
import re
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


PLAIN = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")  # a year, a month or a day, as ISO 8601 writes them


def parse_date(text: str) -> DateRange:
    """The range ``text`` spans; NotADate if it is not EDTF or its start is after its end. Plain ISO dates and
    ranges of them (most of a catalogue's) are read directly, as the ``edtf`` library would read them (~3 ms a
    date there: 20,000 units of a finding aid took a minute); anything else goes to it."""
    cleaned = text.strip()
    if not cleaned:
        raise NotADate(f"an empty date (write EDTF: {EXAMPLES})")
    plain = _plain(cleaned)
    if plain is not None:
        return plain
    return _parsed(cleaned)


def _plain(cleaned: str) -> DateRange | None:
    """``cleaned`` read directly when it is a plain year, month or day, or a range of two of them (else None)."""
    written = cleaned.split("/")
    if len(written) > 2:
        return None
    spans: list[tuple[date, date]] = []
    for one in written:
        match = PLAIN.fullmatch(one)
        if match is None:
            return None
        year, month, day = (int(part) if part is not None else None for part in match.groups())
        if year is None or month == 0 or day == 0:
            return None
        try:
            first = date(year, month or 1, day or 1)
            last_month = month or 12
            last_day = day or calendar.monthrange(year, last_month)[1]
            spans.append((first, date(year, last_month, last_day)))
        except ValueError:  # year 0, month 13, 30 February: the library says what is wrong
            return None
    start, end = spans[0][0], spans[-1][1]
    if start > end:
        raise NotADate(f"{cleaned!r} ends before it starts")
    return DateRange(cleaned, start, end)


def _parsed(cleaned: str) -> DateRange:
    """``cleaned`` as the ``edtf`` library reads it."""
    # imported here: edtf costs ~65 ms at start-up, and most commands parse no dates
    from edtf import parse_edtf  # noqa: PLC0415
    from edtf.parser.edtf_exceptions import EDTFParseException  # noqa: PLC0415

    try:
        parsed = parse_edtf(cleaned)
    except EDTFParseException:
        raise NotADate(f"{cleaned!r} is not an EDTF date (write e.g. {EXAMPLES})") from None
    try:
        start, end = _day(_bound(parsed, "lower")), _day(_bound(parsed, "upper"))
    except (ValueError, OverflowError):  # year 0, or one past 9999: EDTF has them, the calendar here does not
        raise NotADate(f"{cleaned!r} is outside the years 1 to 9999 that dates are indexed in") from None
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
