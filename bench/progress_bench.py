"""What a progress bar costs: `preserve aip export --as zip` and `preserve audit` of one AIP, with the bar drawn on
a pseudo-terminal against --quiet, as whole commands.

Run: .venv/bin/python bench/progress_bench.py [--files 2000] [--size-kib 256] [--runs 3]

A fresh archive home (bench/work/progress/) is made with `preserve init` and one AIP of --files files of
--size-kib KiB of random bytes is ingested (a format policy that keeps originals). Each command is then run
--runs times in each mode, alternating, and the median wall time is reported; the terminal's output is read and
thrown away, as a real terminal would draw it.
"""

from __future__ import annotations

import argparse
import os
import pty
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRESERVE = str(Path(sys.executable).parent / "preserve")
WORK = HERE / "work" / "progress"


def run(home: Path, *args: str, terminal: bool) -> float:
    """Seconds one command took, its standard error on a pseudo-terminal (or /dev/null with --quiet)."""
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "PRESERVE_HOME": str(home)}
    started = time.perf_counter()
    if not terminal:
        subprocess.run([PRESERVE, "--quiet", *args], env=env, check=True, capture_output=True)
        return time.perf_counter() - started
    leader, follower = pty.openpty()
    process = subprocess.Popen([PRESERVE, *args], env=env, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)

    def drain() -> None:
        while True:
            try:
                if not os.read(leader, 65536):
                    return
            except OSError:
                return

    reader = threading.Thread(target=drain)
    reader.start()
    if process.wait() != 0:
        raise SystemExit(f"preserve {' '.join(args)} failed")
    seconds = time.perf_counter() - started
    reader.join()
    os.close(leader)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--size-kib", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    home, source = WORK / "home", WORK / "source"
    for n in range(args.files):
        folder = source / f"box-{n % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"item-{n}.bin").write_bytes(os.urandom(args.size_kib * 1024))
    subprocess.run([PRESERVE, "init", str(home)], check=True, capture_output=True)
    (home / "policies" / "formats.toml").write_text('version = 2\n[default]\npreservation = "keep"\n')
    subprocess.run([PRESERVE, "--home", str(home), "-q", "ingest", str(source)], check=True, capture_output=True)
    size = args.files * args.size_kib / 1024
    print(f"# {time.strftime('%Y-%m-%d')}  {os.cpu_count()} cores  one AIP of {args.files:,} files, {size:,.0f} MiB")
    print("| command | with the bar (s) | --quiet (s) | bar's cost |")
    print("|---|---|---|---|")
    commands = {
        "aip export --as zip": lambda n: ("aip", "export", "--as", "zip", "--into", str(WORK / f"export-{n}")),
        "audit": lambda n: ("audit",),
    }
    for name, arguments in commands.items():
        timed: dict[bool, list[float]] = {True: [], False: []}
        for number in range(args.runs):
            for terminal in (True, False):
                target = WORK / f"export-{number}"
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir()
                listed = subprocess.run([PRESERVE, "--home", str(home), "aip", "list", "--json"], capture_output=True)
                aip = listed.stdout.split(b'"id": "')[1][:36].decode()
                given = arguments(number)
                given = (*given[:2], aip, *given[2:]) if given[0] == "aip" else given
                timed[terminal].append(run(home, *given, terminal=terminal))
        drawn, quiet = statistics.median(timed[True]), statistics.median(timed[False])
        print(f"| {name} | {drawn:.2f} | {quiet:.2f} | {100 * (drawn - quiet) / quiet:+.1f} % |")


if __name__ == "__main__":
    main()
