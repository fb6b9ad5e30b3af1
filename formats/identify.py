"""PRONOM format identification with FIDO's signature data, one loaded identifier per process."""

from __future__ import annotations

import contextlib
import io
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from formats.signature_index import first_bytes, leading_skip, required_literal, window
from preservation.errors import FormatError
from preservation.model import FormatInfo

SIGNATURE = "signature"
CONTAINER = "container"
EXTENSION = "extension"
NONE = "none"


class Identifier:
    """Identifies files by PRONOM signatures (FIDO); build once per process, it loads signatures."""

    def __init__(self) -> None:
        try:
            import fido
            from fido.fido import Fido
        except ImportError as exc:  # pragma: no cover - opf-fido is a core dependency
            raise FormatError("FIDO (opf-fido) is not installed", hint="pip install opf-fido") from exc
        conf_dir = Path(fido.__file__).parent / "conf"
        self.signature_version = _pronom_version(conf_dir)
        self.tool_name = "FIDO"
        self.tool_version = fido.__version__
        self._result: list = []
        self._fido = _indexed_fido_class(Fido)(
            quiet=True,
            handle_matches=self._collect,
            conf_dir=str(conf_dir),
            format_files=[f"formats-v{self.signature_version}.xml", "format_extensions.xml"],
        )
        self._fido.containersignature_file = _container_file(conf_dir)
        self._fido.build_index()

    @property
    def tool_label(self) -> str:
        """Tool name, version and signature version, for events."""
        return f"{self.tool_name} {self.tool_version} (PRONOM signatures v{self.signature_version})"

    def _collect(self, _filename: str, matches: list, _delta: float, matchtype: str = "") -> None:
        self._result = [(element, matchtype) for element, _sig in matches]

    def identify(self, path: Path) -> FormatInfo:
        """Identify one file; a match on extension alone is recorded as such, never as a signature match."""
        self._result = []
        with contextlib.redirect_stderr(io.StringIO()) as noise:
            self._fido.identify_file(os.fspath(path))
        complaint = noise.getvalue().strip()
        if complaint.startswith("FIDO: Error"):
            raise FormatError(f"{path}: format identification failed: {complaint}")
        if not self._result:
            return FormatInfo(basis=NONE, warning="no PRONOM signature matched", tool=self.tool_label)
        matchtype = self._result[0][1] or SIGNATURE
        basis = {"signature": SIGNATURE, "container": CONTAINER, "extension": EXTENSION}.get(matchtype, matchtype)
        element = self._result[0][0]
        warnings = []
        if basis == EXTENSION:
            warnings.append("matched on file extension only; not an identification")
        if len(self._result) > 1:
            others = ", ".join(el.findtext("puid") or "?" for el, _ in self._result[1:])
            warnings.append(f"{len(self._result)} candidates; also {others}")
        return FormatInfo(
            puid=element.findtext("puid") or "",
            name=element.findtext("name") or "",
            version=element.findtext("version") or "",
            mime_type=element.findtext("mime") or "",
            basis=basis,
            warning="; ".join(warnings),
            tool=self.tool_label,
        )


def _indexed_fido_class(fido_class: type) -> type:
    """FIDO with its signatures compiled once and indexed, giving the answers FIDO gives, faster.

    Stock FIDO tries each of about 2,000 regular expressions on every file and scans every
    format's extensions when nothing matches. Here each signature is tried only if the file's
    bytes allow it: most are anchored at a fixed offset where only certain bytes can stand
    (indexed by offset and byte), and other patterns are searched for only if literal bytes they
    require occur in the buffer (see ``formats.signature_index``). Priorities are decided exactly as FIDO does.
    """

    class IndexedFido(fido_class):
        def build_index(self) -> None:
            self._entries = []
            by_anchor: dict[int, dict[int, list[int]]] = {}
            unanchored = []
            for fmt in self.formats:
                for sig in self.get_signatures(fmt):
                    regexes = [(self.get_pos(p), self.get_regex(p)) for p in self.get_patterns(sig)]
                    fixed = first_bytes(regexes[0][1]) if regexes and regexes[0][0] == "BOF" else None
                    patterns = tuple(_Pattern(pos, rx) for pos, rx in regexes)
                    index = len(self._entries)
                    self._entries.append((fmt, sig.findtext("name"), patterns))
                    if fixed is None:
                        unanchored.append(index)
                    else:
                        offset, allowed = fixed
                        for byte in allowed:
                            by_anchor.setdefault(offset, {}).setdefault(byte, []).append(index)
            # patterns like \A.{0,10}PK\x03\x04 are candidates only if their literal is in the window
            self._windowed = [
                (i, *self._entries[i][2][0].prefilter) for i in unanchored
                if isinstance(self._entries[i][2][0].prefilter, tuple)
            ]
            rest = [i for i in unanchored if not isinstance(self._entries[i][2][0].prefilter, tuple)]
            # \A\Z (an empty file) cannot match anything else
            self._empty_only = [i for i in rest if self._entries[i][2][0].source in (rb"\A\Z", rb"(?s)\A\Z")]
            self._unanchored = [i for i in rest if i not in set(self._empty_only)]
            self._by_anchor = sorted(by_anchor.items())
            self._by_extension: dict[str, list] = {}
            for fmt in self.formats:
                for ext in dict.fromkeys(e.text for e in fmt.findall("extension") if e.text):
                    self._by_extension.setdefault(ext, []).append(fmt)

        def _candidates(self, bofbuffer: bytes) -> list[int]:
            found = set(self._unanchored if bofbuffer else self._unanchored + self._empty_only)
            find = bofbuffer.find
            found.update(index for index, low, high, needle in self._windowed if find(needle, low, high) >= 0)
            for offset, by_byte in self._by_anchor:
                if offset < len(bofbuffer):
                    found.update(by_byte.get(bofbuffer[offset], ()))
            return sorted(found)

        def match_formats(self, bofbuffer: bytes, eofbuffer: bytes) -> list:
            self.current_count += 1
            result = []
            seen: dict[tuple[bool, bytes], bool] = {}  # (in the tail?, literal) -> present; many share one
            for index in self._candidates(bofbuffer):
                fmt, name, patterns = self._entries[index]
                if self.as_good_as_any(fmt, result) and all(p.matches(bofbuffer, eofbuffer, seen) for p in patterns):
                    result.append((fmt, name))
            return [match for match in result if self.as_good_as_any(match[0], result)]

        def match_extensions(self, filename: str) -> list:
            ext = os.path.splitext(filename)[1].lower().lstrip(".")
            if not ext:
                return []
            name = self.externalsig.findtext("name")
            result = [(fmt, name) for fmt in self._by_extension.get(ext, ())]
            return [match for match in result if self.as_good_as_any(match[0], result)]

    return IndexedFido


class _Pattern:
    """One signature pattern: compiled on first use (most are never tried), with a cheap prefilter."""

    __slots__ = ("position", "source", "compiled", "prefilter")

    def __init__(self, position: str, source: bytes):
        self.position = position
        self.source = source
        self.compiled: re.Pattern | None = None
        self.prefilter = _prefilter(position, source)

    def matches(self, bof: bytes, eof: bytes, seen: dict[tuple[bool, bytes], bool]) -> bool:
        """Whether the pattern matches the file's head (BOF, VAR, IFB) or tail (EOF) buffer."""
        in_tail = self.position == "EOF"
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
        if self.compiled is None:
            self.compiled = re.compile(self.source)
        return bool(self.compiled.match(buffer) if self.position == "BOF" else self.compiled.search(buffer))


def _prefilter(pos: str, regex: bytes) -> bytes | tuple[int, int, bytes]:
    """A cheap necessary condition for a pattern: a literal to find in the buffer, or in a slice of it.

    A search (EOF, VAR, IFB) scans the whole buffer, as does a BOF match after a long skip, so
    finding a literal first is cheaper; ``\\A.{a,b}LITERAL`` only needs a look at bytes a..b.
    Other BOF matches fail within a few bytes, which is cheaper than any look-up.
    """
    if pos == "BOF":
        span = window(regex)
        if span is not None and span[1] - span[0] <= 4096:
            return span
        return required_literal(regex) if leading_skip(regex) >= 256 else b""
    return required_literal(regex)


def identifier_description() -> tuple[str, str, str]:
    """(tool name, tool version, PRONOM signature version) without loading the signatures."""
    import fido

    return "FIDO", fido.__version__, _pronom_version(Path(fido.__file__).parent / "conf")


def _pronom_version(conf_dir: Path) -> str:
    try:
        return ET.parse(conf_dir / "versions.xml").getroot().findtext("pronomVersion") or ""
    except (OSError, ET.ParseError) as exc:
        raise FormatError(f"cannot read FIDO's signature versions in {conf_dir}: {exc}") from exc


def _container_file(conf_dir: Path) -> str:
    root = ET.parse(conf_dir / "versions.xml").getroot()
    return root.findtext("pronomContainerSignature") or "container-signature-20200121.xml"
