"""The OAI-PMH provider, harvested by a real client (Sickle) from a real `preserve serve`: every record of a
collection through resumption tokens, by set and by date, a newly closed record seen as deleted, the protocol's
errors — and never a closed record."""

from __future__ import annotations

from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from lxml import etree

from access import oai
from tests.portal_fixtures import running_portal
from tests.transfer_fixtures import described_transfer

sickle = pytest.importorskip("sickle", reason="the OAI-PMH tests harvest with Sickle (the test extra)")

OAI_NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}


def _catalogue(items: int) -> str:
    """A finding aid of a collection with ``items`` items in one series, and a closed one."""
    rows = "".join(
        f'<c03 level="item"><did><unitid>GB 0123 DRO/52/1/{n}</unitid><unittitle>Minutes {n}</unittitle>'
        f'<unitdate normal="19{20 + n % 10}">19{20 + n % 10}</unitdate></did></c03>'
        for n in range(1, items + 1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ead><eadheader><eadid countrycode="GB" mainagencycode="GB-0123">DRO/52</eadid></eadheader>
<archdesc level="fonds"><did><unitid>GB 0123 DRO/52</unitid><unittitle>Parish of St Michael</unittitle>
<unitdate normal="1890/1950">1890-1950</unitdate></did><accessrestrict><p>Open</p></accessrestrict>
<dsc><c01 level="series"><did><unitid>GB 0123 DRO/52/1</unitid><unittitle>Vestry</unittitle></did>{rows}
<c03 level="item"><did><unitid>GB 0123 DRO/52/1/999</unitid><unittitle>A closed file</unittitle></did>
<accessrestrict><p>Closed until 1 January 2090</p></accessrestrict></c03></c01></dsc></archdesc></ead>
"""


@pytest.fixture
def harvested(preserve, tmp_path, collection):
    """An archive with an imported catalogue of 230 items and an AIP placed in it, served by the portal."""
    ead = tmp_path / "DRO52.xml"
    ead.write_text(_catalogue(230))
    preserve.json("catalogue", "import-ead", str(ead))
    transfer = described_transfer(
        collection,
        tmp_path / "transfer",
        "filename,reference,level,parent,dc.title,dc.creator\n"
        "objects,DRO/52/2,series,DRO/52,Digitised plans,A. Surveyor\n",
    )
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    preserve("access", "set", aip_id, "--open", "--reason", "Public records")
    config = preserve.home / "preserve.toml"
    config.write_text(
        config.read_text().replace("[archive]\n", '[archive]\ncontact_email = "searchroom@example.org"\n')
    )
    with running_portal(preserve.home) as base:
        yield preserve, base, aip_id, ead


def test_a_harvester_gets_every_open_record_through_resumption_tokens(harvested, monkeypatch):
    preserve, base, aip_id, _ead = harvested
    client = sickle.Sickle(f"{base}/oai", max_retries=0)
    identify = client.Identify()
    assert identify.protocolVersion == "2.0" and identify.deletedRecord == "persistent"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ" and identify.adminEmail == "searchroom@example.org"
    formats = {f.metadataPrefix for f in client.ListMetadataFormats()}
    assert formats == {"oai_dc", "oai_ead"}

    records = list(client.ListRecords(metadataPrefix="oai_dc"))  # 233 records: three pages of 100
    references = [r.metadata["identifier"][0] for r in records]
    assert len(references) == len(set(references)) == 233
    assert "DRO/52/1/999" not in references and "DRO/52/2" in references  # closed: never; the AIP's unit: yes
    plans = next(r for r in records if r.metadata["identifier"][0] == "DRO/52/2")
    assert plans.metadata["title"] == ["Digitised plans"] and plans.metadata["creator"] == ["A. Surveyor"]
    assert f"{base}/records/{aip_id}" in plans.metadata["identifier"]  # a link to the open record's page
    vestry = next(r for r in records if r.metadata["identifier"][0] == "DRO/52/1")  # the catalogue's own: its page
    assert vestry.metadata["identifier"] == ["DRO/52/1", f"{base}/catalogue/DRO/52/1"]
    assert all(r.header.datestamp.endswith("Z") for r in records)

    [(spec, name)] = [(s.setSpec, s.setName) for s in client.ListSets()]
    assert (spec, name) == ("DRO~2F52", "Parish of St Michael")
    in_set = list(client.ListIdentifiers(metadataPrefix="oai_dc", set=spec))
    assert len(in_set) == 233
    ead = client.GetRecord(identifier=records[0].header.identifier, metadataPrefix="oai_ead")
    assert b"urn:isbn:1-931666-22-9" in etree.tostring(ead.xml)


def test_from_until_and_a_record_closed_later_seen_as_deleted(harvested):
    preserve, base, _aip_id, ead = harvested
    client = sickle.Sickle(f"{base}/oai", max_retries=0)
    first = list(client.ListIdentifiers(metadataPrefix="oai_dc"))
    latest = max(h.datestamp for h in first)
    with pytest.raises(sickle.oaiexceptions.NoRecordsMatch):  # nothing changed in 2000
        list(client.ListIdentifiers(metadataPrefix="oai_dc", **{"from": "2000-01-01", "until": "2000-12-31"}))
    dated = '<unitdate normal="1927">1927</unitdate></did>'  # the first is item 7's
    closing = "<accessrestrict><p>Closed until 2 March 2099</p></accessrestrict>"
    ead.write_text(ead.read_text().replace(dated, dated + closing, 1))
    preserve.json("catalogue", "import-ead", str(ead))
    changed = list(client.ListIdentifiers(metadataPrefix="oai_dc", **{"from": latest}))
    deleted = [h for h in changed if h.deleted]
    assert [h.identifier.rsplit(":", 1)[-1] for h in deleted] == ["DRO/52/1/7"]
    record = client.GetRecord(identifier=deleted[0].identifier, metadataPrefix="oai_dc")
    assert record.header.deleted and record.xml.find(f"{{{OAI_NS['o']}}}metadata") is None  # no metadata at all


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("verb=Nonsense", "badVerb"),
        ("", "badVerb"),
        ("verb=ListRecords", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc", "badArgument"),
        ("verb=ListRecords&metadataPrefix=marc21", "cannotDisseminateFormat"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=2020-01-01&until=2019-01-01", "badArgument"),
        ("verb=ListRecords&metadataPrefix=oai_dc&from=yesterday", "badArgument"),
        ("verb=ListRecords&resumptionToken=forged", "badResumptionToken"),
        ("verb=ListRecords&resumptionToken=abc&metadataPrefix=oai_dc", "badArgument"),
        ("verb=GetRecord&identifier=oai:127.0.0.1:DRO/52/1/999&metadataPrefix=oai_dc", "idDoesNotExist"),
        ("verb=ListRecords&metadataPrefix=oai_dc&set=NOPE", "noRecordsMatch"),
        ("verb=Identify&extra=1", "badArgument"),
        ("verb=GetRecord&identifier=oai:127.0.0.1:DRO%252F52&metadataPrefix=oai_dc", "idDoesNotExist"),  # one form
    ],
)
def test_the_protocols_errors(harvested, query, code):
    _preserve, base, _aip_id, _ead = harvested
    with urlopen(f"{base}/oai?{query}") as response:
        document = etree.fromstring(response.read())
    assert document.xpath("string(//o:error/@code)", namespaces=OAI_NS) == code


def test_a_set_spec_holds_only_what_the_protocol_allows():
    assert oai.set_spec("DRO/52 a~b") == "DRO~2F52~20a~7Eb"


def test_arguments_xml_cannot_carry_and_days_that_are_not_are_bad_arguments(harvested):
    _preserve, base, _aip_id, _ead = harvested
    for query in (
        "verb=ListIdentifiers&metadataPrefix=oai_dc&set=%00",
        "verb=GetRecord&metadataPrefix=oai_dc&identifier=%01",
        "verb=ListRecords&resumptionToken=%00",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2026-02-30",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2026-01-01T25:99:99Z",
    ):
        with urlopen(f"{base}/oai?{query}") as response:
            assert response.status == 200, query
            document = etree.fromstring(response.read())
        code = document.xpath("string(//o:error/@code)", namespaces=OAI_NS)
        assert code in ("badArgument", "badResumptionToken"), (query, code)
    for part in ("0", "2"):
        with pytest.raises(HTTPError) as missing:
            urlopen(f"{base}/sitemap-{part}.xml")
        assert missing.value.code == 404
