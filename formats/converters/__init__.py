"""Normalisation converters behind one registry: a target format name → the converter that makes it.

Targets: ``odt``, ``ods``, ``odp`` and ``pdfa`` (PDF/A-2b) from LibreOffice; ``ffv1-mkv``, ``mp4``,
``flac``, ``wav`` and ``mp3`` from ffmpeg; ``tiff``, ``png`` and ``jpeg`` from Pillow. Every
conversion has a time limit; a converter that crashes, hangs, or writes nothing gives a failed
Outcome, never an exception, and never a half-written output.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from preservation.model import TARGET_FORMATS, FormatInfo

DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class Job:
    """Convert ``source`` (of MIME type ``mime``) to ``target``, writing ``output``."""

    source: Path
    target: str
    output: Path
    mime: str = ""


@dataclass(frozen=True)
class Outcome:
    """What one conversion did: ``ok`` with the output written, or why not."""

    job: Job
    ok: bool
    message: str = ""


class Converter(Protocol):
    """A tool that makes some target formats."""

    name: str
    label: str  # the tool's name for people, e.g. "LibreOffice"
    targets: dict[str, str]  # target -> file extension of its output

    def unavailable(self) -> str:
        """Why the converter cannot run here ('' when it can)."""
        ...

    def version(self) -> str:
        """Tool name and version, e.g. ``LibreOffice 7.4.7.2``."""
        ...

    def convert(self, jobs: list[Job], timeout: float) -> list[Outcome]:
        """Run the jobs (each within ``timeout`` seconds); one Outcome per job, in order."""
        ...


# what a correct output of each target is identified as (MIME types)
EXPECTED_MIME = {
    "odt": ("application/vnd.oasis.opendocument.text",),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet",),
    "odp": ("application/vnd.oasis.opendocument.presentation",),
    "pdfa": ("application/pdf",),
    "ffv1-mkv": ("video/x-matroska", "video/matroska"),
    "mp4": ("video/mp4", "application/mp4"),
    "flac": ("audio/flac", "audio/x-flac"),
    "wav": ("audio/x-wav", "audio/wav", "audio/vnd.wave"),
    "mp3": ("audio/mpeg",),
    "tiff": ("image/tiff",),
    "png": ("image/png",),
    "jpeg": ("image/jpeg",),
}


# what each target is, for people
TARGET_NAMES = {
    "odt": "OpenDocument Text",
    "ods": "OpenDocument Spreadsheet",
    "odp": "OpenDocument Presentation",
    "pdfa": "PDF/A-2b",
    "ffv1-mkv": "FFV1 video in Matroska (audio as FLAC)",
    "mp4": "H.264/AAC in MP4",
    "flac": "FLAC",
    "wav": "WAV (24-bit PCM)",
    "mp3": "MP3",
    "tiff": "TIFF (LZW)",
    "png": "PNG",
    "jpeg": "JPEG",
}

# PUIDs a correct output may be identified as when PRONOM gives the format no MIME type
EXPECTED_PUIDS = {
    "ffv1-mkv": ("fmt/569",),
    "mp4": ("fmt/199",),
    "flac": ("fmt/279",),
    "mp3": ("fmt/134",),
    "wav": ("fmt/6", "fmt/141", "fmt/142", "fmt/143"),
}


def is_expected(target: str, puid: str, mime: str) -> bool:
    """Whether a file identified as ``puid``/``mime`` is what ``target`` should produce."""
    return mime.split(";")[0].strip() in EXPECTED_MIME[target] or puid in EXPECTED_PUIDS.get(target, ())


def registry() -> dict[str, Converter]:
    """Every target and the converter that makes it."""
    # imported here: an import cycle (each converter module imports Job, Outcome and finished from this one)
    from formats.converters.ffmpeg import FFmpeg  # noqa: PLC0415
    from formats.converters.images import PillowImages  # noqa: PLC0415
    from formats.converters.libreoffice import LibreOffice  # noqa: PLC0415

    found: dict[str, Converter] = {}
    for converter in (LibreOffice(), FFmpeg(), PillowImages()):
        for target in converter.targets:
            found[target] = converter
    return found


TARGETS = TARGET_FORMATS


def finished(job: Job, produced: Path | None) -> Outcome:
    """Move a converter's output into place if it is there and not empty; a failed Outcome otherwise."""
    if produced is None or not produced.is_file():
        return Outcome(job, False, "the converter wrote no output")
    if produced.stat().st_size == 0:
        produced.unlink()
        return Outcome(job, False, "the converter wrote an empty file")
    job.output.parent.mkdir(parents=True, exist_ok=True)
    os.replace(produced, job.output)
    return Outcome(job, True)


@dataclass(frozen=True)
class Converted:
    """A job done and checked: the tool that ran it, and why its output is unusable ('' when it is usable)."""

    job: Job
    tool: str
    message: str = ""
    format: FormatInfo | None = None  # what the output was identified as, when usable
    seconds: float = 0.0  # its share of its converter's time (the converter's wall time over its jobs)


class Identifies(Protocol):
    """What identifies a converter's output (``formats.identify.Identifier``)."""

    def identify(self, path: Path | str) -> FormatInfo:
        """The format of the file at ``path``."""
        ...


def convert_checked(jobs: Iterable[Job], identifier: Identifies, timeout: float = DEFAULT_TIMEOUT) -> list[Converted]:
    """Run every job with its converter and identify each output: one that is not the target format is
    removed and reported like a failed conversion. A converter that is not installed fails its jobs."""
    converters = registry()
    results = []
    for group in group_by_converter(jobs).values():
        converter = converters[group[0].target]
        tool, reason = converter.version(), converter.unavailable()
        started = time.perf_counter()
        outcomes = converter.convert(group, timeout) if not reason else []
        share = (time.perf_counter() - started) / len(group)
        for index, job in enumerate(group):
            message = reason or ("" if outcomes[index].ok else outcomes[index].message)
            found = None
            if not message:
                found = identifier.identify(job.output)
                if not is_expected(job.target, found.puid, found.mime_type):
                    message = (
                        f"the output was identified as {found.puid or found.mime_type or 'nothing known'}, "
                        f"not {job.target}"
                    )
                    job.output.unlink(missing_ok=True)
                    found = None
            results.append(Converted(job, tool, message, found, share))
    return results


def group_by_converter(jobs: Iterable[Job]) -> dict[str, list[Job]]:
    """Jobs by the name of the converter that runs them."""
    converters = registry()
    grouped: dict[str, list[Job]] = {}
    for job in jobs:
        grouped.setdefault(converters[job.target].name, []).append(job)
    return grouped
