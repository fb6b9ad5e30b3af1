"""`preserve aip show` on a big AIP: the summary (the default), --files, and --json, as whole commands.

Run: .venv/bin/python bench/aip_show_bench.py [--files 100000]

A fresh archive home (bench/work/aip-show/) is made with `preserve init`, and one AIP of --files files with five
events each is registered in its catalogue directly (as bench/catalogue_bench.py does: nothing is stored, so
only the catalogue is read). Each command's output goes to /dev/null; the time includes Python's start-up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from catalogue_bench import _aip  # noqa: E402

from catalogue import Database  # noqa: E402
from catalogue import queries as catalogue  # noqa: E402
from preservation.config import load_settings  # noqa: E402
from preservation.model import Agent, Replica  # noqa: E402

PRESERVE = str(Path(sys.executable).parent / "preserve")
HOME = HERE / "work" / "aip-show"


def build(files: int) -> str:
    """A home whose catalogue holds one AIP of ``files`` files; its id."""
    shutil.rmtree(HOME, ignore_errors=True)
    subprocess.run([PRESERVE, "init", str(HOME)], check=True, capture_output=True)
    database = Database(load_settings(HOME).catalogue_url)
    aip, records, events = _aip(files)
    agent = Agent("agent-bench", "software", "preserve", "bench")
    with database.session() as session:
        catalogue.register_aip(
            session, aip, records, events, [agent], [Replica(aip.id, "primary", "v1", "root", "ok", "t", "t")]
        )
    database.dispose()
    return aip.id


def timed(*args: str) -> float:
    """Seconds for one whole `preserve` command (best of three)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([PRESERVE, "--home", str(HOME), *args], check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100_000)
    args = parser.parse_args()
    aip_id = build(args.files)
    print(f"# {time.strftime('%Y-%m-%d')}  {os.cpu_count()} cores  one AIP of {args.files:,} files, 5 events each")
    print("| command | seconds |")
    print("|---|---|")
    for label, command in (
        ("preserve --version (start-up alone)", ("--version",)),
        ("aip show ID (summary)", ("aip", "show", aip_id)),
        ("aip show ID --files --path objects/box-7", ("aip", "show", aip_id, "--files", "--path", "objects/box-7")),
        ("aip show ID --files", ("aip", "show", aip_id, "--files")),
        ("aip show ID --json", ("aip", "show", aip_id, "--json")),
    ):
        print(f"| `{label}` | {timed(*command):.2f} |", flush=True)


if __name__ == "__main__":
    main()
