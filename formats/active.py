"""The signature set an archive uses: FIDO's by default, or one imported into the archive home."""

from __future__ import annotations

import os
import re
from pathlib import Path

from formats.signatures import SignatureSet, from_droid
from preservation.errors import FormatError

FOLDER = "formats"
POINTER = "ACTIVE"


def active_signature_file(home: Path) -> Path | None:
    """The compiled set this archive uses, or None for FIDO's built-in set."""
    pointer = home / FOLDER / POINTER
    if not pointer.is_file():
        return None
    path = home / FOLDER / pointer.read_text(encoding="utf-8").strip()
    if not path.is_file():
        raise FormatError(
            f"{pointer} names {path.name}, which is missing",
            hint="Import the signature files again with `preserve formats import-droid`.",
        )
    return path


def import_droid(home: Path, signature_file: Path, container_file: Path | None = None) -> tuple[Path, SignatureSet]:
    """Compile DROID signature files into the archive home and make the result the active set."""
    compiled = from_droid(signature_file, container_file)
    folder = home / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^a-z0-9]+", "-", compiled.version.lower()).strip("-") + ".json"
    target = folder / name
    partial = folder / f".{name}.partial"
    compiled.save(partial)
    SignatureSet.load(partial)  # what was written must read back whole before it becomes active
    os.replace(partial, target)
    pointer = folder / f".{POINTER}.partial"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, folder / POINTER)
    return target, compiled
