"""BagIt (RFC 8493) validation: every problem reported, for transfers received and AIPs exported.

``validate_bag`` checks ``bagit.txt``, every payload and tag manifest (each file read once for
all algorithms, files spread over worker processes), completeness both ways, ``Payload-Oxum``
and unsafe paths; it refuses ``fetch.txt`` (no network fetches) and warns about bags that are
valid but suspicious. What RFC 8493 allows is accepted: CR, LF or CRLF line endings in tag files,
empty payload files, and percent-encoded CR, LF and ``%`` in manifest paths.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from preservation.bag import decode_path
from preservation.parallel import worker_map

ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
WEAK = ("md5", "sha1")
MANIFEST = re.compile(r"^(tag)?manifest-([a-z0-9]+)\.txt$")
CHUNK = 1024 * 1024


@dataclass
class BagReport:
    """What validating a bag found: errors make it invalid; warnings do not."""

    path: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    payload_files: int = 0
    payload_bytes: int = 0
    algorithms: list[str] = field(default_factory=list)
    info: list[tuple[str, str]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when no error was found."""
        return not self.errors


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a UTF-8 tag file, with CR, LF or CRLF endings."""
    text = path.read_bytes().decode("utf-8")
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        if line:
            yield number, line


def _read_bagit_txt(bag: Path, report: BagReport) -> None:
    declaration = bag / "bagit.txt"
    if not declaration.is_file():
        report.errors.append("bagit.txt: missing (this is not a bag)")
        return
    raw = declaration.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        report.errors.append("bagit.txt: starts with a byte-order mark, which RFC 8493 forbids")
        raw = raw[3:]
    try:
        lines = [line for line in re.split(r"\r\n|\r|\n", raw.decode("utf-8")) if line]
    except UnicodeDecodeError:
        report.errors.append("bagit.txt: not UTF-8")
        return
    version = re.fullmatch(r"BagIt-Version: (\d+)\.(\d+)", lines[0]) if lines else None
    encoding = re.fullmatch(r"Tag-File-Character-Encoding: (\S+)", lines[1]) if len(lines) > 1 else None
    if len(lines) != 2 or version is None or encoding is None:
        report.errors.append("bagit.txt: must be exactly 'BagIt-Version: M.N' then "
                             "'Tag-File-Character-Encoding: ENCODING'")
        return
    if (int(version.group(1)), int(version.group(2))) not in ((1, 0), (0, 97)):
        report.warnings.append(f"bagit.txt: BagIt-Version {version.group(1)}.{version.group(2)} "
                               "(this validator knows 1.0 and 0.97)")
    if encoding.group(1).upper() not in ("UTF-8", "UTF8"):
        report.errors.append(f"bagit.txt: tag files in {encoding.group(1)} are not supported (UTF-8 only)")


def _read_bag_info(bag: Path, report: BagReport) -> None:
    info = bag / "bag-info.txt"
    if not info.is_file():
        return
    try:
        current: list[str] | None = None
        for number, line in _lines(info):
            if line[:1] in (" ", "\t") and current is not None:
                current[1] += " " + line.strip()
                continue
            label, colon, value = line.partition(":")
            if not colon:
                report.errors.append(f"bag-info.txt line {number}: not 'Label: value'")
                continue
            current = [label.strip(), value.strip()]
            report.info.append(current)  # type: ignore[arg-type]
    except UnicodeDecodeError:
        report.errors.append("bag-info.txt: not UTF-8")
    report.info = [tuple(pair) for pair in report.info]


def _unsafe(path: str) -> bool:
    return (not path or path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) is not None
            or any(part in ("..", "") for part in path.replace("\\", "/").split("/")) or "\x00" in path)


def _read_manifests(bag: Path, report: BagReport) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """path -> {algorithm: digest} for payload and for tag manifests."""
    payload: dict[str, dict[str, str]] = {}
    tags: dict[str, dict[str, str]] = {}
    for entry in sorted(bag.iterdir()):
        found = MANIFEST.match(entry.name)
        if not found or not entry.is_file():
            continue
        is_tag, algorithm = bool(found.group(1)), found.group(2)
        if algorithm not in ALGORITHMS:
            report.errors.append(f"{entry.name}: unknown checksum algorithm {algorithm!r}")
            continue
        target = tags if is_tag else payload
        if not is_tag:
            report.algorithms.append(algorithm)
        seen: dict[str, str] = {}
        try:
            for number, line in _lines(entry):
                parts = line.split(None, 1)
                if len(parts) != 2:
                    report.errors.append(f"{entry.name} line {number}: not 'checksum path'")
                    continue
                digest, written = parts[0].lower(), parts[1].lstrip(" *")
                path = decode_path(written)
                if _unsafe(path):
                    report.errors.append(f"{entry.name} line {number}: unsafe path {written!r}")
                    continue
                if not is_tag and not path.startswith("data/"):
                    report.errors.append(f"{entry.name} line {number}: {written!r} is not under data/")
                    continue
                if len(digest) != hashlib.new(algorithm).digest_size * 2 or not re.fullmatch(r"[0-9a-f]+", digest):
                    report.errors.append(f"{entry.name} line {number}: {digest!r} is not a {algorithm} checksum")
                    continue
                if path in seen:
                    if seen[path] != digest:
                        report.errors.append(f"{entry.name}: {path} is listed twice with different checksums")
                    else:
                        report.errors.append(f"{entry.name}: {path} is listed twice")
                    continue
                seen[path] = digest
                target.setdefault(path, {})[algorithm] = digest
        except UnicodeDecodeError:
            report.errors.append(f"{entry.name}: not UTF-8")
    if not report.algorithms:
        report.errors.append("no payload manifest (manifest-<algorithm>.txt)")
    elif set(report.algorithms) <= set(WEAK):
        report.warnings.append(f"only weak checksum algorithms ({', '.join(report.algorithms)})")
    tag_algorithms = {a for entries in tags.values() for a in entries}
    if tags and tag_algorithms != set(report.algorithms):
        report.warnings.append(f"tag manifests use {', '.join(sorted(tag_algorithms))} but payload manifests "
                               f"use {', '.join(report.algorithms)}")
    return payload, tags


def _payload_files(bag: Path, report: BagReport) -> dict[str, int]:
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


def validate_bag(path: Path, *, fast: bool = False, workers: int = 1) -> BagReport:
    """Check a bag completely (``fast``: completeness and Payload-Oxum only, no checksums)."""
    bag = Path(path)
    report = BagReport(str(bag))
    if not bag.is_dir():
        report.errors.append(f"{bag}: not a folder")
        return report
    _read_bagit_txt(bag, report)
    if (bag / "fetch.txt").exists():
        report.errors.append("fetch.txt: the bag needs files fetched from the network, which preserve never does")
    _read_bag_info(bag, report)
    payload, tags = _read_manifests(bag, report)
    files = _payload_files(bag, report)
    report.payload_files, report.payload_bytes = len(files), sum(files.values())
    for relative in files:
        missing_from = [a for a in report.algorithms if a not in payload.get(relative, {})]
        if missing_from and relative in payload:
            report.errors.append(f"{relative}: not in manifest-{missing_from[0]}.txt (every manifest must list it)")
        elif relative not in payload:
            report.errors.append(f"{relative}: not listed in any manifest")
    for relative in payload:
        if relative not in files:
            report.errors.append(f"{relative}: in the manifest but missing from the bag")
    for relative in tags:
        if not (bag / relative).is_file():
            report.errors.append(f"{relative}: in a tag manifest but missing from the bag")
    _check_oxum(report)
    _check_names(files, report)
    if fast:
        return report
    jobs = [(str(bag / rel), tuple(sorted(sums))) for rel, sums in list(payload.items()) + list(tags.items())
            if (rel in files if rel.startswith("data/") else (bag / rel).is_file())]
    expected = {str(bag / rel): (rel, sums) for rel, sums in list(payload.items()) + list(tags.items())}
    for full, found in worker_map(no_worker, None, hash_file_job, jobs, workers, batch_size=64):
        relative, sums = expected[full]
        if isinstance(found, str):
            report.errors.append(f"{relative}: {found}")
            continue
        for algorithm, digest in sums.items():
            if found[algorithm] != digest:
                report.errors.append(f"{relative}: {algorithm} checksum mismatch (expected {digest}, found "
                                     f"{found[algorithm]})")
    return report


def _check_oxum(report: BagReport) -> None:
    oxum = [value for label, value in report.info if label.lower() == "payload-oxum"]
    if not oxum:
        return
    found = re.fullmatch(r"(\d+)\.(\d+)", oxum[0])
    if not found:
        report.errors.append(f"bag-info.txt: Payload-Oxum {oxum[0]!r} is not 'bytes.files'")
    elif (int(found.group(1)), int(found.group(2))) != (report.payload_bytes, report.payload_files):
        report.errors.append(f"bag-info.txt: Payload-Oxum says {oxum[0]}, the payload is "
                             f"{report.payload_bytes}.{report.payload_files}")


def _check_names(files: dict[str, int], report: BagReport) -> None:
    by_form: dict[str, list[str]] = {}
    for relative in files:
        by_form.setdefault(unicodedata.normalize("NFC", relative).casefold(), []).append(relative)
    for names in by_form.values():
        if len(names) > 1:
            report.warnings.append(f"names that are the same once Unicode-normalised or case-folded: "
                                   f"{' | '.join(names)}")
