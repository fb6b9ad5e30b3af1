"""Delete the catalogue, rebuild it from storage alone, and find everything as it was."""

from __future__ import annotations

import shutil

import pytest

from preservation.model import RightsStatement
from stewardship.rebuild_rights import ReadRights, resolve_rights
from tests.test_metadata_csv import GOOD as METADATA
from tests.test_rights_csv import GOOD as RIGHTS

pytestmark = pytest.mark.both_catalogues  # a rebuild into SQLite and into PostgreSQL


def _snapshot(preserve) -> dict:
    result = {}
    for aip in preserve.json("aip", "list"):
        shown = preserve.json("aip", "show", aip["id"])
        rights = shown["rights"]
        events = sorted(
            (
                e["id"],
                e["type"],
                e["datetime"],
                e["outcome"],
                e["detail"],
                e["outcome_detail"],
                e["file_id"],
                tuple(e["agent_ids"]),
            )
            for e in shown["events"]
        )
        aip_row = {k: v for k, v in shown["aip"].items()}
        result[aip["id"]] = {
            "aip": aip_row,
            "files": shown["files"],
            "events": events,
            "descriptions": shown["descriptions"],
            "rights": sorted(map(str, rights)),
            "agents": sorted((a["id"], a["name"], a["version"]) for a in shown["agents"]),
            "replicas": shown["replicas"],
        }
    return result


def test_a_deleted_catalogue_comes_back_from_storage(preserve, collection, tmp_path):
    transfer = tmp_path / "transfer"
    shutil.copytree(collection, transfer / "objects")
    (transfer / "metadata").mkdir()
    (transfer / "metadata" / "metadata.csv").write_text(METADATA)
    (transfer / "metadata" / "rights.csv").write_text(RIGHTS)
    preserve.json("ingest", str(transfer))
    preserve.json("ingest", str(collection), "--title", "Second accession")
    preserve.json("audit")
    before = _snapshot(preserve)
    assert len(before) == 2

    preserve.lose_catalogue()
    report = preserve.json("catalogue", "rebuild")
    assert report["aips"] == 2 and report["problems"] == []
    after = _snapshot(preserve)
    for aip_id, original in before.items():
        rebuilt = after[aip_id]
        assert rebuilt["files"] == original["files"]
        assert rebuilt["events"] == original["events"]
        assert rebuilt["descriptions"] == original["descriptions"]
        assert rebuilt["rights"] == original["rights"]
        assert rebuilt["agents"] == original["agents"]
        assert rebuilt["replicas"] == original["replicas"]
        for key in (
            "id",
            "title",
            "slug",
            "transfer_id",
            "ocfl_id",
            "head_version",
            "file_count",
            "total_bytes",
            "counts",
            "mets_path",
            "mets_sha512",
            "created_at",
        ):
            assert rebuilt["aip"][key] == original["aip"][key], key
    assert preserve.json("search", "vestry", "clerk")["records"] != []  # the records index is written again
    assert preserve.json("audit")["ok"] is True


def test_a_rebuild_refuses_a_catalogue_that_is_not_empty(preserve, collection):
    preserve.json("ingest", str(collection))
    result = preserve("catalogue", "rebuild", expect=12)
    assert "already lists AIPs" in result.stderr and "Move the catalogue database aside" in result.stderr


def _read(basis: str, main: str = "", *notes: str) -> ReadRights:
    block = {"License": "license", "Statute": "statute", "Copyright": "copyright"}.get(basis, "otherRights")
    return ReadRights(RightsStatement(basis), block, main, notes)


def _told_apart(*read: ReadRights) -> list[tuple]:
    resolved = resolve_rights({"": list(read)})[""]
    return [(s.note, s.terms or s.citation, s.extra) for s in resolved]


def test_a_statements_notes_are_told_apart_as_the_sheet_gave_them():
    # a sheet without terms and citation columns gave a licence's terms and a statute's citation as the note
    assert _told_apart(_read("License", "CC BY 4.0"), _read("Statute", "Public Records Act 1958")) == [
        ("CC BY 4.0", "", ()),
        ("Public Records Act 1958", "", ()),
    ]
    # a note beside the terms shows the sheet had the terms column: terms alone elsewhere are terms
    assert _told_apart(_read("License", "CC BY 4.0", "With credit"), _read("License", "OGL v3.0")) == [
        ("With credit", "CC BY 4.0", ()),
        ("", "OGL v3.0", ()),
    ]
    # a note after the first is a column rights.csv did not know, which names it wherever it comes first
    assert _told_apart(
        _read("Donor", "", "Deposited", "Box: 4"),
        _read("Donor", "", "Box: 5"),
        _read("Policy", "", "Reading room: closed"),
    ) == [("Deposited", "", (("Box", "4"),)), ("", "", (("Box", "5"),)), ("Reading room: closed", "", ())]
    # a licence or statute with no terms or citation had no note either; grant columns without an act are notes
    assert _told_apart(_read("Statute", "", "Ref: 12"), _read("Other", "", "grant_note: Kept")) == [
        ("", "", (("Ref", "12"),)),
        ("", "", (("grant_note", "Kept"),)),
    ]
