"""BagIt validation (RFC 8493 and BagIt 0.93–0.97): every problem reported, for transfers and exports.

``validate_bag`` checks ``bagit.txt``, every payload and tag manifest (each file read once for
all algorithms, files spread over worker processes), completeness both ways, ``Payload-Oxum``,
unsafe paths and ``fetch.txt``. Tag files are read in the encoding ``bagit.txt`` declares. A bag
whose only problem is payload files listed in ``fetch.txt`` but not present is *incomplete*, not
invalid; nothing is ever fetched. What other tools write and readers accept gets a warning rather
than an error: ``./`` paths, repeated manifest entries, tag files in a payload manifest, a UTF-8
byte-order mark, names that differ only by case or Unicode normalisation, system files.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from preservation.bag import decode_path
from preservation.parallel import worker_map

ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
WEAK = ("md5", "sha1")
MANIFEST = re.compile(r"^(tag)?manifest-([a-z0-9]+)\.txt$")
CHUNK = 1024 * 1024
VERSIONS = ((0, 93), (0, 94), (0, 95), (0, 96), (0, 97), (1, 0))
SYSTEM_FILES = (".ds_store", "thumbs.db", "desktop.ini", "icon\r", ".spotlight-v100", ".trashes", ".fseventsd")
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
VALID, INVALID, INCOMPLETE = "valid", "invalid", "incomplete"
LISTED = 20  # names shown in a one-line summary


@dataclass
class BagReport:
    """What validating a bag found: errors make it invalid; absent fetch.txt files make it incomplete."""

    path: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    payload_files: int = 0
    payload_bytes: int = 0
    algorithms: list[str] = field(default_factory=list)
    info: list[tuple[str, str]] = field(default_factory=list)
    version: str = ""
    encoding: str = ""
    info_file: str | None = None

    @property
    def state(self) -> str:
        """ "invalid" when any error was found, else "incomplete" when fetch.txt files are absent, else "valid"."""
        if self.errors:
            return INVALID
        return INCOMPLETE if self.incomplete else VALID

    @property
    def valid(self) -> bool:
        """True only for a complete bag with no error (an incomplete bag is not valid)."""
        return self.state == VALID

    @property
    def incomplete_reason(self) -> str:
        """One line saying which fetch.txt files are absent, for refusing an incomplete bag ('' if none)."""
        if not self.incomplete:
            return ""
        shown = ", ".join(self.incomplete[:LISTED])
        more = f" and {len(self.incomplete) - LISTED} more" if len(self.incomplete) > LISTED else ""
        return (
            f"the bag is incomplete: {len(self.incomplete)} file(s) listed in fetch.txt are not present: {shown}{more}"
        )


@dataclass(frozen=True)
class Declaration:
    """What bagit.txt declares: the BagIt version and the codec the other tag files are read with."""

    version: tuple[int, int]
    encoding: str

    @property
    def percent_encoded(self) -> bool:
        """True when manifest and fetch paths percent-encode CR, LF and '%' (BagIt 0.97 and 1.0)."""
        return self.version >= (0, 97)


FALLBACK = Declaration((1, 0), "utf-8")


def split_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-empty line, with CR, LF or CRLF endings."""
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        if line:
            yield number, line


def _decode_declaration(raw: bytes, report: BagReport) -> str | None:
    """bagit.txt as text: UTF-8, or (tolerated) with a byte-order mark or in another encoding."""
    for bom, codec in BOMS:
        if raw.startswith(bom):
            if codec == "utf-8-sig":
                report.warnings.append(
                    "bagit.txt: starts with a UTF-8 byte-order mark, which RFC 8493 forbids (ignored)"
                )
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                report.errors.append(
                    f"bagit.txt: starts with a {codec.upper()} byte-order mark but is not {codec.upper()}"
                )
                return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")  # older versions: checked against the declared encoding below


def _declared_fields(text: str, report: BagReport) -> dict[str, str] | None:
    """The 'Label: value' lines of bagit.txt, or None (with an error) when they are not the two required."""
    fields: dict[str, str] = {}
    for number, line in split_lines(text):
        label, colon, value = line.partition(":")
        if not colon:
            report.errors.append(
                f"bagit.txt line {number}: not 'Label: value' ({line!r}); it must be exactly "
                "'BagIt-Version: M.N' then 'Tag-File-Character-Encoding: ENCODING'"
            )
            return None
        fields[label.strip()] = value.strip()
    missing = [name for name in ("BagIt-Version", "Tag-File-Character-Encoding") if name not in fields]
    if missing:
        report.errors.append(
            f"bagit.txt: must be exactly 'BagIt-Version: M.N' then "
            f"'Tag-File-Character-Encoding: ENCODING' ({', '.join(missing)} missing)"
        )
        return None
    if list(fields)[:2] != ["BagIt-Version", "Tag-File-Character-Encoding"] or len(fields) > 2:
        report.warnings.append(
            "bagit.txt: should hold exactly 'BagIt-Version' then 'Tag-File-Character-Encoding', nothing else"
        )
    return fields


def _codec(name: str) -> str | None:
    """Python's name for a text encoding, or None when Python has no such text codec."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def read_declaration(bag: Path, report: BagReport) -> Declaration | None:
    """Read bagit.txt: the version (0.93 to 1.0) and the tag files' encoding, or None with errors."""
    declaration = bag / "bagit.txt"
    if not declaration.is_file():
        report.errors.append("bagit.txt: missing (this is not a bag)")
        return None
    try:
        raw = declaration.read_bytes()
    except OSError as exc:
        report.errors.append(f"bagit.txt: cannot be read ({exc.strerror})")
        return None
    text = _decode_declaration(raw, report)
    fields = _declared_fields(text, report) if text is not None else None
    if fields is None:
        return None
    report.version, report.encoding = fields["BagIt-Version"], fields["Tag-File-Character-Encoding"]
    found = re.fullmatch(r"(\d+)\.(\d+)", report.version)
    version = (int(found.group(1)), int(found.group(2))) if found else None
    if version not in VERSIONS:
        report.errors.append(
            f"bagit.txt: BagIt-Version {report.version!r} is not one this validator knows "
            "(0.93, 0.94, 0.95, 0.96, 0.97, 1.0)"
        )
        return None
    codec = _codec(report.encoding)
    if codec is None:
        report.errors.append(f"bagit.txt: unknown Tag-File-Character-Encoding {report.encoding!r}")
        return None
    _check_declaration_encoding(raw, version, codec, report)
    return Declaration(version, codec)


def _check_declaration_encoding(raw: bytes, version: tuple[int, int], codec: str, report: BagReport) -> None:
    """RFC 8493 wants bagit.txt in UTF-8; BagIt before 1.0 let it be in the declared encoding."""
    body = raw[len(codecs.BOM_UTF8) :] if raw.startswith(codecs.BOM_UTF8) else raw
    try:
        body.decode("utf-8")
        return
    except UnicodeDecodeError:
        pass
    if version >= (1, 0):
        report.errors.append("bagit.txt: not UTF-8, which RFC 8493 requires of it")
        return
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        report.errors.append(f"bagit.txt: neither UTF-8 nor the {report.encoding} it declares")


def read_tag_text(bag: Path, name: str, declaration: Declaration, report: BagReport) -> str | None:
    """A tag file's text in the declared encoding (a byte-order mark dropped), or None with an error."""
    try:
        raw = (bag / name).read_bytes()
    except OSError as exc:
        report.errors.append(f"{name}: cannot be read ({exc.strerror})")
        return None
    try:
        text = raw.decode(declaration.encoding)
    except UnicodeDecodeError as exc:
        report.errors.append(f"{name}: not valid {report.encoding} as bagit.txt declares (byte {exc.start})")
        return None
    if text.startswith("\ufeff"):
        text = text[1:]
        if declaration.encoding == "utf-8":
            report.warnings.append(f"{name}: starts with a UTF-8 byte-order mark (ignored)")
    return text


def read_bag_info(bag: Path, declaration: Declaration, report: BagReport) -> None:
    """Read bag-info.txt (package-info.txt before BagIt 0.96) into ``report.info``."""
    names = ["package-info.txt", "bag-info.txt"] if declaration.version < (0, 96) else ["bag-info.txt"]
    name = next((n for n in names if (bag / n).is_file()), None)
    if name is None:
        return
    report.info_file = name
    text = read_tag_text(bag, name, declaration, report)
    if text is None:
        return
    for number, line in split_lines(text):
        if line[:1] in (" ", "\t") and report.info:
            label, value = report.info[-1]
            report.info[-1] = (label, f"{value} {line.strip()}")
            continue
        label, colon, value = line.partition(":")
        if not colon:
            report.errors.append(f"{name} line {number}: not 'Label: value'")
            continue
        report.info.append((label.strip(), value.strip()))


def is_unsafe(path: str) -> bool:
    """True for a path that could reach outside the bag (absolute, drive letter, '..', empty part, NUL)."""
    return (
        not path
        or path.startswith(("/", "\\"))
        or re.match(r"^[A-Za-z]:", path) is not None
        or any(part in ("..", "") for part in path.replace("\\", "/").split("/"))
        or "\x00" in path
    )


def _without_dot_segments(path: str) -> tuple[str | None, bool]:
    """(``path`` without '.' segments, or None if it is unsafe; whether it had any)."""
    if "." in path:
        parts = path.split("/")
        if parts[-1] == ".":
            return None, True
        if "." in parts:
            path = "/".join(part for part in parts if part != ".")
            return (None if is_unsafe(path) else path), True
    return (None if is_unsafe(path) else path), False


@dataclass
class _Paths:
    """Turns paths as written in manifests and fetch.txt into bag paths, noting what it tolerated."""

    bag: Path
    declaration: Declaration
    dot_slash: dict[str, int] = field(default_factory=dict)
    literal_percent: dict[str, int] = field(default_factory=dict)

    def resolve(self, source: str, written: str) -> str | None:
        """The bag-relative path for ``written`` in tag file ``source``, or None if it is unsafe."""
        decoded = decode_path(written) if self.declaration.percent_encoded and "%" in written else written
        path, dotted = _without_dot_segments(decoded)
        if dotted:
            self.dot_slash[source] = self.dot_slash.get(source, 0) + 1
        if path is None or decoded == written or self.declaration.version >= (1, 0):
            return path
        literal, _ = _without_dot_segments(written)
        if literal is not None and not (self.bag / path).exists() and (self.bag / literal).is_file():
            self.literal_percent[source] = self.literal_percent.get(source, 0) + 1
            return literal  # BagIt 0.97 writers (bagit-python) leave '%' unencoded
        return path

    def warn(self, report: BagReport) -> None:
        """Warnings for what was tolerated, one per tag file."""
        for source, count in self.dot_slash.items():
            report.warnings.append(f"{source}: {count} path(s) written with './' segments (read without them)")
        for source, count in self.literal_percent.items():
            report.warnings.append(
                f"{source}: {count} path(s) with '%' not percent-encoded as '%25' (matched the file named literally)"
            )


def _manifests(bag: Path) -> list[tuple[Path, bool, str]]:
    """(file, is a tag manifest, algorithm) for every manifest in the bag, in name order."""
    found = []
    for entry in sorted(bag.iterdir()):
        match = MANIFEST.match(entry.name)
        if match and entry.is_file():
            found.append((entry, bool(match.group(1)), match.group(2)))
    return found


def read_manifests(
    bag: Path, declaration: Declaration, paths: _Paths, report: BagReport
) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """path -> {algorithm: digest} for payload manifests and for tag manifests."""
    payload: dict[str, dict[str, str]] = {}
    tags: dict[str, dict[str, str]] = {}
    for entry, is_tag, algorithm in _manifests(bag):
        if algorithm not in ALGORITHMS:
            report.errors.append(f"{entry.name}: unknown checksum algorithm {algorithm!r}")
            continue
        if not is_tag:
            report.algorithms.append(algorithm)
        text = read_tag_text(bag, entry.name, declaration, report)
        if text is not None:
            _read_manifest(entry.name, algorithm, text, paths, tags if is_tag else payload, report)
    if not report.algorithms:
        report.errors.append("no payload manifest (manifest-<algorithm>.txt)")
    elif set(report.algorithms) <= set(WEAK):
        report.warnings.append(f"only weak checksum algorithms ({', '.join(report.algorithms)})")
    tag_algorithms = {a for entries in tags.values() for a in entries}
    if tags and tag_algorithms != set(report.algorithms):
        report.warnings.append(
            f"tag manifests use {', '.join(sorted(tag_algorithms))} but payload manifests "
            f"use {', '.join(report.algorithms)}"
        )
    return payload, tags


def _read_manifest(
    name: str, algorithm: str, text: str, paths: _Paths, target: dict[str, dict[str, str]], report: BagReport
) -> None:
    """Add one manifest's entries to ``target``; problems with lines go to the report."""
    size = hashlib.new(algorithm).digest_size * 2
    repeated = 0
    for number, line in split_lines(text):
        parts = line.split(None, 1)
        if len(parts) != 2:
            report.errors.append(f"{name} line {number}: not 'checksum path'")
            continue
        digest, written = parts[0].lower(), parts[1].lstrip(" *")
        path = paths.resolve(name, written)
        if path is None:
            report.errors.append(f"{name} line {number}: unsafe path {written!r}")
            continue
        if len(digest) != size or not re.fullmatch(r"[0-9a-f]+", digest):
            report.errors.append(f"{name} line {number}: {digest!r} is not a {algorithm} checksum")
            continue
        if path == name:
            report.warnings.append(f"{name} line {number}: lists itself (ignored: it cannot hold its own checksum)")
            continue
        known = target.get(path, {}).get(algorithm)
        if known is not None and known != digest:
            report.errors.append(f"{name}: {path} is listed twice with different checksums ({known} and {digest})")
            continue
        repeated += known is not None
        target.setdefault(path, {})[algorithm] = digest
    if repeated:
        report.warnings.append(f"{name}: {repeated} path(s) listed more than once with the same checksum")


def payload_files(bag: Path, report: BagReport) -> dict[str, int]:
    """Every file under data/ (relative, '/'-separated) with its size; links are errors, not followed."""
    found: dict[str, int] = {}
    data = bag / "data"
    if not data.is_dir():
        report.errors.append("data/: missing")
        return found
    for dirpath, dirnames, filenames in os.walk(data):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = os.path.join(dirpath, name)
            relative = os.path.relpath(full, bag).replace(os.sep, "/")
            if os.path.islink(full):
                report.errors.append(f"{relative}: is a symbolic link (not allowed in a bag)")
            elif name in filenames:
                found[relative] = os.path.getsize(full)
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
    return found


@dataclass(frozen=True)
class FetchEntry:
    """One line of fetch.txt: where the file could be fetched from, its length (None for '-'), its path."""

    url: str
    length: int | None
    path: str


def read_fetch(bag: Path, declaration: Declaration, paths: _Paths, report: BagReport) -> list[FetchEntry]:
    """The well-formed entries of fetch.txt (none without one); malformed lines are errors."""
    if not (bag / "fetch.txt").is_file():
        return []
    text = read_tag_text(bag, "fetch.txt", declaration, report)
    entries: list[FetchEntry] = []
    for number, line in split_lines(text or ""):
        entry = _fetch_entry(number, line, paths, report)
        if entry is not None:
            entries.append(entry)
    return entries


def _fetch_entry(number: int, line: str, paths: _Paths, report: BagReport) -> FetchEntry | None:
    """One fetch.txt line as an entry, or None with an error naming the line."""
    where = f"fetch.txt line {number}"
    parts = line.split(None, 2)
    if len(parts) != 3:
        report.errors.append(f"{where}: not 'URL LENGTH FILENAME' ({line!r})")
        return None
    url, length, written = parts
    parsed = urlsplit(url)
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parsed.scheme or "") or not (parsed.netloc or parsed.path):
        report.errors.append(f"{where}: {url!r} is not an absolute URL")
        return None
    if length != "-" and not length.isdigit():
        report.errors.append(f"{where}: length {length!r} is neither a number of bytes nor '-'")
        return None
    path = paths.resolve("fetch.txt", written)
    if path is None:
        report.errors.append(f"{where}: unsafe path {written!r}")
        return None
    if not path.startswith("data/"):
        report.errors.append(f"{where}: {written!r} is not under data/ (fetch.txt may list payload files only)")
        return None
    return FetchEntry(url, None if length == "-" else int(length), path)


def check_fetch(
    entries: list[FetchEntry], payload: dict[str, dict[str, str]], files: dict[str, int], report: BagReport
) -> None:
    """Every fetch.txt file must be in every payload manifest; those absent make the bag incomplete."""
    seen: set[str] = set()
    for entry in entries:
        if entry.path in seen:
            report.warnings.append(f"fetch.txt: {entry.path} is listed more than once")
            continue
        seen.add(entry.path)
        missing_from = [a for a in report.algorithms if a not in payload.get(entry.path, {})]
        if missing_from:
            report.errors.append(
                f"fetch.txt: {entry.path} is not in manifest-{missing_from[0]}.txt "
                "(every file to fetch must be in every payload manifest)"
            )
        elif entry.path not in files:
            report.incomplete.append(entry.path)
        elif entry.length is not None and files[entry.path] != entry.length:
            report.warnings.append(
                f"fetch.txt: {entry.path} is {files[entry.path]} bytes here, fetch.txt says {entry.length}"
            )


def match_normalisation(payload: dict[str, dict[str, str]], files: dict[str, int], report: BagReport) -> None:
    """A manifest name that is on disk only in another Unicode normalisation (NFC/NFD) is matched, with a warning."""
    unlisted: dict[str, list[str]] = {}
    for name in files:
        if name not in payload:
            unlisted.setdefault(unicodedata.normalize("NFC", name), []).append(name)
    for listed in [p for p in payload if p.startswith("data/") and p not in files]:
        candidates = unlisted.get(unicodedata.normalize("NFC", listed), [])
        if len(candidates) == 1:
            on_disk = candidates.pop()
            payload[on_disk] = payload.pop(listed)
            report.warnings.append(
                f"{listed!a}: listed in one Unicode normalisation, on disk in another ({on_disk!a}); matched"
            )


def check_completeness(
    bag: Path,
    payload: dict[str, dict[str, str]],
    tags: dict[str, dict[str, str]],
    files: dict[str, int],
    report: BagReport,
) -> None:
    """Every payload file in every payload manifest, every listed file present (unless fetch.txt lists it)."""
    for relative in files:
        missing_from = [a for a in report.algorithms if a not in payload.get(relative, {})]
        if missing_from and relative in payload:
            report.errors.append(f"{relative}: not in manifest-{missing_from[0]}.txt (every manifest must list it)")
        elif relative not in payload:
            report.errors.append(f"{relative}: not listed in any manifest")
    fetched = set(report.incomplete)
    listed_tags = [p for p in payload if not p.startswith("data/")]
    for relative in payload:
        if relative.startswith("data/") and relative not in files and relative not in fetched:
            report.errors.append(f"{relative}: in the manifest but missing from the bag")
    for relative in listed_tags:
        if not (bag / relative).is_file():
            report.errors.append(f"{relative}: in a payload manifest but missing from the bag")
    if listed_tags:
        report.warnings.append(
            f"payload manifests also list {len(listed_tags)} tag file(s) outside data/ "
            f"({', '.join(listed_tags[:LISTED])}); verified like the payload"
        )
    for relative in tags:
        if not (bag / relative).is_file():
            report.errors.append(f"{relative}: in a tag manifest but missing from the bag")


def check_oxum(entries: list[FetchEntry], report: BagReport) -> None:
    """Payload-Oxum against the payload present (plus, for an incomplete bag, fetch.txt's lengths)."""
    oxum = [value for label, value in report.info if label.lower() == "payload-oxum"]
    if not oxum:
        return
    found = re.fullmatch(r"(\d+)\.(\d+)", oxum[0])
    if not found:
        report.errors.append(f"{report.info_file}: Payload-Oxum {oxum[0]!r} is not 'bytes.files'")
        return
    size, count = report.payload_bytes, report.payload_files
    if report.incomplete:
        absent = set(report.incomplete)
        lengths = {e.path: e.length for e in entries if e.path in absent}
        known = [length for length in lengths.values() if length is not None]
        if len(known) != len(lengths):
            return  # the complete payload's size is unknown until fetched
        size, count = size + sum(known), count + len(known)
    if (int(found.group(1)), int(found.group(2))) != (size, count):
        report.errors.append(f"{report.info_file}: Payload-Oxum says {oxum[0]}, the payload is {size}.{count}")


def check_names(files: dict[str, int], report: BagReport) -> None:
    """Warn about names equal once Unicode-normalised or case-folded, and about operating-system files."""
    by_form: dict[str, list[str]] = {}
    for relative in files:
        by_form.setdefault(unicodedata.normalize("NFC", relative).casefold(), []).append(relative)
    for names in by_form.values():
        if len(names) > 1:
            report.warnings.append(
                f"names that are the same once Unicode-normalised or case-folded: {' | '.join(names)}"
            )
    system = [r for r in files if _is_system_file(r.rsplit("/", 1)[-1])]
    if system:
        report.warnings.append(f"operating-system files in the payload ({len(system)}): {', '.join(system[:LISTED])}")


def _is_system_file(name: str) -> bool:
    """True for files operating systems leave behind (.DS_Store, Thumbs.db, desktop.ini, AppleDouble ._*)."""
    return name.lower() in SYSTEM_FILES or name.startswith("._")


def hash_file_job(_worker: object, job: tuple[str, tuple[str, ...]]) -> tuple[str, dict[str, str] | str]:
    """(path, {algorithm: digest}) for a (path, algorithms) job, or (path, why it could not be read)."""
    path, algorithms = job
    hashes = [hashlib.new(name) for name in algorithms]
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                for digest in hashes:
                    digest.update(chunk)
    except OSError as exc:
        return path, f"cannot be read ({exc.strerror})"
    return path, {name: h.hexdigest() for name, h in zip(algorithms, hashes, strict=True)}


def no_worker(_setup: object) -> None:
    """Hashing needs no per-process set-up."""
    return None


def verify_checksums(
    bag: Path,
    listed: dict[str, dict[str, str]],
    files: dict[str, int],
    workers: int,
    report: BagReport,
    on_file: Callable[[int], None] | None = None,
) -> None:
    """Read every listed file that is present once, for all its algorithms, and compare; ``on_file`` is told the
    size of each file read."""
    jobs = [
        (str(bag / rel), tuple(sorted(sums)))
        for rel, sums in listed.items()
        if (rel in files if rel.startswith("data/") else (bag / rel).is_file())
    ]
    expected = {str(bag / rel): (rel, sums) for rel, sums in listed.items()}
    for full, found in worker_map(no_worker, None, hash_file_job, jobs, workers, batch_size=64):
        relative, sums = expected[full]
        if on_file is not None:
            on_file(files[relative] if relative in files else _size(full))
        if isinstance(found, str):
            report.errors.append(f"{relative}: {found}")
            continue
        for algorithm, digest in sums.items():
            if found[algorithm] != digest:
                report.errors.append(
                    f"{relative}: {algorithm} checksum mismatch (expected {digest}, found {found[algorithm]})"
                )


def _merge(payload: dict[str, dict[str, str]], tags: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """One path -> {algorithm: digest} for every manifest (a file listed in both kinds is read once)."""
    merged = {path: dict(sums) for path, sums in payload.items()}
    for path, sums in tags.items():
        merged.setdefault(path, {}).update(sums)
    return merged


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def validate_bag(
    path: Path, *, fast: bool = False, workers: int = 1, on_file: Callable[[int], None] | None = None
) -> BagReport:
    """Check a bag completely (``fast``: completeness and Payload-Oxum only, no checksums); ``on_file`` is told
    the size of each file whose checksums are read."""
    bag = Path(path)
    report = BagReport(str(bag))
    if not bag.is_dir():
        report.errors.append(f"{bag}: not a folder")
        return report
    declaration = read_declaration(bag, report) or FALLBACK  # go on, so every problem is reported
    read_bag_info(bag, declaration, report)
    paths = _Paths(bag, declaration)
    payload, tags = read_manifests(bag, declaration, paths, report)
    entries = read_fetch(bag, declaration, paths, report)
    paths.warn(report)
    files = payload_files(bag, report)
    report.payload_files, report.payload_bytes = len(files), sum(files.values())
    match_normalisation(payload, files, report)
    check_fetch(entries, payload, files, report)
    check_completeness(bag, payload, tags, files, report)
    check_oxum(entries, report)
    check_names(files, report)
    if not fast:
        verify_checksums(bag, _merge(payload, tags), files, workers, report, on_file)
    return report
