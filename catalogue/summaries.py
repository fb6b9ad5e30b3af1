"""An AIP summed up from the catalogue (`preserve aip show` without --files): counts and sizes by role, format,
folder and validation verdict, and events by kind, computed in the database, so a 100,000-file AIP is summed up
as quickly as a small one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.models import EventRow, FileRow
from preservation.model import FILE_ROLES, Validation, format_label

PROBLEMS_LISTED = 10  # files with a failed or invalid validation named in the summary (--files lists them all)


@dataclass(frozen=True)
class Tally:
    """How many files, and how many bytes, under one heading."""

    label: str
    files: int
    bytes: int
    detail: str = ""  # e.g. a format's PUID


@dataclass
class AipSummary:
    """What `aip show` prints before (or instead of) the file list."""

    by_role: list[Tally] = field(default_factory=list)
    by_format: list[Tally] = field(default_factory=list)
    by_folder: list[Tally] = field(default_factory=list)
    by_verdict: list[Tally] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (path, verdict, first message)
    pending_review: int = 0
    events: list[tuple[str, str, int]] = field(default_factory=list)  # (type, outcome, count)


def aip_summary(session: Session, aip_id: str) -> AipSummary:
    """The AIP's files and events summed up: one grouped pass over its files, one over their paths (for the
    folders), one over its events (by an index on type and outcome)."""
    files = FileRow.__table__.c
    of_aip = files.aip_id == aip_id
    summary = AipSummary()
    roles: Tallies = Tallies()
    formats: Tallies = Tallies()
    verdicts: Tallies = Tallies()
    problem_texts: list[str] = []
    reviewing = files.review != ""
    grouped = session.execute(
        select(
            files.role,
            files.puid,
            files.format_name,
            files.format_version,
            files.validation,
            reviewing,
            func.count(),
            func.coalesce(func.sum(files.size), 0),
        )
        .where(of_aip)
        .group_by(files.role, files.puid, files.format_name, files.format_version, files.validation, reviewing)
    )
    for role, puid, name, version, text, review, count, size in grouped:
        roles.add(role, count, size)
        formats.add(format_label(name, version) or "not identified", count, size, puid or "")
        verdict = Validation.from_json(text)
        verdicts.add(verdict.status or "not validated", count, size)
        if verdict.status in ("invalid", "failed") and text not in problem_texts:
            problem_texts.append(text)
        summary.pending_review += count if review else 0
    order = {role: place for place, role in enumerate(FILE_ROLES)}
    summary.by_role = sorted(roles.tallies(), key=lambda t: order.get(t.label, len(order)))
    summary.by_format = sorted(formats.tallies(), key=lambda t: (-t.files, t.label))
    summary.by_verdict = sorted(verdicts.tallies(), key=lambda t: (-t.files, t.label))
    folders = Tallies()
    for path, size in session.execute(select(files.path, files.size).where(of_aip)):
        folders.add(_folder(path), 1, size)
    summary.by_folder = sorted(folders.tallies(), key=lambda t: (-t.files, t.label))
    if problem_texts:
        rows = session.execute(
            select(files.path, files.validation)
            .where(of_aip, files.validation.in_(problem_texts))
            .order_by(files.path)
            .limit(PROBLEMS_LISTED)
        )
        for path, text in rows:
            verdict = Validation.from_json(text)
            summary.problems.append((path, verdict.status, verdict.messages[0] if verdict.messages else ""))
    events = EventRow.__table__.c
    summary.events = [
        (kind, outcome, count)
        for kind, outcome, count in session.execute(
            select(events.type, events.outcome, func.count())
            .where(events.aip_id == aip_id)
            .group_by(events.type, events.outcome)
            .order_by(events.type, events.outcome)
        )
    ]
    return summary


class Tallies:
    """Files and bytes added up by label (and the detail shown with it, such as a PUID)."""

    def __init__(self) -> None:
        self._files: Counter[tuple[str, str]] = Counter()
        self._bytes: Counter[tuple[str, str]] = Counter()

    def add(self, label: str, files: int, size: int, detail: str = "") -> None:
        """Count ``files`` files of ``size`` bytes under ``label``."""
        self._files[(label, detail)] += files
        self._bytes[(label, detail)] += size

    def tallies(self) -> list[Tally]:
        """Every label with its files and bytes."""
        return [
            Tally(label, count, self._bytes[(label, detail)], detail) for (label, detail), count in self._files.items()
        ]


def _folder(path: str) -> str:
    """The folder a file is counted under: the first folder below objects/ (or derivatives/<role>/), else the
    bag's own folder (data/metadata, …)."""
    parts = path.split("/")
    if parts[:2] == ["data", "objects"]:
        return "objects/" + parts[2] if len(parts) > 3 else "objects"
    if parts[:2] == ["data", "derivatives"] and len(parts) > 3:
        return f"derivatives/{parts[2]}/" + parts[3] if len(parts) > 4 else f"derivatives/{parts[2]}"
    return "/".join(parts[1:-1]) or "(the bag's top)"
