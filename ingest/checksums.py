"""The depositor's checksum files (Archivematica's ``metadata/checksum.md5|sha1|sha256|sha512``), checked.

Each line is GNU coreutils' form, ``<hex>  <path>`` (``*`` before the path marks binary mode; a line
starting with ``\\`` has ``\\\\`` and ``\\n`` escapes in its path), or BSD's ``MD5 (path) = <hex>``.
Paths are relative to ``objects/`` (as Archivematica writes them), to the transfer's root
(``objects/…``) or to ``metadata/`` (``../objects/…``); a leading ``./`` is ignored. The digests are
compared with those computed while the files were stored (one read): a mismatch or a listed file that
is not in the transfer refuses it, naming every file; records no file lists are a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.journal import Journal
from ingest.sources import original_name
from ingest.transfers import Transfer
from preservation.errors import Problem, TransferError

LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}
NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}
BSD_LINE = re.compile(r"^(MD5|SHA1|SHA256|SHA512) \((.*)\) = ([0-9A-Fa-f]+)$")
GNU_LINE = re.compile(r"^([0-9A-Fa-f]+) [ *](.*)$")
MAX_LISTED = 20


@dataclass(frozen=True)
class Assertion:
    """One line of a depositor's checksum file."""

    algorithm: str  # md5, sha1, sha256, sha512
    digest: str  # lower-case hex
    listed: str  # the path as the line gives it
    where: str  # "<checksum file's path in the transfer>, line N"


def algorithm_of(path: Path) -> str:
    """``md5`` for ``checksum.md5`` …"""
    return path.suffix.lstrip(".").lower()


def extra_algorithms(files: Iterable[Path]) -> tuple[str, ...]:
    """The algorithms the per-file work must compute besides SHA-256 and SHA-512."""
    return tuple(sorted({algorithm_of(p) for p in files} - {"sha256", "sha512"}))


def read_checksum_file(path: Path, given_as: str) -> list[Assertion]:
    """Every line of a checksum file; TransferError naming the file and line of any that cannot be read."""
    algorithm = algorithm_of(path)
    raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    text = raw.decode("utf-8", "surrogateescape")
    found, problems = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{given_as}, line {number}"
        parsed = _parse(line, algorithm)
        if isinstance(parsed, str):
            problems.append(Problem(where, parsed))
        else:
            found.append(Assertion(algorithm, parsed[0].lower(), parsed[1], where))
    if problems:
        raise TransferError(f"{given_as}: {len(problems)} line(s) cannot be read as {NAMES[algorithm]} checksums",
                            hint="Each line should be '<checksum>  <path>' (as md5sum, sha256sum … write them). "
                                 "Nothing has been stored.", details=problems[:50])
    return found


def _parse(line: str, algorithm: str) -> tuple[str, str] | str:
    escaped = line.startswith("\\")
    body = line[1:] if escaped else line
    bsd = BSD_LINE.match(body)
    if bsd:
        digest, listed = bsd.group(3), bsd.group(2)
    else:
        gnu = GNU_LINE.match(body)
        if not gnu:
            return "not a '<checksum>  <path>' line"
        digest, listed = gnu.group(1), gnu.group(2)
    if len(digest) != LENGTHS[algorithm]:
        return f"{digest[:16]}… is not a {NAMES[algorithm]} checksum ({LENGTHS[algorithm]} hex digits)"
    if escaped:
        listed = re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r", "\\": "\\"}.get(m.group(1), m.group(0)), listed)
    return digest, listed


def candidates(listed: str) -> Iterator[str]:
    """The record paths (relative to the records' root) a listed path may mean, most likely first."""
    forms = [listed] + ([listed.replace("\\", "/")] if "/" not in listed and "\\" in listed else [])
    for path in forms:  # as written; then, for a list made on Windows, with its separators
        while path.startswith("./"):
            path = path[2:]
        for prefix in ("../objects/", "objects/", ""):
            if path.startswith(prefix):
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
            outcome.problems.append(Problem(assertion.listed, f"listed in {assertion.where}, not in the transfer",
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
    """Every line of the transfer's checksum files (TransferError naming any line that cannot be read)."""
    return [a for path in transfer.checksums for a in read_checksum_file(path, transfer.given_as(path))]


def verify_depositor_checksums(journal: Journal, transfer: Transfer, assertions: list[Assertion], source: Path
                               ) -> tuple[int, str]:
    """Check the stored records against the depositor's checksums and journal what matched; refuse a
    mismatch or a missing file. Returns (records checked, a warning naming unlisted records or '')."""
    if not assertions:
        return 0, ""
    checked = check_assertions(assertions, journal.originals())
    refuse_mismatches(checked, source)
    journal.set_asserted(checked.matched)
    return len(checked.matched), unlisted_warning(checked.unlisted, [transfer.given_as(p) for p in transfer.checksums])
