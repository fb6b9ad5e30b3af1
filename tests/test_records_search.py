"""Searching records: words, facets, paging, and never finding what the searcher may not see."""

from __future__ import annotations

import pytest

from catalogue.record_index import RecordQuery, search_records
from cli.context import AppContext

pytestmark = pytest.mark.both_catalogues

ARCHIVAL = (
    "filename,reference,level,parent,dc.title,dc.date,dc.subject,closure\n"
    "objects,DRO/52,collection,,Parish of St Michael: records,1890/1950,Parishes,\n"
    "objects/documents/,DRO/52/1,series,DRO/52,Vestry papers,1920/1929,Vestry,\n"
    "objects/documents/minutes.txt,DRO/52/1/3,item,DRO/52/1,Vestry minutes about the bells,1995-04,Bells,"
    "personal-data\n"
)
TODAY = "2026-11-26"


def _search(preserve, **query) -> tuple[int, list[str], dict]:
    database = AppContext(home=preserve.home, config=preserve.home / "preserve.toml").database()
    with database.session() as session:
        results = search_records(session, RecordQuery(**query), TODAY)
    return results.total, [r.reference or r.path for r in results.records], results.facets


@pytest.fixture
def archive(preserve, tmp_path):
    transfer = tmp_path / "accession"
    (transfer / "objects" / "documents").mkdir(parents=True)
    (transfer / "metadata").mkdir()
    (transfer / "objects" / "documents" / "minutes.txt").write_text("Vestry minutes")
    (transfer / "objects" / "documents" / "letter-about-bells.txt").write_text("A letter")
    (transfer / "objects" / "plan.txt").write_text("A plan")
    (transfer / "metadata" / "metadata.csv").write_text(ARCHIVAL)
    preserve.json("ingest", str(transfer))
    return preserve


def test_words_find_files_and_units_with_their_facets(archive):
    total, found, facets = _search(archive, text="vestry")
    assert total == 2 and set(found) == {"DRO/52/1", "DRO/52/1/3"}
    assert dict(facets["collection"]) == {"DRO/52": 2}
    assert dict(facets["access"]) == {"open": 1, "closed": 1}
    assert set(_search(archive, text="bell*")[1]) == {"DRO/52/1/3", "documents/letter-about-bells.txt"}  # prefix
    assert _search(archive, text="bell")[0] == 0  # whole words only, unless asked
    assert _search(archive, text="parish records")[1] == ["DRO/52"]
    assert _search(archive, text="vestry", access="closed")[1] == ["DRO/52/1/3"]
    assert _search(archive, text="", year_from=1990, year_to=1999)[1] == ["DRO/52/1/3"]
    assert _search(archive, text="x-fmt/111")[0] == 3  # plain text files, by PUID


def test_a_researcher_never_finds_closed_records(archive):
    total, found, facets = _search(archive, text="vestry", findable=("open", "restricted"))
    assert found == ["DRO/52/1"] and total == 1
    assert "closed" not in dict(facets["access"])
    archive("access", "set", "DRO/52/1/3", "--open", "--reason", "Reviewed")
    assert "DRO/52/1/3" in _search(archive, text="vestry", findable=("open", "restricted"))[1]


def test_paging_is_stable_and_bounded(archive):
    first = _search(archive, text="", per_page=2, page=1)
    second = _search(archive, text="", per_page=2, page=2)
    assert first[0] == second[0] == 5 and not set(first[1]) & set(second[1])
    assert len(_search(archive, text="", per_page=10_000)[1]) == 5  # capped, not an error


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced',
        "vestry OR",
        "NEAR(a b)",
        "* ^ - :",
        "a" * 5000,
        " ".join(["word"] * 500),
        "'; DROP TABLE records; --",
        "col:vestry",
        "\x00\x01",
    ],
)
def test_query_syntax_cannot_break_the_search(archive, text):
    total, _found, _facets = _search(archive, text=text)
    assert total >= 0
    assert _search(archive, text="vestry")[0] == 2  # and nothing was harmed


def test_very_many_matches_are_counted_from_a_sample(archive, monkeypatch):
    from catalogue import record_index as records

    exact = _search(archive, text="")
    monkeypatch.setattr(records, "EXACT_LIMIT", 4)  # as if the five records were millions
    database = AppContext(home=archive.home, config=archive.home / "preserve.toml").database()
    with database.session() as session:
        everyone = search_records(session, RecordQuery(text=""), TODAY)
        researcher = search_records(session, RecordQuery(text="", findable=("open", "restricted")), TODAY)
        worded = search_records(session, RecordQuery(text="txt"), TODAY)
    assert everyone.approximate
    assert everyone.total == round(4 * 5 / 4) and exact[0] == 5  # the sample scaled up to every match
    assert sum(n for _, n in everyone.facets["access"]) == everyone.total
    assert researcher.records and all(r.access != "closed" for r in researcher.records)
    assert not worded.approximate  # three matches: exact
