"""Validation throughput per format family (one process, each file through the isolated validator).

Run: .venv/bin/python bench/validate_bench.py [--copies N]

Uses the tests' corpus (tests/corpus.py) plus larger files made here: a 12-megapixel JPEG, a
200-page PDF, a 20 MB ZIP and a 50 MB WAV, so per-byte and per-file costs both show.
"""

from __future__ import annotations

import argparse
import math
import os
import struct
import sys
import time
import wave
import zipfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from formats.identify import Identifier  # noqa: E402
from formats.validation import Validator, family_of  # noqa: E402
from tests.corpus import make_corpus  # noqa: E402

WORK = HERE / "work" / "validate"


def large_files(dest: Path) -> list[Path]:
    from PIL import Image

    dest.mkdir(parents=True, exist_ok=True)
    made = []
    jpeg = dest / "large.jpg"
    if not jpeg.exists():
        Image.effect_noise((4000, 3000), 64).convert("RGB").save(jpeg, quality=90)
    made.append(jpeg)
    pdf = dest / "large.pdf"
    if not pdf.exists():
        import pikepdf

        document = pikepdf.new()
        for page in range(200):
            document.add_blank_page()
            document.pages[-1].Contents = document.make_stream(f"BT /F1 12 Tf 72 720 Td (Page {page}) Tj ET".encode())
        document.save(pdf)
    made.append(pdf)
    archive = dest / "large.zip"
    if not archive.exists():
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            for index in range(20):
                out.writestr(f"part-{index}.bin", os.urandom(1024 * 1024))
    made.append(archive)
    sound = dest / "large.wav"
    if not sound.exists():
        with wave.open(str(sound), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(44100)
            frame = b"".join(struct.pack("<hh", int(8000 * math.sin(i / 20)), 0) for i in range(44100))
            for _ in range(300):
                out.writeframes(frame)
    made.append(sound)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=20)
    args = parser.parse_args()
    corpus = list(make_corpus(WORK / "corpus"))
    files = corpus * args.copies + large_files(WORK / "large")
    identifier = Identifier()
    formats = {path: identifier.identify(path) for path in set(files)}
    validator = Validator()
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])  # files, bytes, seconds
    try:
        for path in files:
            fmt = formats[path]
            family = family_of(fmt) or "(none)"
            start = time.perf_counter()
            validator.validate(path, fmt)
            elapsed = time.perf_counter() - start
            entry = totals[family + (" (large)" if path.parent.name == "large" else "")]
            entry[0] += 1
            entry[1] += path.stat().st_size
            entry[2] += elapsed
    finally:
        validator.close()
    print(f"# {time.strftime('%Y-%m-%d')}  {os.cpu_count()} cores  one process")
    print("| family | files | MB | seconds | files/s | MB/s |")
    print("|---|---|---|---|---|---|")
    for family in sorted(totals):
        count, size, seconds = totals[family]
        print(
            f"| {family} | {count} | {size / 1e6:.1f} | {seconds:.2f} | {count / seconds:,.0f} | "
            f"{size / 1e6 / seconds:,.0f} |"
        )


if __name__ == "__main__":
    main()
