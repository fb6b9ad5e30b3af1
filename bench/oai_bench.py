"""OAI-PMH ListRecords throughput over a catalogue of 1,000,000 exposed records.

Run: .venv/bin/python bench/oai_bench.py [--records 1000000] [--harvest 50000] [--keep]

A fresh archive home (bench/work/oai/) is made with `preserve init`, and its oai_items table is filled directly
with --records records as the provider keeps them (50 collections; going through imports would take hours and
measure the import). The provider (access.oai.answer, as the portal's /oai route calls it) is then asked for
ListRecords in oai_dc and followed through its resumption tokens for --harvest records: from the start, from the
middle of the catalogue (a token's position), and within one set. Records per second are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from lxml import etree  # noqa: E402
from sqlalchemy import text  # noqa: E402

from access import oai  # noqa: E402
from catalogue import Database  # noqa: E402
from preservation.config import load_settings  # noqa: E402

PRESERVE = str(Path(sys.executable).parent / "preserve")
HOME = HERE / "work" / "oai"
NS = {"o": oai.OAI}


def build(records: int) -> None:
    """A home whose catalogue exposes ``records`` records."""
    shutil.rmtree(HOME, ignore_errors=True)
    subprocess.run([PRESERVE, "init", str(HOME)], check=True, capture_output=True)
    database = Database(load_settings(HOME).catalogue_url)
    batch = []
    with database.engine.begin() as connection:
        for n in range(records):
            collection = f"COL/{n % 50:03}"
            fields = {
                "title": f"Minutes of the meeting number {n}",
                "level": "item",
                "date": f"{1850 + n % 170}",
                "years": [1850 + n % 170, 1850 + n % 170],
                "parent": f"{collection}/{n % 97}",
                "access": "open",
                "dc": {"description": ["Minutes, accounts and correspondence of the vestry."], "creator": ["The PCC"]},
                "aip_id": "",
                "path": "",
            }
            batch.append(
                {
                    "r": f"{collection}/{n % 97}/{n}",
                    "c": collection,
                    "d": f"2026-12-0{1 + n % 5}T10:00:00Z",
                    "f": json.dumps(fields),
                }
            )
            if len(batch) == 20_000 or n == records - 1:
                connection.execute(
                    text(
                        "INSERT INTO oai_items (reference, aip_id, collection, datestamp, deleted, digest, fields)"
                        " VALUES (:r, '', :c, :d, 0, '', :f)"
                    ),
                    batch,
                )
                batch = []
    database.dispose()


def harvest(settings, database, first: str, count: int) -> tuple[int, float]:
    """Follow ListRecords from the request ``first`` for at least ``count`` records: (records, seconds)."""
    got, started, query = 0, time.perf_counter(), first
    while got < count:
        document = etree.fromstring(oai.answer(settings, database, parse_qs(query)))
        got += len(document.xpath("//o:record", namespaces=NS))
        token = document.xpath("string(//o:resumptionToken)", namespaces=NS)
        if not token:
            break
        query = f"verb=ListRecords&resumptionToken={token}"
    return got, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--harvest", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true", help="Reuse a catalogue built before.")
    args = parser.parse_args()
    marker = HOME / f".built-{args.records}"
    if not (args.keep and marker.exists()):
        started = time.perf_counter()
        build(args.records)
        marker.write_text("")
        print(f"built {args.records:,} records in {time.perf_counter() - started:.0f} s")
    settings = load_settings(HOME)
    database = Database(settings.catalogue_url)
    middle = oai._write_token("ListRecords", {"m": "oai_dc", "s": "", "f": "", "u": "", "a": "COL/025"})
    print(f"# {time.strftime('%Y-%m-%d')}  {os.cpu_count()} cores  {args.records:,} exposed records")
    print("| harvest | records | seconds | records/s |")
    print("|---|---|---|---|")
    for name, first in (
        ("ListRecords oai_dc from the start", "verb=ListRecords&metadataPrefix=oai_dc"),
        ("from the middle (a resumption token)", f"verb=ListRecords&resumptionToken={middle}"),
        ("one set (COL/007)", "verb=ListRecords&metadataPrefix=oai_dc&set=COL~2F007"),
        ("ListRecords oai_ead", "verb=ListRecords&metadataPrefix=oai_ead"),
    ):
        got, seconds = harvest(settings, database, first, args.harvest)
        print(f"| {name} | {got:,} | {seconds:.1f} | {got / seconds:,.0f} |")
    database.dispose()


if __name__ == "__main__":
    main()
