"""The depositor's checksum files (Archivematica's ``metadata/checksum.md5|sha1|sha256|sha512``), checked.

Each line is GNU coreutils' form, ``<hex>  <path>`` (``*`` before the path marks binary mode; a line
starting with ``\\`` has ``\\\\`` and ``\\n`` escapes in its path), or BSD's ``MD5 (path) = <hex>``.
Paths are relative to ``objects/`` (as Archivematica writes them), to the transfer's root
(``objects/…``) or to ``metadata/`` (``../objects/…``); a leading ``./`` is ignored. An absolute path
or one with ``..`` (beyond that one ``../objects/``) is refused as unsafe when the file is read, naming
its line; no path a line gives is ever opened — names are only looked up among the journalled records.
The file may be UTF-8 (a byte-order mark is fine; bytes that are not UTF-8 are kept, so a name is
matched byte for byte, then as Windows-1252), or UTF-16 or UTF-32 with a byte-order mark (as Windows
PowerShell writes). The digests are compared with those computed while the files were stored (one
read): a mismatch or a listed file that is not in the transfer refuses it, naming every file; records
no file lists, and a checksum file that lists no files, are warnings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.journal import Journal
from ingest.metadata import unsafe_path
from ingest.sources import display_name, original_name
from ingest.transfers import Transfer
from preservation.errors import Problem, TransferError

LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}
BSD_LINE = re.compile(r"^(MD5|SHA1|SHA256|SHA512) \((.*)\) = ([0-9A-Fa-f]+)[ \t]*$")
GNU_LINE = re.compile(r"^([0-9A-Fa-f]+) [ *](.*)$")
MAX_LISTED = 20
MAX_PROBLEMS = 50
# byte-order marks, longest first (UTF-32-LE's begins with UTF-16-LE's)
BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"), (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
        (b"\xef\xbb\xbf", "utf-8", "UTF-8"), (b"\xff\xfe", "utf-16-le", "UTF-16"), (b"\xfe\xff", "utf-16-be", "UTF-16"))
FORM_HINT = ("Each line should be '<checksum>  <path>' (as md5sum, sha256sum … write them), the path relative to "
             "objects/, to the transfer (objects/…) or to metadata/ (../objects/…). Nothing has been stored.")


@dataclass(frozen=True)
class Assertion:
    """One line of a depositor's checksum file."""

    algorithm: str  # md5, sha1, sha256, sha512
    digest: str  # lower-case hex
    listed: str  # the path as the line gives it (bytes that are not UTF-8 kept as surrogates)
    where: str  # "<checksum file's path in the transfer>, line N"
    source: str = ""  # the checksum file's path in the transfer


def algorithm_of(path: Path) -> str:
    """``md5`` for ``checksum.md5`` …"""
    return path.suffix.lstrip(".").lower()


def extra_algorithms(files: Iterable[Path]) -> tuple[str, ...]:
    """The algorithms the per-file work must compute besides SHA-256 and SHA-512."""
    return tuple(sorted({algorithm_of(p) for p in files} - {"sha256", "sha512"}))


def decoded_lines(raw: bytes, given_as: str) -> list[str]:
    """A checksum file's lines as text; TransferError naming the first line that cannot be read as text."""
    bom, codec, name = next(((b, c, n) for b, c, n in BOMS if raw.startswith(b)), (b"", "utf-8", "UTF-8"))
    body = raw[len(bom):]
    hint = ("Save the checksum file as UTF-8 (or UTF-16 with a byte-order mark), or make it again with md5sum, "
            "sha256sum …; nothing has been stored.")
    if codec == "utf-8":
        nul = body.find(b"\x00")
        if nul >= 0:
            line = body.count(b"\n", 0, nul) + 1
            raise TransferError(f"{given_as}: line {line} is not UTF-8 text: it holds NUL "
                                "bytes (UTF-16 written without a byte-order mark?)", hint=hint)
        return body.decode("utf-8", "surrogateescape").split("\n")  # a name's bytes that are not UTF-8 are kept
    try:
        return body.decode(codec).split("\n")
    except UnicodeDecodeError as exc:
        line = body[:exc.start].decode(codec, "replace").count("\n") + 1
        raise TransferError(f"{given_as}: line {line} is not {name} text, though the file starts with a {name} "
                            "byte-order mark", hint=hint) from None


def read_checksum_file(path: Path, given_as: str) -> list[Assertion]:
    """Every line of a checksum file; TransferError naming the file and line of any that cannot be read or
    that names an unsafe path (absolute, or with '..')."""
    algorithm = algorithm_of(path)
    found, problems, unreadable, unsafe = [], [], 0, 0
    for number, line in enumerate(decoded_lines(path.read_bytes(), given_as), start=1):
        line = line.rstrip("\r").lstrip(" \t")
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{given_as}, line {number}"
        parsed = _parse(line, algorithm)
        if isinstance(parsed, str):
            unreadable += 1
            problems.append(Problem(where, parsed))
        elif reason := listed_path_problem(parsed[1], parsed[2]):
            unsafe += 1
            problems.append(Problem(display_name(parsed[1]), f"listed in {where}, is an unsafe path: {reason}"))
        else:
            found.append(Assertion(algorithm, parsed[0].lower(), parsed[1], where, given_as))
    if problems:
        parts = ([f"{unreadable} line(s) cannot be read as {NAMES[algorithm]} checksums"] if unreadable else []) + \
                ([f"{unsafe} line(s) name an unsafe path (absolute, or with '..')"] if unsafe else [])
        hint = FORM_HINT if unreadable else "Nothing has been stored."
        if unsafe:
            hint = ("A checksum file may name only files within the transfer; nothing outside it has been read. "
                    + hint)
        raise TransferError(f"{given_as}: {' and '.join(parts)}", hint=hint, details=problems[:MAX_PROBLEMS])
    return found


def _parse(line: str, algorithm: str) -> tuple[str, str, bool] | str:
    """(hex digest, path, whether md5sum escaped the path) of a line, or why it cannot be read."""
    escaped = line.startswith("\\")
    body = line[1:] if escaped else line
    bsd = BSD_LINE.match(body)
    if bsd:
        digest, listed = bsd.group(3), bsd.group(2)
    else:
        gnu = GNU_LINE.match(body)
        if not gnu:
            return "not a '<checksum>  <path>' line" + (" (it holds bytes that are not UTF-8)" if _raw_bytes(line)
                                                        else "")
        digest, listed = gnu.group(1), gnu.group(2)
    if len(digest) != LENGTHS[algorithm]:
        return f"{digest[:16]}… is not a {NAMES[algorithm]} checksum ({LENGTHS[algorithm]} hex digits)"
    if escaped:
        listed = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r", "\\": "\\"}.get(m.group(1), m.group(0)), listed)
    return digest, listed, escaped


def listed_path_problem(listed: str, escaped: bool) -> str:
    """Why the path a checksum line gives is unsafe ('' when it is not): absolute, or with a '..' part beyond
    one leading ``../objects/``. Unless md5sum escaped the line, a backslash counts as a Windows separator."""
    path = listed if escaped else listed.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    if path.startswith("../objects/"):
        path = path[len("../"):]  # relative to metadata/, as the form allows
    return unsafe_path(path, windows=not escaped)


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


def candidates(listed: str) -> Iterator[str]:
    """The record paths (relative to the records' root) a listed path may mean, most likely first; never an
    absolute path or one with a '..' part."""
    for path in _forms(listed):
        while path.startswith("./"):
            path = path[2:]
        for prefix in ("../objects/", "objects/", ""):
            if path.startswith(prefix) and not unsafe_path(path[len(prefix):], windows=False):
                yield path[len(prefix):]


@dataclass
class ChecksumOutcome:
    """What checking the depositor's checksums found."""

    matched: dict[str, list[tuple[str, str, str]]]  # relative -> (algorithm, hex, where)
    problems: list[Problem]
    unlisted: list[str]


def check_assertions(assertions: list[Assertion], records: Iterable[tuple[str, str, str, dict[str, str]]]
                     ) -> ChecksumOutcome:
    """Compare the depositor's checksums with the digests of the stored records."""
    digests = {relative: {"sha256": sha256, "sha512": sha512, **other} for relative, sha256, sha512, other in records}
    outcome = ChecksumOutcome({}, [], [])
    listed: set[str] = set()
    for assertion in assertions:
        relative = next((original_name(c) for c in candidates(assertion.listed) if original_name(c) in digests), None)
        if relative is None:
            note = (" (its name is not UTF-8: it was looked for byte for byte and as Windows-1252)"
                    if _raw_bytes(assertion.listed) else "")
            outcome.problems.append(Problem(display_name(assertion.listed),
                                            f"listed in {assertion.where}, not in the transfer{note}",
                                            expected=f"{assertion.algorithm}:{assertion.digest}", found="no such file"))
            continue
        listed.add(relative)
        found = digests[relative].get(assertion.algorithm, "")
        if found != assertion.digest:
            outcome.problems.append(Problem(f"objects/{relative}", f"does not match {assertion.where}",
                                            expected=f"{assertion.algorithm}:{assertion.digest}",
                                            found=f"{assertion.algorithm}:{found}"))
            continue
        outcome.matched.setdefault(relative, []).append((assertion.algorithm, assertion.digest, assertion.where))
    outcome.unlisted = [relative for relative in digests if relative not in listed]
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
    """A warning naming the records that no checksum file lists ('' when every one is listed)."""
    if not unlisted:
        return ""
    shown = ", ".join(f"objects/{p}" for p in unlisted[:MAX_LISTED])
    more = f" and {len(unlisted) - MAX_LISTED} more" if len(unlisted) > MAX_LISTED else ""
    return (f"{len(unlisted)} file(s) are not listed in the depositor's checksum files "
            f"({', '.join(files)}), so only preserve's own digests vouch for them: {shown}{more}")


def read_assertions(transfer: Transfer) -> list[Assertion]:
    """Every line of the transfer's checksum files (TransferError naming any line that cannot be read or names
    an unsafe path)."""
    return [a for path in transfer.checksums for a in read_checksum_file(path, transfer.given_as(path))]


def empty_warning(empty: list[str]) -> str:
    """A warning naming the checksum files that list no files ('' when there are none)."""
    return "; ".join(f"{name} lists no files (it is empty, or holds only blank lines and comments), so it vouches "
                     "for nothing" for name in empty)


def verify_depositor_checksums(journal: Journal, transfer: Transfer, assertions: list[Assertion], source: Path
                               ) -> tuple[int, list[str]]:
    """Check the stored records against the depositor's checksums and journal what matched; refuse a
    mismatch or a missing file. Returns (records checked, warnings naming empty checksum files and unlisted
    records)."""
    files = [transfer.given_as(p) for p in transfer.checksums]
    listing = {a.source for a in assertions}
    empty = empty_warning([name for name in files if name not in listing])
    if not assertions:
        return 0, [empty] if empty else []
    checked = check_assertions(assertions, journal.originals())
    refuse_mismatches(checked, source)
    journal.set_asserted(checked.matched)
    unlisted = unlisted_warning(checked.unlisted, [name for name in files if name in listing])
    return len(checked.matched), [w for w in (empty, unlisted) if w]
