"""Cheap facts about FIDO's byte-signature regular expressions, used to skip hopeless candidates.

Two facts are read off a regex, both *necessary* conditions for a match (so skipping a
signature that fails them never changes an answer):
* ``anchor``: for a pattern anchored at the start of the file (``(?s)\\A``), a fixed offset and
  the byte that must be there, e.g. ``\\A.{4}\\x66`` → (4, 0x66);
* ``required_literal``: the longest run of literal bytes at the top level of the pattern, which
  must occur somewhere in the buffer for the pattern to match;
* ``window``: for ``\\A.{a,b}`` followed by literal bytes, where those bytes must lie.
"""

from __future__ import annotations

import re
import re._constants as _sre  # CPython's own regex parser (private, no type hints): see first_bytes
import re._parser
from collections.abc import Iterator
from typing import Any

ANCHOR = b"(?s)\\A"
_FIXED_SKIP = re.compile(rb"\.\{(\d+)(?:,(\d+))?\}")
_QUANTIFIER = re.compile(rb"\?|\*|\+|\{(\d*)(?:,(\d*))?\}")


def _tokens(regex: bytes) -> Iterator[tuple[str, int | None, int, int]]:
    """Top-level tokens: (kind, literal byte or None, start, end); kind is 'lit', 'other', 'alt' or 'quant'."""
    i = 0
    while i < len(regex):
        start = i
        char = regex[i : i + 1]
        if char == b"\\":
            nxt = regex[i + 1 : i + 2]
            if nxt == b"x" and len(regex) >= i + 4:
                yield "lit", int(regex[i + 2 : i + 4], 16), start, i + 4
                i += 4
            elif nxt and not nxt.isalnum():
                yield "lit", nxt[0], start, i + 2
                i += 2
            else:
                yield "other", None, start, i + 2
                i += 2
        elif char == b"[":
            i += 1
            if regex[i : i + 1] == b"^":
                i += 1
            if regex[i : i + 1] == b"]":
                i += 1
            while i < len(regex) and regex[i : i + 1] != b"]":
                i += 2 if regex[i : i + 1] == b"\\" else 1
            yield "other", None, start, i + 1
            i += 1
        elif char == b"(":
            depth = 0
            while i < len(regex):
                c = regex[i : i + 1]
                if c == b"\\":
                    i += 2
                    continue
                if c == b"[":  # a class inside the group may hold parentheses
                    i += 1
                    while i < len(regex) and regex[i : i + 1] != b"]":
                        i += 2 if regex[i : i + 1] == b"\\" else 1
                elif c == b"(":
                    depth += 1
                elif c == b")":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            yield "other", None, start, i + 1
            i += 1
        elif char == b"|":
            yield "alt", None, start, i + 1
            i += 1
        elif char in (b"?", b"*", b"+", b"{"):
            match = _QUANTIFIER.match(regex, i)
            end = match.end() if match else i + 1
            yield "quant", None, start, end
            i = end
        else:
            yield (
                ("other" if char in (b".", b"^", b"$") else "lit"),
                (None if char in (b".", b"^", b"$") else char[0]),
                start,
                i + 1,
            )
            i += 1


def _may_be_absent(quantifier: bytes) -> bool:
    if quantifier in (b"?", b"*"):
        return True
    match = _QUANTIFIER.fullmatch(quantifier)
    return bool(match and match.group(1) in (b"", b"0") and quantifier.startswith(b"{"))


def _body(regex: bytes) -> tuple[bytes, bool]:
    if regex.startswith(ANCHOR):
        return regex[len(ANCHOR) :], True
    if regex.startswith(b"(?s)"):
        return regex[4:], False
    return regex, False


def required_literal(regex: bytes) -> bytes:
    """The longest run of literal bytes every match must contain (b'' when there is none to be sure of)."""
    return max(required_runs(regex), key=len, default=b"")


def required_runs(regex: bytes) -> tuple[bytes, ...]:
    """Every run of literal bytes a match must contain, in order (none when there is none to be sure of)."""
    body, _ = _body(regex)
    tokens = list(_tokens(body))
    if any(kind == "alt" for kind, *_ in tokens):
        return ()
    runs: list[bytes] = []
    run = bytearray()
    for index, (kind, byte, _start, _end) in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        quantifier = body[following[2] : following[3]] if following is not None and following[0] == "quant" else None
        if kind == "lit":
            assert byte is not None  # a literal token always carries its byte
            if quantifier is not None:
                if not _may_be_absent(quantifier):
                    run.append(byte)
                runs.append(bytes(run))
                run = bytearray()
            else:
                run.append(byte)
        elif kind != "quant":
            runs.append(bytes(run))
            run = bytearray()
    runs.append(bytes(run))
    return tuple(r for r in runs if r)


def tail_width(regex: bytes) -> int | None:
    """For a pattern anchored at the end (``\\Z``) whose match has a longest possible length: that length (the
    match lies in the buffer's last bytes). None otherwise."""
    if not regex.endswith(b"\\Z") or regex.endswith(b"\\\\Z"):
        return None
    if any(edge in regex for edge in (b"\\b", b"\\B", b"(?<")):  # what precedes the tail would matter
        return None
    try:
        _, longest = re._parser.parse(regex).getwidth()
    except (re.error, OverflowError):
        return None
    return longest if longest < _sre.MAXREPEAT else None


def unbounded(regex: bytes) -> bool:
    """Whether the regex has a top-level repetition without an upper bound (``*``, ``+``, ``{n,}``): a match
    may run through the whole buffer."""
    body, _ = _body(regex)
    for kind, _byte, start, end in _tokens(body):
        if kind == "quant":
            quantifier = body[start:end]
            if quantifier in (b"*", b"+") or (quantifier.startswith(b"{") and quantifier.endswith(b",}")):
                return True
    return False


def anchor(regex: bytes) -> tuple[int, int] | None:
    """For a start-anchored regex whose match must have byte B at fixed offset N: (N, B); else None."""
    body, anchored = _body(regex)
    if not anchored:
        return None
    tokens = list(_tokens(body))
    if any(kind == "alt" for kind, *_ in tokens):
        return None
    offset = 0
    skip = _FIXED_SKIP.match(body)
    position = 0
    if skip and (skip.group(2) is None or skip.group(1) == skip.group(2)):
        offset, position = int(skip.group(1)), skip.end()
    for index, (kind, byte, start, _end) in enumerate(tokens):
        if start < position:
            continue
        if start != position or kind != "lit":
            return None
        assert byte is not None  # a literal token always carries its byte
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is not None and following[0] == "quant" and _may_be_absent(body[following[2] : following[3]]):
            return None
        return offset, byte
    return None


def leading_skip(regex: bytes) -> int:
    """How many bytes a start-anchored regex skips at least before its first real token (``\\A.{N,M}``)."""
    body, anchored = _body(regex)
    skip = _FIXED_SKIP.match(body) if anchored else None
    return int(skip.group(1)) if skip else 0


def window(regex: bytes) -> tuple[int, int, bytes] | None:
    """For ``\\A.{a,b}LITERAL…``: (a, b + len(LITERAL), LITERAL), the slice the literal must lie in."""
    body, anchored = _body(regex)
    skip = _FIXED_SKIP.match(body) if anchored else None
    if skip is None:
        return None
    tokens = list(_tokens(body))
    if any(kind == "alt" for kind, *_ in tokens):
        return None
    low = int(skip.group(1))
    high = int(skip.group(2)) if skip.group(2) is not None else low
    run = bytearray()
    for index, (kind, byte, start, _end) in enumerate(tokens):
        if start < skip.end():
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if kind != "lit" or (following is not None and following[0] == "quant"):
            break
        assert byte is not None  # a literal token always carries its byte
        run.append(byte)
    return (low, high + len(run), bytes(run)) if run else None


_ALL_BYTES = frozenset(range(256))


def first_bytes(regex: bytes) -> tuple[int, frozenset[int]] | None:
    """For a start-anchored regex: (N, bytes that can be at offset N of any match); None if unknown.

    Uses Python's own regex parser, so alternations, classes and repeats are understood exactly.
    Leading fixed skips (``.{N}``) give the offset. None when the pattern is not anchored or when
    any byte could be there (an unindexable pattern).
    """
    try:
        parsed = re._parser.parse(regex)
    except Exception:  # noqa: BLE001 - an unparsable pattern is simply not indexed
        return None
    if parsed.state.flags & _sre.SRE_FLAG_IGNORECASE:
        return None
    items = list(parsed)
    if not items or items[0] != (_sre.AT, _sre.AT_BEGINNING_STRING):
        return None
    offset, index = 0, 1
    while index < len(items):
        op, av = items[index]
        if op is _sre.MAX_REPEAT and av[0] == av[1] and list(av[2]) == [(_sre.ANY, None)]:
            offset += av[0]
            index += 1
        elif op is _sre.ANY:
            offset += 1
            index += 1
        else:
            break
    found, can_be_empty = _firsts(items[index:])
    if found is None or can_be_empty or not found or found == _ALL_BYTES:
        return None
    return offset, frozenset(found)


# The parser's items are (opcode, argument) pairs whose argument's shape depends on the opcode.
_Item = tuple[Any, Any]


def _firsts(items: list[_Item]) -> tuple[set[int] | None, bool]:
    """The bytes a sequence can start with (None: any), and whether it can match the empty string."""
    result: set[int] = set()
    for op, av in items:
        found, empty = _first_of(op, av)
        if found is None:
            return None, False
        result |= found
        if not empty:
            return result, False
    return result, True


def _first_of(op: Any, av: Any) -> tuple[set[int] | None, bool]:
    if op is _sre.LITERAL:
        return {av}, False
    if op is _sre.NOT_LITERAL or op is _sre.ANY:
        return None, False
    if op is _sre.IN:
        return _charset(av), False
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
        low, _high, sub = av
        found, empty = _firsts(list(sub))
        return found, empty or low == 0
    if op is _sre.SUBPATTERN:
        if av[1] & _sre.SRE_FLAG_IGNORECASE:
            return None, False
        return _firsts(list(av[-1]))
    if op is _sre.BRANCH:
        result: set[int] = set()
        any_empty = False
        for branch in av[1]:
            found, empty = _firsts(list(branch))
            if found is None:
                return None, False
            result |= found
            any_empty = any_empty or empty
        return result, any_empty
    if op is _sre.AT:
        return set(), True  # a zero-width assertion: look at what follows
    return None, False  # anything else (groups references, lookarounds…): give up


def _charset(items: list[_Item]) -> set[int] | None:
    result: set[int] = set()
    for op, av in items:
        if op is _sre.LITERAL:
            result.add(av)
        elif op is _sre.RANGE:
            result.update(range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY, …
            return None
    return result
