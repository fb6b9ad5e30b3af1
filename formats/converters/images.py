"""Pillow: images to TIFF or PNG (lossless, for preservation) or JPEG (for access), in an isolated child."""

from __future__ import annotations

from typing import Any

import PIL
from PIL import Image

from formats.converters import Job, Outcome, finished
from formats.isolation import CallCrashed, CallTimedOut, IsolatedFunction

FORMATS: dict[str, tuple[str, dict[str, Any]]] = {  # target -> Pillow's format name and save options
    "tiff": ("TIFF", {"compression": "tiff_lzw"}),
    "png": ("PNG", {"optimize": False}),
    "jpeg": ("JPEG", {"quality": 85}),
}


def _save(source: str, target: str, partial: str) -> None:
    with Image.open(source) as image:
        image.load()
        frame: Image.Image = image
        if target == "jpeg" and image.mode not in ("RGB", "L"):
            frame = image.convert("RGB")
        kind, options = FORMATS[target]
        frame.save(partial, kind, **options)


class PillowImages:
    """Raster images through Pillow."""

    name = "pillow"
    label = "Pillow"
    targets = {"tiff": "tif", "png": "png", "jpeg": "jpg"}

    def unavailable(self) -> str:
        """Pillow is a dependency: always available."""
        return ""

    def version(self) -> str:
        """E.g. ``Pillow 11.0.0``."""
        return f"Pillow {PIL.__version__}"

    def convert(self, jobs: list[Job], timeout: float) -> list[Outcome]:
        """Convert each job in a child process with a time limit."""
        isolated = IsolatedFunction(_save, timeout)
        try:
            return [self._one(isolated, job) for job in jobs]
        finally:
            isolated.close()

    def _one(self, isolated: IsolatedFunction, job: Job) -> Outcome:
        partial = job.output.with_name(job.output.name + ".partial")
        partial.parent.mkdir(parents=True, exist_ok=True)
        try:
            isolated(str(job.source), job.target, str(partial))
        except (CallTimedOut, CallCrashed, RuntimeError) as exc:
            partial.unlink(missing_ok=True)
            return Outcome(job, False, f"Pillow could not convert it: {exc}")
        return finished(job, partial)
