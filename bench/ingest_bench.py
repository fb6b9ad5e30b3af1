"""Ingest throughput and memory, side by side with the single-pass floor and bagit.py.

Run: make bench            (or: .venv/bin/python bench/ingest_bench.py [--only a|b])

Data sets (generated once under bench/work/, random bytes, warm page cache for every run):
  (a) 1,000 files x 1 MiB      (b) 10,000 files x 4 KiB
For each: the single-pass floor (one read per file feeding SHA-256 and SHA-512, in this
process), `preserve ingest` (a fresh archive home each time), and
`bagit.py --sha256 --sha512 --processes 2` on a copy. Peak RSS is the largest total resident
memory of the whole process tree (the CLI and its worker processes), sampled every 50 ms
from /proc; the sampler reads only that tree's own files, so it costs the command little.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
BIN = Path(sys.executable).parent
SETS = {"a": (1000, 1024 * 1024), "b": (10_000, 4096)}
PAGE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.05


def make_set(name: str) -> Path:
    count, size = SETS[name]
    root = WORK / f"set-{name}"
    marker = root / ".complete"
    if marker.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    for i in range(count):
        folder = root / f"folder-{i % 20:02}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file-{i:05}.bin").write_bytes(os.urandom(size))
    marker.write_text("")
    return root


def files_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != ".complete")


def floor(root: Path) -> float:
    os.sync()
    start = time.perf_counter()
    for path in files_of(root):
        sha256, sha512 = hashlib.sha256(), hashlib.sha512()
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                sha256.update(chunk)
                sha512.update(chunk)
    return time.perf_counter() - start


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    stack.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return found


def _tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants (cheap: reads only their /proc files)."""
    total = 0
    for member in _descendants(pid):
        try:
            with open(f"/proc/{member}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except OSError:
            continue
    return total


def run_measured(command: list[str], env: dict | None = None) -> tuple[float, int]:
    os.sync()  # earlier steps' dirty pages must not be written back on this command's time
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {err.decode()[-2000:]}")
    return elapsed, peak


def preserve_ingest(root: Path) -> tuple[float, int]:
    home = WORK / "home"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "PRESERVE_HOME": str(home)}
    subprocess.run([str(BIN / "preserve"), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    return run_measured([str(BIN / "preserve"), "ingest", str(root), "--json"], env)


def bagit_py(root: Path) -> tuple[float, int]:
    copy = WORK / "bagit-copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".complete"))
    try:
        return run_measured([str(BIN / "bagit.py"), "--sha256", "--sha512", "--processes", "2", str(copy)])
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(SETS), help="run one data set")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    print(
        f"# {time.strftime('%Y-%m-%d')}  {platform.node()}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} cores  Python {platform.python_version()}"
    )
    print("| set | tool | seconds | MB/s | files/s | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|")
    for name in [args.only] if args.only else sorted(SETS):
        root = make_set(name)
        count, size = SETS[name]
        megabytes = count * size / 1e6
        results = [("single-pass floor", floor(root), 0)]
        results.append(("preserve ingest", *preserve_ingest(root)))
        results.append(("bagit.py --processes 2", *bagit_py(root)))
        for tool, seconds, rss in results:
            rss_text = f"{rss / 2**20:.0f}" if rss else "—"
            print(
                f"| {name}: {count:,} x {size // 1024} KiB | {tool} | {seconds:.2f} | {megabytes / seconds:.0f} | "
                f"{count / seconds:,.0f} | {rss_text} |",
                flush=True,
            )
    shutil.rmtree(WORK / "home", ignore_errors=True)


if __name__ == "__main__":
    main()
