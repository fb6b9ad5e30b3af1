"""Reference codes searched as codes: DRO/52/1 finds that unit first and everything below it in hierarchy order
(DRO/52/1/2 before DRO/52/1/10), never DRO/52/2/1; and the records with no collection or no date can be asked
for, so those facets link somewhere."""

from __future__ import annotations

import pytest

from access.search import EVERYTHING, RESEARCHER, search
from catalogue.record_index import NO_COLLECTION, RecordQuery
from cli.context import AppContext

pytestmark = pytest.mark.both_catalogues

# as CALM exports a catalogue: a collection, two series, items numbered 1, 2, 3, 10 (so 10 must not sort before 2)
ARCHIVAL = (
    "filename,reference,level,parent,dc.title,dc.date,closure\n"
    "objects,DRO/52,collection,,Parish of St Michael,1890/1950,\n"
    "objects/vestry/,DRO/52/1,series,DRO/52,Vestry papers,1920/1929,\n"
    "objects/vestry/item-1.txt,DRO/52/1/1,item,DRO/52/1,Minutes 1921,1921,\n"
    "objects/vestry/item-2.txt,DRO/52/1/2,item,DRO/52/1,Minutes 1922,1922,\n"
    "objects/vestry/item-3.txt,DRO/52/1/3,item,DRO/52/1,Minutes about a parishioner,1995,personal-data\n"
    "objects/vestry/item-10.txt,DRO/52/1/10,item,DRO/52/1,Minutes 1929,1929,\n"
    "objects/churchwardens/,DRO/52/2,series,DRO/52,Churchwardens' accounts,1890/1899,\n"
    "objects/churchwardens/item-1.txt,DRO/52/2/1,item,DRO/52/2,Accounts 1 for DRO 52,1890,\n"
)
IN_ORDER = ["DRO/52/1", "vestry/loose-note.txt", "DRO/52/1/1", "DRO/52/1/2", "DRO/52/1/3", "DRO/52/1/10"]


def _found(archive, text: str = "", findable=EVERYTHING, **query) -> tuple[int, list[str], dict]:
    database = AppContext(home=archive.home, config=archive.home / "preserve.toml").database()
    results = search(database, RecordQuery(text, findable=findable, **query), "2026-12-05")
    return results.total, [r.reference or r.path for r in results.records], results.facets


@pytest.fixture
def archive(preserve, tmp_path, collection):
    transfer = tmp_path / "accession"
    for folder in ("vestry", "churchwardens"):
        (transfer / "objects" / folder).mkdir(parents=True)
    for name in ("item-1", "item-2", "item-3", "item-10", "loose-note"):
        (transfer / "objects" / "vestry" / f"{name}.txt").write_text(f"{name} of the vestry")
    (transfer / "objects" / "churchwardens" / "item-1.txt").write_text("accounts")
    (transfer / "objects" / "plan.txt").write_text("a plan of the church")
    (transfer / "metadata").mkdir()
    (transfer / "metadata" / "metadata.csv").write_text(ARCHIVAL)
    preserve.json("ingest", str(transfer))
    preserve.json("ingest", str(collection), "--title", "Loose deposit")  # no collection, no dates
    return preserve


def test_a_reference_code_finds_its_unit_then_what_is_below_it_in_hierarchy_order(archive):
    total, found, facets = _found(archive, "DRO/52/1")
    assert found == IN_ORDER and total == len(IN_ORDER)  # not DRO/52/2/1, though its words match
    assert _found(archive, "dro/52/1/")[1] == IN_ORDER  # any case, a trailing '/'
    assert dict(facets["collection"]) == {"DRO/52": len(IN_ORDER)}
    assert sum(n for _, n in facets["format"]) == len(IN_ORDER) - 1  # the series is no file: it has no format
    everything = _found(archive, "DRO/52/")[1]
    assert everything[:2] == ["DRO/52", "plan.txt"] and everything[2 : 2 + len(IN_ORDER)] == IN_ORDER
    assert everything[-2:] == ["DRO/52/2", "DRO/52/2/1"] and len(everything) == 10
    assert _found(archive, "DRO/52/1/10")[1] == ["DRO/52/1/10"]
    paged = [_found(archive, "DRO/52/1", per_page=4, page=page)[1] for page in (1, 2)]
    assert paged[0] + paged[1] == IN_ORDER


def test_a_reference_search_keeps_the_access_rule_and_the_filters(archive):
    total, found, _ = _found(archive, "DRO/52/1", findable=RESEARCHER)
    assert "DRO/52/1/3" not in found and total == len(IN_ORDER) - 1  # closed: not even counted
    in_1929 = _found(archive, "DRO/52/1", year_from=1929, year_to=1929)[1]  # the series spans the 1920s
    assert in_1929 == ["DRO/52/1", "vestry/loose-note.txt", "DRO/52/1/10"]


def test_what_is_not_a_reference_code_is_searched_as_words(archive):
    assert _found(archive, "DRO/99")[0] == 0  # no such unit, and no record has both words
    assert set(_found(archive, "DRO 52")[1]) >= {"DRO/52/2/1"}  # words, as before
    assert "vestry/loose-note.txt" in _found(archive, "vestry/")[1]  # a folder name with '/': found by its word


def test_records_in_no_collection_and_undated_ones_can_be_filtered(archive):
    total, found, facets = _found(archive)
    loose = dict(facets["collection"])[""]
    undated = dict(facets["decade"])[""]
    assert loose and undated
    in_none = _found(archive, collection=NO_COLLECTION)
    assert in_none[0] == loose and dict(in_none[2]["collection"]) == {"": loose}
    assert not any(reference.startswith("DRO/") for reference in in_none[1])
    dateless = _found(archive, undated=True)
    assert dateless[0] == undated and dict(dateless[2]["decade"]) == {"": undated}
    # the described vestry records are dated by their units (or the one above): only the loose deposit's is not
    assert _found(archive, "vestry", undated=True)[1] == ["documents/vestry-minutes-1923.pdf"]


def test_the_portal_links_the_undated_and_no_collection_facets(archive):
    pytest.importorskip("fastapi", reason="the portal needs the web extra")
    from fastapi.testclient import TestClient

    from access.web.app import create_app

    for aip in archive.json("aip", "list"):
        archive("access", "set", aip["id"], "--open", "--reason", "Public records")
    settings = AppContext(home=archive.home, config=archive.home / "preserve.toml").settings
    portal = TestClient(create_app(settings))
    page = portal.get("/").text
    assert f'href="/?collection={NO_COLLECTION}"' in page and 'href="/?undated=1"' in page
    loose = portal.get("/", params={"collection": NO_COLLECTION}).text
    undated = portal.get("/", params={"undated": "1"}).text
    assert "Parish of St Michael" not in loose and "church-tower.png" in loose
    assert "Clear filters" in undated and "Minutes 1922" not in undated
    found = portal.get("/api/v1/search", params={"q": "DRO/52/1"}).json()
    assert [r["reference"] or r["path"] for r in found["records"]][:2] == ["DRO/52/1", "vestry/loose-note.txt"]


def test_a_very_large_unit_is_counted_from_its_first_records(archive, monkeypatch):
    from catalogue import reference_search

    exact = _found(archive, "DRO/52/")
    monkeypatch.setattr(reference_search, "EXACT_LIMIT", 4)  # as if DRO/52 held half a million records
    database = AppContext(home=archive.home, config=archive.home / "preserve.toml").database()
    results = search(database, RecordQuery("DRO/52/", findable=EVERYTHING), "2026-12-05")
    assert results.approximate and results.total == exact[0]  # all of them pass the filters: the estimate is exact
    assert [r.reference or r.path for r in results.records] == exact[1]  # the page itself is never estimated
    assert sum(n for _, n in results.facets["access"]) == results.total
