"""The depositor's checksum files, checked (which files are read is ``ingest.transfers``' decision: Archivematica's
``metadata/checksum.md5|sha1|sha256|sha512`` in any case, and the other names ``checksum_algorithm`` knows, at the
top of ``metadata/`` or beside ``objects/``).

Each line is GNU coreutils' form, ``<hex>  <path>`` (``*`` before the path marks binary mode; a line
starting with ``\\`` has ``\\\\`` and ``\\n`` escapes in its path), or BSD's ``MD5 (path) = <hex>``; a file named
``<name>.md5`` may hold just the checksum of ``<name>`` beside it. A path may name any file of the transfer —
records and metadata files alike — relative to the checksum file's own folder (as md5sum writes it when run
there: ``metadata.csv``, ``../objects/…``), to the transfer's top (``objects/…``, ``./metadata/…``) or to
``objects/`` (as Archivematica writes them). ``..`` is resolved against the checksum file's folder: a path that
then leads out of the transfer, or an absolute one, is refused as unsafe when the file is read, naming its line;
no path a line gives is ever opened — names are only looked up among the journalled files. A line naming the
checksum file itself (md5sum run over the folder its output was written into) is skipped with a warning.
The file may be UTF-8 (a byte-order mark is fine; bytes that are not UTF-8 are kept, so a name is
matched byte for byte, then as Windows-1252), or UTF-16 or UTF-32 with a byte-order mark (as Windows
PowerShell writes). The digests are compared with those computed while the files were stored (one
read): a mismatch or a listed file that is not in the transfer refuses it, naming every file; records
no file lists, a checksum file that lists no files, and a file whose name says it lists checksums but that is
not read as the depositor's (a record, or a metadata file elsewhere) are warnings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.journal import Journal
from ingest.metadata import WINDOWS_ABSOLUTE
from ingest.sources import display_name, original_name
from ingest.transfers import (
    ARCHIVEMATICA_CHECKSUMS,
    BAG_TAGS,
    TAG_MANIFEST,
    Transfer,
    checksum_algorithm,
    looks_like_checksums,
)
from preservation.errors import Problem, TransferError

LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}
BSD_LINE = re.compile(r"^(MD5|SHA1|SHA256|SHA512) \((.*)\) = ([0-9A-Fa-f]+)[ \t]*$")
GNU_LINE = re.compile(r"^([0-9A-Fa-f]+) [ *](.*)$")
DIGEST_ONLY = re.compile(r"^([0-9A-Fa-f]+)[ \t]*$")
SIDECAR = re.compile(r"(.+)\.(?:md5|sha1|sha256|sha512)", re.IGNORECASE)
BAG_MANIFEST = re.compile(r"(?:tag)?manifest-\w+\.txt", re.IGNORECASE)
MAX_LISTED = 20
MAX_PROBLEMS = 50
# byte-order marks, longest first (UTF-32-LE's begins with UTF-16-LE's)
BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)
FORM_HINT = (
    "Each line should be '<checksum>  <path>' (as md5sum, sha256sum … write them), the path relative to "
    "the checksum file's folder, to the transfer's top (objects/…) or to objects/. Nothing has been stored."
)
ABSOLUTE = "it is absolute: only files within the transfer can be named"


@dataclass(frozen=True)
class Assertion:
    """One line of a depositor's checksum file."""

    algorithm: str  # md5, sha1, sha256, sha512
    digest: str  # lower-case hex
    listed: str  # the path as the line gives it (bytes that are not UTF-8 kept as surrogates)
    where: str  # "<checksum file's path in the transfer>, line N"
    source: str = ""  # the checksum file's path in the transfer


def algorithm_of(path: Path) -> str:
    """``md5`` for ``checksum.md5``, ``CHECKSUM.MD5``, ``checksums.md5.txt``, ``MD5SUMS``, ``manifest-md5.txt`` …"""
    return checksum_algorithm(path.name) or path.suffix.lstrip(".").lower()


def extra_algorithms(files: Iterable[Path]) -> tuple[str, ...]:
    """The algorithms the per-file work must compute besides SHA-256 and SHA-512."""
    return tuple(sorted({algorithm_of(p) for p in files} - {"sha256", "sha512"}))


def decoded_lines(raw: bytes, given_as: str) -> list[str]:
    """A checksum file's lines as text; TransferError naming the first line that cannot be read as text."""
    bom, codec, name = next(((b, c, n) for b, c, n in BOMS if raw.startswith(b)), (b"", "utf-8", "UTF-8"))
    body = raw[len(bom) :]
    hint = (
        "Save the checksum file as UTF-8 (or UTF-16 with a byte-order mark), or make it again with md5sum, "
        "sha256sum …; nothing has been stored."
    )
    if codec == "utf-8":
        nul = body.find(b"\x00")
        if nul >= 0:
            line = body.count(b"\n", 0, nul) + 1
            raise TransferError(
                f"{given_as}: line {line} is not UTF-8 text: it holds NUL "
                "bytes (UTF-16 written without a byte-order mark?)",
                hint=hint,
            )
        return body.decode("utf-8", "surrogateescape").split("\n")  # a name's bytes that are not UTF-8 are kept
    try:
        return body.decode(codec).split("\n")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].decode(codec, "replace").count("\n") + 1
        raise TransferError(
            f"{given_as}: line {line} is not {name} text, though the file starts with a {name} byte-order mark",
            hint=hint,
        ) from None


def read_checksum_file(path: Path, given_as: str) -> list[Assertion]:
    """Every line of a checksum file (``given_as``: its path in the transfer); TransferError naming the file and
    line of any that cannot be read or that names an unsafe path (absolute, or leading out of the transfer)."""
    algorithm = algorithm_of(path)
    folder = given_as.rpartition("/")[0]
    sidecar = SIDECAR.fullmatch(path.name)
    of = sidecar.group(1) if sidecar and not ARCHIVEMATICA_CHECKSUMS.fullmatch(path.name) else ""
    found, problems, unreadable, unsafe = [], [], 0, 0
    for number, line in enumerate(decoded_lines(path.read_bytes(), given_as), start=1):
        line = line.rstrip("\r").lstrip(" \t")
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{given_as}, line {number}"
        parsed = _parse(line, algorithm, of)
        if isinstance(parsed, str):
            unreadable += 1
            problems.append(Problem(where, parsed))
        elif reason := listed_path_problem(parsed[1], parsed[2], folder):
            unsafe += 1
            problems.append(Problem(display_name(parsed[1]), f"listed in {where}, is an unsafe path: {reason}"))
        else:
            found.append(Assertion(algorithm, parsed[0].lower(), parsed[1], where, given_as))
    if problems:
        parts = ([f"{unreadable} line(s) cannot be read as {NAMES[algorithm]} checksums"] if unreadable else []) + (
            [f"{unsafe} line(s) name an unsafe path (absolute, or with '..')"] if unsafe else []
        )
        hint = FORM_HINT if unreadable else "Nothing has been stored."
        if unsafe:
            hint = "A checksum file may name only files within the transfer; nothing outside it has been read. " + hint
        raise TransferError(f"{given_as}: {' and '.join(parts)}", hint=hint, details=problems[:MAX_PROBLEMS])
    return found


def _parse(line: str, algorithm: str, of: str = "") -> tuple[str, str, bool] | str:
    """(hex digest, path, whether md5sum escaped the path) of a line, or why it cannot be read; ``of``: the file
    a line holding only a checksum speaks of (``a.tif`` for ``a.tif.md5``; '' when such a line is not allowed)."""
    escaped = line.startswith("\\")
    body = line[1:] if escaped else line
    bsd = BSD_LINE.match(body)
    alone = DIGEST_ONLY.match(line) if of else None
    if bsd:
        digest, listed = bsd.group(3), bsd.group(2)
    elif alone:
        digest, listed, escaped = alone.group(1), of, True  # a name, as it is on disk: no separators to read
    else:
        gnu = GNU_LINE.match(body)
        if not gnu:
            return "not a '<checksum>  <path>' line" + (
                " (it holds bytes that are not UTF-8)" if _raw_bytes(line) else ""
            )
        digest, listed = gnu.group(1), gnu.group(2)
    if len(digest) != LENGTHS[algorithm]:
        return f"{digest[:16]}… is not a {NAMES[algorithm]} checksum ({LENGTHS[algorithm]} hex digits)"
    if escaped and not alone:
        listed = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r", "\\": "\\"}.get(m.group(1), m.group(0)), listed)
    return digest, listed, escaped


def resolved(folder: str, path: str) -> str | None:
    """``path`` (separated by '/') read from ``folder`` (a folder of the transfer, '' for its top), with '.' and
    '..' parts resolved: a path within the transfer, or None when it leads out of it. Nothing is looked up."""
    parts = [part for part in folder.split("/") if part]
    for part in path.split("/"):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def listed_path_problem(listed: str, escaped: bool, folder: str = "metadata") -> str:
    """Why the path a checksum line gives is unsafe ('' when it is not): absolute, or leading out of the transfer
    once its '..' parts are resolved against ``folder``, the checksum file's folder in the transfer. Unless md5sum
    escaped the line, a backslash counts as a Windows separator and a drive letter as absolute."""
    path = listed if escaped else listed.replace("\\", "/")
    if path.startswith("/") or (not escaped and WINDOWS_ABSOLUTE.match(listed)):
        return ABSOLUTE
    if resolved(folder, path) is None:
        where = f"{folder}/, the checksum file's folder" if folder else "the transfer's top, where the checksum file is"
        return f"its '..' leads out of the transfer (read from {where}): only files within it can be named"
    return ""


def _raw_bytes(text: str) -> bool:
    """True when ``text`` holds bytes that were not UTF-8 (kept as surrogates)."""
    return any(0xDC80 <= ord(c) <= 0xDCFF for c in text)


def _forms(listed: str) -> list[str]:
    """The ways a listed path may have been meant: as written; with a Windows list's backslashes as '/';
    without trailing blanks; and, for a name whose bytes are not UTF-8, those bytes read as Windows-1252."""
    forms = [listed] + ([listed.replace("\\", "/")] if "/" not in listed and "\\" in listed else [])
    forms += [form.rstrip(" \t") for form in forms]
    for form in list(forms):
        if _raw_bytes(form):
            data = form.encode("utf-8", "surrogateescape")
            try:
                forms.append(data.decode("cp1252"))
            except UnicodeDecodeError:  # one of the five bytes Windows-1252 leaves undefined
                forms.append(data.decode("latin-1"))
    return list(dict.fromkeys(forms))


def _bases(folder: str, records: str) -> list[str]:
    """The folders a checksum file's paths may be relative to, most likely first: its own folder, each folder
    above it up to the transfer's top, and the records' folder (``objects``)."""
    parts = folder.split("/") if folder else []
    return list(dict.fromkeys(["/".join(parts[:n]) for n in range(len(parts), -1, -1)] + [records]))


def candidates(listed: str, source: str = "metadata/checksum.md5", records: str = "objects") -> Iterator[str]:
    """The paths within the transfer a path listed in the checksum file ``source`` may mean (``records``: the
    records' folder in the transfer), most likely first; never one outside the transfer."""
    seen = set()
    for path in _forms(listed):
        if path.startswith("/"):
            continue
        for base in _bases(source.rpartition("/")[0], records):
            found = resolved(base, path)
            if found and found not in seen:
                seen.add(found)
                yield found


@dataclass
class ChecksumOutcome:
    """What checking the depositor's checksums found."""

    matched: dict[str, list[tuple[str, str, str]]]  # record's relative path -> (algorithm, hex, where)
    problems: list[Problem]
    unlisted: list[str]  # records no line names, by their path in the transfer
    metadata_matched: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # metadata file's path
    skipped: list[str] = field(default_factory=list)  # warnings: lines naming their own checksum file


Digests = Iterable[tuple[str, str, str, dict[str, str]]]  # (relative path, SHA-256, SHA-512, other digests)


def check_assertions(
    assertions: list[Assertion], records: Digests, metadata: Digests = (), records_root: str = "objects"
) -> ChecksumOutcome:
    """Compare the depositor's checksums with the digests of the stored files: ``records`` (paths relative to
    ``records_root``, their folder in the transfer) and ``metadata`` files (paths in the transfer)."""
    prefix = original_name(records_root) + "/" if records_root else ""
    files: dict[str, tuple[bool, str, dict[str, str]]] = {}  # path in the transfer -> (a record?, relative, digests)
    for relative, sha256, sha512, other in metadata:
        files[relative] = (False, relative, {"sha256": sha256, "sha512": sha512, **other})
    for relative, sha256, sha512, other in records:
        files[prefix + relative] = (True, relative, {"sha256": sha256, "sha512": sha512, **other})
    outcome = ChecksumOutcome({}, [], [])
    listed: set[str] = set()
    for assertion in assertions:
        found = [
            path
            for path in dict.fromkeys(
                original_name(c) for c in candidates(assertion.listed, assertion.source, records_root)
            )
            if path in files
        ]
        itself = original_name(assertion.source)
        others = [path for path in found if path != itself]
        match = next((path for path in others if files[path][2].get(assertion.algorithm) == assertion.digest), None)
        if match is None and found[:1] == [itself]:
            outcome.skipped.append(
                f"{assertion.where} names the checksum file itself ({display_name(assertion.source)}), whose "
                "checksum no list can hold (it was made while md5sum … read the folder the list was being written "
                "into): that line was skipped, the others were checked"
            )
            continue
        if match is None and not others:
            note = (
                " (its name is not UTF-8: it was looked for byte for byte and as Windows-1252)"
                if _raw_bytes(assertion.listed)
                else ""
            )
            outcome.problems.append(
                Problem(
                    display_name(assertion.listed),
                    f"listed in {assertion.where}, not in the transfer{note}",
                    expected=f"{assertion.algorithm}:{assertion.digest}",
                    found="no such file",
                )
            )
            continue
        path = match or others[0]
        record, relative, digests = files[path]
        if record:
            listed.add(relative)
        if match is None:
            outcome.problems.append(
                Problem(
                    path,
                    f"does not match {assertion.where}",
                    expected=f"{assertion.algorithm}:{assertion.digest}",
                    found=f"{assertion.algorithm}:{digests.get(assertion.algorithm, '')}",
                )
            )
            continue
        matched = outcome.matched if record else outcome.metadata_matched
        matched.setdefault(relative, []).append((assertion.algorithm, assertion.digest, assertion.where))
    outcome.unlisted = [path for path, (record, relative, _) in files.items() if record and relative not in listed]
    return outcome


def refuse_mismatches(outcome: ChecksumOutcome, source: Path) -> None:
    """TransferError naming every file whose content is not what the depositor's checksum files say."""
    if outcome.problems:
        raise TransferError(
            f"{source}: {len(outcome.problems)} line(s) of the depositor's checksum files do not match: "
            "the files do not match the depositor's checksums",
            hint="The files may have been damaged or changed since the checksums were made; ask the depositor. "
            "Nothing has been stored.",
            details=outcome.problems,
        )


def unlisted_warning(unlisted: list[str], files: Iterable[str]) -> str:
    """A warning naming the records (by their paths in the transfer) that no checksum file lists ('' when every
    one is listed)."""
    if not unlisted:
        return ""
    shown = ", ".join(unlisted[:MAX_LISTED])
    more = f" and {len(unlisted) - MAX_LISTED} more" if len(unlisted) > MAX_LISTED else ""
    return (
        f"{len(unlisted)} file(s) are not listed in the depositor's checksum files "
        f"({', '.join(files)}), so only preserve's own digests vouch for them: {shown}{more}"
    )


def read_assertions(transfer: Transfer) -> list[Assertion]:
    """Every line of the transfer's checksum files (TransferError naming any line that cannot be read or names
    an unsafe path)."""
    return [a for path in transfer.checksums for a in read_checksum_file(path, transfer.given_as(path))]


def empty_warning(empty: list[str]) -> str:
    """A warning naming the checksum files that list no files ('' when there are none)."""
    return "; ".join(
        f"{name} lists no files (it is empty, or holds only blank lines and comments), so it vouches for nothing"
        for name in empty
    )


def unread_warnings(transfer: Transfer, records: Iterable[str], metadata: Iterable[tuple[str, str]]) -> list[str]:
    """A warning naming each file whose name says it lists checksums but that is not read as the depositor's:
    ``records`` (paths relative to the records' folder), ``metadata`` files ((path in the transfer, stored path));
    an incoming bag's own manifests, which bag validation checked, are not named."""
    read = {original_name(transfer.given_as(path)) for path in transfer.checksums}
    prefix = original_name(transfer.records_given_as) + "/" if transfer.records_given_as else ""
    found = []
    for relative in records:
        if algorithm := looks_like_checksums(relative.rpartition("/")[2]):
            found.append(
                f"{prefix}{relative}: its name says it lists checksums, but it is one of the records, so it "
                "was kept as a record and not checked against the files. To have the depositor's checksums "
                f"checked, put the list in a metadata/ folder beside the records as "
                f"metadata/checksum.{algorithm}, its paths relative to the transfer's top or to metadata/"
            )
    for relative, stored in metadata:
        name = relative.rpartition("/")[2]
        if relative in read or not (algorithm := looks_like_checksums(name)):
            continue
        if stored.rpartition("/")[0] == BAG_TAGS and BAG_MANIFEST.fullmatch(name):
            continue  # the incoming bag's own manifest, checked when the bag was validated
        if TAG_MANIFEST.fullmatch(name):
            why = (
                "a bag's tag manifest, which lists a bag's tag files (bagit.txt, manifests …), not the files of "
                "this transfer"
            )
        else:
            why = (
                "not where the depositor's checksums are read (the top of metadata/, or beside objects/). To have "
                f"it checked, put it there (as metadata/checksum.{algorithm}, say)"
            )
        found.append(
            f"{relative}: its name says it lists checksums, but it was kept in the AIP as {stored} and not "
            f"checked against the files: it is {why}"
        )
    if len(found) > MAX_LISTED:
        found[MAX_LISTED:] = [
            f"and {len(found) - MAX_LISTED} more file(s) whose names say they list checksums were "
            "kept and not checked against the files"
        ]
    return found


def verify_depositor_checksums(
    journal: Journal, transfer: Transfer, assertions: list[Assertion], source: Path
) -> tuple[int, list[str]]:
    """Check the stored records and metadata files against the depositor's checksums and journal what matched;
    refuse a mismatch or a missing file. Returns (files checked, warnings naming lines that name their own
    checksum file, empty checksum files, unlisted records, and files whose names say they list checksums but that
    were not read)."""
    files = [transfer.given_as(p) for p in transfer.checksums]
    listing = {a.source for a in assertions}
    warnings = [empty_warning([name for name in files if name not in listing])]
    count = 0
    if assertions:
        checked = check_assertions(
            assertions, journal.originals(), journal.originals("metadata"), transfer.records_given_as
        )
        refuse_mismatches(checked, source)
        journal.set_asserted(checked.matched)
        journal.set_asserted(checked.metadata_matched, role="metadata")
        count = len(checked.matched) + len(checked.metadata_matched)
        warnings = [
            *checked.skipped,
            *warnings,
            unlisted_warning(checked.unlisted, [name for name in files if name in listing]),
        ]
    warnings += unread_warnings(
        transfer,
        (relative for relative, *_ in journal.originals()),
        ((relative, stored) for relative, stored, _ in journal.metadata_files()),
    )
    return count, [w for w in warnings if w]
