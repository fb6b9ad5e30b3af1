"""Archivematica's metadata files, read as Archivematica writes them: rights.csv with every column, metadata.csv
and metadata.json (Dublin Core, DCMI terms, directory rows, repeated columns, unknown columns kept with a warning),
identifiers.json; the PREMIS written for them is valid PREMIS 3. The readers are tested directly (no CLI)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from lxml import etree

from catalogue import Database
from ingest.identifiers_json import read_identifiers_json
from ingest.metadata import OTHER, canonical, csv_entries, describe, read_metadata_csv
from ingest.metadata_json import json_entries
from ingest.rights import read_rights_csv
from ingest.transfer_metadata import read_transfer_metadata
from preservation.errors import TransferError
from preservation.model import ARCHIVAL, FileRecord, RightsStatement
from preservation.premis import PREMIS_NS, write_entity, write_object, write_rights
from tests.schemas import premis_schema

P = f"{{{PREMIS_NS}}}"
FILES = {"beihai.tif", "bird.mp3", "artwork/MARBLES.TGA", "artwork/Montréal.png", "letters/1923/to-vicar.pdf"}
FOLDERS = {"artwork", "letters", "letters/1923"}

# Archivematica's sample rights.csv (archivematica-sampledata, SampleTransfers/DemoTransfer/metadata/rights.csv):
# lowercase bases, free text in status ("copyright status"), a grant without a restriction.
ARCHIVEMATICA_RIGHTS = (
    "file,basis,status,determination_date,jurisdiction,start_date,end_date,terms,citation,note,grant_act,"
    "grant_restriction,grant_start_date,grant_end_date,grant_note,doc_id_type,doc_id_value,doc_id_role\n"
    "objects/beihai.tif,copyright,copyright status,2001-01-01,Canada,2002-02-02,2003-03-03,,,Note 1,Act 1,Allow,"
    "2004-04-04,2005-05-05,Grant note 1,,,\n"
    "objects/beihai.tif,copyright,copyright status,,Canada,,,,,Note 2,Act 2,Disallow,,,Grant note 2,,,\n"
    "objects/beihai.tif,license,,,,1982-01-01,1983-02-02,License terms,,Note license,Act license,Allow,,,,,,\n"
    "objects/beihai.tif,statute,,1972-02-02,Canada,1966-01-01,open,Statute terms,Citation,Note statute,"
    "Act statute,Allow,,,,,,\n"
    "objects/beihai.tif,other,,,,1945-01-01,1950-05-05,,,Note other,Act other,Allow,1920-01-01,1921-01-01,"
    "Grant note other,,,\n"
    "objects/bird.mp3,donor,,,,,,,,,Act donor,,,,,,,\n"
    "objects/bird.mp3,policy,,,,,,,,,Act policy,,,,,,,\n"
)

# Every column filled, saved by Excel ("CSV UTF-8"): a byte-order mark, CRLF line ends, quoted cells with commas,
# an unknown column and a repeated note column; a directory-level row.
EVERY_COLUMN = (
    "\ufefffile,basis,status,determination_date,jurisdiction,start_date,end_date,terms,citation,note,grant_act,"
    "grant_restriction,grant_start_date,grant_end_date,grant_note,doc_id_type,doc_id_value,doc_id_role,"
    "Rights holder,note\r\n"
    'objects/letters/,Copyright,copyrighted,2026-11-01,gb,1923,2043,,,"Crown copyright, Parish of St Michael",'
    "disseminate,Conditional,2026,open,Reading room only,local,DEP/1923/7,deposit agreement,"
    "Parochial church council,Checked by the archivist\r\n"
    'objects/beihai.tif,License,,,,2020-01-01,,CC BY 4.0,,"Credit NASA",publish,Allow,,,,URI,'
    "https://creativecommons.org/licenses/by/4.0/,licence text,,\r\n"
    "objects/bird.mp3,Statute,,2026-01-02,gb,1998,,,Data Protection Act 1998 s.33,,disseminate,Disallow,,,,,,,,\r\n"
    "objects,Donor,,,,c. 1920,,,,Deposited by the family,,,Spring 1923,,,,,,,\r\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "metadata" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def _premis(statement: RightsStatement, object_id: str = "file-1") -> etree._Element:
    out = io.BytesIO()
    with etree.xmlfile(out, encoding="utf-8") as xf, xf.element(P + "premis", nsmap={"premis": PREMIS_NS}):
        write_rights(xf, statement, "2d5a8b3c-0000-4000-8000-000000000001", object_id)
    return etree.fromstring(out.getvalue())[0]


def _valid(element: etree._Element) -> list[str]:
    schema = premis_schema()
    return [] if schema.validate(etree.ElementTree(element)) else [e.message for e in schema.error_log]


# rights.csv


def test_archivematicas_own_sample_rights_are_read_with_warnings_not_refused(tmp_path):
    warnings: list[str] = []
    rights = read_rights_csv(_write(tmp_path, "rights.csv", ARCHIVEMATICA_RIGHTS), FILES, FOLDERS, warnings)
    assert [s.basis for s in rights["beihai.tif"]] == ["Copyright", "Copyright", "License", "Statute", "Other"]
    assert [s.basis for s in rights["bird.mp3"]] == ["Donor", "Policy"]
    copyright_ = rights["beihai.tif"][0]
    assert (copyright_.status, copyright_.note, copyright_.act, copyright_.restriction) == (
        "copyright status",
        "Note 1",
        "Act 1",
        "Allow",
    )
    licence, statute = rights["beihai.tif"][2], rights["beihai.tif"][3]
    assert (licence.terms, licence.note) == ("License terms", "Note license")
    assert (statute.citation, statute.note, statute.end_date) == ("Citation", "Note statute", "open")
    assert (
        "metadata/rights.csv: row 2: copyright status 'copyright status' is not one of copyrighted, public "
        "domain, unknown; kept as given" in warnings
    )
    # PREMIS has no place for a statute's terms: kept as a note, said once
    assert statute.terms == "" and ("terms", "Statute terms") in statute.extra
    assert (
        "metadata/rights.csv: row 5: terms 'Statute terms' has no place in statute rights in PREMIS; kept as "
        "a note of the statement" in warnings
    )
    assert len(warnings) == 3  # the two copyright rows and the statute's terms; nothing else is unusual
    for statements in rights.values():
        for statement in statements:
            assert _valid(_premis(statement)) == [], statement


def test_every_column_is_kept_and_the_premis_is_valid(tmp_path):
    warnings: list[str] = []
    rights = read_rights_csv(_write(tmp_path, "rights.csv", EVERY_COLUMN), FILES, FOLDERS, warnings)
    assert set(rights) == {"", "beihai.tif", "bird.mp3", "letters/1923/to-vicar.pdf"}  # the folder row: its files
    copyright_ = rights["letters/1923/to-vicar.pdf"][0]
    assert (copyright_.doc_id_type, copyright_.doc_id_value, copyright_.doc_id_role) == (
        "local",
        "DEP/1923/7",
        "deposit agreement",
    )
    assert copyright_.note == "Crown copyright, Parish of St Michael"
    assert copyright_.extra == (("Rights holder", "Parochial church council"), ("note", "Checked by the archivist"))
    assert copyright_.grant_end_date == "open"
    assert any("column 19 'Rights holder' is not a rights.csv column" in w for w in warnings)
    assert any("column 20 'note' is given again" in w for w in warnings)
    donor = rights[""][0]
    assert donor.start_date == "c. 1920" and donor.extra == (("grant_start_date", "Spring 1923"),)
    assert "metadata/rights.csv: row 5: start_date 'c. 1920' is not an EDTF date; kept as given" in warnings
    assert (
        "metadata/rights.csv: row 5: grant columns without a grant_act; kept as given, as notes of the "
        "statement" in warnings
    )

    element = _premis(copyright_)
    assert _valid(element) == []
    info = element.find(f"{P}copyrightInformation")
    assert [n.text for n in info.iterfind(f"{P}copyrightNote")] == [
        "Crown copyright, Parish of St Michael",
        "Rights holder: Parochial church council",
        "note: Checked by the archivist",
    ]
    assert info.findtext(f"{P}copyrightDocumentationIdentifier/{P}copyrightDocumentationRole") == "deposit agreement"
    assert element.findtext(f"{P}rightsGranted/{P}termOfGrant/{P}endDate") == "open"
    licence = _premis(rights["beihai.tif"][0])
    assert _valid(licence) == []
    assert licence.findtext(f"{P}licenseInformation/{P}licenseTerms") == "CC BY 4.0"
    assert licence.findtext(f"{P}licenseInformation/{P}licenseNote") == "Credit NASA"
    statute = _premis(rights["bird.mp3"][0])
    assert _valid(statute) == []
    assert statute.findtext(f"{P}statuteInformation/{P}statuteCitation") == "Data Protection Act 1998 s.33"
    donor_element = _premis(donor, "")
    assert _valid(donor_element) == []
    assert donor_element.findtext(f"{P}otherRightsInformation/{P}otherRightsApplicableDates/{P}startDate") == "c. 1920"


def test_values_outside_the_vocabulary_are_kept_as_given(tmp_path):
    sheet = (
        "file,basis,status,jurisdiction,end_date,grant_act,grant_restriction\n"
        "objects/bird.mp3,Contract,,,,publish,Allow\n"
        "objects/bird.mp3,Copyright,Crown,gb,2040,disseminate,Ask the depositor\n"
        "objects/bird.mp3,License,,,1999,,\n"
    )
    warnings: list[str] = []
    contract, crown, licence = read_rights_csv(_write(tmp_path, "rights.csv", sheet), FILES, FOLDERS, warnings)[
        "bird.mp3"
    ]
    assert contract.basis == "Contract" and crown.status == "Crown" and crown.restriction == "Ask the depositor"
    assert warnings == [
        "metadata/rights.csv: row 2: basis 'Contract' is not one of Copyright, License, Statute, Donor, Policy, "
        "Other; kept as given (written as other rights with that basis)",
        "metadata/rights.csv: row 3: copyright status 'Crown' is not one of copyrighted, public domain, unknown; "
        "kept as given",
        "metadata/rights.csv: row 3: grant_restriction 'Ask the depositor' is not one of Allow, Disallow, "
        "Conditional; kept as given",
    ]
    for statement in (contract, crown, licence):
        assert _valid(_premis(statement)) == []
    assert _premis(crown).findtext(f"{P}copyrightInformation/{P}copyrightStatus") == "Crown"
    assert _premis(contract).findtext(f"{P}otherRightsInformation/{P}otherRightsBasis") == "Contract"
    assert _premis(licence).findtext(f"{P}licenseInformation/{P}licenseApplicableDates/{P}startDate") == ".."


def test_what_would_make_the_record_wrong_is_refused_naming_row_file_and_sheet(tmp_path):
    sheet = (
        "file,basis,jurisdiction,citation\n"
        "objects/no-such-file.pdf,Copyright,gb,\n"
        ",Policy,,\n"
        "objects/bird.mp3,,,\n"
        "objects/bird.mp3,Statute,gb,\n"
        "objects/bird.mp3,Copyright,,\n"
    )
    path = _write(tmp_path, "rights.csv", sheet)
    with pytest.raises(TransferError) as caught:
        read_rights_csv(path, FILES, FOLDERS)
    shown = [f"{d.path}: {d.check}" for d in caught.value.details]
    assert shown == [
        f"{path}: row 2: file 'objects/no-such-file.pdf' is not in the transfer",
        f"{path}: row 3: file '' is not in the transfer",
        f"{path}: row 4: no basis (one of Copyright, License, Statute, Donor, Policy, Other)",
        f"{path}: row 5: statute rights need the statute's citation (citation column)",
        f"{path}: row 6: copyright rights need a jurisdiction (e.g. gb)",
    ]


def test_an_older_sheet_gives_licence_terms_and_statute_citation_in_note(tmp_path):
    sheet = "file,basis,jurisdiction,note\nobjects,License,,CC BY 4.0\nobjects,Statute,gb,Public Records Act 1958\n"
    licence, statute = read_rights_csv(_write(tmp_path, "rights.csv", sheet), FILES, FOLDERS)[""]
    assert _premis(licence).findtext(f"{P}licenseInformation/{P}licenseTerms") == "CC BY 4.0"
    assert _premis(licence).find(f"{P}licenseInformation/{P}licenseNote") is None
    assert _premis(statute).findtext(f"{P}statuteInformation/{P}statuteCitation") == "Public Records Act 1958"
    assert _valid(_premis(licence)) == [] and _valid(_premis(statute)) == []


def test_a_statement_survives_json_as_the_catalogue_keeps_it(tmp_path):
    statement = RightsStatement("Copyright", "copyrighted", "gb", extra=(("Rights holder", "PCC"),))
    assert RightsStatement(**json.loads(json.dumps(statement.to_dict()))) == statement


# metadata.csv

# A CALM export saved from Excel for Archivematica: a byte-order mark, CRLF, quoted cells, CALM's own columns
# (AltRefNo, Extent) beside Dublin Core, a repeated dc.subject, DCMI terms, and dates as cataloguers write them.
CALM = (
    "\ufefffilename,reference,level,dc.title,dc.date,dc.subject,dc.subject,dcterms.isPartOf,AltRefNo,Extent,"
    "dcterms.extent\r\n"
    'objects,DRO/52,collection,"Parish of St Michael, records",1890/1950,Parishes,Cornwall,,P/52,3 boxes,\r\n'
    'objects/letters/,,,"Letters to the vicar",c. 1920,Clergy,,DRO/52,,,"2 files"\r\n'
    'objects/letters/1923/to-vicar.pdf,,,Letter,"Spring 1923",,,,,,1 p.\r\n'
)


def test_a_calm_export_keeps_its_own_columns_with_a_warning(tmp_path):
    warnings: list[str] = []
    described = {
        d.target: d.values for d in read_metadata_csv(_write(tmp_path, "metadata.csv", CALM), FILES, FOLDERS, warnings)
    }
    assert described[""] == (
        ("title", "Parish of St Michael, records"),
        ("date", "1890/1950"),
        ("subject", "Parishes"),
        ("subject", "Cornwall"),
        (OTHER + "AltRefNo", "P/52"),
        (OTHER + "Extent", "3 boxes"),
        ("archival.reference", "DRO/52"),
        ("archival.level", "collection"),
    )
    assert described["letters"] == (
        ("title", "Letters to the vicar"),
        ("date", "c. 1920"),
        ("subject", "Clergy"),
        ("dcterms.isPartOf", "DRO/52"),
        ("dcterms.extent", "2 files"),
    )
    assert warnings[:2] == [
        f"metadata/metadata.csv: row 1: column {number} {column!r} is not a Dublin Core element, DCMI term or "
        "archival column (filename, dc.title, …, dcterms.isPartOf, …, reference, level, parent, closure); its "
        "values are kept as given, as other metadata in the METS"
        for number, column in ((9, "AltRefNo"), (10, "Extent"))
    ]
    assert warnings[2:] == [
        "metadata/metadata.csv: row 3: dc.date 'c. 1920' is not an EDTF date; kept as given and searched as text "
        "(not used for date filters)",
        "metadata/metadata.csv: row 4: dc.date 'Spring 1923' is not an EDTF date; kept as given and searched as "
        "text (not used for date filters)",
    ]


def test_an_unreadable_date_is_refused_where_it_decides_access(tmp_path):
    sheet = "filename,reference,dc.date\nobjects,DRO/52,c. 1920\nobjects/letters/,DRO/52/1,1920~\n"
    path = _write(tmp_path, "metadata.csv", sheet)
    with pytest.raises(TransferError) as caught:
        read_metadata_csv(path, FILES, FOLDERS)
    assert [d.path for d in caught.value.details] == [f"{path}: row 2"]
    assert "'c. 1920' is not an EDTF date" in caught.value.details[0].check
    assert "closure" in caught.value.details[0].check


def test_archivematicas_sample_metadata_csv_is_read(tmp_path):
    # archivematica-sampledata DemoTransfer/metadata/metadata.csv (first rows): five dc.subject columns, a
    # multi-line quoted description and dates such as "February 29,2016" and "7 October 2014".
    sheet = (
        "filename,dc.title,dc.creator,dc.subject,dc.subject,dc.subject,dc.subject,dc.subject,dc.description,"
        "dc.date,dc.format\n"
        'objects/bird.mp3,"14000 Caen, France - Bird in my garden",Nicolas Germain,field recording,'
        'phonography,soundscapes,sound art,radio aporee,"Bird singing in my garden, Caen",2017-05-27,audio/mp3\n'
        'objects/beihai.tif,"Beihai, Guanxi, China, 1988",NASA,satellite imagery,China,Beihai,,,'
        '"Beihai is a city.\n\nWith its 14 spectral bands.","February 29,2016",image/tif\n'
    )
    warnings: list[str] = []
    described = {
        d.target: d for d in read_metadata_csv(_write(tmp_path, "metadata.csv", sheet), FILES, FOLDERS, warnings)
    }
    assert [v for e, v in described["bird.mp3"].values if e == "subject"] == [
        "field recording",
        "phonography",
        "soundscapes",
        "sound art",
        "radio aporee",
    ]
    assert described["beihai.tif"].first("description") == "Beihai is a city.\n\nWith its 14 spectral bands."
    assert warnings == [
        "metadata/metadata.csv: row 3: dc.date 'February 29,2016' is not an EDTF date; kept as "
        "given and searched as text (not used for date filters)"
    ]


def test_a_file_not_in_the_transfer_is_refused_naming_row_file_and_sheet(tmp_path):
    path = _write(tmp_path, "metadata.csv", "filename,dc.title,notes\nobjects/nothing.pdf,Minutes,x\n")
    with pytest.raises(TransferError) as caught:
        read_metadata_csv(path, FILES, FOLDERS)
    detail = caught.value.details[0]
    assert (detail.path, detail.check) == (f"{path}: row 2", "filename 'objects/nothing.pdf' is not in the transfer")


# metadata.json

# As Archivematica's DemoTransferJSON sample has it: keys in any order, lists for repeated elements, empty strings
# for elements not given, a folder named without a trailing slash.
METADATA_JSON = [
    {
        "dc.contributor": "",
        "dc.coverage": "Caen, France",
        "dc.creator": "Nicolas Germain",
        "dc.date": "2017-05-27",
        "dc.subject": ["field recording", "phonography"],
        "dc.title": "14000 Caen, France - Bird in my garden",
        "filename": "objects/bird.mp3",
    },
    {
        "dc.creator": "Milton Bradley",
        "dc.date": "7 October 2014",
        "dc.subject": ["Art", "Photography"],
        "dc.title": "Directory containing artwork",
        "dc.type": "",
        "filename": "objects/artwork",
    },
    {
        "filename": "objects",
        "reference": "DRO/60",
        "level": "collection",
        "dc.title": "Demo",
        "CALM.RefNo": "D/60",
        "pages": 12,
    },
]


def test_metadata_json_reads_like_metadata_csv(tmp_path):
    path = _write(tmp_path, "metadata.json", json.dumps(METADATA_JSON, indent=4))
    warnings: list[str] = []
    described = {
        d.target: d.values for d in describe(str(path), json_entries(path, warnings), FILES, FOLDERS, warnings)
    }
    assert described["bird.mp3"] == (
        ("coverage", "Caen, France"),
        ("creator", "Nicolas Germain"),
        ("date", "2017-05-27"),
        ("subject", "field recording"),
        ("subject", "phonography"),
        ("title", "14000 Caen, France - Bird in my garden"),
    )
    assert [v for e, v in described["artwork"] if e == "subject"] == ["Art", "Photography"]
    assert described[""] == (
        ("title", "Demo"),
        (OTHER + "CALM.RefNo", "D/60"),
        (OTHER + "pages", "12"),
        ("archival.reference", "DRO/60"),
        ("archival.level", "collection"),
    )
    assert (
        "metadata/metadata.json: object 2: dc.date '7 October 2014' is not an EDTF date; kept as given and "
        "searched as text (not used for date filters)"
    ) in warnings
    assert any(
        w.startswith("metadata/metadata.json: object 3: key 'CALM.RefNo' is not a Dublin Core") for w in warnings
    )


@pytest.mark.parametrize(
    "text, problem",
    [
        ('{"filename": "objects"}', "is not a JSON array of objects"),
        ('[{"dc.title": "No filename"}]', 'object 1: needs a "filename"'),
        ('[{"filename": "objects",}]', "line 1 column 25: not JSON"),
    ],
)
def test_an_unreadable_metadata_json_is_refused(tmp_path, text, problem):
    with pytest.raises(TransferError, match=problem.replace("(", r"\(")):
        json_entries(_write(tmp_path, "metadata.json", text), [])


def test_a_target_in_both_metadata_csv_and_json_is_refused(tmp_path):
    sheet = _write(tmp_path, "metadata.csv", "filename,dc.title\nobjects/bird.mp3,Bird\n")
    path = _write(tmp_path, "metadata.json", json.dumps([{"filename": "objects/bird.mp3", "dc.title": "Bird"}]))
    warnings: list[str] = []
    with pytest.raises(TransferError) as caught:
        describe("both", csv_entries(sheet, warnings) + json_entries(path, warnings), FILES, FOLDERS, warnings)
    assert caught.value.details[0].check == "'objects/bird.mp3' is described again (metadata/metadata.csv, row 2)"


def test_read_transfer_metadata_reads_all_four_files(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/catalogue.db")
    database.upgrade()
    try:
        found = read_transfer_metadata(
            _write(tmp_path, "metadata.csv", "filename,dc.title\nobjects/beihai.tif,Beihai\n"),
            _write(tmp_path, "rights.csv", ARCHIVEMATICA_RIGHTS),
            FILES,
            FOLDERS,
            database,
            "aip-1",
            metadata_json=_write(tmp_path, "metadata.json", json.dumps(METADATA_JSON)),
            identifiers_json=_write(tmp_path, "identifiers.json", json.dumps(IDENTIFIERS)),
        )
    finally:
        database.dispose()
    assert set(found.descriptions) == {"beihai.tif", "bird.mp3", "artwork", ""}
    assert len(found.rights["beihai.tif"]) == 5
    assert found.identifiers["bird.mp3"] == [("hdl", "20.500.12345/bird"), ("DOI", "10.5072/bird")]
    assert any(w.startswith("metadata/rights.csv: row 2:") for w in found.warnings)
    assert any(w.startswith("metadata/metadata.json: object 2:") for w in found.warnings)


# identifiers.json

IDENTIFIERS = [
    {
        "file": "objects/bird.mp3",
        "identifiers": [
            {"identifier": "20.500.12345/bird", "identifierType": "hdl"},
            {"identifier": "10.5072/bird", "identifierType": "DOI"},
        ],
    },
    {"file": "objects/artwork/", "identifiers": [{"identifier": "ark:/99999/fk4art", "identifierType": "ARK"}]},
    {"file": "objects", "identifiers": [{"identifier": "DRO/60", "identifierType": "local"}]},
]


def test_identifiers_json_gives_identifiers_by_target(tmp_path):
    entries = [
        *IDENTIFIERS,
        {
            "file": "beihai.tif",
            "identifiers": [
                {"identifier": "P-1", "identiferType": "accession"},
                {"identifier": "no-type"},
                {"identifierType": "URI"},
            ],
        },
        {"file": "objects/bird.mp3", "identifiers": [{"identifier": "10.5072/bird", "identifierType": "DOI"}]},
    ]
    warnings: list[str] = []
    found = read_identifiers_json(_write(tmp_path, "identifiers.json", json.dumps(entries)), FILES, FOLDERS, warnings)
    assert found == {
        "bird.mp3": [("hdl", "20.500.12345/bird"), ("DOI", "10.5072/bird")],
        "artwork": [("ARK", "ark:/99999/fk4art")],
        "": [("local", "DRO/60")],
        "beihai.tif": [("accession", "P-1"), ("local", "no-type")],
    }
    assert warnings == [
        "metadata/identifiers.json: entry 4: identifier 'no-type' has no identifierType; kept as type 'local'",
        'metadata/identifiers.json: entry 4: identifier 3 has no "identifier" value; left out',
    ]


def test_an_identifier_for_a_file_not_there_is_refused(tmp_path):
    path = _write(tmp_path, "identifiers.json", json.dumps([{"file": "objects/gone.pdf", "identifiers": []}]))
    with pytest.raises(TransferError) as caught:
        read_identifiers_json(path, FILES, FOLDERS)
    assert (caught.value.details[0].path, caught.value.details[0].check) == (
        f"{path}: entry 1",
        "file 'objects/gone.pdf' is not in the transfer",
    )


@pytest.mark.parametrize("name", ["objects/../../etc/passwd", "/etc/passwd", "C:\\x.pdf"])
def test_an_identifier_for_an_unsafe_path_is_refused_as_unsafe(tmp_path, name):
    path = _write(tmp_path, "identifiers.json", json.dumps([{"file": name, "identifiers": []}]))
    with pytest.raises(TransferError) as caught:
        read_identifiers_json(path, FILES, FOLDERS)
    assert caught.value.details[0].check.startswith(f"file {name!r} is an unsafe path: ")


def test_identifiers_become_premis_object_identifiers_after_the_uuid():
    record = FileRecord(
        "6f1c1a9e-0000-4000-8000-000000000002",
        "aip-1",
        "data/objects/bird.mp3",
        "objects/bird.mp3",
        5,
        "a" * 64,
        "b" * 128,
    )
    out = io.BytesIO()
    with etree.xmlfile(out, encoding="utf-8") as xf, xf.element(P + "premis", nsmap={"premis": PREMIS_NS}):
        write_object(xf, record, "preserve", [("hdl", "20.500.12345/bird"), ("DOI", "10.5072/bird")])
        write_entity(xf, "aip-1", [("local", "DRO/60")])
    obj, entity = etree.fromstring(out.getvalue())
    assert [
        (i.findtext(f"{P}objectIdentifierType"), i.findtext(f"{P}objectIdentifierValue"))
        for i in obj.iterfind(f"{P}objectIdentifier")
    ] == [("UUID", record.id), ("hdl", "20.500.12345/bird"), ("DOI", "10.5072/bird")]
    assert [i.findtext(f"{P}objectIdentifierValue") for i in entity.iterfind(f"{P}objectIdentifier")] == [
        "aip-1",
        "DRO/60",
    ]
    assert _valid(obj) == [] and _valid(entity) == []


def test_descriptions_are_kept_in_the_order_the_mets_holds_them():
    """A CALM column before the Dublin Core ones: the METS writes Dublin Core, then the other section, then
    the archival description, so the catalogue keeps that order (and a rebuild finds the same)."""
    given = (
        ("other.AltRefNo", "DRO/52/1"),
        ("title", "Vestry minutes"),
        (ARCHIVAL + "level", "file"),
        ("dcterms.extent", "1 volume"),
        ("other.Shelf", "B12"),
    )
    assert canonical(given) == (
        ("title", "Vestry minutes"),
        ("dcterms.extent", "1 volume"),
        ("other.AltRefNo", "DRO/52/1"),
        ("other.Shelf", "B12"),
        (ARCHIVAL + "level", "file"),
    )
