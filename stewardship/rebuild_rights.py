"""Rights statements read back from the PREMIS a METS holds, as the catalogue recorded them at ingest.

``preservation.premis`` writes a statement's notes into its basis block: the rights.csv note (unless it
stood in for a licence's terms or a statute's citation, as sheets without those columns give them), then
each column rights.csv did not know as ``column: value`` (grant columns without a grant_act among them).
Which is which is not marked, so an AIP's statements are read first and told apart together: a note after
the first is always such a column, which names the columns the AIP's sheet did not know.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from lxml import etree

from preservation.identifiers import name_uuid
from preservation.model import RightsStatement
from preservation.premis import OPEN_START

P = "{http://www.loc.gov/premis/v3}"
STATUS_BACK = {"publicdomain": "public domain"}
BLOCKS = {"Copyright": "copyright", "License": "license", "Statute": "statute"}  # any other basis: otherRights
MAIN = {"license": "licenseTerms", "statute": "statuteCitation"}  # the field a note may stand in for
GRANT_COLUMNS = ("grant_restriction", "grant_start_date", "grant_end_date", "grant_note")  # notes without an act
RIGHTS_ROWS = 100_000  # rights.csv rows tried when recovering a statement's row from its identifier


@dataclass(frozen=True)
class ReadRights:
    """A statement as its PREMIS gives it, before its notes are told apart."""

    statement: RightsStatement  # every field but note, terms, citation and extra
    block: str  # copyright, license, statute or otherRights
    main: str  # a licence's terms or a statute's citation as written (or the note written in its place)
    notes: tuple[str, ...]  # the basis block's notes, in order


@dataclass
class RowFinder:
    """Recovers the rights.csv row of an AIP's statements: a statement's identifier is derived from its row
    (preservation.mets), so the rows already found are tried first, then each row in turn."""

    rows: list[int] = field(default_factory=list)
    hopeless: bool = False  # a statement matched no row: not written by this rule, so stop trying

    def row(self, identifier: str, owner: str, scope: str) -> int:
        """The row whose identifier is ``identifier`` (0 when none is)."""
        if not identifier or self.hopeless:
            return 0
        for row in [*self.rows, *range(RIGHTS_ROWS)]:
            if name_uuid(owner, f"{scope}{row}") == identifier:
                if row not in self.rows:
                    self.rows.append(row)
                return row
        self.hopeless = True
        return 0


def _text(element, path: str) -> str:
    """The text at ``path`` below ``element`` ('' where either is missing)."""
    return "" if element is None else element.findtext(path, default="") or ""


def _date(element, path: str) -> str:
    """A date as rights.csv gave it: the open start written for applicable dates given with an end only is ''."""
    value = _text(element, path)
    return "" if value == OPEN_START else value


def read_rights(element: etree._Element, owner: str, scope: str, rows: RowFinder) -> ReadRights:
    """A ``rightsStatement`` element, with the rights.csv row it came from recovered from its identifier."""
    basis = _text(element, f"{P}rightsBasis")
    kind = BLOCKS.get(basis, "otherRights")
    block = element.find(f"{P}{kind}Information")
    dates = block.find(f"{P}{kind}ApplicableDates") if block is not None else None
    grant = element.find(f"{P}rightsGranted")
    documentation = f"{P}{kind}DocumentationIdentifier/{P}{kind}Documentation"
    status = _text(block, f"{P}copyrightStatus") if kind == "copyright" else ""
    determination = {
        "copyright": "copyrightStatusDeterminationDate",
        "statute": "statuteInformationDeterminationDate",
    }.get(kind)
    jurisdiction = {"copyright": "copyrightJurisdiction", "statute": "statuteJurisdiction"}.get(kind)
    statement = RightsStatement(
        basis=basis,
        status=STATUS_BACK.get(status, status),
        jurisdiction=_text(block, f"{P}{jurisdiction}") if jurisdiction else "",
        determination_date=_text(block, f"{P}{determination}") if determination else "",
        start_date=_date(dates, f"{P}startDate"),
        end_date=_text(dates, f"{P}endDate"),
        act=_text(grant, f"{P}act"),
        restriction=_text(grant, f"{P}restriction"),
        grant_start_date=_date(grant, f"{P}termOfGrant/{P}startDate"),
        grant_end_date=_text(grant, f"{P}termOfGrant/{P}endDate"),
        grant_note=_text(grant, f"{P}rightsGrantedNote"),
        source_row=rows.row(
            _text(element, f"{P}rightsStatementIdentifier/{P}rightsStatementIdentifierValue"), owner, scope
        ),
        doc_id_type=_text(block, f"{documentation}IdentifierType"),
        doc_id_value=_text(block, f"{documentation}IdentifierValue"),
        doc_id_role=_text(block, f"{documentation}Role"),
    )
    notes = tuple(note.text or "" for note in block.iterfind(f"{P}{kind}Note")) if block is not None else ()
    return ReadRights(statement, kind, _text(block, f"{P}{MAIN[kind]}") if kind in MAIN else "", notes)


def resolve_rights(found: dict[str, list[ReadRights]]) -> dict[str, list[RightsStatement]]:
    """An AIP's statements by target, their notes told apart (note, terms or citation, unknown columns)."""
    read = [statement for statements in found.values() for statement in statements]
    columns = _unknown_columns(read)
    given = any(r.main and _first_is_note(r, columns) for r in read)
    return {target: [_resolved(r, columns, given) for r in statements] for target, statements in found.items()}


def _unknown_columns(read: list[ReadRights]) -> set[str]:
    """The columns the AIP's sheet did not know: named by every note that can only be one (a note after the
    first; any note of a licence or statute with no terms or citation), and the grant columns."""
    certain = [note for r in read for note in (r.notes if r.block in MAIN and not r.main else r.notes[1:])]
    return {note.partition(": ")[0] for note in certain} | set(GRANT_COLUMNS)


def _column(note: str, columns: set[str]) -> str:
    """The unknown column a note gives as ``column: value`` ('' if it names none)."""
    return max((c for c in columns if note.startswith(f"{c}: ")), key=len, default="")


def _first_is_note(r: ReadRights, columns: set[str]) -> bool:
    """Whether a statement's first note is the rights.csv note (not a column it did not know)."""
    if not r.notes or (r.block in MAIN and not r.main):  # a licence or statute's note would have filled main
        return False
    return not _column(r.notes[0], columns)


def _resolved(r: ReadRights, columns: set[str], main_given: bool) -> RightsStatement:
    """The statement with its note, terms or citation and unknown columns. A licence's terms (a statute's
    citation) with no note beside them are the note a sheet without a terms (citation) column gave, unless
    another statement of the AIP shows the sheet had those columns (``main_given``)."""
    first = _first_is_note(r, columns)
    note, rest = (r.notes[0], r.notes[1:]) if first else ("", r.notes)
    main = r.main
    if r.block in MAIN and main and not first and not main_given:
        note, main = main, ""
    return replace(
        r.statement,
        note=note,
        terms=main if r.block == "license" else "",
        citation=main if r.block == "statute" else "",
        extra=tuple(_pair(text, columns) for text in rest),
    )


def _pair(note: str, columns: set[str]) -> tuple[str, str]:
    """An unknown column's note as (column, value)."""
    column = _column(note, columns)
    if column:
        return column, note[len(column) + 2 :]
    name, _, value = note.partition(": ")
    return name, value
