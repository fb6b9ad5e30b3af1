"""`preserve bag validate` against `bagit.py --validate` on the same 20,000-file bag.

Run: .venv/bin/python bench/bag_bench.py [--files N] [--processes P]

The bag (bench/work/bag/) holds N files of 1-8 KiB in 100 folders, with sha256 and sha512
manifests and tag manifests, made once by `preserve bag create`. Both validators check every
manifest with the same number of processes; the page cache is warm for both.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
WORK = HERE / "work" / "bag"


def build(files: int) -> Path:
    bag = WORK / f"bag-{files}"
    if (bag / "bagit.txt").exists():
        return bag
    rng = random.Random(3)
    for index in range(files):
        folder = bag / f"folder-{index % 100:03}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file-{index:06}.bin").write_bytes(rng.randbytes(rng.randint(1024, 8192)))
    subprocess.run([str(BIN / "preserve"), "bag", "create", str(bag)], check=True, stdout=subprocess.DEVNULL)
    return bag


def timed(command: list[str]) -> float:
    os.sync()
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    bag = build(args.files)
    timed([str(BIN / "preserve"), "bag", "validate", "--fast", str(bag)])  # warm the page cache
    ours = timed([str(BIN / "preserve"), "bag", "validate", "--workers", str(args.processes), str(bag)])
    theirs = timed([str(BIN / "bagit.py"), "--validate", "--processes", str(args.processes), str(bag)])
    fast = timed([str(BIN / "preserve"), "bag", "validate", "--fast", str(bag)])
    print(f"# {time.strftime('%Y-%m-%d')}  {os.cpu_count()} cores  {args.files} files, {args.processes} processes")
    print("| validator | seconds | files/s |")
    print("|---|---|---|")
    print(f"| bagit.py --validate --processes {args.processes} | {theirs:.2f} | {args.files / theirs:,.0f} |")
    print(f"| preserve bag validate --workers {args.processes} | {ours:.2f} | {args.files / ours:,.0f} |")
    print(f"| preserve bag validate --fast | {fast:.2f} | {args.files / fast:,.0f} |")
    print(f"speed-up: {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
