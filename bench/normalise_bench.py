"""Normalisation throughput per converter, LibreOffice pool against one process per file, and virus
scanning throughput with clamd against clamscan per file.

Run: .venv/bin/python bench/normalise_bench.py [--documents 40] [--scan-files 300]

Inputs are generated under bench/work/normalise/: Word documents (the sample collection's maker
with longer text), 10-second test videos, 60-second test tones, 2400 x 1800 bitmaps. ClamAV uses
an EICAR-only signature file made here: with the full signature set (~8 million signatures)
clamscan needs 10-20 s to load them on each start, so its per-file cost is far higher than shown.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from PIL import Image  # noqa: E402

from formats.converters import Job, registry  # noqa: E402
from formats.converters.libreoffice import LibreOffice  # noqa: E402
from ingest.samples import _docx  # noqa: E402
from ingest.virus import ClamdScanner, ClamscanScanner  # noqa: E402

WORK = HERE / "work" / "normalise"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _inputs(documents: int) -> dict[str, list[Path]]:
    folder = WORK / "inputs"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    paragraphs = tuple(f"Paragraph {n}: the vestry met and resolved matters of the parish. " * 8 for n in range(60))
    docs = []
    for n in range(documents):
        path = folder / f"minutes-{n:03}.docx"
        _docx(path, paragraphs)
        docs.append(path)
    videos, tones, images = [], [], []
    for n in range(4):
        video = folder / f"film-{n}.avi"
        subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc=duration=10:size=640x480:rate=25",
                "-f",
                "lavfi",
                "-i",
                "sine=duration=10",
                "-c:v",
                "mjpeg",
                "-q:v",
                "3",
                "-c:a",
                "pcm_s16le",
                str(video),
            ],
            check=True,
        )
        videos.append(video)
        tone = folder / f"tone-{n}.wav"
        subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency={300 + 100 * n}:duration=60:sample_rate=44100",
                "-ac",
                "2",
                str(tone),
            ],
            check=True,
        )
        tones.append(tone)
    for n in range(10):
        image = folder / f"plan-{n}.bmp"
        Image.effect_noise((2400, 1800), 40 + n).convert("RGB").save(image)
        images.append(image)
    return {"docs": docs, "videos": videos, "tones": tones, "images": images}


def _timed(converter, jobs: list[Job]) -> tuple[float, int]:
    start = time.perf_counter()
    outcomes = converter.convert(jobs, 600)
    seconds = time.perf_counter() - start
    failed = [o.message for o in outcomes if not o.ok]
    assert not failed, failed[:3]
    return seconds, sum(job.source.stat().st_size for job in jobs)


def _row(name: str, files: int, size: int, seconds: float) -> str:
    mb = size / 1e6
    return f"| {name} | {files} | {mb:,.1f} | {seconds:.1f} | {files / seconds:.2f} | {mb / seconds:.1f} |"


def _clamd(database: Path) -> tuple[subprocess.Popen, Path]:
    folder = WORK / "clamd"
    folder.mkdir(parents=True, exist_ok=True)
    sock = folder / "clamd.sock"
    (folder / "clamd.conf").write_text(
        f"LocalSocket {sock}\nDatabaseDirectory {database}\nForeground yes\n"
        f"TemporaryDirectory {folder}\nAlertExceedsMax yes\n"
    )
    daemon = subprocess.Popen(
        ["clamd", "-c", str(folder / "clamd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    while not sock.exists():
        time.sleep(0.1)
    with socket.socket(socket.AF_UNIX) as probe:
        probe.connect(str(sock))
    return daemon, sock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--scan-files", type=int, default=300)
    args = parser.parse_args()
    inputs = _inputs(args.documents)
    out = WORK / "out"
    rows = []
    converters = registry()

    def jobs(sources: list[Path], target: str, tag: str) -> list[Job]:
        return [Job(p, target, out / tag / f"{p.name}.{target}", DOCX if p.suffix == ".docx" else "") for p in sources]

    docs = inputs["docs"]
    seconds, size = _timed(LibreOffice(pool=2, batch=20), jobs(docs, "odt", "pool"))
    rows.append(_row("LibreOffice → ODT, pool of 2, batches of 20", len(docs), size, seconds))
    seconds, size = _timed(LibreOffice(pool=1, batch=1), jobs(docs, "odt", "single"))
    rows.append(_row("LibreOffice → ODT, one process per file", len(docs), size, seconds))
    seconds, size = _timed(LibreOffice(pool=2, batch=20), jobs(docs, "pdfa", "pdfa"))
    rows.append(_row("LibreOffice → PDF/A-2b, pool of 2, batches of 20", len(docs), size, seconds))
    for target, key in (
        ("ffv1-mkv", "videos"),
        ("mp4", "videos"),
        ("flac", "tones"),
        ("mp3", "tones"),
        ("tiff", "images"),
        ("jpeg", "images"),
    ):
        seconds, size = _timed(converters[target], jobs(inputs[key], target, target))
        rows.append(_row(f"{converters[target].version().split()[0]} → {target}", len(inputs[key]), size, seconds))

    database = WORK / "clamav-db"
    database.mkdir(exist_ok=True)
    (database / "preserve-test.ndb").write_text(f"Preserve.Test.EICAR:0:*:{EICAR.hex()}\n")
    scan = WORK / "scan"
    shutil.rmtree(scan, ignore_errors=True)
    scan.mkdir()
    files = []
    for n in range(args.scan_files):
        path = scan / f"record-{n:04}.bin"
        path.write_bytes(os.urandom(100 * 1024))
        files.append(path)
    size = sum(p.stat().st_size for p in files)
    scanner = ClamscanScanner(database)
    start = time.perf_counter()
    assert all(r.status == "clean" for r in scanner.scan(files).values())
    rows.append(
        _row("clamscan, one run for the transfer (preserve's way)", len(files), size, time.perf_counter() - start)
    )
    start = time.perf_counter()
    for path in files:
        subprocess.run(["clamscan", "--no-summary", "-d", str(database), str(path)], capture_output=True, check=True)
    rows.append(_row("clamscan, one process per file", len(files), size, time.perf_counter() - start))
    daemon, sock = _clamd(database)
    try:
        clamd = ClamdScanner(str(sock))
        start = time.perf_counter()
        assert all(r.status == "clean" for r in clamd.scan(files).values())
        rows.append(_row("clamd INSTREAM, 4 streams at once", len(files), size, time.perf_counter() - start))
    finally:
        daemon.terminate()
        daemon.wait(15)

    print(f"# {time.strftime('%Y-%m-%d')}  {platform.node()}  {os.cpu_count()} cores")
    print("| run | files | input MB | seconds | files/s | MB/s |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
