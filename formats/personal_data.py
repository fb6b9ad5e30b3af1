"""Finding likely personal data in text-bearing files: counts by kind, never the values themselves.

Kinds: UK National Insurance numbers, NHS numbers (with their modulus-11 check digit), payment
card numbers (Luhn), e-mail addresses, UK telephone numbers and UK postcodes. Text comes from
plain text and CSV (line by line), PDF (page by page, pypdf), and Office Open XML and
OpenDocument files (paragraph by paragraph from their XML, read with a byte limit). The scan of
one file runs in an isolated child process with a time limit, since it parses untrusted files.
What a library logs about a file while reading it (pypdf: ``EOF marker not found``) goes into
that file's scan note, never to the terminal; files are opened by their bytes, whatever their name.
"""

from __future__ import annotations

import dataclasses
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from lxml import etree

from formats.isolation import CallCrashed, CallTimedOut, IsolatedFunction
from formats.names import as_bytes, library_warnings, printable
from preservation.model import FormatInfo

KINDS = ("ni-number", "nhs-number", "payment-card", "email", "uk-phone", "uk-postcode")
TIMEOUT = 120.0
MAX_LOGGED = 10  # library messages kept in a scan's note

_NI = re.compile(r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
_NHS = re.compile(r"(?<![\d-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d-])")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_PHONE = re.compile(r"(?<![\d+])(?:\+44\s?(?:\(0\)\s?)?|0)(?:\d[\s-]?){9}\d(?!\d)")
_POSTCODE = re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b")


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's modulus-11 check: weights 10 to 2 on the first nine digits."""
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    remainder = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def luhn_valid(digits: str) -> bool:
    """The Luhn check digit of payment card numbers."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0 and len(set(digits)) > 1


def find_personal_data(text: str, kinds: Iterable[str] = KINDS) -> Counter[str]:
    """How many likely items of each kind ``text`` holds."""
    kinds = set(kinds)
    found: Counter[str] = Counter()
    if "ni-number" in kinds:
        found["ni-number"] += len(_NI.findall(text))
    nhs_spans = []
    if "nhs-number" in kinds:
        for match in _NHS.finditer(text):
            if nhs_number_valid("".join(match.groups())):
                found["nhs-number"] += 1
                nhs_spans.append(match.span())
    if "payment-card" in kinds:
        for match in _CARD.finditer(text):
            digits = re.sub(r"\D", "", match.group())
            if 13 <= len(digits) <= 19 and luhn_valid(digits) and match.span() not in nhs_spans:
                found["payment-card"] += 1
    if "email" in kinds:
        found["email"] += len(_EMAIL.findall(text))
    if "uk-phone" in kinds:
        found["uk-phone"] += sum(1 for m in _PHONE.finditer(text) if m.span() not in nhs_spans)
    if "uk-postcode" in kinds:
        found["uk-postcode"] += len(_POSTCODE.findall(text))
    return +found


@dataclass(frozen=True)
class PersonalDataScan:
    """What the scan of one file found (``scanned`` False: not text-bearing, or why it could not be read)."""

    scanned: bool
    found: dict[str, int] = field(default_factory=dict)
    note: str = ""

    def summary(self) -> str:
        """``email 3, uk-phone 1`` or ``none found`` (counts only, never values)."""
        if not self.scanned:
            return f"not scanned: {self.note}"
        text = ", ".join(f"{kind} {count}" for kind, count in sorted(self.found.items())) or "none found"
        return text + (f" ({self.note})" if self.note else "")


TEXT_MIMES = (
    "text/plain",
    "text/csv",
    "text/tab-separated-values",
    "text/markdown",
    "text/html",
    "text/rtf",
    "application/rtf",
)
XML_TEXT = {  # zip member patterns holding a document's text, for each package type
    "word/": re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml"),
    "xl/": re.compile(r"xl/(sharedStrings|worksheets/sheet\d+)\.xml"),
    "ppt/": re.compile(r"ppt/(slides/slide\d+|notesSlides/notesSlide\d+)\.xml"),
    "content.xml": re.compile(r"content\.xml"),
}


def text_kind(fmt: FormatInfo) -> str:
    """``text``, ``pdf`` or ``office`` for a text-bearing format, else ''."""
    mime = fmt.mime_type.split(";")[0].strip().lower()
    if mime in TEXT_MIMES or fmt.puid in ("x-fmt/18", "x-fmt/111", "fmt/101"):
        return "text"
    if mime == "application/pdf":
        return "pdf"
    if mime.startswith(("application/vnd.openxmlformats-officedocument", "application/vnd.oasis.opendocument")):
        return "office"
    return ""


def scan_file(path: str, kind: str, kinds: tuple[str, ...], max_bytes: int) -> PersonalDataScan:
    """Scan one file (call it in an isolated process: it parses untrusted content); library messages go in the note."""
    with library_warnings() as logged:
        scan = _scan(path, kind, kinds, max_bytes)
    if not logged:
        return scan
    kept = logged[:MAX_LOGGED] + ([f"… and {len(logged) - MAX_LOGGED} more"] if len(logged) > MAX_LOGGED else [])
    return dataclasses.replace(scan, note="; ".join([*filter(None, [scan.note]), *kept]))


def _scan(path: str, kind: str, kinds: tuple[str, ...], max_bytes: int) -> PersonalDataScan:
    total: Counter[str] = Counter()
    read = 0
    try:
        for piece in _PIECES[kind](path, max_bytes):
            read += len(piece)
            total.update(find_personal_data(piece, kinds))
            if read >= max_bytes:
                return PersonalDataScan(True, dict(total), f"only the first {max_bytes} characters were read")
    except _Unreadable as exc:
        return PersonalDataScan(False, note=printable(str(exc)))
    return PersonalDataScan(True, dict(total))


class _Unreadable(Exception):
    """The file's text cannot be read (encrypted, damaged)."""


def _text_lines(path: str, max_bytes: int) -> Iterator[str]:
    with open(as_bytes(path), "rb") as handle:
        for raw in handle:
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                yield raw.decode("cp1252", "replace")


def _pdf_pages(path: str, max_bytes: int) -> Iterator[str]:
    # imported here: pypdf costs ~60 ms at start-up, and only PDFs need it
    from pypdf import PdfReader  # noqa: PLC0415
    from pypdf.errors import DependencyError, PdfReadError  # noqa: PLC0415

    try:
        with open(as_bytes(path), "rb") as handle:
            reader = PdfReader(handle)
            if reader.is_encrypted:
                try:
                    opened = bool(reader.decrypt(""))  # PasswordType.NOT_DECRYPTED is 0
                except DependencyError:
                    opened = False
                if not opened:
                    raise _Unreadable("encrypted: its text cannot be read")
            for page in reader.pages:
                yield page.extract_text() or ""
    except DependencyError:  # AES encryption, which pypdf reads only with the cryptography package
        raise _Unreadable("encrypted: its text cannot be read") from None
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise _Unreadable(f"PDF text could not be read ({type(exc).__name__})") from None


class _Limited:
    """A binary reader that stops after ``limit`` bytes (against decompression bombs)."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream, self.left = stream, limit

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            return b""
        data = self.stream.read(min(self.left, size if size > 0 else 65536))
        self.left -= len(data)
        return data


def _office_paragraphs(path: str, max_bytes: int) -> Iterator[str]:
    with open(as_bytes(path), "rb") as handle:
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError) as exc:
            raise _Unreadable(f"not a readable package ({exc})") from None
        with archive:
            names = [n for n in archive.namelist() if any(p.fullmatch(n) for p in XML_TEXT.values())]
            budget = max_bytes * 4  # XML around the text
            for name in sorted(names):
                try:
                    with archive.open(name) as member:
                        limited = _Limited(member, budget)
                        for _, element in etree.iterparse(
                            limited,
                            events=("end",),
                            resolve_entities=False,
                            no_network=True,
                            huge_tree=False,
                            recover=True,
                        ):
                            local = etree.QName(element).localname if isinstance(element.tag, str) else ""
                            if local in ("p", "si", "h", "c"):  # paragraphs, shared strings, headings, cells
                                text = "".join(element.itertext())
                                element.clear(keep_tail=False)
                                if text:
                                    yield text
                        budget = limited.left
                except (zipfile.BadZipFile, RuntimeError, etree.XMLSyntaxError) as exc:
                    raise _Unreadable(f"{name} could not be read ({type(exc).__name__}: {exc})") from None
                if budget <= 0:
                    return


_PIECES: dict[str, Callable[[str, int], Iterator[str]]] = {
    "text": _text_lines,
    "pdf": _pdf_pages,
    "office": _office_paragraphs,
}


class PersonalDataScanner:
    """Scans files in an isolated child process, with a time limit; never raises for a bad file."""

    def __init__(self, kinds: tuple[str, ...] = KINDS, max_bytes: int = 50_000_000, timeout: float = TIMEOUT) -> None:
        self.kinds = kinds
        self.max_bytes = max_bytes
        self._isolated = IsolatedFunction(scan_file, timeout)

    def scan(self, path: str | os.PathLike[str], fmt: FormatInfo) -> PersonalDataScan | None:
        """The scan of one identified file; None when its format carries no text to scan."""
        kind = text_kind(fmt)
        if not kind or not self.kinds:
            return None
        try:
            scan: PersonalDataScan = self._isolated(os.fspath(path), kind, self.kinds, self.max_bytes)
            return scan
        except CallTimedOut as exc:
            return PersonalDataScan(False, note=f"stopped: {exc}")
        except (CallCrashed, RuntimeError) as exc:
            return PersonalDataScan(False, note=f"the scan failed: {exc}")

    def close(self) -> None:
        """Stop the child process."""
        self._isolated.close()
