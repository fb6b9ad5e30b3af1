"""Dates as archivists write them: plain ISO dates and ranges are read directly, and must come to exactly what
the edtf library makes of them (the library reads everything else); dates the calendar cannot hold are refused
in words, never a crash."""

from __future__ import annotations

import itertools

import pytest

from preservation.dates import NotADate, _parsed, _plain, parse_date

PLAIN = [
    *(f"{year}" for year in (1, 999, 1066, 1900, 1923, 2000, 9999)),
    *(f"{year}-{month:02}" for year, month in itertools.product((1900, 1923, 2000, 2024), range(0, 14))),
    *(f"{year}-02-{day:02}" for year, day in itertools.product((1900, 2000, 2023, 2024), (0, 1, 28, 29, 30))),
    "1923-04-31", "1923-12-31", "0000", "0000-01", "1923-5", "19230", "1923-05-4",
]  # fmt: skip


def _outcome(read, text: str):
    try:
        found = read(text)
    except NotADate:
        return "not a date"
    return None if found is None else (found.start, found.end)


@pytest.mark.parametrize("first, second", [(a, b) for a in PLAIN[::3] for b in PLAIN[1::4]] + [(a, "") for a in PLAIN])
def test_plain_dates_and_ranges_come_to_what_the_edtf_library_makes_of_them(first, second):
    text = f"{first}/{second}" if second else first
    direct = _outcome(_plain, text)
    library = _outcome(_parsed, text)
    if direct is None:  # not read directly: the library decides, and a date it accepts is one
        assert _outcome(parse_date, text) == library
    else:
        assert direct == library, text


def test_a_year_the_calendar_cannot_hold_is_refused_in_words():
    for text in ("0000", "0000/1923", "-0001", "10000"):
        with pytest.raises(NotADate):
            parse_date(text)
