"""Identification throughput: `preserve identify` against the `fido` command line, same files.

Run: .venv/bin/python bench/identify_bench.py [--copies N]

The corpus (bench/work/identify/) is the tests' 38-format corpus written N times into N folders
(default N=60: 2,280 files), plus 220 random-byte files of 10 B to 300 KB.
Both tools get the same file list; both use FIDO's signature data (PRONOM v109), so their answers
can be compared: the agreement rate counts files where fido made a byte-signature match and
preserve's PUIDs are the same.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.corpus import make_corpus  # noqa: E402

WORK = HERE / "work" / "identify"
BIN = Path(sys.executable).parent


def build(copies: int) -> list[Path]:
    files_dir = WORK / "files"
    marker = WORK / f".complete-{copies}"
    if marker.exists():
        return sorted(p for p in files_dir.rglob("*") if p.is_file())
    seed_dir = WORK / "seed"
    seeds = make_corpus(seed_dir)
    rng = random.Random(1)
    for index in range(copies):
        folder = files_dir / f"box-{index:03}"
        folder.mkdir(parents=True, exist_ok=True)
        for path in seeds:
            data = path.read_bytes()
            (folder / path.name).write_bytes(data)
    for index in range(220):
        (files_dir / f"random-{index:03}.bin").write_bytes(rng.randbytes(rng.choice([10, 4096, 70_000, 300_000])))
    marker.write_text("")
    return sorted(p for p in files_dir.rglob("*") if p.is_file())


def run(command: list[str]) -> tuple[float, str]:
    os.sync()
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=60)
    args = parser.parse_args()
    files = build(args.copies)
    listing = WORK / "list.txt"
    listing.write_text("".join(f"{p}\n" for p in files))
    fido_seconds, fido_out = run(
        [
            str(BIN / "fido"),
            "-q",
            "-input",
            str(listing),
            "-matchprintf",
            "OK\t%(info.puid)s\t%(info.matchtype)s\t%(info.filename)s\n",
            "-nomatchprintf",
            "KO\t\t\t%(info.filename)s\n",
        ]
    )
    ours_seconds, ours_out = run([str(BIN / "preserve"), "identify", "--csv", str(WORK / "files")])
    fido: dict[str, tuple[set[str], str]] = {}
    for line in fido_out.splitlines():
        status, puid, matchtype, filename = line.split("\t", 3)
        puids, _ = fido.get(filename, (set(), ""))
        if status == "OK":
            puids.add(puid)
        fido[filename] = (puids, matchtype)
    ours = {row["filename"]: row for row in csv.DictReader(io.StringIO(ours_out))}
    compared = agreed = containers = 0
    for filename, (puids, matchtype) in fido.items():
        row = ours[filename]
        if row["basis"] == "container":
            containers += 1
        elif matchtype == "signature":
            compared += 1
            # preserve reports the best match; fido lists every match of equal standing
            agreed += row["id"] in puids and (len(puids) == 1 or "candidates" in row["warning"])
    count = len(files)
    print(f"# {time.strftime('%Y-%m-%d')}  {os.cpu_count()} cores  {count} files")
    print("| tool | seconds | files/s |")
    print("|---|---|---|")
    print(f"| fido -q -input LIST | {fido_seconds:.2f} | {count / fido_seconds:,.0f} |")
    print(f"| preserve identify --csv | {ours_seconds:.2f} | {count / ours_seconds:,.0f} |")
    print(
        f"speed-up: {fido_seconds / ours_seconds:.1f}x; byte-signature agreement: {agreed}/{compared} "
        f"({100 * agreed / max(compared, 1):.1f}%); container answers (checked by the tests): {containers}"
    )


if __name__ == "__main__":
    main()
