"""`preserve catalogue export-ead REF`: a collection's units of description — those imported from a finding aid
and those AIPs describe — as one EAD 2002 finding aid for The National Archives' Discovery or Archives Hub,
with a link to the portal for every open record. A closed unit is left out with everything below it (its title
never written) unless the archivist asks for closed units too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from catalogue import Database
from catalogue.access_status import catalogued_access
from catalogue.described_units import described_units, units_below
from catalogue.queries import aip_descriptions, find_aip
from catalogue.record_index import records_with_references
from catalogue.references import hierarchy_key
from catalogue.units import units_by_reference
from policies.closure import ClosurePolicy, load_closure_policy
from preservation.config import Settings
from preservation.ead_writing import ExportUnit, Repository, write_ead
from preservation.errors import NotFound
from preservation.files import written_whole
from preservation.identifiers import timestamp
from preservation.model import CLOSED, OPEN, DescribedUnit, Unit


@dataclass
class EadExport:
    """What an export wrote."""

    path: str
    reference: str
    units: int = 0
    linked: int = 0  # open records given a link to the portal
    left_out: int = 0  # closed units (with what is below them) not written


def export_ead(
    settings: Settings, database: Database, reference: str, out: Path, include_closed: bool = False
) -> EadExport:
    """Write the unit ``reference`` and everything below it to ``out`` as EAD 2002."""
    today = date.today().isoformat()
    policy = load_closure_policy(settings.policies_path)
    report = EadExport(str(out), reference)
    with database.session() as session:
        tree = _Tree(session, policy, settings.portal_url, today)
        top = tree.unit(reference)
        if top is None:
            raise NotFound(
                f"no unit of description has the reference code {reference!r}",
                hint="`preserve search REF/` lists a unit and what is below it; "
                "`preserve catalogue import-ead` brings in a finding aid.",
            )
        exported = tree.build(top, include_closed, report)
    if exported is None:
        raise NotFound(
            f"{reference} is closed: nothing of it may be exported",
            hint="Add --include-closed to export closed units too (for the archive's own use, never for publication).",
        )
    repository = Repository(settings.archive_name, settings.country_code, settings.repository_code)
    with written_whole(out) as handle:
        write_ead(handle, exported, repository, timestamp()[:10])
    return report


class _Tree:
    """Units of description by reference code, from both places they are kept, with what each comes to."""

    def __init__(self, session, policy: ClosurePolicy, portal: str, today: str) -> None:
        self.session, self.policy, self.portal, self.today = session, policy, portal, today

    def unit(self, reference: str) -> DescribedUnit | Unit | None:
        """The unit with this reference code: imported, or described by an AIP."""
        held = units_by_reference(self.session, [reference]).get(reference)  # described with its files: first
        return held if held is not None else described_units(self.session, [reference]).get(reference)

    def build(self, unit: DescribedUnit | Unit, include_closed: bool, report: EadExport) -> ExportUnit | None:
        """``unit`` and what is below it as they are to be written (None when it is closed and left out)."""
        access, link = self._access(unit)
        if access == CLOSED and not include_closed:
            report.left_out += 1
            return None
        exported = self._export_unit(unit, link if access == OPEN else "")
        report.units += 1
        report.linked += bool(exported.link)
        for child in self._children(unit.reference):
            below = self.build(child, include_closed, report)
            if below is not None:
                exported.children.append(below)
        return exported

    def _children(self, reference: str) -> list[DescribedUnit | Unit]:
        return sorted(units_below(self.session, reference), key=lambda u: hierarchy_key(u.reference))

    def _access(self, unit: DescribedUnit | Unit) -> tuple[str, str]:
        """(access status, the portal's page for it) — an AIP's unit as the records index has it worked out, an
        imported one by its access conditions and the closure policy."""
        if isinstance(unit, Unit):
            records = records_with_references(self.session, [unit.reference], self.today)
            if not records:
                return CLOSED, ""  # not worked out yet: nothing is shown until it is
            record = records[0]
            page = f"{self.portal}/records/{record.aip_id}" + (f"/{record.path}" if record.path else "")
            return record.access, page
        access = catalogued_access(self.session, unit, self.policy.evaluate, self.policy.default(), self.today)
        return access.status, ""

    def _aip_title(self, aip_id: str) -> str:
        """An AIP's title: its own unit's, where its description gives none (as the records index does)."""
        aip = find_aip(self.session, aip_id)
        return aip.title if aip is not None else ""

    def _export_unit(self, unit: DescribedUnit | Unit, link: str) -> ExportUnit:
        if isinstance(unit, DescribedUnit):
            return ExportUnit(
                unit.reference,
                unit.level,
                unit.title,
                unit.date,
                unit.date_text,
                unit.extent,
                unit.scope,
                unit.access_text,
                unit.creators,
            )
        described = [(e, v) for t, e, v in aip_descriptions(self.session, unit.aip_id) if t == unit.target]
        title = unit.title or (unit.target.rsplit("/", 1)[-1] if unit.target else self._aip_title(unit.aip_id))
        return ExportUnit(
            unit.reference,
            unit.level,
            title,
            unit.date_text,
            unit.date_text,
            "; ".join(v for e, v in described if e == "format"),
            "\n".join(v for e, v in described if e == "description"),
            "\n".join(v for e, v in described if e == "rights"),
            tuple(v for e, v in described if e == "creator"),
            link,
        )
