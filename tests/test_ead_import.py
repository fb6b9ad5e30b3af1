"""EAD import: finding aids as CALM and AtoM export them — c01…c04 numbering, unitid with the country and
repository code, unitdate/@normal ranges, accessrestrict as prose — into the catalogue by reference code:
idempotent, never deleting, every problem named with its line, safe with hostile XML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from catalogue.described_units import described_units
from cli.context import AppContext
from tests.transfer_fixtures import described_transfer

pytestmark = pytest.mark.both_catalogues

# as CALM writes it: the EAD 2002 DTD named (never loaded), no namespace, c01… numbering, the country and
# repository code in every unitid
CALM = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE ead PUBLIC "+//ISBN 1-931666-00-8//DTD ead.dtd (Encoded Archival Description (EAD) Version 2002)//EN"
 "ead.dtd">
<ead>
  <eadheader>
    <eadid countrycode="GB" mainagencycode="0123">GB 0123 DRO/52</eadid>
    <filedesc><titlestmt><titleproper>Parish of St Michael</titleproper></titlestmt></filedesc>
  </eadheader>
  <archdesc level="fonds">
    <did>
      <unitid countrycode="GB" repositorycode="0123" label="Reference">GB 0123 DRO/52</unitid>
      <unittitle>{title}</unittitle>
      <unitdate normal="1890/1950" era="ce" calendar="gregorian">1890-1950</unitdate>
      <physdesc><extent>3 boxes</extent></physdesc>
      <origination label="Creator"><corpname>St Michael's Parochial Church Council</corpname></origination>
    </did>
    <scopecontent><head>Scope and content</head><p>Registers, vestry minutes and churchwardens' accounts.</p>
      <p>Also plans of the church.</p></scopecontent>
    <accessrestrict><p>Open</p></accessrestrict>
    <dsc type="combined">
      <c01 level="series">
        <did><unitid>GB 0123 DRO/52/1</unitid><unittitle>Vestry</unittitle>
          <unitdate normal="19200101/19291231">1920-1929</unitdate></did>
        <c02 level="file">
          <did><unitid>GB 0123 DRO/52/1/1</unitid><unittitle>Minutes</unittitle>
            <unitdate>c. 1923</unitdate></did>
          <c03 level="item">
            <did><unitid>GB 0123 DRO/52/1/1/1</unitid><unittitle>Minutes about a parishioner</unittitle>
              <unitdate normal="1923-04">April 1923</unitdate></did>
            <accessrestrict><p>Closed until 1 January 2045 under section 40 of the FOI Act</p></accessrestrict>
            <c04 level="otherlevel" otherlevel="piece">
              <did><unitid>GB 0123 DRO/52/1/1/1/1</unitid><unittitle>Enclosed letter</unittitle></did>
              <accessrestrict><p>Please ask at the searchroom desk</p></accessrestrict>
            </c04>
          </c03>
        </c02>
      </c01>
      <c01 level="series">
        <did><unitid>GB 0123 DRO/52/2</unitid><unittitle>Churchwardens' accounts</unittitle></did>
        <accessrestrict><p>Contains personal data about living people</p></accessrestrict>
      </c01>
    </dsc>
  </archdesc>
</ead>
"""
REFERENCES = ["DRO/52", "DRO/52/1", "DRO/52/1/1", "DRO/52/1/1/1", "DRO/52/1/1/1/1", "DRO/52/2"]

# as AtoM writes it: the EAD 2002 namespace, each level's own identifier only, c elements
ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<ead xmlns="urn:isbn:1-931666-22-9" xmlns:xlink="http://www.w3.org/1999/xlink">
  <eadheader><eadid countrycode="GB" mainagencycode="0123">HSC</eadid></eadheader>
  <archdesc level="collection">
    <did><unitid>HSC</unitid><unittitle>Harbour Survey Collection</unittitle>
      <unitdate normal="1901/1905">1901-1905</unitdate></did>
    <dsc><c level="file"><did><unitid>1</unitid><unittitle>Survey notebooks</unittitle></did>
      <c level="item"><did><unitid>3</unitid><unittitle>Notebook three</unittitle></did></c></c></dsc>
  </archdesc>
</ead>
"""


def _units(preserve, references) -> dict:
    database = AppContext(home=preserve.home, config=preserve.home / "preserve.toml").database()
    with database.session() as session:
        return described_units(session, references)


def test_a_calm_finding_aid_comes_in_by_reference_and_twice_changes_nothing(preserve, tmp_path):
    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    first = preserve.json("catalogue", "import-ead", str(ead))
    assert first["created"] == REFERENCES and first["updated"] == [] and first["unchanged"] == []
    units = _units(preserve, REFERENCES)
    top, series, file_, item, piece, accounts = (units[r] for r in REFERENCES)
    assert (top.parent_reference, series.parent_reference, piece.parent_reference) == ("", "DRO/52", "DRO/52/1/1/1")
    assert (top.level, series.level, item.level, piece.level) == ("fonds", "series", "item", "piece")
    assert (top.date, top.date_start, top.date_end) == ("1890/1950", "1890-01-01", "1950-12-31")
    assert (series.date, series.date_text) == ("1920-01-01/1929-12-31", "1920-1929")  # ISO basic → EDTF
    assert (file_.date, file_.date_start) == ("c. 1923", "")  # as written: not a date to reckon with
    assert (top.extent, top.creators) == ("3 boxes", ("St Michael's Parochial Church Council",))
    assert top.scope == "Registers, vestry minutes and churchwardens' accounts.\nAlso plans of the church."
    assert (top.closure_kind, top.closed_until) == ("", "")  # "Open"
    assert (item.closure_kind, item.closed_until) == ("", "2045-01-01")  # the date stated
    assert piece.closure_kind == "pending-review" and accounts.closure_kind == "personal-data"
    assert first["pending_review"] == ["DRO/52/1/1/1/1"]

    again = preserve.json("catalogue", "import-ead", str(ead))
    assert again["created"] == [] and again["updated"] == [] and again["unchanged"] == REFERENCES
    assert _units(preserve, REFERENCES) == units  # not even the time of the change moved


def test_a_changed_finding_aid_updates_what_changed_and_deletes_nothing(preserve, tmp_path):
    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    preserve.json("catalogue", "import-ead", str(ead))
    shorter = CALM.format(title="St Michael, Parish").replace(
        CALM[
            CALM.index('      <c01 level="series">\n        <did><unitid>GB 0123 DRO/52/2') : CALM.index("    </dsc>")
        ],
        "",
    )
    ead.write_text(shorter)
    dry = preserve.json("catalogue", "import-ead", str(ead), "--dry-run")
    assert dry["updated"] == [["DRO/52", ["title"]]] and dry["dry_run"] is True
    assert _units(preserve, ["DRO/52"])["DRO/52"].title == "Parish of St Michael"  # a dry run changes nothing
    said = preserve("catalogue", "import-ead", str(ead)).stdout
    assert "0 unit(s) new, 1 changed, 4 unchanged" in said and "changed DRO/52: title" in said
    units = _units(preserve, REFERENCES)
    assert units["DRO/52"].title == "St Michael, Parish" and "DRO/52/2" in units  # not in the file: kept


def test_an_atom_finding_aid_with_its_namespace_and_each_levels_own_identifier(preserve, tmp_path):
    ead = tmp_path / "hsc.xml"
    ead.write_text(ATOM)
    report = preserve.json("catalogue", "import-ead", str(ead))
    assert report["created"] == ["HSC", "HSC/1", "HSC/1/3"]  # a bare identifier goes after its parent's code
    assert _units(preserve, ["HSC/1/3"])["HSC/1/3"].parent_reference == "HSC/1"


def test_a_finding_aid_with_problems_is_refused_whole_naming_each_with_its_line(preserve, tmp_path):
    broken = CALM.format(title="Parish").replace("<unitid>GB 0123 DRO/52/1/1</unitid>", "")
    broken = broken.replace("GB 0123 DRO/52/2", "GB 0123 DRO/52/1").replace('normal="1890/1950"', 'normal="1950/1890"')
    ead = tmp_path / "broken.xml"
    ead.write_text(broken)
    refused = preserve("catalogue", "import-ead", str(ead), "--json", expect=20)
    found = json.loads(refused.stdout)
    texts = [p["text"] for p in found["problems"]]
    assert len(texts) == 3 and "nothing was imported" in found["error"]
    assert any("a <c02> with no <unitid>" in t and f"{ead}:" in t for t in texts)
    assert any("DRO/52/1: given again (first at line" in t for t in texts)
    assert any("DRO/52: its date" in t and "ends before it starts" in t for t in texts)
    assert _units(preserve, REFERENCES) == {}
    ead.write_text("<ead><archdesc><did><unitid>X/1</unitid></did></archdesc>")
    assert "not well-formed XML" in preserve("catalogue", "import-ead", str(ead), expect=20).stderr


def test_hostile_xml_reads_no_file_and_fetches_nothing(preserve, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the archive's secret")
    hostile = f"""<?xml version="1.0"?>
<!DOCTYPE ead [<!ENTITY leak SYSTEM "file://{secret}"><!ENTITY far SYSTEM "http://192.0.2.1/ead.dtd">]>
<ead><archdesc level="fonds"><did><unitid>X/1</unitid><unittitle>Title &leak;&far;</unittitle></did></archdesc></ead>
"""
    ead = tmp_path / "hostile.xml"
    ead.write_text(hostile)
    refused = preserve("catalogue", "import-ead", str(ead), expect=20).stderr
    assert "the entity &leak; is not expanded" in refused and "&far;" in refused
    assert _units(preserve, ["X/1"]) == {}
    included = tmp_path / "xinclude.xml"
    included.write_text(
        '<ead xmlns:xi="http://www.w3.org/2001/XInclude"><archdesc level="fonds"><did><unitid>X/1</unitid>'
        f'<unittitle>T</unittitle></did><xi:include href="{secret}" parse="text"/></archdesc></ead>'
    )
    refused = preserve("catalogue", "import-ead", str(included), expect=20).stderr
    assert f"an XInclude of '{secret}'" in refused and "the archive's secret" not in refused
    assert _units(preserve, ["X/1"]) == {}


def test_what_the_catalogue_does_not_read_is_named_with_its_line(preserve, tmp_path):
    """Nothing in a finding aid is passed over silently: each element the catalogue does not keep is listed."""
    extra = (
        CALM.format(title="Parish of St Michael")
        .replace(
            "<scopecontent>",
            "<bioghist><p>The parish was formed in 1842.</p></bioghist>\n"
            "<controlaccess><subject>Churches</subject><subject>Vestries</subject></controlaccess><scopecontent>",
        )
        .replace("<unittitle>Vestry</unittitle>", "<unittitle>Vestry</unittitle><physloc>Strongroom 2</physloc>")
    )
    extra = extra.replace(
        '<c01 level="series">\n        <did><unitid>GB 0123 DRO/52/2',
        (
            '<c01 level="series"><controlaccess><subject>Accounts</subject></controlaccess>\n'
            "        <did><unitid>GB 0123 DRO/52/2"
        ),
    )
    ead = tmp_path / "DRO52.xml"
    ead.write_text(extra)
    lines = extra.splitlines()
    bioghist = next(n for n, line in enumerate(lines, 1) if "<bioghist>" in line)
    report = json.loads(preserve("catalogue", "import-ead", str(ead), "--json").stdout)
    assert report["not_read"]["bioghist"] == {"count": 1, "first_line": bioghist}
    assert report["not_read"]["controlaccess"]["count"] == 2
    assert report["not_read"]["did/physloc"]["count"] == 1
    assert report["not_read"]["eadheader/filedesc"]["count"] == 1
    assert not {"did", "dsc", "scopecontent", "accessrestrict", "c01"} & set(report["not_read"])
    said = preserve("catalogue", "import-ead", str(ead), "--dry-run").stdout
    assert "Not read into the catalogue" in " ".join(said.split())
    assert f"bioghist (1, first at line {bioghist})" in " ".join(said.split())


def test_a_unit_an_aip_describes_is_left_to_the_aip(preserve, tmp_path, collection):
    transfer = described_transfer(
        collection,
        tmp_path / "transfer",
        "filename,reference,level,dc.title\nobjects/documents/,DRO/52/1,series,Vestry papers as ingested\n",
    )
    preserve.json("ingest", str(transfer))
    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    report = preserve.json("catalogue", "import-ead", str(ead))
    assert report["described_by_aips"] == ["DRO/52/1"] and "DRO/52/1" not in report["created"]
    assert "DRO/52/1" not in _units(preserve, ["DRO/52/1"])


SCHEMA = Path(__file__).parent / "data" / "ead2002" / "ead.xsd"


def _valid(path: Path) -> etree._ElementTree:
    """The finding aid, checked against the EAD 2002 schema (kept in the repository: nothing is fetched)."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    document = etree.parse(str(path))
    assert schema.validate(document), schema.error_log
    return document


def test_an_export_is_valid_ead_with_portal_links_for_open_records_and_no_closed_titles(preserve, tmp_path, collection):
    config = preserve.home / "preserve.toml"
    config.write_text(
        config.read_text().replace("[archive]\n", '[archive]\ncountry_code = "GB"\nrepository_code = "0123"\n', 1)
    )
    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    preserve.json("catalogue", "import-ead", str(ead))
    transfer = described_transfer(
        collection,
        tmp_path / "transfer",  # an AIP placed under the imported series, with a unit of its own
        "filename,reference,level,parent,dc.title,dc.date\nobjects,DRO/52/1/2,file,DRO/52/1,Digitised minutes,1924\n",
    )
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    preserve("access", "set", aip_id, "--open", "--reason", "Public records")

    out = tmp_path / "export.xml"
    said = preserve("catalogue", "export-ead", "DRO/52", "--output", str(out)).stderr
    document = _valid(out)
    ns = {"e": "urn:isbn:1-931666-22-9", "x": "http://www.w3.org/1999/xlink"}
    references = document.xpath("//e:unitid/text()", namespaces=ns)
    assert references == ["DRO/52", "DRO/52/1", "DRO/52/1/1", "DRO/52/1/2"]  # in hierarchy order
    text = out.read_text()
    # closed until 2045 (stated), and personal data with no date to count 100 years from: left out, titles too
    for closed in ("Minutes about a parishioner", "Enclosed letter", "Churchwardens' accounts"):
        assert closed not in text
    [link] = document.xpath("//e:dao/@x:href", namespaces=ns)
    assert link == f"http://127.0.0.1:8000/records/{aip_id}"  # the open AIP's record in the portal
    assert document.xpath("//e:unitid/@repositorycode", namespaces=ns)[0] == "GB-0123"
    assert "left out" in said
    everything = tmp_path / "all.xml"
    preserve("catalogue", "export-ead", "DRO/52", "--output", str(everything), "--include-closed")
    assert "Minutes about a parishioner" in _valid(everything).getroot().xpath("string(.)")
    assert preserve("catalogue", "export-ead", "DRO/99", expect=13).stderr.startswith("Error: no unit of description")

    reimport = preserve.json("catalogue", "import-ead", str(out))  # what preserve writes, preserve reads back
    assert reimport["created"] == [] and reimport["described_by_aips"] == ["DRO/52/1/2"]


def test_an_aip_is_placed_under_an_imported_unit_and_numbered_after_what_is_there(preserve, tmp_path, collection):
    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    preserve.json("catalogue", "import-ead", str(ead))
    first = preserve.json("ingest", str(collection), "--under", "DRO/52/1", "--title", "Digitised minutes")
    assert first["placed"] == {"under": "DRO/52/1", "as": "DRO/52/1/2"}  # DRO/52/1/1 is the catalogue's
    second = preserve("ingest", str(collection), "--under", "DRO/52/1", "--title", "More minutes").stdout
    assert "placed under DRO/52/1 as DRO/52/1/3" in second
    found = [r["reference"] for r in preserve.json("search", "DRO/52/1")["records"] if r["reference"]]
    assert found == ["DRO/52/1", "DRO/52/1/1", "DRO/52/1/2", "DRO/52/1/3"]  # the catalogue's, the AIPs', in order
    refused = preserve("ingest", str(collection), "--under", "DRO/99", expect=20)
    assert "--under DRO/99: no unit of description has this reference code" in refused.stderr
    out = tmp_path / "export.xml"
    preserve("catalogue", "export-ead", "DRO/52/1", "--output", str(out), "--include-closed")
    assert "DRO/52/1/3" in out.read_text() and "More minutes" in out.read_text()


def test_an_aip_below_a_closed_unit_of_the_catalogue_is_closed_until_an_import_opens_it(preserve, tmp_path, collection):
    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    preserve.json("catalogue", "import-ead", str(ead))
    placed = preserve.json("ingest", str(collection), "--under", "DRO/52/1/1/1")  # closed until 1 January 2045
    aip_id = placed["aip_id"]
    files = preserve.json("access", "show", aip_id)["files"]
    assert {(f["access"]["status"], f["access"]["closed_until"]) for f in files} == {("closed", "2045-01-01")}
    held = lambda: [r for r in preserve.json("search", "--as-researcher", "vestry")["records"] if r["aip_id"] == aip_id]  # noqa: E731
    assert held() == []  # the AIP's records (the catalogue's own open Vestry series is found)
    ead.write_text(CALM.format(title="Parish of St Michael").replace("Closed until 1 January 2045", "Open"))
    reopened = preserve.json("catalogue", "import-ead", str(ead))
    assert reopened["updated"][0][0] == "DRO/52/1/1/1" and reopened["aips_refreshed"] == 1
    files = preserve.json("access", "show", aip_id)["files"]
    assert {f["access"]["status"] for f in files} == {"open"}
    assert held() != []


def test_what_is_below_a_closed_unit_is_never_exported_nor_harvested(preserve, tmp_path):
    ead = tmp_path / "DRO52.xml"  # DRO/52/2 personal data without a date: closed until reviewed; DRO/52/1/1/1 till 2045
    ead.write_text(
        CALM.format(title="Parish of St Michael").replace(
            "</c01>\n    </dsc>",
            '</c01>\n<c01 level="series"><did><unitid>GB 0123 DRO/52/3</unitid><unittitle>Hidden</unittitle></did>'
            "<accessrestrict><p>Closed</p></accessrestrict><c02><did><unitid>GB 0123 DRO/52/3/1</unitid>"
            "<unittitle>SECRET below a closed series</unittitle></did></c02></c01>\n    </dsc>",
        )
    )
    report = preserve.json("catalogue", "import-ead", str(ead))
    assert "DRO/52/3" in report["pending_review"]  # "Closed" alone: closed until a person reads it
    refused = preserve("catalogue", "export-ead", "DRO/52/3/1", expect=13)  # its parent is closed
    assert "is closed" in refused.stderr and "SECRET" not in refused.stdout
    assert preserve("catalogue", "export-ead", "DRO/52/1/1/1/1", expect=13).stdout == ""
    from access import oai

    settings = AppContext(home=preserve.home, config=preserve.home / "preserve.toml").settings
    database = AppContext(home=preserve.home, config=preserve.home / "preserve.toml").database()
    listed = oai.answer(settings, database, {"verb": ["ListRecords"], "metadataPrefix": ["oai_dc"]}).decode()
    for hidden in ("SECRET", "DRO/52/3", "DRO/52/1/1/1", "Enclosed letter", "Churchwardens"):
        assert hidden not in listed, hidden
    assert "DRO/52/1/1" in listed  # the open file above the closed item is harvested


def test_an_import_never_lifts_a_closure_by_silence_or_by_a_move(preserve, tmp_path):
    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    preserve.json("catalogue", "import-ead", str(ead))
    silent = CALM.format(title="Parish of St Michael").replace(
        "<accessrestrict><p>Closed until 1 January 2045 under section 40 of the FOI Act</p></accessrestrict>", ""
    )
    ead.write_text(silent)  # says nothing of the item's access: it keeps its closure
    preserve.json("catalogue", "import-ead", str(ead))
    assert _units(preserve, ["DRO/52/1/1/1"])["DRO/52/1/1/1"].closed_until == "2045-01-01"
    opened = CALM.format(title="Parish of St Michael").replace(
        "Closed until 1 January 2045 under section 40 of the FOI Act", "Open"
    )
    ead.write_text(opened)
    dry = preserve.json("catalogue", "import-ead", str(ead), "--dry-run")
    assert dry["opening"] == [
        "DRO/52/1/1/1: its access conditions would go from 'Closed until 1 January 2045 under "
        "section 40 of the FOI Act' to 'Open' (open)"
    ]
    said = " ".join(preserve("catalogue", "import-ead", str(ead), "--dry-run").stdout.split())
    assert "The import would be refused: it would lift the closure of, or move, 1 unit(s)" in said
    refused = preserve("catalogue", "import-ead", str(ead), expect=20)
    assert "would lift the closure of, or move, 1 unit(s)" in refused.stderr and "--allow-opening" in refused.stderr
    assert _units(preserve, ["DRO/52/1/1/1"])["DRO/52/1/1/1"].closed_until == "2045-01-01"
    preserve.json("catalogue", "import-ead", str(ead), "--allow-opening")
    assert _units(preserve, ["DRO/52/1/1/1"])["DRO/52/1/1/1"].closed_until == ""


def test_an_aip_cannot_take_over_a_unit_of_the_catalogue(preserve, tmp_path, collection):
    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    preserve.json("catalogue", "import-ead", str(ead))
    transfer = described_transfer(
        collection,
        tmp_path / "transfer",
        "filename,reference,level,parent,dc.title\nobjects,DRO/52/1/1/1,item,DRO/52/1/1,Claimed\n",
    )
    refused = preserve("ingest", str(transfer), expect=20)
    assert "'DRO/52/1/1/1' is a unit of the archive's catalogue" in refused.stderr


def test_references_no_archive_means_are_refused(preserve, tmp_path):
    odd = (
        CALM.format(title="Parish")
        .replace("GB 0123 DRO/52/1/1/1/1", "GB 0123 DRO/52/../52")
        .replace("GB 0123 DRO/52/2", "GB 0123 DRO/52/2\u202e")
    )
    ead = tmp_path / "odd.xml"
    ead.write_text(odd)
    texts = [
        p["text"]
        for p in json.loads(preserve("catalogue", "import-ead", str(ead), "--json", expect=20).stdout)["problems"]
    ]
    assert any("'.' or '..' part" in t for t in texts) and any("U+202E" in t for t in texts)
    good = tmp_path / "good.xml"
    good.write_text(CALM.format(title="Parish"))
    preserve.json("catalogue", "import-ead", str(good))
    case = CALM.format(title="Parish").replace("GB 0123 DRO/52/2", "GB 0123 dro/52/1")
    ead.write_text(case)
    texts = [
        p["text"]
        for p in json.loads(preserve("catalogue", "import-ead", str(ead), "--json", expect=20).stdout)["problems"]
    ]
    assert any("'dro/52/1' is 'DRO/52/1' written another way" in t for t in texts)
    ead.write_bytes(CALM.format(title="Caf\u00e9").encode("latin-1"))  # declared UTF-8, written in Latin-1
    assert (
        "cannot be read in the encoding it declares" in preserve("catalogue", "import-ead", str(ead), expect=20).stderr
    )


def test_the_catalogues_own_units_have_portal_pages_above_the_aips_placed_below_them(preserve, tmp_path, collection):
    """An imported unit anyone may find has its page (description, where it sits, what is below it, AIPs placed
    there), is in the breadcrumb and JSON-LD of the AIPs below it, in the sitemap and the open catalogue; a
    closed one, and what is below it, is 404 and never named."""
    pytest.importorskip("fastapi", reason="the portal needs the web extra")
    from fastapi.testclient import TestClient

    from access.web.app import create_app

    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    preserve.json("catalogue", "import-ead", str(ead))
    aip_id = preserve.json("ingest", str(collection), "--under", "DRO/52/1", "--title", "Digitised minutes")["aip_id"]
    preserve("access", "set", aip_id, "--open", "--reason", "Public records")
    settings = AppContext(home=preserve.home, config=preserve.home / "preserve.toml").settings
    portal = TestClient(create_app(settings))

    top = portal.get("/catalogue/DRO/52")
    assert top.status_code == 200 and "Parish of St Michael" in top.text
    assert "Registers, vestry minutes and churchwardens" in top.text and "3 boxes" in top.text
    keys = etree.HTML(top.text).xpath("//dt/text()")
    assert {"Extent", "Access conditions"} <= {key.strip() for key in keys}  # as a catalogue names them
    assert 'href="/catalogue/DRO/52/1"' in top.text  # the series below it
    assert "Churchwardens" not in top.text.replace("churchwardens", "")  # DRO/52/2: personal data, closed
    series = portal.get("/catalogue/DRO/52/1").text
    assert f'href="/records/{aip_id}"' in series and "Digitised minutes" in series  # the AIP placed there
    assert 'href="/catalogue/DRO/52"' in series  # the breadcrumb
    for closed in ("DRO/52/1/1/1", "DRO/52/1/1/1/1", "DRO/52/2", "DRO/99", "DRO/52/"):
        answer = portal.get(f"/catalogue/{closed}")
        assert answer.status_code == 404 and "parishioner" not in answer.text and "Enclosed" not in answer.text

    record = portal.get(f"/records/{aip_id}").text
    assert 'href="/catalogue/DRO/52"' in record and 'href="/catalogue/DRO/52/1"' in record  # where the AIP sits
    [block] = etree.HTML(record).xpath('//script[@type="application/ld+json"]/text()')
    part_of = json.loads(block)["isPartOf"]
    assert part_of["url"] == "http://127.0.0.1:8000/catalogue/DRO/52/1" and part_of["identifier"] == "DRO/52/1"
    urls = portal.get("/sitemap.xml").text
    assert "http://127.0.0.1:8000/catalogue/DRO/52/1</loc>" in urls and "DRO/52/2<" not in urls
    listed = json.loads(preserve("catalogue", "export", "--json").stdout)
    rows = {r["reference"]: r for r in listed}
    assert rows["DRO/52"]["url"] == "http://127.0.0.1:8000/catalogue/DRO/52"
    assert not {"DRO/52/1/1/1", "DRO/52/2"} & set(rows)
    assert len([r for r in listed if r["reference"]]) == len({r["reference"] for r in listed if r["reference"]})

    # the portal's search finds them, by words and by reference code, never a closed one
    found = preserve.json("search", "vestry")["records"]
    assert {"DRO/52/1": ""}.items() <= {r["reference"]: r["aip_id"] for r in found}.items()
    assert not preserve.json("search", "parishioner")["records"]  # DRO/52/1/1/1 is closed until 2045
    by_code = [r["reference"] for r in preserve.json("search", "DRO/52/1")["records"]]
    assert by_code[:3] == ["DRO/52/1", "DRO/52/1/1", "DRO/52/1/2"]  # the catalogue's, then the AIP placed there
    results = portal.get("/", params={"q": "vestry"}).text
    assert 'href="/catalogue/DRO/52/1"' in results
    api = portal.get("/api/v1/search", params={"q": "vestry"}).json()["records"]
    assert {"reference": "DRO/52/1", "url": "/catalogue/DRO/52/1"}.items() <= next(
        r for r in api if r["reference"] == "DRO/52/1"
    ).items()


def test_finding_aids_are_kept_in_storage_as_given_and_come_back_in_a_rebuild(preserve, tmp_path, collection):
    """The catalogue's own units can be rebuilt from storage alone: each imported finding aid is kept, byte for
    byte, in every location that keeps AIPs, and a rebuild imports them again, oldest first."""
    first = tmp_path / "DRO52.xml"
    first.write_text(
        CALM.format(title="Parish of St Michael").replace(
            "<scopecontent>", "<bioghist><p>Formed 1842.</p></bioghist><scopecontent>"
        )
    )
    preserve.json("catalogue", "import-ead", str(first), "--dry-run")
    kept = lambda: sorted(preserve.home.rglob("extensions/preserve-finding-aids/*.xml"))  # noqa: E731
    assert kept() == []  # a dry run keeps nothing
    broken = tmp_path / "broken.xml"
    broken.write_text("<ead><archdesc><did><unitid>X/1</unitid></did></archdesc>")
    preserve("catalogue", "import-ead", str(broken), expect=20)
    assert kept() == []  # nor does a refused import
    preserve.json("catalogue", "import-ead", str(first))
    [stored] = kept()
    assert stored.read_bytes() == first.read_bytes()  # as given: the biographical history the catalogue skips too
    second = tmp_path / "DRO52-revised.xml"
    second.write_text(CALM.format(title="Parish of St Michael, Durham"))
    preserve.json("catalogue", "import-ead", str(second))
    assert len(kept()) == 2
    aip_id = preserve.json("ingest", str(collection), "--under", "DRO/52/1", "--title", "Digitised minutes")["aip_id"]
    before = _units(preserve, REFERENCES)
    access = preserve.json("access", "show", aip_id)["aip_access"]

    preserve.lose_catalogue()
    report = preserve.json("catalogue", "rebuild")
    assert report["aips"] == 1 and report["finding_aids"] == 2 and report["problems"] == []
    after = _units(preserve, REFERENCES)
    assert after.keys() == before.keys() and after["DRO/52"].title == "Parish of St Michael, Durham"  # the latest
    for reference, unit in before.items():
        assert (unit.parent_reference, unit.closed_until, unit.closure_kind) == (
            after[reference].parent_reference, after[reference].closed_until, after[reference].closure_kind
        )  # fmt: skip
    assert preserve.json("access", "show", aip_id)["aip_access"] == access  # the AIP below: the same again

    # a location added afterwards is given them with the AIPs, so that it alone could rebuild the catalogue
    preserve("storage", "add", "second", "--backend", "local", "--path", str(tmp_path / "second"))
    assert preserve.json("storage", "replicate", "second")["finding_aids_copied"] == 2
    assert len(list((tmp_path / "second").rglob("extensions/preserve-finding-aids/*.xml"))) == 2
    preserve.lose_catalogue()
    assert preserve.json("catalogue", "rebuild")["finding_aids"] == 2  # each once, from either location

    stored = kept()[0]  # a damaged copy, with no good one elsewhere, is named, not read
    for other in (tmp_path / "second").rglob(f"extensions/preserve-finding-aids/{stored.name}"):
        other.unlink()
    stored.write_bytes(stored.read_bytes().replace(b"Vestry", b"Vestri"))
    preserve.lose_catalogue()
    damaged = preserve("catalogue", "rebuild", "--json", expect=1)
    problems = json.loads(damaged.stdout)["problems"]
    assert any(stored.name in problem and "does not match its SHA-256" in problem for problem in problems)


def test_an_import_whose_finding_aid_storage_cannot_keep_is_refused(preserve, tmp_path, monkeypatch):
    """A full disk or a refused write (a fault a real store will not produce on demand): nothing is imported."""
    from storage.local import LocalStorage

    def refusing(self, key, *args, **kwargs):
        from preservation.errors import StorageError

        raise StorageError(f"{key}: no space left on device")

    monkeypatch.setattr(LocalStorage, "put", refusing)
    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    refused = preserve("catalogue", "import-ead", str(ead), expect=None)
    assert refused.exit_code != 0 and "could not be kept in storage location" in refused.stderr
    assert _units(preserve, REFERENCES) == {}


def test_an_import_that_closes_a_unit_names_the_decisions_that_keep_records_below_it_shown(
    preserve, tmp_path, collection
):
    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    preserve.json("catalogue", "import-ead", str(ead))
    aip_id = preserve.json("ingest", str(collection), "--under", "DRO/52/1", "--title", "Digitised minutes")["aip_id"]
    preserve("access", "set", aip_id, "--path", "objects/photographs", "--restricted", "--reason", "Ask first")
    closing = CALM.format(title="Parish of St Michael").replace(
        "<unittitle>Vestry</unittitle>",
        "<unittitle>Vestry</unittitle></did><accessrestrict><p>Closed until 1 January 2045</p></accessrestrict><did>",
    )
    ead.write_text(closing)
    report = preserve.json("catalogue", "import-ead", str(ead))
    assert report["decided_below"] == [
        f"DRO/52/1 is closed, but a decision keeps objects/photographs of AIP {aip_id} restricted"
    ]
    said = " ".join(preserve("catalogue", "import-ead", str(ead)).stdout.split())
    assert "decision(s) keep records shown below units this import closes" not in said  # nothing changed now


def test_access_show_tells_what_a_catalogue_units_conditions_come_to_and_set_says_where_to_change_them(
    preserve, tmp_path
):
    ead = tmp_path / "DRO52.xml"
    ead.write_text(CALM.format(title="Parish of St Michael"))
    preserve.json("catalogue", "import-ead", str(ead))
    shown = preserve.json("access", "show", "DRO/52/1/1/1/1")  # pending review, below a unit closed until 2045
    assert shown["catalogue_unit"]["access_text"] == "Please ask at the searchroom desk"
    assert shown["catalogue_unit"]["closure_kind"] == "pending-review"
    assert shown["access"]["status"] == "closed" and shown["aips_below"] == 0
    said = " ".join(preserve("access", "show", "DRO/52/1/1/1").stdout.split())
    assert "Closed until 1 January 2045 under section 40 of the FOI Act → closed until 2045-01-01" in said
    refused = preserve("access", "set", "DRO/52/1/1/1", "--open", "--reason", "Reviewed", expect=40).stderr
    assert "is a unit of the archive's own catalogue (imported from DRO52.xml)" in refused
    assert "import the finding aid again" in " ".join(refused.split())


def test_closing_an_aip_closes_the_catalogues_own_units_below_it_at_once(preserve, tmp_path, collection):
    """Imported units below an AIP's unit follow the AIP: closed with it, never published meanwhile."""
    pytest.importorskip("fastapi", reason="the portal needs the web extra")
    from fastapi.testclient import TestClient

    from access.web.app import create_app

    transfer = described_transfer(
        collection, tmp_path / "transfer", "filename,reference,level,dc.title\nobjects,COL/8,collection,Secret title\n"
    )
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    preserve("access", "set", aip_id, "--open", "--reason", "Public records")
    ead = tmp_path / "col8.xml"
    ead.write_text(
        '<ead><archdesc level="collection"><did><unitid>COL/8</unitid><unittitle>Secret title</unittitle></did>'
        '<dsc><c01 level="series"><did><unitid>COL/8/1</unitid><unittitle>Below it</unittitle></did>'
        "<accessrestrict><p>Open</p></accessrestrict></c01></dsc></archdesc></ead>"
    )
    assert preserve.json("catalogue", "import-ead", str(ead))["created"] == ["COL/8/1"]  # COL/8 is the AIP's
    settings = AppContext(home=preserve.home, config=preserve.home / "preserve.toml").settings
    portal = TestClient(create_app(settings))
    assert portal.get("/catalogue/COL/8/1").status_code == 200
    preserve("access", "set", aip_id, "--closed", "--reason", "Found to hold personal data")
    page = portal.get("/catalogue/COL/8/1")
    assert page.status_code == 404 and "Secret title" not in page.text
    assert "COL/8/1" not in portal.get("/sitemap.xml").text
    assert "COL/8/1" not in preserve("catalogue", "export").stdout
    answer = portal.get(
        "/oai", params={"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:127.0.0.1:COL/8/1"}
    )
    assert 'status="deleted"' in answer.text


# EAD3 as AtoM 2.x and ArchivesSpace write it: the repository in control/maintenanceagency, structured dates
# and extents, the country and repository code before every unitid
EAD3 = """<?xml version="1.0" encoding="UTF-8"?>
<ead xmlns="http://ead3.archivists.org/schema/">
  <control><recordid>MAP/7</recordid><filedesc><titlestmt><titleproper>Estate maps</titleproper></titlestmt>
    </filedesc><maintenancestatus value="derived"/>
    <maintenanceagency countrycode="GB"><agencycode>GB-0123</agencycode><agencyname>County Archives</agencyname>
    </maintenanceagency></control>
  <archdesc level="collection">
    <did><unitid>GB 0123 MAP/7</unitid><unittitle>Estate maps</unittitle>
      <unitdatestructured><daterange><fromdate standarddate="1750">1750</fromdate>
        <todate standarddate="1850">1850</todate></daterange></unitdatestructured>
      <physdescstructured physdescstructuredtype="materialtype" coverage="whole">
        <quantity>12</quantity><unittype>rolled maps</unittype></physdescstructured></did>
    <accessrestrict><p>Open</p></accessrestrict>
    <dsc><c01 level="item"><did><unitid>GB 0123 MAP/7/1</unitid><unittitle>Survey of the home farm</unittitle>
      <unitdatestructured><datesingle standarddate="1801-05-04">4 May 1801</datesingle></unitdatestructured>
    </did></c01></dsc>
  </archdesc>
</ead>
"""


def test_an_ead3_finding_aid_reads_its_repository_structured_dates_and_extents(preserve, tmp_path):
    ead = tmp_path / "MAP7.xml"
    ead.write_text(EAD3)
    report = preserve.json("catalogue", "import-ead", str(ead))
    assert report["created"] == ["MAP/7", "MAP/7/1"]  # GB 0123 taken off, as for EAD 2002
    units = _units(preserve, ["MAP/7", "MAP/7/1"])
    top, item = units["MAP/7"], units["MAP/7/1"]
    assert (top.date, top.date_start, top.date_end) == ("1750/1850", "1750-01-01", "1850-12-31")
    assert top.date_text == "1750 – 1850" and top.extent == "12 rolled maps"
    assert (item.date, item.date_text, item.date_start) == ("1801-05-04", "4 May 1801", "1801-05-04")
    assert not {"did/unitdatestructured", "did/physdescstructured"} & set(report["not_read"])
