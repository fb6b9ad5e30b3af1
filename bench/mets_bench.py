"""METS for AIPs of 10,000 and 100,000 files: wall time and peak memory of the METS writer.

Run: .venv/bin/python bench/mets_bench.py

For each size a child process fills a transfer journal with that many files (digests, formats,
validation results with characteristics, as ingest records them), then writes the METS exactly
as ingest does (``ingest.packaging.Package.store_mets`` into a local storage location) and
reports its peak resident memory. The METS is then validated against the METS and PREMIS schemas.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "mets"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from ingest.journal import FileResult, Journal
from ingest.packaging import Package
from ingest.premis_records import TransferRecords, make_agents
from ingest.sources import SourceFile
from preservation.identifiers import file_uuid, timestamp, urn
from preservation.model import FormatInfo, Validation
from storage.local import LocalStorage
from storage.ocfl import NewObject, ensure_storage_root

count, work = int(sys.argv[1]), Path(sys.argv[2])
aip = "0b7c1c1e-5d8a-4f65-9a53-0a7f1b2c3d4e"
journal = Journal(work / "journal.sqlite")
sources = (SourceFile(f"/src/box-{i // 1000:03}/file-{i:06}.txt", f"box-{i // 1000:03}/file-{i:06}.txt", 100, 0)
           for i in range(count))
journal.add_sources(sources, lambda rel: "data/objects/" + rel, lambda rel: file_uuid(aip, rel))
fmt = FormatInfo("x-fmt/111", "Plain Text File", "", "text/plain", "text", "", "preserve-pronom 0.1 (FIDO v109)")
check = Validation("valid", "text", "Python codecs 3.11", (), (("encoding", "UTF-8"),))
now = timestamp()
for index in range(count):
    journal.record(FileResult(index, 100, "a" * 64, "b" * 128, fmt, now, now, now, check, now))
    if index % 500 == 0:
        journal.commit()  # as ingest does
journal.commit()
storage = LocalStorage("bench", work / "storage")
ensure_storage_root(storage)
records = TransferRecords("t-" + aip, aip, "bench", ("bench",), make_agents("Bench Archive", "bench"))
records.tool_agent("Python codecs 3.11")
package = Package(aip, "METS benchmark", now, "Bench Archive", work / "staging", journal,
                  [NewObject(storage, urn(aip))], records)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
entry = package.store_mets()
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"files": count, "seconds": seconds, "peak_mib": peak / 1024, "before_mib": before / 1024,
                  "bytes": entry.size, "path": str(work / "staging" / "bag" / package.mets_path)}))
"""


def main() -> None:
    rows = []
    for count in (10_000, 100_000):  # all writers first: Linux keeps a process's peak RSS across exec,
        work = WORK / str(count)  # so a child forked from a parent that had parsed a METS would inherit it
        subprocess.run(["rm", "-rf", str(work)], check=True)
        work.mkdir(parents=True)
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(count), str(work), str(HERE.parent)],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(result.stdout))
    sys.path.insert(0, str(HERE.parent))
    from tests.schemas import validate_mets

    for row in rows:
        row["valid"] = not validate_mets(row["path"])
    print(f"# {time.strftime('%Y-%m-%d')}")
    print("| files | METS size | write seconds | peak RSS (MiB) | RSS before writing (MiB) | schema-valid |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['files']:,} | {row['bytes'] / 1e6:.0f} MB | {row['seconds']:.1f} | {row['peak_mib']:.0f} | "
            f"{row['before_mib']:.0f} | {'yes' if row['valid'] else 'NO'} |"
        )


if __name__ == "__main__":
    main()
