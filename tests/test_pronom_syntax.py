"""PRONOM byte-sequence syntax compiled to regexes: each construct checked against real bytes."""

from __future__ import annotations

import re

import pytest

from formats.pronom_syntax import to_regex
from preservation.errors import FormatError


def matches(sequence: str, data: bytes, little_endian: bool = False) -> bool:
    return bool(re.fullmatch(b"(?s)" + to_regex(sequence, little_endian), data))


def test_hex_text_wildcards_and_gaps():
    assert matches("4D 5A", b"MZ") and matches("4d5a", b"MZ")
    assert matches("'Word.Document.' 00", b"Word.Document.\x00")
    assert not matches("'Word.Document.'", b"WordXDocument.")  # the dot is literal
    assert matches("4D ?? 5A", b"M\x00Z") and not matches("4D ?? 5A", b"MZ")
    assert matches("01 {2} 02", b"\x01ab\x02") and not matches("01 {2} 02", b"\x01a\x02")
    assert matches("01 {1-3} 02", b"\x01abc\x02") and not matches("01 {1-3} 02", b"\x01abcd\x02")
    assert matches("01 {2-*} 02", b"\x01" + b"x" * 50 + b"\x02")
    assert matches("01 * 02", b"\x01\x02") and matches("01 * 02", b"\x01\n\n\x02")


def test_byte_sets():
    assert all(matches("[01:04]", bytes([v])) == (1 <= v <= 4) for v in range(256))
    assert all(matches("['6'-'7']", bytes([v])) == (v in b"67") for v in range(256))
    assert all(matches("[!00]", bytes([v])) == (v != 0) for v in range(256))
    assert all(matches("[&81]", bytes([v])) == (v & 0x81 == 0x81) for v in range(256))
    assert all(matches("[!&01]", bytes([v])) == (not v & 1) for v in range(256))
    assert all(matches("[~06]", bytes([v])) == bool(v & 6) for v in range(256))


def test_negated_sequence_consumes_its_length():
    assert matches("[!0000] 4D", b"\x00\x01M") and not matches("[!0000] 4D", b"\x00\x00M")


def test_alternatives_may_hold_sequences():
    assert matches("'v=' (22|27) '1.0' (22|27)", b"v='1.0'") and matches("(00|01 02)", b"\x01\x02")
    assert not matches("(00|01)", b"\x02")


@pytest.mark.parametrize("little", [False, True])
def test_multibyte_numeric_ranges(little):
    order = "little" if little else "big"
    assert all(matches("[0100:1234]", v.to_bytes(2, order), little) == (0x100 <= v <= 0x1234) for v in range(65536))
    assert all(
        matches("[!0010:0020]", v.to_bytes(2, order), little) == (not 0x10 <= v <= 0x20) for v in range(0, 65536, 7)
    )


@pytest.mark.parametrize("bad", ["4D5", "'open", "[01:02", "(00|01", "{x}", "ZZ", "[0001:02]"])
def test_malformed_sequences_are_reported(bad):
    with pytest.raises(FormatError, match="PRONOM sequence"):
        to_regex(bad)
