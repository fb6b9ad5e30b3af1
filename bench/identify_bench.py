"""Identification throughput: `preserve identify` against the `fido` command line and siegfried, same files.

Run: .venv/bin/python bench/identify_bench.py [--copies N]   (siegfried: pip install pygfried==2.2.0)

The corpus (bench/work/identify/) is the tests' 38-format corpus written N times into N folders
(default N=60: 2,280 files), plus 220 random-byte files of 10 B to 300 KB.
Both tools get the same file list; both use FIDO's signature data (PRONOM v109), so their answers
can be compared: the agreement rate counts files where fido made a byte-signature match and
preserve's PUIDs are the same. Siegfried (Go; pygfried 2.2 embeds sf with its own, newer PRONOM
data) runs as a whole process too, on as many workers as preserve uses; both are scored on the
corpus files, whose true PUIDs are known.
"""

from __future__ import annotations

import argparse
import csv
import io
import lzma
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tests.corpus import CORPUS, make_corpus  # noqa: E402

WORK = HERE / "work" / "identify"
TRUTH = {sample.name: sample.puid for sample in CORPUS}  # the PUID each corpus file is known to be
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


SIEGFRIED = """
import sys, pygfried
result = pygfried.identify_dir(sys.argv[1], workers=int(sys.argv[2]))
for f in result["files"]:
    first = (f["matches"] or [{}])[0]
    sys.stdout.write(f"{f['filename']}\t{first.get('id', '')}\t{first.get('basis', '')}\\n")
"""


def siegfried(files_dir: Path, workers: int) -> tuple[float, dict[str, str]] | None:
    """Seconds and PUID by file for siegfried, as one whole process; None where pygfried is not installed."""
    try:
        seconds, out = run([sys.executable, "-c", SIEGFRIED, str(files_dir), str(workers)])
    except subprocess.CalledProcessError as exc:
        if "No module named 'pygfried'" in exc.stderr:
            return None
        raise
    return seconds, {line.split("\t")[0]: line.split("\t")[1] for line in out.splitlines()}


def droid_home() -> Path:
    """An archive home whose active set is the DROID V118 signature file the tests carry (compiled once)."""
    home = WORK / "droid-home"
    if not (home / ".complete").exists():
        pronom = HERE.parent / "tests" / "data" / "pronom"
        unpacked = []
        for name in ("DROID_SignatureFile_V118.xml", "container-signature-20240501.xml"):
            (WORK / name).write_bytes(lzma.decompress((pronom / f"{name}.xz").read_bytes()))
            unpacked.append(str(WORK / name))
        preserve = [str(BIN / "preserve"), "--home", str(home)]
        subprocess.run([*preserve, "init"], check=True, capture_output=True)
        subprocess.run([*preserve, "formats", "import-droid", *unpacked], check=True, capture_output=True)
        (home / ".complete").write_text("")
    return home


def accuracy(puids: dict[str, str]) -> tuple[int, int]:
    """(right, corpus files): answers that are the corpus file's known PUID."""
    scored = [(Path(name).name, puid) for name, puid in puids.items() if Path(name).name in TRUTH]
    return sum(TRUTH[name] == puid for name, puid in scored), len(scored)


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
    sf = siegfried(WORK / "files", os.cpu_count() or 1)
    droid_seconds, droid_out = run(
        [str(BIN / "preserve"), "--home", str(droid_home()), "identify", "--csv", str(WORK / "files")]
    )
    droid = {row["filename"]: row["id"] for row in csv.DictReader(io.StringIO(droid_out))}
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
    print(f"| preserve identify --csv, DROID V118 set | {droid_seconds:.2f} | {count / droid_seconds:,.0f} |")
    right, scored = accuracy({name: row["id"] for name, row in ours.items()})
    lines = [f"preserve (FIDO's set): {right}/{scored} corpus files right; DROID V118: {accuracy(droid)[0]} right"]
    if sf is None:
        lines.append("siegfried: not measured (pip install pygfried==2.2.0)")
    else:
        sf_seconds, sf_puids = sf
        print(f"| siegfried (pygfried {_pygfried_version()}) | {sf_seconds:.2f} | {count / sf_seconds:,.0f} |")
        sf_right, sf_scored = accuracy(sf_puids)
        ratio = ours_seconds / sf_seconds
        lines.append(f"siegfried: {sf_right}/{sf_scored} right; preserve takes {ratio:.2f}x its time")
        wrong = sorted({(Path(n).name, p) for n, p in sf_puids.items() if _truth(n) not in ("", p)})
        lines.append(f"siegfried's wrong answers: {wrong}")
    ours_wrong = sorted({(Path(n).name, r["id"]) for n, r in ours.items() if _truth(n) not in ("", r["id"])})
    lines.append(f"preserve's wrong answers: {ours_wrong}")
    print("\n".join(lines))
    print(
        f"speed-up: {fido_seconds / ours_seconds:.1f}x; byte-signature agreement: {agreed}/{compared} "
        f"({100 * agreed / max(compared, 1):.1f}%); container answers (checked by the tests): {containers}"
    )


def _truth(name: str) -> str:
    return TRUTH.get(Path(name).name, "")


def _pygfried_version() -> str:
    from importlib.metadata import version  # noqa: PLC0415 - only when siegfried was measured

    return version("pygfried")


if __name__ == "__main__":
    main()
