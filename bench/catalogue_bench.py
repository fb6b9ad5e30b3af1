"""Catalogue insert rate: registering AIPs (files, five events per file, search index) on SQLite and PostgreSQL.

Run: .venv/bin/python bench/catalogue_bench.py [--aips 10] [--files 10000]

Each AIP is registered in one transaction, as ingest does: the AIP row, its files (and their search
index entries) and five PREMIS events per file with their agent links. SQLite is the catalogue
file in WAL mode on local disk; PostgreSQL is a local cluster started here (Debian's server,
fsync off as in the tests — a production server with fsync on commits less often than it inserts,
so the per-row cost shown is what matters).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from catalogue import Database  # noqa: E402
from catalogue import queries as catalogue  # noqa: E402
from preservation.model import Agent, Aip, Event, FileRecord, FormatInfo, Replica  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

EVENT_TYPES = ("message digest calculation", "format identification", "fixity check", "validation", "virus check")


def _aip(files: int) -> tuple[Aip, list[FileRecord], list[Event]]:
    aip_id = str(uuid.uuid4())
    aip = Aip(
        aip_id,
        "Benchmark accession",
        "bench",
        str(uuid.uuid4()),
        f"urn:uuid:{aip_id}",
        "v1",
        files,
        files * 4096,
        "data/metadata/METS.xml",
        "f" * 128,
        "2026-11-26T10:00:00+00:00",
    )
    fmt = FormatInfo("fmt/43", "JPEG File Interchange Format", "1.01", "image/jpeg", "signature")
    records = [
        FileRecord(
            str(uuid.uuid4()),
            aip_id,
            f"data/objects/box-{n // 100}/photo-{n:06}.jpg",
            f"objects/box-{n // 100}/photo-{n:06}.jpg",
            4096,
            os.urandom(32).hex(),
            os.urandom(64).hex(),
            fmt,
        )
        for n in range(files)
    ]
    events = [
        Event(
            str(uuid.uuid4()),
            aip_id,
            kind,
            "2026-11-26T10:00:00+00:00",
            "success",
            "program=preserve",
            "detail",
            record.id,
            ("agent-bench",),
        )
        for record in records
        for kind in EVENT_TYPES
    ]
    return aip, records, events


def _run(url: str, aips: int, files: int) -> float:
    database = Database(url)
    database.upgrade()
    agent = Agent("agent-bench", "software", "preserve", "bench")
    with database.session() as session:
        catalogue.sync_locations(session, [("primary", "local", "aip")])
    batches = [_aip(files) for _ in range(aips)]
    start = time.perf_counter()
    for aip, records, events in batches:
        with database.session() as session:
            catalogue.register_aip(
                session, aip, records, events, [agent], [Replica(aip.id, "primary", "v1", "root", "ok", "t", "t")]
            )
    seconds = time.perf_counter() - start
    database.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aips", type=int, default=10)
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    work = HERE / "work" / "catalogue"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    results = {"SQLite (WAL)": _run(f"sqlite:///{work}/catalogue.db", args.aips, args.files)}
    server = PostgresServer()
    try:
        results["PostgreSQL"] = _run(server.create_database(), args.aips, args.files)
    finally:
        server.stop()
    rows = args.aips * args.files
    print(
        f"# {time.strftime('%Y-%m-%d')}  {platform.node()}  {os.cpu_count()} cores  "
        f"{args.aips} AIPs x {args.files:,} files, {len(EVENT_TYPES)} events per file"
    )
    print("| catalogue | seconds | files/s | rows/s (files + events + links + index) |")
    print("|---|---|---|---|")
    for name, seconds in results.items():
        all_rows = rows * (1 + 2 * len(EVENT_TYPES) + 1)
        print(f"| {name} | {seconds:.1f} | {rows / seconds:,.0f} | {all_rows / seconds:,.0f} |")


if __name__ == "__main__":
    main()
