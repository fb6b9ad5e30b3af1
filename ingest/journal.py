"""The transfer journal: a small SQLite file in the staging area that records each file's progress.

It keeps the per-file results on disk rather than in memory (so an ingest of 100,000 files
runs in bounded memory), hands them back in path order for the METS and manifests, and is the
checkpoint a resumed ingest starts from.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from formats.personal_data import PersonalDataScan
from ingest.sources import EmptyFolder, SourceFile, logical_name, numbered, original_name
from preservation.identifiers import timestamp
from preservation.model import FormatInfo, Validation, format_label

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    idx INTEGER PRIMARY KEY,
    source BLOB NOT NULL,
    relative TEXT NOT NULL,
    logical TEXT NOT NULL UNIQUE,
    folded TEXT NOT NULL,
    file_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT, sha512 TEXT,
    puid TEXT, format_name TEXT, format_version TEXT, mime_type TEXT, basis TEXT, warning TEXT, tool TEXT,
    hashed_at TEXT, identified_at TEXT, stored_at TEXT,
    validation TEXT, validated_at TEXT,
    virus TEXT, virus_detail TEXT, virus_at TEXT,
    personal_data TEXT, personal_at TEXT,
    role TEXT NOT NULL DEFAULT 'original', derived_from TEXT, derivation TEXT, derived_at TEXT,
    conversion_problems TEXT,
    other_digests TEXT, asserted TEXT, collided TEXT, renamed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS files_folded ON files(folded);
CREATE INDEX IF NOT EXISTS files_relative ON files(relative);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (
    idx INTEGER PRIMARY KEY, error TEXT NOT NULL, traceback TEXT NOT NULL, attempts INTEGER NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS folders (logical TEXT PRIMARY KEY, relative TEXT NOT NULL, folded TEXT NOT NULL,
                                    collided TEXT, renamed INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS folders_folded ON folders(folded);
CREATE TABLE IF NOT EXISTS content (
    logical TEXT PRIMARY KEY, size INTEGER NOT NULL, sha256 TEXT NOT NULL, sha512 TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class JournalFile:
    """A file's row in the journal."""

    idx: int
    source: str
    relative: str
    logical: str
    file_id: str
    size: int
    mtime_ns: int
    sha256: str = ""
    sha512: str = ""
    format: FormatInfo = FormatInfo()
    hashed_at: str = ""
    identified_at: str = ""
    stored_at: str = ""
    validation: Validation = Validation("")
    validated_at: str = ""
    virus: str = ""  # clean, not scanned ('' when no check was made)
    virus_detail: str = ""
    virus_at: str = ""
    personal_data: PersonalDataScan | None = None
    personal_at: str = ""
    role: str = "original"  # or preservation / access: a derivative made at ingest
    derived_from: str = ""  # the file id of a derivative's source
    derivation: str = ""  # "<tool label>|<target>" that made a derivative
    derived_at: str = ""
    conversion_problems: tuple[tuple[str, str, str, str, str], ...] = ()  # (role, target, tool, message, when)
    other_digests: tuple[tuple[str, str], ...] = ()  # (algorithm, hex) besides SHA-256 and SHA-512
    asserted: tuple[tuple[str, str, str], ...] = ()  # the depositor's checksums it matched: (algorithm, hex, where)


@dataclass(frozen=True)
class FileResult:
    """What the per-file work found out and did."""

    idx: int
    size: int
    sha256: str
    sha512: str
    format: FormatInfo
    hashed_at: str
    identified_at: str
    stored_at: str
    validation: Validation = Validation("")
    validated_at: str = ""
    personal_data: PersonalDataScan | None = None
    personal_at: str = ""
    other_digests: dict[str, str] = dataclasses.field(default_factory=dict)  # md5/sha1 for depositor checksums
    error: str = ""  # set when the file could not be processed: nothing else is
    traceback: str = ""
    attempts: int = 1
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)  # phase -> wall seconds (ingest.timings)


@dataclass(frozen=True)
class FileFailure:
    """A file the per-file work could not process, after every attempt."""

    relative: str
    error: str
    traceback: str
    attempts: int
    failed_at: str


class Journal:
    """The journal of one transfer."""

    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")  # a reader (pending) and the writer (record) at once
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def add_sources(
        self,
        found: Iterator[SourceFile | EmptyFolder],
        logical_of: Callable[[str], str],
        file_id_of: Callable[[str], str],
        role: str = "original",
    ) -> tuple[int, int]:
        """Record every source file (and empty folder) under the name ``logical_of`` gives it; a name that
        collides with one recorded before (also ignoring case) is numbered (``~2``). Returns (files, bytes)."""
        count = total = 0
        with self.db:
            (idx,) = self.db.execute("SELECT coalesce(max(idx), -1) + 1 FROM files").fetchone()
            for source in found:
                wanted = logical_of(source.relative)
                logical = self._free_name(wanted)
                if isinstance(source, EmptyFolder):
                    self.db.execute(
                        "INSERT INTO folders VALUES (?, ?, ?, ?, ?)",
                        (
                            logical,
                            original_name(source.relative),
                            logical.casefold(),
                            wanted if logical != wanted else None,
                            logical != wanted or logical_name(source.relative) != source.relative,
                        ),
                    )
                    continue
                self.db.execute(
                    "INSERT INTO files (idx, source, relative, logical, folded, file_id, size, mtime_ns, role,"
                    " collided, renamed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        idx,
                        os.fsencode(source.path),
                        original_name(source.relative),
                        logical,
                        logical.casefold(),
                        file_id_of(original_name(source.relative)),
                        source.size,
                        source.mtime_ns,
                        role,
                        wanted if logical != wanted else None,
                        logical != wanted or logical_name(source.relative) != source.relative,
                    ),
                )
                idx += 1
                count += 1
                total += source.size
        return count, total

    def _free_name(self, logical: str) -> str:
        """``logical``, or the first numbered form of it that no file or folder recorded so far has taken."""
        candidate, number = logical, 1
        while self.db.execute(
            "SELECT 1 FROM files WHERE folded = ? UNION ALL SELECT 1 FROM folders WHERE folded = ?",
            (candidate.casefold(), candidate.casefold()),
        ).fetchone():
            number += 1
            candidate = numbered(logical, number)
        return candidate

    def originals(self, role: str = "original") -> Iterator[tuple[str, str, str, dict[str, str]]]:
        """(relative path, SHA-256, SHA-512, other digests) of every record of the transfer (or every file of
        another ``role``, e.g. ``metadata``), in path order."""
        for relative, sha256, sha512, other in self.db.execute(
            "SELECT relative, sha256, sha512, other_digests FROM files WHERE role = ? ORDER BY logical", (role,)
        ):
            yield relative, sha256 or "", sha512 or "", json.loads(other or "{}")

    def set_asserted(self, asserted: dict[str, list[tuple[str, str, str]]], role: str = "original") -> None:
        """Record, by relative path, the depositor's checksums each record (or file of ``role``) matched:
        (algorithm, hex, where)."""
        with self.db:
            self.db.executemany(
                "UPDATE files SET asserted=? WHERE relative=? AND role=?",
                ((json.dumps(found), relative, role) for relative, found in asserted.items()),
            )

    def record_count(self) -> int:
        """How many records (files the transfer gave as records, not metadata or copies) the journal holds."""
        return self.db.execute("SELECT count(*) FROM files WHERE role = 'original'").fetchone()[0]

    def metadata_files(self) -> list[tuple[str, str, int]]:
        """(original name, stored path, size) of every file that came with the records rather than being one."""
        return self.db.execute(
            "SELECT relative, logical, size FROM files WHERE role = 'metadata' ORDER BY logical"
        ).fetchall()

    def empty_folders(self) -> list[tuple[str, str]]:
        """(stored path, original name) of every empty folder of the transfer, in path order."""
        return self.db.execute("SELECT logical, relative FROM folders ORDER BY logical").fetchall()

    def renamed(self) -> list[tuple[str, str, bool]]:
        """(name as given, stored path, whether its name was taken) of every file and empty folder stored under
        another name."""
        rows = self.db.execute(
            "SELECT relative, logical, collided FROM files WHERE renamed UNION ALL "
            "SELECT relative, logical, collided FROM folders WHERE renamed ORDER BY logical"
        )
        return [(relative, logical, collided is not None) for relative, logical, collided in rows]

    def pending(self) -> Iterator[JournalFile]:
        """Files not yet stored, in scan order (read on a connection of its own while results are recorded)."""
        reader = sqlite3.connect(self.path)
        try:
            for row in reader.execute(f"SELECT {_COLUMNS} FROM files WHERE stored_at IS NULL ORDER BY idx"):
                yield _journal_file(row)
        finally:
            reader.close()

    def record(self, result: FileResult) -> None:
        """Record one file's digests, format and storage, or its failure (committed by ``commit``)."""
        if result.error:
            self.db.execute(
                "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?)",
                (result.idx, result.error, result.traceback, result.attempts, timestamp()),
            )
            return
        self.db.execute("DELETE FROM failures WHERE idx=?", (result.idx,))
        fmt = result.format
        self.db.execute(
            "UPDATE files SET size=?, sha256=?, sha512=?, puid=?, format_name=?, format_version=?, mime_type=?,"
            " basis=?, warning=?, tool=?, hashed_at=?, identified_at=?, stored_at=?, validation=?, validated_at=?,"
            " personal_data=?, personal_at=?, other_digests=? WHERE idx=?",
            (
                result.size,
                result.sha256,
                result.sha512,
                fmt.puid,
                fmt.name,
                fmt.version,
                fmt.mime_type,
                fmt.basis,
                fmt.warning,
                fmt.tool,
                result.hashed_at,
                result.identified_at,
                result.stored_at,
                result.validation.to_json(),
                result.validated_at,
                json.dumps(dataclasses.asdict(result.personal_data)) if result.personal_data else None,
                result.personal_at,
                json.dumps(result.other_digests) if result.other_digests else None,
                result.idx,
            ),
        )

    def failures(self) -> list[FileFailure]:
        """Every file that could not be processed (a resumed ingest tries them again)."""
        return [
            FileFailure(*row)
            for row in self.db.execute(
                "SELECT f.relative, x.error, x.traceback, x.attempts, x.failed_at FROM failures x"
                " JOIN files f ON f.idx = x.idx ORDER BY x.idx"
            )
        ]

    def progress(self) -> tuple[int, int]:
        """(files stored, files in all) so far."""
        return self.db.execute("SELECT count(stored_at), count(*) FROM files").fetchone()

    def clear(self) -> None:
        """Forget the files of a scan that was interrupted (it is done again)."""
        with self.db:
            self.db.execute("DELETE FROM files")
            self.db.execute("DELETE FROM folders")

    def set_meta(self, **values: str) -> None:
        """Remember facts about the transfer (what a resumed ingest needs to carry on)."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    def meta(self) -> dict[str, str]:
        """Everything ``set_meta`` remembered."""
        return dict(self.db.execute("SELECT key, value FROM meta"))

    def derivative_roles(self) -> set[tuple[str, str]]:
        """(source file id, role) of every derivative made, or attempted and failed."""
        made = set(self.db.execute("SELECT derived_from, role FROM files WHERE role != 'original'"))
        for file_id, text in self.db.execute(
            "SELECT file_id, conversion_problems FROM files WHERE conversion_problems IS NOT NULL"
        ):
            made |= {(file_id, problem[0]) for problem in json.loads(text)}
        return made

    def sources(self) -> Iterator[tuple[int, str, str]]:
        """(idx, source path, relative path) of every file, in scan order."""
        for idx, source, relative in self.db.execute("SELECT idx, source, relative FROM files ORDER BY idx"):
            yield idx, os.fsdecode(source), relative

    def record_virus_checks(self, results: Iterator[tuple[int, str, str]], when: str) -> None:
        """Record (idx, status, detail) of each file's virus check."""
        with self.db:
            self.db.executemany(
                "UPDATE files SET virus=?, virus_detail=?, virus_at=? WHERE idx=?",
                ((status, detail, when, idx) for idx, status, detail in results),
            )

    def remove(self, indexes: list[int]) -> None:
        """Leave files out of the AIP (e.g. quarantined); they are never stored."""
        with self.db:
            self.db.executemany("DELETE FROM files WHERE idx=?", ((idx,) for idx in indexes))

    def add_derivative(
        self, source: JournalFile, path: Path, logical: str, file_id: str, role: str, derivation: str, when: str
    ) -> None:
        """Add a file made from ``source`` (at ``path`` in staging) to be stored as ``logical``."""
        info = path.stat()
        with self.db:
            (idx,) = self.db.execute("SELECT coalesce(max(idx), -1) + 1 FROM files").fetchone()
            self.db.execute(
                "INSERT INTO files (idx, source, relative, logical, folded, file_id, size, mtime_ns, role,"
                " derived_from, derivation, derived_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    idx,
                    os.fsencode(path),
                    logical.removeprefix("data/"),
                    logical,
                    logical.casefold(),
                    file_id,
                    info.st_size,
                    info.st_mtime_ns,
                    role,
                    source.file_id,
                    derivation,
                    when,
                ),
            )

    def add_conversion_problem(self, idx: int, problem: tuple[str, str, str, str, str]) -> None:
        """Record that a derivative of file ``idx`` could not be made: (role, target, tool, message, when)."""
        with self.db:
            (text,) = self.db.execute("SELECT conversion_problems FROM files WHERE idx=?", (idx,)).fetchone()
            problems = [*json.loads(text or "[]"), list(problem)]
            self.db.execute("UPDATE files SET conversion_problems=? WHERE idx=?", (json.dumps(problems), idx))

    def pending_totals(self) -> tuple[int, int]:
        """(files, bytes) not yet stored."""
        return self.db.execute("SELECT count(*), coalesce(sum(size), 0) FROM files WHERE stored_at IS NULL").fetchone()

    def commit(self) -> None:
        """Make recorded results durable."""
        self.db.commit()

    def files(self, roles: tuple[str, ...] | None = None) -> Iterator[JournalFile]:
        """Every file in path order, or those whose role is in ``roles`` (a fresh cursor each call, so callers
        may iterate repeatedly)."""
        if roles is None:
            cursor = self.db.execute(f"SELECT {_COLUMNS} FROM files ORDER BY logical")
        else:
            marks = ", ".join("?" * len(roles))
            cursor = self.db.execute(f"SELECT {_COLUMNS} FROM files WHERE role IN ({marks}) ORDER BY logical", roles)
        for row in cursor:
            yield _journal_file(row)

    def bag_entries(self) -> Iterator[tuple[str, int, str, str]]:
        """(path, size, SHA-256, SHA-512) of every file in path order: what the bag's manifests list."""
        yield from self.db.execute("SELECT logical, size, sha256, sha512 FROM files ORDER BY logical")

    def add_content(self, logical: str, size: int, sha256: str, sha512: str) -> None:
        """Record a non-payload file of the AIP (METS, tag files) stored with the payload."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO content VALUES (?, ?, ?, ?)", (logical, size, sha256, sha512))

    def by_sha512(self) -> Iterator[tuple[str, list[str]]]:
        """(sha512, logical paths) for every stored file of the AIP, grouped by digest."""
        cursor = self.db.execute(
            "SELECT sha512, logical FROM files UNION ALL SELECT sha512, logical FROM content ORDER BY 1, 2"
        )
        for digest, rows in groupby(cursor, key=lambda row: row[0]):
            yield digest, [row[1] for row in rows]

    def by_sha256(self) -> Iterator[tuple[str, list[str]]]:
        """(sha256, logical paths) for every stored file of the AIP, grouped by digest."""
        cursor = self.db.execute(
            "SELECT sha256, logical FROM files UNION ALL SELECT sha256, logical FROM content ORDER BY 1, 2"
        )
        for digest, rows in groupby(cursor, key=lambda row: row[0]):
            yield digest, [row[1] for row in rows]

    def format_counts(self) -> list[tuple[str, str, int, int]]:
        """(format, PUID, files, bytes) of the catalogued files, most common first (as `aip show` sums them)."""
        query = (
            "SELECT coalesce(puid, ''), coalesce(format_name, ''), coalesce(format_version, ''), count(*),"
            " coalesce(sum(size), 0) FROM files GROUP BY 1, 2, 3"
        )
        rows = [(format_label(n, v), p, count, size) for p, n, v, count, size in self.db.execute(query)]
        return sorted(rows, key=lambda row: (-row[2], row[0], row[1]))

    def invalid_files(self) -> list[tuple[str, str, str]]:
        """(relative path, PUID, first message) of every file validation found invalid (the format broken);
        files valid with warnings, not checked (encrypted, too large, no tool) or whose validator failed are not."""
        result = []
        for relative, puid, text in self.db.execute("SELECT relative, puid, validation FROM files ORDER BY idx"):
            validation = _validation(text)  # parsed once per distinct verdict: the policy reads them twice
            if validation.invalid:
                result.append((relative, puid or "", validation.messages[0] if validation.messages else ""))
        return result

    def conversion_failures(self) -> list[tuple[str, str, str, str]]:
        """(relative path, role, target, why) of every derivative that could not be made (the original is kept)."""
        result = []
        rows = self.db.execute("SELECT relative, conversion_problems FROM files WHERE conversion_problems IS NOT NULL")
        for relative, text in rows:
            for role, target, _tool, message, _when in json.loads(text or "[]"):
                result.append((relative, role, target, message))
        return sorted(result)

    def validation_tools(self) -> list[str]:
        """Every validation tool used in this transfer."""
        tools = set()
        for (text,) in self.db.execute("SELECT DISTINCT validation FROM files WHERE validation IS NOT NULL"):
            tool = Validation.from_json(text).tool
            if tool:
                tools.add(tool)
        return sorted(tools)

    def digests(self) -> Iterator[tuple[str, str]]:
        """(relative path, SHA-256) of every file, in path order."""
        yield from self.db.execute("SELECT relative, sha256 FROM files WHERE role = 'original' ORDER BY logical")

    def stored_paths(self) -> Iterator[str]:
        """Every file's stored path under objects/ (sanitised, NFC)."""
        for (logical,) in self.db.execute("SELECT logical FROM files WHERE role = 'original' ORDER BY logical"):
            yield logical.removeprefix("data/objects/")

    def logical_paths(self) -> Iterator[str]:
        """Every path of the AIP stored so far: payload, METS and tag files."""
        for (path,) in self.db.execute("SELECT logical FROM files UNION ALL SELECT logical FROM content"):
            yield path

    def totals(self) -> tuple[int, int]:
        """(files, bytes) of every catalogued file: originals, metadata files and the copies made from them."""
        count, total = self.db.execute("SELECT count(*), coalesce(sum(size), 0) FROM files").fetchone()
        return count, total

    def role_totals(self) -> dict[str, tuple[int, int]]:
        """{role: (files, bytes)} of the catalogued files."""
        query = "SELECT role, count(*), coalesce(sum(size), 0) FROM files GROUP BY role"
        return {role: (count, size) for role, count, size in self.db.execute(query)}

    def stored_totals(self) -> tuple[int, int]:
        """(files, bytes) of everything version v1 stores: the catalogued files, the METS, the tag files, the
        documents given with the transfer and the placeholders of empty folders."""
        files, size = self.totals()
        more, more_size = self.db.execute("SELECT count(*), coalesce(sum(size), 0) FROM content").fetchone()
        return files + more, size + more_size


_COLUMNS = (
    "idx, source, relative, logical, file_id, size, mtime_ns, sha256, sha512, puid, format_name, format_version,"
    " mime_type, basis, warning, tool, hashed_at, identified_at, stored_at, validation, validated_at,"
    " virus, virus_detail, virus_at, personal_data, personal_at, role, derived_from, derivation, derived_at,"
    " conversion_problems, other_digests, asserted"
)


def _journal_file(row: tuple) -> JournalFile:
    fmt = FormatInfo(*(value or "" for value in row[9:16]))
    return JournalFile(
        idx=row[0],
        source=os.fsdecode(row[1]),
        relative=row[2],
        logical=row[3],
        file_id=row[4],
        size=row[5],
        mtime_ns=row[6],
        sha256=row[7] or "",
        sha512=row[8] or "",
        format=fmt,
        hashed_at=row[16] or "",
        identified_at=row[17] or "",
        stored_at=row[18] or "",
        validation=_validation(row[19]),
        validated_at=row[20] or "",
        virus=row[21] or "",
        virus_detail=row[22] or "",
        virus_at=row[23] or "",
        personal_data=PersonalDataScan(**json.loads(row[24])) if row[24] else None,
        personal_at=row[25] or "",
        role=row[26],
        derived_from=row[27] or "",
        derivation=row[28] or "",
        derived_at=row[29] or "",
        conversion_problems=tuple(tuple(p) for p in json.loads(row[30])) if row[30] and row[30] != "[]" else (),
        other_digests=tuple(sorted(json.loads(row[31]).items())) if row[31] and row[31] != "{}" else (),
        asserted=tuple(tuple(a) for a in json.loads(row[32])) if row[32] and row[32] != "[]" else (),
    )


@lru_cache(maxsize=4096)
def _validation(text: str | None) -> Validation:
    """A file's validation from its JSON; most files of a transfer share a handful of verdicts, parsed once."""
    return Validation.from_json(text)
