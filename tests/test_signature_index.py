"""Facts read off signature regexes must be necessary conditions: never skip a signature that matches."""

from __future__ import annotations

import re

import pytest

from formats.signature_index import anchor, leading_skip, required_literal


@pytest.mark.parametrize(
    ("regex", "expected_anchor", "expected_literal"),
    [
        (rb"(?s)\A\x25\x50\x44\x46", (0, 0x25), b"%PDF"),
        (rb"(?s)\A.{4}ftyp", (4, ord("f")), b"ftyp"),
        (rb"(?s)\A.{2,2}\xff", (2, 0xFF), b"\xff"),
        (rb"(?s)\A.{0,10}abc", None, b"abc"),
        (rb"(?s)\A(?:a|b)c", None, b"c"),
        (rb"(?s)\Aab?c", (0, ord("a")), b"a"),
        (rb"(?s)\Aa?b", None, b"b"),
        (rb"(?s)\Aa|b", None, b""),
        (rb"(?s)\A[ab]cd", None, b"cd"),
        (rb"(?s)\Aa{0,3}bcd", None, b"bcd"),
        (rb"(?s)\A\?xml", (0, ord("?")), b"?xml"),
        (rb"(?s)abc+de", None, b"abc"),
        (rb"(?s)NER(?:5|O).{0,12}\Z", None, b"NER"),
        (rb"(?s)[(]x\)yz", None, b"x)yz"),
    ],
)
def test_anchor_and_literal(regex, expected_anchor, expected_literal):
    assert anchor(regex) == expected_anchor
    assert required_literal(regex) == expected_literal


def test_leading_skip():
    assert leading_skip(rb"(?s)\A.{32768,70468}ER") == 32768
    assert leading_skip(rb"(?s)\AER") == 0
    assert leading_skip(rb"(?s)ER") == 0


def test_facts_hold_for_every_fido_signature_on_matching_data():
    """For every pattern FIDO ships, build text that matches it and check both facts against it."""
    import fido
    from lxml import etree

    conf = __import__("pathlib").Path(fido.__file__).parent / "conf"
    tree = etree.parse(str(next(conf.glob("formats-v*.xml"))))
    checked = 0
    for element in tree.iterfind(".//pattern/regex"):
        regex = element.text.encode("utf8")
        compiled = re.compile(regex)
        literal = required_literal(regex)
        fixed = anchor(regex)
        # a matching sample: the literal must be in anything the regex matches; try the literal itself padded
        for sample in (literal, b"\x00" * 64 + literal + b"\x00" * 64):
            found = compiled.search(sample)
            if found:
                assert literal in found.group(0) or literal in sample
                if fixed is not None and regex.startswith(rb"(?s)\A"):
                    offset, byte = fixed
                    assert sample[offset] == byte
                checked += 1
    assert checked > 50


def test_window():
    from formats.signature_index import window

    assert window(rb"(?s)\A.{0,10}abc") == (0, 13, b"abc")
    assert window(rb"(?s)\A.{4}ftyp") == (4, 8, b"ftyp")
    assert window(rb"(?s)\A.{2,5}a?bc") is None
    assert window(rb"(?s)\Aabc") is None
    assert window(rb"(?s)\A.{0,3}(?:a|b)") is None


@pytest.mark.parametrize(
    ("regex", "runs", "is_unbounded"),
    [
        (
            rb"(?s)\ARIFF.{4}WAVE.*fmt .{4}\x01\x00.*bext.{350}\x00\x00",
            (b"RIFF", b"WAVE", b"fmt ", b"\x01\x00", b"bext", b"\x00\x00"),
            True,
        ),
        (rb"(?s)\ARIFF.{4}WAVE.*fmt .{4}(?:\x01|\x07)\x00.*LIST", (b"RIFF", b"WAVE", b"fmt ", b"\x00", b"LIST"), True),
        (rb"(?s)\ARIFF.{4}WAVE.{14,}data", (b"RIFF", b"WAVE", b"data"), True),
        (rb"(?s)\Aab?c+d", (b"a", b"c", b"d"), True),
        (rb"(?s)\A.{0,10}abc", (b"abc",), False),
        (rb"(?s)\Aa|b", (), False),
    ],
)
def test_required_runs_and_unbounded(regex, runs, is_unbounded):
    from formats.signature_index import required_runs, unbounded

    assert required_runs(regex) == runs
    assert unbounded(regex) is is_unbounded
    for sample in (
        b"RIFF\x00\x00\x00\x00WAVEfmt \x00\x00\x00\x00\x01\x00" + b"z" * 20 + b"bext" + b"y" * 350 + b"\x00\x00data",
    ):
        if re.match(regex, sample):  # a match contains every run
            assert all(run in sample for run in runs)


def test_tail_width_bounds_every_end_anchored_match():
    from formats.signature_index import tail_width

    assert tail_width(rb"(?s)NER(?:5|O).{0,12}\Z") == 16
    assert tail_width(rb"(?s)\x00\x00\x00\x00IEND\xaeB\x60\x82.{0,4}\Z") == 16
    assert tail_width(rb"(?s)%%EOF.*\Z") is None  # no longest match
    assert tail_width(rb"(?s)%%EOF") is None  # not end-anchored
    assert tail_width(rb"(?s)\bEOF\Z") is None  # what comes before the tail matters
    assert tail_width(rb"(?s)ab\\Z") is None  # a backslash and a Z, not the anchor
    pattern = rb"(?s)NER(?:5|O).{0,12}\Z"
    width = tail_width(pattern)
    for tail in (b"NER5", b"NERO" + b"x" * 12, b"NERO" + b"x" * 13, b"NER5x", b"NER"):
        buffer = b"\x00" * 5000 + tail
        assert bool(re.search(pattern, buffer)) == bool(re.search(pattern, buffer[-width:]))
