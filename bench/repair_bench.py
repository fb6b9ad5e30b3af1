"""File-by-file repair: what repairing damage spread over two copies costs, against a full audit of both.

Run: .venv/bin/python bench/repair_bench.py [--damaged 100]

One AIP of 1,000 × 1 MiB random files (bench/work/set-a, shared with the ingest benchmark) in two
local locations. Then, each timed in this process (`run_audit`, workers from the archive's settings):
  audit        a full audit of both intact copies (repair on; nothing to do)
  repair       --damaged files flipped in the first copy and a different --damaged files deleted from
               the second: the audit finds them and re-writes each from the other copy (verified as
               read, read back once written), then checks both repaired copies in full again
Peak RSS of the process is reported: repair streams each file, so it must not grow with file size.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from ingest_bench import make_set  # noqa: E402

from catalogue import Database  # noqa: E402
from preservation.config import load_settings  # noqa: E402
from stewardship.audit_runs import FULL, plan_all, run_audit  # noqa: E402
from storage.ocfl import object_root  # noqa: E402

WORK = HERE / "work" / "repair"
BIN = Path(sys.executable).parent


def _home() -> Path:
    home = WORK / "home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "preserve.toml").write_text(
        '[[storage]]\nname = "primary"\nbackend = "local"\npath = "storage/primary"\n'
        '[[storage]]\nname = "second"\npurpose = "replica"\nbackend = "local"\npath = "storage/second"\n'
        '[replication]\nlocations = ["primary", "second"]\n'
    )
    subprocess.run([BIN / "preserve", "--home", str(home), "init"], check=True, capture_output=True)
    return home


def _audit(home: Path) -> tuple[float, list]:
    settings = load_settings(home)
    database = Database(settings.catalogue_url)
    try:
        start = time.perf_counter()
        results = run_audit(settings, database, plan_all(database, kind=FULL), repair=True)
        return time.perf_counter() - start, results
    finally:
        database.dispose()


def main() -> None:
    """Ingest once, time an audit of intact copies, damage both copies, time the audit that repairs them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--damaged", type=int, default=100, help="files damaged in each copy (different ones)")
    args = parser.parse_args()
    records = make_set("a")
    home = _home()
    out = subprocess.run(
        [BIN / "preserve", "--home", str(home), "ingest", str(records), "--json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    aip_id = out.split('"aip_id": "')[1].split('"')[0]
    root = object_root(f"urn:uuid:{aip_id}")
    _audit(home)  # warm the page cache
    intact, _ = _audit(home)
    content = sorted((home / "storage" / "primary" / root / "v1" / "content" / "data" / "objects").rglob("*.bin"))
    for path in content[: args.damaged]:
        with open(path, "r+b") as handle:
            handle.seek(1000)
            byte = handle.read(1)
            handle.seek(1000)
            handle.write(bytes([byte[0] ^ 0x01]))
    for path in content[args.damaged : 2 * args.damaged]:
        os.unlink(str(path).replace("/storage/primary/", "/storage/second/"))
    repairing, results = _audit(home)
    repaired = len(results[0].repairs)
    assert results[0].ok and repaired == 2 * args.damaged and not results[0].lost, (repaired, results[0].lost)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{time.strftime('%Y-%m-%d')} on {platform.node()} ({os.cpu_count()} cores), Python {platform.python_version()}"
    )
    print(
        f"files: {len(content)} x 1 MiB in 2 local copies; damaged: {args.damaged} flipped in primary, "
        f"{args.damaged} deleted from second"
    )
    print(f"full audit of both intact copies: {intact:.2f} s")
    print(
        f"audit that repairs {repaired} files and checks both copies again: {repairing:.2f} s "
        f"({(repairing - intact) / repaired * 1000:.1f} ms per file repaired beyond the audit)"
    )
    print(f"peak RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
