"""What keeping and checking everything the depositor gave costs an ingest.

Run: .venv/bin/python bench/transfer_bench.py

The same records ingested three ways, each into a fresh archive home (warm page cache):
  plain        a folder of the records
  sha256       Archivematica's standard transfer: objects/ + metadata/checksum.sha256 (made by
               sha256sum) + 100 submission documents: the checksums come from the digests the
               ingest computes anyway
  md5+sha256   the same with metadata/checksum.md5 too: MD5 is added to the single read
Data: bench/ingest_bench.py's sets, (a) 1,000 files x 1 MiB and (b) 10,000 files x 4 KiB.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ingest_bench import SETS, make_set  # the same data sets as the ingest benchmark (bench/work/set-*)

HERE = Path(__file__).resolve().parent
WORK = HERE / "work" / "transfers"
BIN = Path(sys.executable).parent


def make_transfer(records: Path, algorithms: tuple[str, ...]) -> Path:
    """An Archivematica standard transfer of ``records`` with checksum files made by coreutils."""
    root = WORK / f"transfer-{records.name}-{'-'.join(algorithms)}"
    if (root / ".complete").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(records, root / "objects", ignore=shutil.ignore_patterns(".complete"))
    documents = root / "metadata" / "submissionDocumentation"
    documents.mkdir(parents=True)
    for i in range(100):
        (documents / f"letter-{i:03}.txt").write_text(f"Deposit correspondence {i}\n" * 20)
    names = sorted(str(p.relative_to(root / "objects")) for p in (root / "objects").rglob("*") if p.is_file())
    for algorithm in algorithms:
        listing = subprocess.run(
            [f"{algorithm}sum", *names], cwd=root / "objects", check=True, capture_output=True
        ).stdout
        (root / "metadata" / f"checksum.{algorithm}").write_bytes(listing)
    (root / ".complete").write_text("")
    return root


def ingest(source: Path) -> float:
    """Seconds for `preserve ingest` of ``source`` into a fresh archive home."""
    home = WORK / "home"
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run([BIN / "preserve", "init", str(home), "--name", "Bench"], check=True, capture_output=True)
    marker = source / ".complete"
    marker.unlink(missing_ok=True)  # not part of the transfer
    try:
        start = time.perf_counter()
        subprocess.run(
            [BIN / "preserve", "--home", str(home), "ingest", str(source), "--json"], check=True, capture_output=True
        )
        return time.perf_counter() - start
    finally:
        marker.write_text("")


def main() -> None:
    """Print one line per data set and way of ingesting."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(SETS), help="run one data set")
    only = parser.parse_args().only
    print(f"{time.strftime('%Y-%m-%d')} {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    for name, (count, size) in SETS.items():
        if only and name != only:
            continue
        records = make_set(name)
        ways = {
            "plain": records,
            "sha256": make_transfer(records, ("sha256",)),
            "md5+sha256": make_transfer(records, ("md5", "sha256")),
        }
        megabytes = count * size / 1e6
        for way, source in ways.items():
            seconds = min(ingest(source) for _ in range(2))
            print(
                f"  ({name}) {count:>6} x {size:>7} B  {way:<11} {seconds:6.1f} s  {count / seconds:6.0f} files/s  "
                f"{megabytes / seconds:6.1f} MB/s"
            )


if __name__ == "__main__":
    main()
