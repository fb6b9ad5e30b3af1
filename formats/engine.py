"""The matcher: a signature set compiled once per process, tried only where a file's bytes allow.

Decisions follow FIDO's rules (so answers on FIDO's data equal FIDO's for byte signatures):
formats are tried in set order, a format is kept only if no other match has priority over it,
container formats (ZIP, OLE2) are opened to try container signatures, and a match on the file
extension is made only when no byte signature matches — and is reported as such.

Reads are bounded: the first and last ``BUFFER`` bytes for byte signatures; for containers, the
ZIP or OLE2 directory and at most ``MEMBER_LIMIT`` bytes of each member a signature names.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Protocol

import olefile

from formats.signature_index import (
    first_bytes,
    leading_skip,
    required_literal,
    required_runs,
    tail_width,
    unbounded,
    window,
)
from formats.signatures import BOF, EOF, ContainerSignature, Format, SignatureSet

BUFFER = 128 * 1024
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MEMBER_LIMIT = 4 * 1024 * 1024
SIGNATURE, CONTAINER, TEXT, EXTENSION, NONE = "signature", "container", "text", "extension", "none"


@dataclass(frozen=True)
class Match:
    """The formats a file matched and how (``signature``, ``container``, ``extension`` or ``none``)."""

    formats: tuple[Format, ...]
    basis: str
    head: bytes = field(default=b"", repr=False, compare=False)  # the file's first bytes, for text detection


class _Pattern:
    """One signature pattern: compiled on first use (most are never tried), with a cheap prefilter."""

    __slots__ = ("position", "source", "compiled", "prefilter", "needles", "tail")

    def __init__(self, position: str, source: bytes) -> None:
        self.position = position
        self.source = source
        self.compiled: re.Pattern[bytes] | None = None
        self.prefilter = _prefilter(position, source)
        self.needles: tuple[bytes, ...] = ()  # read off the regex with ``compiled``, on first use
        self.tail: int | None = None

    def _prepare(self) -> re.Pattern[bytes]:
        """Compile the regex, and read off what lets most files skip it (most patterns are never tried)."""
        # a BOF match that may run through the whole buffer (``.*``) costs ~0.1 ms on a large head; every literal
        # it needs is looked for first (each once per file), so a RIFF file is not scanned by every RIFF format
        if self.position == BOF and not self.prefilter and unbounded(self.source):
            self.needles = tuple(run for run in required_runs(self.source) if len(run) >= 3)
        # an end-anchored pattern of bounded length is searched for in the tail it must lie in, not the whole buffer
        self.tail = tail_width(self.source) if self.position == EOF else None
        self.compiled = re.compile(self.source)
        return self.compiled

    def matches(self, bof: bytes, eof: bytes, seen: dict[tuple[bool, bytes], bool]) -> bool:
        """Whether the pattern matches the file's head (BOF, VAR, IFB) or tail (EOF) buffer."""
        in_tail = self.position == EOF
        buffer = eof if in_tail else bof
        prefilter = self.prefilter
        if isinstance(prefilter, tuple):
            low, high, needle = prefilter
            if buffer.find(needle, low, high) < 0:
                return False
        elif prefilter:
            present = seen.get((in_tail, prefilter))
            if present is None:
                present = seen[(in_tail, prefilter)] = prefilter in buffer
            if not present:
                return False
        compiled = self.compiled or self._prepare()
        for needle in self.needles:
            present = seen.get((in_tail, needle))
            if present is None:
                present = seen[(in_tail, needle)] = needle in buffer
            if not present:
                return False
        if self.position == BOF:
            return bool(compiled.match(buffer))
        if self.tail and len(buffer) > self.tail:
            buffer = buffer[-self.tail :]
        return bool(compiled.search(buffer))


def _prefilter(position: str, regex: bytes) -> bytes | tuple[int, int, bytes]:
    """A cheap necessary condition for a pattern: a literal to find in the buffer, or in a slice of it.

    A search (EOF, VAR) scans the whole buffer, as does a BOF match after a long skip, so finding a
    literal first is cheaper; ``\\A.{a,b}LITERAL`` only needs a look at bytes a..b. Other BOF
    matches fail within a few bytes, which is cheaper than any look-up.
    """
    if position == BOF:
        span = window(regex)
        if span is not None and span[1] - span[0] <= 4096:
            return span
        return required_literal(regex) if leading_skip(regex) >= 256 else b""
    return required_literal(regex)


class Matcher:
    """Identifies byte buffers and files against one signature set."""

    def __init__(self, signatures: SignatureSet) -> None:
        self.signatures = signatures
        self.formats = signatures.formats
        self._priority = {f.puid: frozenset(f.priority_over) for f in self.formats}
        self._entries: list[tuple[Format, str, tuple[_Pattern, ...]]] = []
        by_offset: dict[int, dict[int, list[int]]] = {}
        unanchored: list[int] = []
        by_literal: dict[tuple[bool, bytes], list[int]] = {}  # searches, by (in the tail?, literal they need)
        windowed: list[tuple[int, int, int, bytes]] = []
        empty_only: list[int] = []
        for fmt in self.formats:
            for sig in fmt.signatures:
                if not sig.patterns:
                    continue
                patterns = tuple(_Pattern(p.position, p.regex) for p in sig.patterns)
                index = len(self._entries)
                self._entries.append((fmt, sig.name, patterns))
                first = patterns[0]
                fixed = first_bytes(first.source) if first.position == BOF else None
                if fixed is not None:
                    offset, allowed = fixed
                    for byte in allowed:
                        by_offset.setdefault(offset, {}).setdefault(byte, []).append(index)
                elif isinstance(first.prefilter, tuple):
                    windowed.append((index, *first.prefilter))
                elif first.source in (rb"\A\Z", rb"(?s)\A\Z"):
                    empty_only.append(index)  # matches only an empty file
                elif isinstance(first.prefilter, bytes) and first.prefilter:  # a literal it needs: looked for once
                    by_literal.setdefault((first.position == EOF, first.prefilter), []).append(index)
                else:
                    unanchored.append(index)
        self._by_offset = sorted(by_offset.items())
        self._windowed = windowed
        self._by_literal = list(by_literal.items())
        self._unanchored = unanchored
        self._empty_only = empty_only
        self._by_extension: dict[str, list[Format]] = {}
        for fmt in self.formats:
            for ext in fmt.extensions:
                self._by_extension.setdefault(ext.lower(), []).append(fmt)
        self._containers: dict[str, list[ContainerSignature]] = {}
        for container in signatures.containers:
            self._containers.setdefault(container.container_type, []).append(container)
        self._by_puid = {f.puid: f for f in self.formats}
        self._triggers = {puid: kind for kind, puids in signatures.triggers.items() for puid in puids}
        for fmt in self.formats:  # FIDO marks ZIP-like formats with a <container> element
            if fmt.container == "zip":
                self._triggers.setdefault(fmt.puid, "ZIP")
        self._triggers.setdefault("fmt/111", "OLE2")

    # -- byte signatures --------------------------------------------------------------------------

    def _candidates(self, bof: bytes, eof: bytes, seen: dict[tuple[bool, bytes], bool]) -> list[int]:
        found = set(self._unanchored if bof else self._unanchored + self._empty_only)
        for (in_tail, literal), indexes in self._by_literal:  # what ``_Pattern.matches`` checks first, done here
            present = seen[(in_tail, literal)] = literal in (eof if in_tail else bof)
            if present:
                found.update(indexes)
        find = bof.find
        found.update(index for index, low, high, needle in self._windowed if find(needle, low, high) >= 0)
        for offset, by_byte in self._by_offset:
            if offset < len(bof):
                found.update(by_byte.get(bof[offset], ()))
        return sorted(found)

    def _as_good_as_any(self, fmt: Format, matches: list[Format]) -> bool:
        return not any(other is not fmt and fmt.puid in self._priority[other.puid] for other in matches)

    def match_bytes(self, bof: bytes, eof: bytes) -> list[Format]:
        """Formats whose byte signatures match, with the ones another match has priority over removed."""
        result: list[Format] = []
        found: set[int] = set()  # formats matched (by identity): one signature is enough, a second would list it twice
        beaten: set[str] = set()  # PUIDs a format matched so far has priority over: not worth trying
        seen: dict[tuple[bool, bytes], bool] = {}
        entries = self._entries
        for index in self._candidates(bof, eof, seen):
            fmt, _name, patterns = entries[index]
            if id(fmt) in found or fmt.puid in beaten:
                continue
            for pattern in patterns:
                if not pattern.matches(bof, eof, seen):
                    break
            else:
                result.append(fmt)
                found.add(id(fmt))
                beaten |= self._priority[fmt.puid]
        return [fmt for fmt in result if self._as_good_as_any(fmt, result)]

    def match_extension(self, filename: str) -> list[Format]:
        """Formats registered for the file's extension (a guess, never an identification)."""
        ext = os.path.splitext(filename)[1].lower().lstrip(".")
        result = list(self._by_extension.get(ext, ())) if ext else []
        return [fmt for fmt in result if self._as_good_as_any(fmt, result)]

    # -- containers -------------------------------------------------------------------------------

    def container_type(self, matches: list[Format], head: bytes = b"") -> str:
        """ZIP or OLE2 when the file is a container worth opening, else ''.

        A byte match on a trigger format (generic ZIP or OLE2) says so, as in FIDO and DROID; so does
        the container's own magic number, because a more general byte signature (ODF's, Excel's)
        can hide the container signature that tells the exact version.
        """
        for fmt in matches:
            kind = self._triggers.get(fmt.puid)
            if kind:
                return kind
        if head.startswith(ZIP_MAGIC):
            return "ZIP"
        if head.startswith(OLE2_MAGIC):
            return "OLE2"
        return ""

    def match_container(self, path: str, kind: str) -> list[Format]:
        """Formats whose container signatures match every member they name (bounded reads)."""
        signatures = self._containers.get(kind, [])
        if not signatures:
            return []
        reader = _ZipMembers(path) if kind == "ZIP" else _OleMembers(path)
        try:
            with reader:
                puids = [sig.puid for sig in signatures if _container_matches(sig, reader)]
        except Exception:  # noqa: BLE001 - a damaged container is simply not matched
            return []
        result = []
        for puid in dict.fromkeys(puids):
            fmt = self._by_puid.get(puid)
            if fmt is not None:
                result.append(fmt)
        return [fmt for fmt in result if self._as_good_as_any(fmt, result)]

    # -- a whole file -------------------------------------------------------------------------------

    def identify_file(self, path: str) -> Match:
        """What a file is, by FIDO's rules: container match, else byte match, else extension."""
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            bof = handle.read(BUFFER)
            if size <= len(bof):
                eof = bof
            else:  # the last BUFFER bytes (overlapping the head for files under twice that)
                handle.seek(size - BUFFER)
                eof = handle.read(BUFFER)
        matches = self.match_bytes(bof, eof)
        kind = self.container_type(matches, bof)
        if kind:
            contained = self.match_container(path, kind)
            if contained:
                return Match(tuple(contained), CONTAINER)
        if matches and size > 0:
            return Match(tuple(matches), SIGNATURE)
        guessed = self.match_extension(path)
        return Match(tuple(guessed), EXTENSION if guessed else NONE, bof)

    def format(self, puid: str) -> Format | None:
        """The format with this PUID in the set, if any."""
        return self._by_puid.get(puid)


class _Members(Protocol):
    """The named members of an open container, read with a bound."""

    def read(self, name: str) -> bytes | None:
        """The first bytes of member ``name``; None when there is no such member (or it is too large)."""
        ...


def _container_matches(signature: ContainerSignature, members: _Members) -> bool:
    for member in signature.files:
        data = members.read(member.path)
        if data is None:
            return False
        if member.signatures and not any(
            all(_search(regex, data) for regex in sequences) for sequences in member.signatures
        ):
            return False
    return True


_compiled: dict[bytes, re.Pattern[bytes]] = {}


def _search(regex: bytes, data: bytes) -> bool:
    compiled = _compiled.get(regex)
    if compiled is None:
        compiled = _compiled[regex] = re.compile(regex)
    return bool(compiled.match(data) if regex.startswith(b"(?s)\\A") else compiled.search(data))


class _ZipMembers:
    """Named members of a ZIP file, read from its central directory, at most MEMBER_LIMIT bytes each."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.cache: dict[str, bytes | None] = {}

    def __enter__(self) -> _ZipMembers:
        self.archive = zipfile.ZipFile(self.path)
        self.names = set(self.archive.namelist())
        return self

    def __exit__(self, *_exc: object) -> None:
        self.archive.close()

    def read(self, name: str) -> bytes | None:
        if name not in self.cache:
            if name not in self.names:
                self.cache[name] = None
            else:
                with self.archive.open(name) as member:
                    self.cache[name] = member.read(MEMBER_LIMIT)
        return self.cache[name]


class _OleMembers:
    """Named streams of an OLE2 compound file (``\\x01CompObj`` answers for ``CompObj``), bounded."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.cache: dict[str, bytes | None] = {}

    def __enter__(self) -> _OleMembers:
        self.ole = olefile.OleFileIO(self.path)
        self.streams: dict[str, str] = {}
        for parts in self.ole.listdir(streams=True, storages=False):
            joined = "/".join(parts)
            self.streams.setdefault(joined, joined)
            self.streams.setdefault(joined[1:] if joined[:1] < " " else joined, joined)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.ole.close()

    def read(self, name: str) -> bytes | None:
        if name not in self.cache:
            actual = self.streams.get(name)
            if actual is None or self.ole.get_size(actual) > 64 * MEMBER_LIMIT:
                self.cache[name] = None
            else:
                with self.ole.openstream(actual) as stream:
                    self.cache[name] = stream.read(MEMBER_LIMIT)
        return self.cache[name]
