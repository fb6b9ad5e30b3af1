"""Ingest throughput and memory, side by side with the single-pass floor and bagit.py.

Run: make bench            (or: .venv/bin/python bench/ingest_bench.py [--only a|b])

Data sets (generated once under bench/work/, warm page cache for every run):
  (a) 1,000 files x 1 MiB of random bytes      (b) 10,000 files x 4 KiB of random bytes
  (c) a mixed transfer of 2,000 real files, ~55 MB: 400 PNG, 400 JPEG, 300 PDF, 300 TXT,
      200 CSV, 200 DOCX (normalised to ODT by the default policy), 200 WAV
For each: the single-pass floor (one read per file feeding SHA-256 and SHA-512, 1 MiB reads, on
as many processes as ingest uses), the same with a copy of each file written as it is read and
every copy fsynced at the end (what storing into a local location cannot avoid), `preserve ingest`
(a fresh archive home each time), and `bagit.py --sha256 --sha512 --processes 2` on a copy (bagit.py
bags in place: it writes no copy). Peak RSS is the largest total resident
memory of the whole process tree (the CLI and its worker processes), sampled every 50 ms
from /proc; the sampler reads only that tree's own files, so it costs the command little.
"""

from __future__ import annotations

import argparse
import array
import hashlib
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
import time
import wave
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from ingest.processes import process_tree  # noqa: E402

WORK = HERE / "work"
BIN = Path(sys.executable).parent
SETS = {"a": (1000, 1024 * 1024), "b": (10_000, 4096), "c": (2000, 0)}
MIXED = {"png": 400, "jpg": 400, "pdf": 300, "txt": 300, "csv": 200, "docx": 200, "wav": 200}
PAGE = os.sysconf("SC_PAGE_SIZE")
SAMPLE_SECONDS = 0.05


def make_set(name: str) -> Path:
    count, size = SETS[name]
    root = WORK / f"set-{name}"
    marker = WORK / f"set-{name}.complete"
    if marker.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    if name == "c":
        make_mixed(root)
        marker.write_text("")
        return root
    for i in range(count):
        folder = root / f"folder-{i % 20:02}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"file-{i:05}.bin").write_bytes(os.urandom(size))
    marker.write_text("")
    return root


def make_mixed(root: Path) -> None:
    """The mixed transfer: every file different, in folders of 100 as an office's shares hold them."""
    from PIL import Image, ImageDraw

    from ingest.samples import _docx, _pdf

    rng = random.Random(19)
    n = 0
    for extension, count in MIXED.items():
        for i in range(count):
            folder = root / f"series-{n // 100:02}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"item-{n:04}.{extension}"
            n += 1
            words = " ".join(rng.choice(WORDS) for _ in range(60))
            if extension in ("png", "jpg"):
                image = Image.new("RGB", (420, 315), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
                draw = ImageDraw.Draw(image)
                for _ in range(40):
                    box = sorted(rng.randrange(420) for _ in range(2)), sorted(rng.randrange(315) for _ in range(2))
                    colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
                    draw.ellipse([box[0][0], box[1][0], box[0][1], box[1][1]], outline=colour, width=3)
                image.paste(Image.frombytes("RGB", (96, 72), rng.randbytes(96 * 72 * 3)), (8, 8))
                image.save(path, "PNG" if extension == "png" else "JPEG", quality=88)
            elif extension == "pdf":
                _pdf(path, (f"Minutes of meeting {i}", words[:80], words[80:160]))
            elif extension == "txt":
                path.write_text(f"Transcript {i}\n\n" + (words + "\n") * 20, encoding="utf-8")
            elif extension == "csv":
                rows = [
                    f"{j},{rng.choice(WORDS)},{1850 + rng.randrange(100)}-0{1 + j % 9}-1{j % 9}" for j in range(150)
                ]
                path.write_text("id,name,date\n" + "\n".join(rows) + "\n", encoding="utf-8")
            elif extension == "docx":
                _docx(path, tuple(words[k : k + 120] for k in range(0, len(words), 120)) * 3)
            else:
                _tone(path, 300 + 7 * i)


WORDS = [
    "vestry",
    "parish",
    "minutes",
    "tithe",
    "burial",
    "register",
    "churchwarden",
    "harbour",
    "estate",
    "map",
    "organ",
    "glebe",
    "rate",
]


def _tone(path: Path, frequency: int) -> None:
    rate, seconds = 22050, 2
    one = [int(9000 * math.sin(2 * math.pi * frequency * k / rate)) for k in range(rate // 10)]
    frames = array.array("h", one * (10 * seconds)).tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


def files_of(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != ".complete")


def _digest_all(paths: list[Path]) -> None:
    for path in paths:
        sha256, sha512 = hashlib.sha256(), hashlib.sha512()
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                sha256.update(chunk)
                sha512.update(chunk)


def floor(root: Path, processes: int) -> float:
    """One read per file feeding SHA-256 and SHA-512, the files shared among ``processes`` processes (started
    before the clock starts)."""
    paths = files_of(root)
    os.sync()
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(abs, range(processes)))  # started and warm
        start = time.perf_counter()
        list(pool.map(_digest_all, [paths[i::processes] for i in range(processes)]))
        return time.perf_counter() - start


def _copy_all(job: tuple[list[Path], Path]) -> None:
    paths, into = job
    into.mkdir(parents=True, exist_ok=True)
    copies = []
    for index, path in enumerate(paths):
        sha256, sha512 = hashlib.sha256(), hashlib.sha512()
        copy = into / str(index)
        with path.open("rb") as handle, copy.open("wb") as out:
            while chunk := handle.read(1024 * 1024):
                sha256.update(chunk)
                sha512.update(chunk)
                out.write(chunk)
        copies.append(copy)
    for copy in copies:  # durable before done, as an ingest's commit makes its copies
        with copy.open("rb") as handle:
            os.fsync(handle.fileno())


def copy_floor(root: Path, processes: int) -> float:
    """The single-pass floor plus what any archive must also do: write a copy of each file as it is read, and make
    every copy durable (fsync) before finishing. On a machine whose disk writes more slowly than it hashes, this
    is the floor an ingest into local storage can reach."""
    paths = files_of(root)
    target = WORK / "copy-floor"
    shutil.rmtree(target, ignore_errors=True)
    os.sync()
    try:
        with ProcessPoolExecutor(processes) as pool:
            list(pool.map(abs, range(processes)))
            start = time.perf_counter()
            jobs = [(paths[i::processes], target / str(i)) for i in range(processes)]
            list(pool.map(_copy_all, jobs))
            return time.perf_counter() - start
    finally:
        shutil.rmtree(target, ignore_errors=True)


def _tree_memory(pid: int) -> tuple[int, int]:
    """Resident memory of a process and all its descendants: the sum of their RSS (shared pages counted in every
    process that maps them, as the figures before issue 19 were) and of their PSS (shared pages divided among
    the processes sharing them: what the tree really holds). Reads only their /proc files."""
    rss = pss = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/statm") as handle:
                rss += int(handle.read().split()[1]) * PAGE
            with open(f"/proc/{member}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return rss, pss


def run_measured(command: list[str], env: dict | None = None) -> tuple[float, int, int, str]:
    """Seconds, peak RSS and peak PSS of the process tree, and what the command printed."""
    os.sync()  # earlier steps' dirty pages must not be written back on this command's time
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            rss, pss = _tree_memory(process.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {err.decode()[-2000:]}")
    return elapsed, peak, peak_pss, out.decode()


def _fresh_home() -> tuple[Path, dict[str, str]]:
    """A new archive home for one ingest, and the environment that points preserve at it."""
    home = WORK / "home"
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "PRESERVE_HOME": str(home)}
    subprocess.run([str(BIN / "preserve"), "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    return home, env


def preserve_ingest(root: Path) -> tuple[float, int, int, str]:
    _, env = _fresh_home()
    return run_measured([str(BIN / "preserve"), "ingest", str(root), "--json"], env)


def preserve_ingest_after(root: Path) -> tuple[float, float, int, int]:
    """`preserve ingest` with preservation_copies = "after": seconds until it returns, seconds until the background
    copies are made (from the start), and the peak RSS and PSS of the ingest's process tree."""
    home, env = _fresh_home()
    policy = home / "policies" / "formats.toml"
    policy.write_text(policy.read_text().replace('preservation_copies = "ingest"', 'preservation_copies = "after"'))
    start = time.perf_counter()
    seconds, rss, pss, out = run_measured([str(BIN / "preserve"), "ingest", str(root), "--json"], env)
    aip_id = json.loads(out)["aip_id"]
    while True:
        shown = subprocess.run(
            [str(BIN / "preserve"), "aip", "show", aip_id, "--json"], env=env, capture_output=True, check=True
        )
        if not json.loads(shown.stdout)["aip"]["copies"]:
            return seconds, time.perf_counter() - start, rss, pss
        time.sleep(0.2)


def bagit_py(root: Path) -> tuple[float, int, int, str]:
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
    processes = os.cpu_count() or 1  # what ingest uses by default ([ingest] workers)
    print(
        f"# {time.strftime('%Y-%m-%d')}  {platform.node()}  {platform.processor() or platform.machine()}  "
        f"{os.cpu_count()} cores  Python {platform.python_version()}"
    )
    print("| set | tool | seconds | MB/s | files/s | peak RSS (MiB) | peak PSS (MiB) | × floor |")
    print("|---|---|---|---|---|---|---|---|")
    timings = {}
    against_copy: dict[str, float] = {}
    for name in [args.only] if args.only else sorted(SETS):
        root = make_set(name)
        paths = files_of(root)
        count, megabytes = len(paths), sum(p.stat().st_size for p in paths) / 1e6
        label = f"{name}: {count:,} x {SETS[name][1] // 1024} KiB" if SETS[name][1] else f"{name}: {count:,} mixed"
        floor_seconds = floor(root, processes)
        results = [(f"single-pass floor, {processes} processes", floor_seconds, 0, 0, "")]
        copy_seconds = copy_floor(root, processes)
        results.append((f"single pass + durable copy, {processes} processes", copy_seconds, 0, 0, ""))
        results.append(("preserve ingest", *preserve_ingest(root)))
        results.append(("bagit.py --processes 2", *bagit_py(root)))
        for tool, seconds, rss, pss, out in results:
            rss_text = f"{rss / 2**20:.0f} | {pss / 2**20:.0f}" if rss else "— | —"
            print(
                f"| {label} ({megabytes:.0f} MB) | {tool} | {seconds:.2f} | {megabytes / seconds:.0f} | "
                f"{count / seconds:,.0f} | {rss_text} | {floor_seconds / seconds:.2f} |",
                flush=True,
            )
            if tool == "preserve ingest":
                timings[name] = json.loads(out).get("timings", {})
                against_copy[name] = copy_seconds / seconds
        if name == "c":
            returned, copies, rss, pss = preserve_ingest_after(root)
            print(
                f"| {label} ({megabytes:.0f} MB) | preserve ingest, copies after | returns in {returned:.2f}, "
                f"copies made by {copies:.2f} | | {count / returned:,.0f} | {rss / 2**20:.0f} | {pss / 2**20:.0f} | |",
                flush=True,
            )
    print()
    for name, ratio in against_copy.items():
        print(f"set {name}: preserve ingest at {ratio:.2f}x the durable-copy floor")
    for name, steps in timings.items():
        print(f"\nWhere ingest's time went, set {name} (wall / CPU seconds):")
        for step in steps.get("steps", []):
            print(f"  {step['step']:<18} {step['wall']:7.2f} {step['cpu']:7.2f}")
        for family in steps.get("families", []):
            phases = "  ".join(f"{phase} {spent:.2f}" for phase, spent in family["seconds"].items())
            print(f"  · {family['family']:<8} {family['files']:5} files, worker-seconds: {phases}")
        for made in steps.get("conversions", []):
            print(f"  · to {made['target']}: {made['documents']} in {made['wall']:.2f} s")
    shutil.rmtree(WORK / "home", ignore_errors=True)


if __name__ == "__main__":
    main()
