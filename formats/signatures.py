"""Signature sets: PRONOM formats with their byte and container signatures, as plain data.

A set comes from FIDO's signature data (the default, shipped with opf-fido) or is compiled from
the DROID signature files The National Archives publishes (`preserve formats import-droid`), and
is saved as JSON in the archive home. The matcher (``formats.engine``) works on either.
"""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from formats.pronom_syntax import to_regex
from preservation.errors import FormatError

DROID_NS = "{http://www.nationalarchives.gov.uk/pronom/SignatureFile}"
BOF, EOF, VAR = "BOF", "EOF", "VAR"
CONTAINER_TYPES = ("ZIP", "OLE2")


@dataclass(frozen=True)
class Pattern:
    """One byte sequence of a signature: where it is anchored and the regex (``(?s)``) to try."""

    position: str
    regex: bytes


@dataclass(frozen=True)
class Signature:
    """A byte signature: every pattern must match."""

    name: str
    patterns: tuple[Pattern, ...]


@dataclass(frozen=True)
class Format:
    """A PRONOM format."""

    puid: str
    name: str
    version: str = ""
    mime: str = ""
    extensions: tuple[str, ...] = ()
    priority_over: tuple[str, ...] = ()
    signatures: tuple[Signature, ...] = ()
    container: str = ""  # "zip" or "tar" where FIDO marks a format as a container


@dataclass(frozen=True)
class ContainerFile:
    """A member a container signature needs; with signatures, one of them must match its bytes."""

    path: str
    signatures: tuple[tuple[bytes, ...], ...] = ()  # each: regexes that must all be found


@dataclass(frozen=True)
class ContainerSignature:
    """A ZIP or OLE2 container signature: every file must be present (and match, where it says how)."""

    id: str
    puid: str
    container_type: str
    files: tuple[ContainerFile, ...]


@dataclass(frozen=True)
class SignatureSet:
    """Everything needed to identify files, with the versions it was made from."""

    version: str
    formats: tuple[Format, ...]
    containers: tuple[ContainerSignature, ...] = ()
    triggers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # container type -> PUIDs

    def save(self, path: Path) -> None:
        """Write the set as JSON (regexes as Latin-1 text); gzipped when the name ends in ``.gz``."""
        text = json.dumps(asdict(self), default=_latin1, separators=(",", ":"))
        if path.name.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))  # the same bytes for the same set
        else:
            path.write_text(text, encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> SignatureSet:
        """Read a set written by ``save``; FormatError naming the file if it cannot be read."""
        try:
            raw = path.read_bytes()
            data = json.loads(gzip.decompress(raw) if path.name.endswith(".gz") else raw)
            formats = tuple(
                Format(
                    **{
                        **f,
                        "extensions": tuple(f["extensions"]),
                        "priority_over": tuple(f["priority_over"]),
                        "signatures": tuple(
                            Signature(
                                s["name"], tuple(Pattern(p["position"], _bytes(p["regex"])) for p in s["patterns"])
                            )
                            for s in f["signatures"]
                        ),
                    }
                )
                for f in data["formats"]
            )
            containers = tuple(
                ContainerSignature(
                    c["id"],
                    c["puid"],
                    c["container_type"],
                    tuple(
                        ContainerFile(m["path"], tuple(tuple(_bytes(r) for r in sig) for sig in m["signatures"]))
                        for m in c["files"]
                    ),
                )
                for c in data["containers"]
            )
            triggers = {kind: tuple(puids) for kind, puids in data["triggers"].items()}
            return cls(data["version"], formats, containers, triggers)
        except FileNotFoundError:
            raise FormatError(f"{path}: signature set not found") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise FormatError(f"{path}: not a valid signature set ({exc})") from None


def _latin1(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    raise TypeError(f"cannot store {type(value).__name__}")


def _bytes(text: str) -> bytes:
    return text.encode("latin-1")


# --- FIDO's signature data --------------------------------------------------------------------


def from_fido(conf_dir: Path) -> SignatureSet:
    """The set FIDO ships: its formats XML (regexes already), its extension list, its container file."""
    versions = ET.parse(conf_dir / "versions.xml").getroot()
    pronom = versions.findtext("pronomVersion") or ""
    formats_file = versions.findtext("pronomSignature") or f"formats-v{pronom}.xml"
    container_file = versions.findtext("pronomContainerSignature") or ""
    by_puid: dict[str, Format] = {}
    for name in (formats_file, "format_extensions.xml"):
        for element in ET.parse(conf_dir / name).getroot().findall("./format"):
            fmt = _fido_format(element)
            by_puid[fmt.puid] = fmt  # a later file replaces an earlier entry, as FIDO does
    containers: tuple[ContainerSignature, ...] = ()
    triggers: dict[str, tuple[str, ...]] = {}
    if container_file and (conf_dir / container_file).is_file():
        containers, triggers = parse_containers(conf_dir / container_file)
    return SignatureSet(f"FIDO PRONOM v{pronom}", tuple(by_puid.values()), containers, triggers)


def _fido_format(element: ET.Element) -> Format:
    signatures = tuple(
        Signature(
            sig.findtext("name") or "",
            tuple(
                Pattern(pat.findtext("position") or "", (pat.findtext("regex") or "").encode("utf8"))
                for pat in sig.findall("pattern")
            ),
        )
        for sig in element.findall("signature")
    )
    return Format(
        puid=element.findtext("puid") or "",
        name=element.findtext("name") or "",
        version=element.findtext("version") or "",
        mime=element.findtext("mime") or "",
        extensions=tuple(dict.fromkeys(e.text for e in element.findall("extension") if e.text)),
        priority_over=tuple(e.text for e in element.findall("has_priority_over") if e.text),
        signatures=signatures,
        container=element.findtext("container") or "",
    )


# --- local signatures ---------------------------------------------------------------------------

LOCAL_PREFIX = "preserve local signature: "


@dataclass(frozen=True)
class LocalSignature:
    """A byte signature PRONOM lacks (or FIDO's copy of it gets wrong), added to every set at load."""

    puid: str
    name: str
    sequence: str  # PRONOM byte-sequence syntax, anchored at the beginning of the file
    reason: str

    def signature(self) -> Signature:
        """The signature as the matcher takes it."""
        return Signature(LOCAL_PREFIX + self.name, (Pattern(BOF, b"(?s)\\A" + to_regex(self.sequence)),))


# Windows bitmaps: "BM", file size, two reserved words (zero), pixel offset, then the DIB header:
# its size (offset 14), width, height, planes = 1 (offset 26), bits per pixel (28), compression (30).
_BMP_RGB = "0100(01|04|08|10|18|20)00(00|01|02)000000"  # BI_RGB, BI_RLE8, BI_RLE4
_BMP_BITFIELDS = "0100(10|20)0003000000"  # BI_BITFIELDS, 16 or 32 bits per pixel
_ADOBE = (
    "Adobe's {0}-byte header (BITMAPINFOHEADER followed by the {1} masks, written by Photoshop and GIMP) "
    "has no PRONOM signature; identified as PRONOM identifies the 40-byte header it extends, {2}."
)
_FIDO_BUG = (
    "FIDO's v109 copy of this signature also requires the first byte of the image size (offset 34) to "
    "be zero, so bitmaps whose size field is filled in (as Windows writes them) were matched by "
    "extension only; this is PRONOM's signature (DROID V118, internal signature {0})."
)

LOCAL_SIGNATURES: tuple[LocalSignature, ...] = (
    LocalSignature(
        "fmt/116",
        "BITMAPV2INFOHEADER (52 bytes)",
        "424D{4}00000000{4}34000000{8}" + _BMP_RGB,
        _ADOBE.format(52, "RGB", "uncompressed or RLE: Windows Bitmap 3.0"),
    ),
    LocalSignature(
        "fmt/117",
        "BITMAPV2INFOHEADER (52 bytes) with bit fields",
        "424D{4}00000000{4}34000000{8}" + _BMP_BITFIELDS,
        _ADOBE.format(52, "RGB", "with BI_BITFIELDS: Windows Bitmap 3.0 NT"),
    ),
    LocalSignature(
        "fmt/116",
        "BITMAPV3INFOHEADER (56 bytes)",
        "424D{4}00000000{4}38000000{8}" + _BMP_RGB,
        _ADOBE.format(56, "RGBA", "uncompressed or RLE: Windows Bitmap 3.0"),
    ),
    LocalSignature(
        "fmt/117",
        "BITMAPV3INFOHEADER (56 bytes) with bit fields",
        "424D{4}00000000{4}38000000{8}" + _BMP_BITFIELDS,
        _ADOBE.format(56, "RGBA", "with BI_BITFIELDS: Windows Bitmap 3.0 NT"),
    ),
    LocalSignature(
        "fmt/118",
        "BITMAPV4HEADER (108 bytes)",
        "424D{4}00000000{4}6C000000{8}0100(01|04|08|10|18|20)00(00|01|02|03)000000",
        _FIDO_BUG.format(120),
    ),
    LocalSignature(
        "fmt/119",
        "BITMAPV5HEADER (124 bytes)",
        "424D{4}00000000{4}7C000000{8}0100(01|04|08|10|18|20)00(00|01|02|03|04|05)000000",
        _FIDO_BUG.format(121),
    ),
)


def with_local_signatures(signatures: SignatureSet) -> SignatureSet:
    """The set with LOCAL_SIGNATURES added to their formats (the same set if it has them already).

    The set's version is left as it is: the local signatures are part of preserve's code, so the
    tool version recorded with every identification names them.
    """
    if any(sig.name.startswith(LOCAL_PREFIX) for fmt in signatures.formats for sig in fmt.signatures):
        return signatures
    extra: dict[str, list[Signature]] = {}
    for local in LOCAL_SIGNATURES:
        extra.setdefault(local.puid, []).append(local.signature())
    formats = tuple(
        replace(fmt, signatures=fmt.signatures + tuple(extra[fmt.puid])) if fmt.puid in extra else fmt
        for fmt in signatures.formats
    )
    return replace(signatures, formats=formats)


# --- DROID signature files --------------------------------------------------------------------


def from_droid(signature_file: Path, container_file: Path | None = None) -> SignatureSet:
    """Compile a DROID signature file (and optionally a container signature file) into a set."""
    try:
        root = ET.parse(signature_file).getroot()
    except (OSError, ET.ParseError) as exc:
        raise FormatError(f"{signature_file}: cannot read the DROID signature file ({exc})") from None
    if root.tag != f"{DROID_NS}FFSignatureFile":
        raise FormatError(f"{signature_file}: not a DROID signature file (root element {root.tag})")
    signatures: dict[str, Signature] = {}
    for element in root.iter(f"{DROID_NS}InternalSignature"):
        sig_id = element.get("ID", "")
        try:
            patterns = tuple(_droid_pattern(seq) for seq in element.findall(f"{DROID_NS}ByteSequence"))
        except FormatError as exc:
            raise FormatError(f"{signature_file}: internal signature {sig_id}: {exc.message}") from None
        signatures[sig_id] = Signature(f"DROID internal signature {sig_id}", patterns)
    ids_to_puid = {e.get("ID", ""): e.get("PUID", "") for e in root.iter(f"{DROID_NS}FileFormat")}
    formats = []
    for element in root.iter(f"{DROID_NS}FileFormat"):
        formats.append(
            Format(
                puid=element.get("PUID", ""),
                name=element.get("Name", ""),
                version=element.get("Version", ""),
                mime=element.get("MIMEType", "").split(",")[0].strip(),
                extensions=tuple(
                    dict.fromkeys(e.text.lower() for e in element.findall(f"{DROID_NS}Extension") if e.text)
                ),
                priority_over=tuple(
                    ids_to_puid[e.text]
                    for e in element.findall(f"{DROID_NS}HasPriorityOverFileFormatID")
                    if e.text in ids_to_puid
                ),
                signatures=tuple(
                    signatures[e.text]
                    for e in element.findall(f"{DROID_NS}InternalSignatureID")
                    if e.text in signatures
                ),
            )
        )
    version = f"DROID V{root.get('Version', '?')}"
    containers: tuple[ContainerSignature, ...] = ()
    triggers: dict[str, tuple[str, ...]] = {}
    if container_file is not None:
        containers, triggers = parse_containers(container_file)
        version += f"; containers {container_file.stem.removeprefix('container-signature-')}"
    return SignatureSet(version, tuple(formats), containers, triggers)


def _droid_pattern(sequence: ET.Element) -> Pattern:
    reference = sequence.get("Reference") or ""
    subsequences = sorted(sequence.findall(f"{DROID_NS}SubSequence"), key=lambda s: int(s.get("Position", "1")))
    parts = []
    little_endian = sequence.get("Endianness", "").lower().startswith("little")
    for sub in subsequences:
        body = _droid_subsequence(sub, little_endian)
        gap = _gap(sub.get("SubSeqMinOffset"), sub.get("SubSeqMaxOffset"))
        parts.append((gap, body))
    if reference == "BOFoffset":
        return Pattern(BOF, b"(?s)\\A" + b"".join(gap + body for gap, body in parts))
    if reference == "EOFoffset":  # position 1 is nearest the end of the file
        return Pattern(EOF, b"(?s)" + b"".join(body + gap for gap, body in reversed(parts)) + b"\\Z")
    # variable: anywhere; the first subsequence's offset does not apply, later gaps do
    regex = b"".join((gap if index else b"") + body for index, (gap, body) in enumerate(parts))
    return Pattern(VAR, b"(?s)" + regex)


def _droid_subsequence(sub: ET.Element, little_endian: bool) -> bytes:
    sequence = bytes.fromhex((sub.findtext(f"{DROID_NS}Sequence") or "").strip())
    middle = b"".join(b"\\x%02x" % value for value in sequence)
    left = _fragments(sub.findall(f"{DROID_NS}LeftFragment"), little_endian)
    right = _fragments(sub.findall(f"{DROID_NS}RightFragment"), little_endian)
    out = b""
    for position in sorted(left, reverse=True):  # the highest position is farthest left
        alternatives, gap = left[position]
        out += alternatives + gap
    out += middle
    for position in sorted(right):
        alternatives, gap = right[position]
        out += gap + alternatives
    return out


def _fragments(elements: list[ET.Element], little_endian: bool) -> dict[int, tuple[bytes, bytes]]:
    by_position: dict[int, list[ET.Element]] = {}
    for element in elements:
        by_position.setdefault(int(element.get("Position", "1")), []).append(element)
    result = {}
    for position, group in by_position.items():
        regexes = [to_regex(e.text or "", little_endian) for e in group]
        alternatives = regexes[0] if len(regexes) == 1 else b"(?:" + b"|".join(regexes) + b")"
        gap = _gap(group[0].get("MinOffset"), group[0].get("MaxOffset"))
        result[position] = (alternatives, gap)
    return result


def _gap(low: str | None, high: str | None) -> bytes:
    low_value = int(low or 0)
    if high is None or high == "":
        return b".{%d,}" % low_value if low_value else b".*"
    high_value = max(int(high), low_value)  # a maximum below the minimum means exactly the minimum (as DROID)
    if low_value == high_value == 0:
        return b""
    if low_value == high_value:
        return b".{%d}" % low_value
    return b".{%d,%d}" % (low_value, high_value)


# --- container signature files -------------------------------------------------------------------


def parse_containers(path: Path) -> tuple[tuple[ContainerSignature, ...], dict[str, tuple[str, ...]]]:
    """The ZIP and OLE2 container signatures of a DROID container signature file, and its trigger PUIDs."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise FormatError(f"{path}: cannot read the container signature file ({exc})") from None
    if root.tag != "ContainerSignatureMapping":
        raise FormatError(f"{path}: not a container signature file (root element {root.tag})")
    puids = {m.get("signatureId"): m.get("Puid", "") for m in root.iter("FileFormatMapping")}
    signatures = []
    for element in root.iter("ContainerSignature"):
        kind = element.get("ContainerType", "")
        sig_id = element.get("Id", "")
        if kind not in CONTAINER_TYPES or sig_id not in puids:
            continue
        files = []
        for member in element.iter("File"):
            try:
                member_sigs = tuple(
                    tuple(_container_sequence(seq) for seq in internal.findall("ByteSequence"))
                    for internal in member.iter("InternalSignature")
                )
            except FormatError as exc:
                raise FormatError(f"{path}: container signature {sig_id}: {exc.message}") from None
            files.append(ContainerFile(member.findtext("Path") or "", member_sigs))
        signatures.append(ContainerSignature(sig_id, puids[sig_id], kind, tuple(files)))
    triggers: dict[str, list[str]] = {}
    for trigger in root.iter("TriggerPuid"):
        triggers.setdefault(trigger.get("ContainerType", ""), []).append(trigger.get("Puid", ""))
    return tuple(signatures), {kind: tuple(values) for kind, values in triggers.items()}


def _container_sequence(sequence: ET.Element) -> bytes:
    reference = sequence.get("Reference") or ""
    subsequences = sorted(sequence.findall("SubSequence"), key=lambda s: int(s.get("Position", "1")))
    parts = [
        (_gap(s.get("SubSeqMinOffset"), s.get("SubSeqMaxOffset")), to_regex(s.findtext("Sequence") or ""))
        for s in subsequences
    ]
    if reference == "BOFoffset":
        return b"(?s)\\A" + b"".join(gap + body for gap, body in parts)
    if reference == "EOFoffset":
        return b"(?s)" + b"".join(body + gap for gap, body in reversed(parts)) + b"\\Z"
    return b"(?s)" + b"".join((gap if index else b"") + body for index, (gap, body) in enumerate(parts))
