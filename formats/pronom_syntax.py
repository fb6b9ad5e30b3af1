"""PRONOM byte-sequence syntax → Python regular expressions (bytes).

The syntax used by DROID signature fragments and container signatures:

* hex bytes, optionally spaced: ``4D 5A`` or ``4D5A``
* quoted text: ``'Word.Document.'``
* any byte ``??``; a gap ``{4}``, ``{4-8}``, ``{4-*}``; any run ``*``
* a byte set in brackets: a range ``[00:1F]`` or ``['6'-'7']``, a negation ``[!00]`` (several
  bytes: "not this sequence here"), a bit mask ``[&01]`` (all these bits set), ``[~01]`` (any of them)
* alternatives ``(00|01)`` whose branches are sequences themselves
"""

from __future__ import annotations

import re

from preservation.errors import FormatError

_HEX = set("0123456789abcdefABCDEF")


def _byte(value: int) -> bytes:
    return b"\\x%02x" % value


def _byte_set(values: set[int]) -> bytes:
    if not values:
        raise FormatError("an empty byte set in a PRONOM sequence")
    if len(values) == 256:
        return b"."
    if len(values) == 1:
        return _byte(next(iter(values)))
    return b"[" + b"".join(_byte(v) for v in sorted(values)) + b"]"


def _numeric_range(low: bytes, high: bytes) -> list[list[set[int]]]:
    """Byte-set sequences matching every big-endian number from ``low`` to ``high`` (same length)."""
    if len(low) == 1:
        return [[set(range(low[0], high[0] + 1))]]
    if low[0] == high[0]:
        return [[{low[0]}, *rest] for rest in _numeric_range(low[1:], high[1:])]
    width = len(low) - 1
    result = [[{low[0]}, *rest] for rest in _numeric_range(low[1:], b"\xff" * width)]
    if high[0] - low[0] > 1:
        result.append([set(range(low[0] + 1, high[0])), *[set(range(256)) for _ in range(width)]])
    result += [[{high[0]}, *rest] for rest in _numeric_range(b"\x00" * width, high[1:])]
    return result


class _Parser:
    def __init__(self, text: str, little_endian: bool = False):
        self.text = text
        self.little_endian = little_endian
        self.i = 0

    def fail(self, message: str) -> FormatError:
        return FormatError(f"PRONOM sequence {self.text!r}, at {self.i}: {message}")

    def peek(self) -> str:
        while self.i < len(self.text) and self.text[self.i] in " \t\r\n":
            self.i += 1
        return self.text[self.i] if self.i < len(self.text) else ""

    def sequence(self, stop: str = "") -> bytes:
        out = []
        while (char := self.peek()) and char not in stop:
            out.append(self.token(char))
        return b"".join(out)

    def token(self, char: str) -> bytes:
        text = self.text
        if char == "'":
            end = text.find("'", self.i + 1)
            if end < 0:
                raise self.fail("unterminated quoted text")
            literal = text[self.i + 1 : end].encode("latin-1")
            self.i = end + 1
            return re.escape(literal)
        if char == "?" and text[self.i : self.i + 2] == "??":
            self.i += 2
            return b"."
        if char == "*":
            self.i += 1
            return b".*"
        if char == "{":
            return self.gap()
        if char == "[":
            return self.byte_class()
        if char == "(":
            return self.alternatives()
        if char in _HEX and self.i + 1 < len(text) and text[self.i + 1] in _HEX:
            value = int(text[self.i : self.i + 2], 16)
            self.i += 2
            return _byte(value)
        raise self.fail(f"unexpected {char!r}")

    def gap(self) -> bytes:
        end = self.text.find("}", self.i)
        if end < 0:
            raise self.fail("unterminated gap")
        body = self.text[self.i + 1 : end].replace(" ", "")
        self.i = end + 1
        low, _, high = body.partition("-")
        if not low.isdigit() or (high and high != "*" and not high.isdigit()):
            raise self.fail(f"bad gap {{{body}}}")
        if not high:
            return b".{%d}" % int(low)
        if high == "*":
            return b".{%d,}" % int(low)
        return b".{%d,%d}" % (int(low), int(high))

    def byte_class(self) -> bytes:
        end = self.text.find("]", self.i)
        if end < 0:
            raise self.fail("unterminated [ ]")
        body = self.text[self.i + 1 : end].strip()
        self.i = end + 1
        negate = body.startswith("!")
        if negate:
            body = body[1:].strip()
        if body.startswith(("&", "~")):
            mask = int(body[1:], 16)
            if body[0] == "&":
                values = {v for v in range(256) if v & mask == mask}
            else:
                values = {v for v in range(256) if v & mask}
            return _byte_set(set(range(256)) - values if negate else values)
        for separator in (":", "-"):
            if separator in body:
                low_raw, high_raw = (self._bytes(part.strip()) for part in body.split(separator, 1))
                if len(low_raw) != len(high_raw) or not low_raw:
                    raise self.fail(f"range bounds of different lengths in [{body}]")
                if len(low_raw) > 1:
                    return self.multibyte_range(low_raw, high_raw, negate)
                low, high = low_raw[0], high_raw[0]
                values = set(range(min(low, high), max(low, high) + 1))
                return _byte_set(set(range(256)) - values if negate else values)
        raw = self._bytes(body)
        if len(raw) == 1:
            values = {raw[0]}
            return _byte_set(set(range(256)) - values if negate else values)
        if negate:  # not this sequence of bytes here (and consume as many bytes)
            return b"(?!" + b"".join(_byte(v) for v in raw) + b")" + b".{%d}" % len(raw)
        return b"".join(_byte(v) for v in raw)

    def multibyte_range(self, low: bytes, high: bytes, negate: bool) -> bytes:
        """A number between two multi-byte values, written as numbers (most significant byte first);
        in a little-endian sequence the file holds the number's bytes in reverse order."""
        if low > high:
            low, high = high, low
        sequences = _numeric_range(low, high)
        if self.little_endian:
            sequences = [list(reversed(sequence)) for sequence in sequences]
        branches = [b"".join(_byte_set(values) for values in sequence) for sequence in sequences]
        either = b"(?:" + b"|".join(branches) + b")"
        return b"(?!" + either + b")" + b".{%d}" % len(low) if negate else either

    def _bytes(self, part: str) -> bytes:
        if part.startswith("'") and part.endswith("'") and len(part) >= 2:
            return part[1:-1].encode("latin-1")
        compact = part.replace(" ", "")
        if len(compact) % 2 or not set(compact) <= _HEX:
            raise self.fail(f"bad bytes {part!r}")
        return bytes.fromhex(compact)

    def alternatives(self) -> bytes:
        self.i += 1
        branches = [self.sequence(stop="|)")]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.sequence(stop="|)"))
        if self.peek() != ")":
            raise self.fail("unterminated ( )")
        self.i += 1
        return b"(?:" + b"|".join(branches) + b")"


def to_regex(sequence: str, little_endian: bool = False) -> bytes:
    """The regex (no anchors, no flags) for one PRONOM byte sequence.

    ``little_endian`` says how multi-byte ranges such as ``[0000:1000]`` are numbers.
    """
    parser = _Parser(sequence, little_endian)
    result = parser.sequence()
    if parser.peek():
        raise parser.fail("unexpected text after the sequence")
    return result
