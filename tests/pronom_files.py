"""The current PRONOM signature files the tests use (tests/data/pronom, xz-compressed), unpacked on demand."""

from __future__ import annotations

import lzma
import shutil
from pathlib import Path

PRONOM = Path(__file__).parent / "data" / "pronom"
DROID_NAME = "DROID_SignatureFile_V118.xml"
CONTAINERS_NAME = "container-signature-20240501.xml"


def unpack_signature_files(folder: Path) -> tuple[Path, Path]:
    """The DROID V118 signature file and the 2024-05-01 container signature file, unpacked into ``folder``."""
    unpacked = []
    for name in (DROID_NAME, CONTAINERS_NAME):
        target = folder / name
        if not target.is_file():
            with lzma.open(PRONOM / f"{name}.xz") as packed, target.open("wb") as out:
                shutil.copyfileobj(packed, out)
        unpacked.append(target)
    return unpacked[0], unpacked[1]
