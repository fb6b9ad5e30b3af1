"""Search latency on a generated catalogue of 1,000,000 file records, with facets and access filtering.

Run: .venv/bin/python bench/search_bench.py [--records 1000000] [--queries 300] [--keep]

A catalogue is made with `preserve init`'s schema (Alembic migrations) under bench/work/search/, and
filled directly with records as the records index holds them (going through ingest would take
hours and measure ingest): 1,000 AIPs of 1,000 files each, titles and descriptions drawn from a
vocabulary with a Zipf distribution (so some words are in most records and some in a handful),
50 collections, dates 1800-2020, 30 formats, and 90 % open, 7 % restricted, 3 % closed. Each
query is what a researcher's search does: `search_records` with the access filter on (never a
closed record), the page of 20 best matches, the total and four facet counts. The query set mixes
common and rare words, two-word queries, prefixes, and facet filters (a collection, a decade, a
format), run once to warm the cache and then timed. Each record also has a reference code
(COL/nnn/box/item) and its place in the hierarchy; reference-code searches (an item, a box of a
collection, a whole collection with 'COL/nnn/') are timed through `search_reference` after them.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sqlalchemy import text  # noqa: E402

from catalogue import Database  # noqa: E402
from catalogue.record_index import RecordQuery, facet_tokens, search_records  # noqa: E402
from catalogue.reference_search import search_reference  # noqa: E402
from catalogue.references import hierarchy_key  # noqa: E402

WORK = HERE / "work" / "search"
SYLLABLES = [
    "ab",
    "ber",
    "cal",
    "dor",
    "en",
    "fel",
    "gar",
    "hol",
    "ing",
    "jam",
    "kel",
    "lin",
    "mor",
    "nor",
    "ot",
    "pen",
    "quin",
    "ros",
    "sel",
    "tor",
    "ul",
    "ven",
    "wil",
    "yar",
    "zen",
]
COMMON = [
    "parish",
    "minutes",
    "letter",
    "school",
    "church",
    "estate",
    "map",
    "survey",
    "photograph",
    "account",
    "vestry",
    "council",
    "deed",
    "plan",
    "register",
    "report",
]
TODAY = "2026-11-26"


def vocabulary(size: int, seed: int = 7) -> list[str]:
    """Common archival words first, then made-up words: a Zipf draw makes the first frequent."""
    rng = random.Random(seed)
    words = list(COMMON)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in words:
            words.append(word)
    return words


def build(database_url: str, records: int, words: list[str]) -> float:
    """Fill the catalogue; returns seconds taken."""
    rng = random.Random(11)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    puids = [f"fmt/{n}" for n in range(1, 31)]
    collections = [f"COL/{n:03}" for n in range(50)]
    database = Database(database_url)
    started = time.perf_counter()
    aips = max(1, records // 1000)
    with database.session() as session:
        session.execute(
            text(
                "INSERT INTO aips (id, title, slug, transfer_id, ocfl_id, head_version, file_count, total_bytes,"
                " mets_path, mets_sha512, status, created_at, access, closed_until) VALUES (:id, :t, 's', :id, :id,"
                " 'v1', 1000, 0, 'm', 'x', 'ok', '2026-11-26', 'open', '')"
            ),
            [{"id": f"{n:08x}-0000-4000-8000-000000000000", "t": f"Accession {n}"} for n in range(aips)],
        )
    batch = []
    cumulative = list(itertools.accumulate(weights))
    drawn = iter(())
    for index in range(records):
        if index % 10_000 == 0:  # words for the next 10,000 records in one draw (drawing per record is slow)
            drawn = iter(rng.choices(words, cum_weights=cumulative, k=10_000 * 20))
        title = " ".join(next(drawn) for _ in range(rng.randint(2, 5)))
        body = " ".join(next(drawn) for _ in range(rng.randint(5, 15)))
        year = rng.randint(1800, 2020)
        draw = rng.random()
        access, until = ("open", "") if draw < 0.90 else ("restricted", "") if draw < 0.97 else ("closed", "2090-01-01")
        collection, end, puid = (
            collections[int(rng.paretovariate(1.2)) % 50],
            year + rng.randint(0, 5),
            puids[int(rng.paretovariate(1.5)) % 30],
        )
        body += " " + " ".join(facet_tokens(collection, year, end, puid, access))  # as the records index writes
        reference = f"{collection}/{index % 97}/{index}"
        batch.append(
            {
                "aip": f"{index // 1000:08x}-0000-4000-8000-000000000000",
                "f": f"file-{index}",
                "t": title,
                "c": collection,
                "ys": year,
                "ye": end,
                "p": puid,
                "a": access,
                "u": until,
                "path": f"box-{index % 97}/item-{index}.pdf",
                "b": body + " " + reference,
                "r": reference,
                "k": hierarchy_key(reference),
            }
        )
        if len(batch) == 20_000 or index == records - 1:
            with database.session() as session:
                session.execute(
                    text(
                        "INSERT INTO records (aip_id, file_id, kind, reference, reference_key, level, title,"
                        " collection, year_start, year_end, puid, format_name, access, closed_until, path, body)"
                        " VALUES (:aip, :f, 'file', :r, :k, 'item', :t, :c, :ys, :ye, :p, '', :a, :u, :path, :b)"
                    ),
                    batch,
                )
            batch = []
    with database.session() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("INSERT INTO records_fts(records_fts) VALUES ('rebuild')"))
            session.execute(text("INSERT INTO records_fts(records_fts) VALUES ('optimize')"))
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    database.dispose()
    return time.perf_counter() - started


def query_set(words: list[str], count: int) -> list[RecordQuery]:
    """Common and rare words, pairs, prefixes, with and without facet filters; researcher access."""
    rng = random.Random(3)
    findable = ("open", "restricted")
    queries = []
    for n in range(count):
        kind = n % 6
        if kind == 0:
            text_ = rng.choice(words[:16])  # common: in a large share of the records
        elif kind == 1:
            text_ = rng.choice(words[2000:])  # rare
        elif kind == 2:
            text_ = f"{rng.choice(words[:16])} {rng.choice(words[16:400])}"
        elif kind == 3:
            text_ = rng.choice(words[16:400])[:4] + "*"  # a prefix the searcher asked for
        else:
            text_ = rng.choice(words[:200])
        facet = {}
        if kind == 4:
            facet = {"collection": f"COL/{rng.randint(0, 9):03}", "year_from": 1900, "year_to": 1909}
        elif kind == 5:
            facet = {"puid": f"fmt/{rng.randint(1, 5)}"}
        queries.append(RecordQuery(text=text_, findable=findable, **facet))
    return queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="Reuse a catalogue built before.")
    args = parser.parse_args()
    words = vocabulary(20_000)
    url = f"sqlite:///{WORK}/catalogue.db"
    marker = WORK / f".built-{args.records}"
    if not (args.keep and marker.exists()):
        shutil.rmtree(WORK, ignore_errors=True)
        WORK.mkdir(parents=True)
        Database(url).upgrade()
        seconds = build(url, args.records, words)
        marker.write_text("")
        print(
            f"built {args.records:,} records in {seconds:.0f} s "
            f"({(WORK / 'catalogue.db').stat().st_size / 1e6:,.0f} MB)"
        )
    database = Database(url)
    queries = query_set(words, args.queries)
    with database.session() as session:
        for query in queries:  # warm the page cache
            search_records(session, query, TODAY)
        timings, by_kind = [], {}
        for number, query in enumerate(queries):
            started = time.perf_counter()
            results = search_records(session, query, TODAY)
            elapsed = (time.perf_counter() - started) * 1000
            timings.append(elapsed)
            by_kind.setdefault(number % 6, []).append((elapsed, results.total))
        references = _time_references(session, args.records)
    database.dispose()
    names = ["common word", "rare word", "two words", "prefix", "word + collection + decade", "word + format"]
    print(
        f"# {platform.node()} — {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}, SQLite {__import__('sqlite3').sqlite_version}"
    )
    print("| query kind | queries | median matches | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for kind, name in enumerate(names):
        values = sorted(t for t, _ in by_kind[kind])
        matches = statistics.median(total for _, total in by_kind[kind])
        print(
            f"| {name} | {len(values)} | {matches:,.0f} | {statistics.median(values):.1f} | "
            f"{values[int(0.95 * (len(values) - 1))]:.1f} | {values[-1]:.1f} |"
        )
    ordered = sorted(timings)
    print(
        f"| **all** | {len(ordered)} | — | **{statistics.median(ordered):.1f}** | "
        f"**{ordered[int(0.95 * (len(ordered) - 1))]:.1f}** | {ordered[-1]:.1f} |"
    )
    for name, found in references.items():
        values = sorted(t for t, _ in found)
        matches = statistics.median(total for _, total in found)
        print(
            f"| reference code: {name} | {len(values)} | {matches:,.0f} | {statistics.median(values):.1f} | "
            f"{values[int(0.95 * (len(values) - 1))]:.1f} | {values[-1]:.1f} |"
        )


def _time_references(session, records: int) -> dict[str, list[tuple[float, int]]]:
    """Reference-code searches: one item, one box of a collection, a whole collection (warmed, then timed)."""
    rng = random.Random(5)
    findable = ("open", "restricted")
    asked = {"an item": [], "a box": [], "a whole collection": []}
    picked = [rng.randrange(1, records + 1) for _ in range(30)]
    items = session.execute(text(f"SELECT reference FROM records WHERE id IN ({','.join(map(str, picked))})"))
    asked["an item"] = [reference for (reference,) in items]
    for _ in range(30):
        asked["a box"].append(f"COL/{rng.randrange(10):03}/{rng.randrange(97)}")
        asked["a whole collection"].append(f"COL/{rng.randrange(10):03}/")
    timed: dict[str, list[tuple[float, int]]] = {}
    for name, codes in asked.items():
        for code in codes:
            search_reference(session, RecordQuery(text=code, findable=findable), code, TODAY)
        for code in codes:
            started = time.perf_counter()
            results = search_reference(session, RecordQuery(text=code, findable=findable), code, TODAY)
            timed.setdefault(name, []).append(((time.perf_counter() - started) * 1000, results.total))
    return timed


if __name__ == "__main__":
    main()
