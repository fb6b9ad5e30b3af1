"""Counts and sizes in the one vocabulary every command uses (docs/aip.md, "Counts and sizes"): original files,
metadata files, preservation and access copies, catalogued files (all of those) and stored files (what a
location holds for the AIP), always in binary units."""

from __future__ import annotations

from collections.abc import Iterable

from cli.output import console, esc, human_size, table
from preservation.model import FileCounts

# a role's files in words: (one, many)
ROLE_NOUNS = {
    "original": ("original file", "original files"),
    "metadata": ("metadata file", "metadata files"),
    "preservation": ("preservation copy", "preservation copies"),
    "access": ("access copy", "access copies"),
    "catalogued": ("catalogued file", "catalogued files"),
    "stored": ("stored file", "stored files"),
}
MOST_ROWS = 15  # rows of a summary table; the rest are added up in one row


def count_words(files: int, size: int, kind: str) -> str:
    """``11 original files, 70.8 KiB``: how many of a kind (a ROLE_NOUNS key), and their size."""
    one, many = ROLE_NOUNS.get(kind, (f"{kind} file", f"{kind} files"))
    return f"{files} {one if files == 1 else many}, {human_size(size)}"


def roles_words(counts: FileCounts) -> str:
    """Every role the AIP has files of, in words: ``11 original files, 70.8 KiB; 2 preservation copies, 13.1 KiB``."""
    return "; ".join(count_words(files, size, role) for role, files, size in counts.by_role) or "no files"


def stored_words(counts: FileCounts) -> str:
    """What a location stores for the AIP, or that it is not yet measured (AIPs from before it was counted)."""
    if counts.stored is None:
        return "stored: not yet measured (the next `preserve audit` measures it)"
    files, size = counts.stored
    return f"stored: {files} {'file' if files == 1 else 'files'}, {human_size(size)}"


def print_tallies(
    title: str, heading: str, tallies: Iterable[tuple[str, str, int, int]], detail: str = "", files: str = "Files"
) -> None:
    """A table of (label, detail, files, bytes) rows, the largest MOST_ROWS of them and the rest added up."""
    tallies = list(tallies)
    rows = table(heading, *((detail,) if detail else ()), files, "Size", title=title)
    for label, extra, count, size in tallies[:MOST_ROWS]:
        rows.add_row(esc(label), *((extra or "—",) if detail else ()), str(count), human_size(size))
    rest = tallies[MOST_ROWS:]
    if rest:
        count, size = sum(t[2] for t in rest), sum(t[3] for t in rest)
        rows.add_row(f"… {len(rest)} more", *(("",) if detail else ()), str(count), human_size(size))
    console().print(rows)
