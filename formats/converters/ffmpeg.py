"""ffmpeg: video to FFV1/Matroska (preservation) or H.264/MP4 (access); audio to FLAC or WAV
(preservation) or MP3 (access)."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from formats.converters import Job, Outcome, finished

ARGUMENTS = {
    "ffv1-mkv": [
        "-map",
        "0:v?",
        "-map",
        "0:a?",
        "-c:v",
        "ffv1",
        "-level",
        "3",
        "-g",
        "1",
        "-slicecrc",
        "1",
        "-c:a",
        "flac",
        "-f",
        "matroska",
    ],
    "mp4": [
        "-map",
        "0:v?",
        "-map",
        "0:a?",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-crf",
        "23",
        "-c:a",
        "aac",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
    ],
    "flac": ["-map", "0:a", "-c:a", "flac", "-f", "flac"],
    "wav": ["-map", "0:a", "-c:a", "pcm_s24le", "-f", "wav"],
    "mp3": ["-map", "0:a", "-c:a", "libmp3lame", "-q:a", "2", "-f", "mp3"],
}


class FFmpeg:
    """Audio and video through ffmpeg, a few files at once."""

    name = "ffmpeg"
    label = "ffmpeg"
    targets = {"ffv1-mkv": "mkv", "mp4": "mp4", "flac": "flac", "wav": "wav", "mp3": "mp3"}

    def __init__(self, parallel: int = 2):
        self.parallel = parallel

    def unavailable(self) -> str:
        """Why ffmpeg cannot run here."""
        return "" if shutil.which("ffmpeg") else "ffmpeg is not installed"

    def version(self) -> str:
        """E.g. ``ffmpeg 5.1.6``."""
        return _version()

    def convert(self, jobs: list[Job], timeout: float) -> list[Outcome]:
        """Convert each job in its own ffmpeg process."""
        with ThreadPoolExecutor(self.parallel) as pool:
            return list(pool.map(lambda job: self._one(job, timeout), jobs))

    def _one(self, job: Job, timeout: float) -> Outcome:
        partial = job.output.with_name(job.output.name + ".partial")
        partial.parent.mkdir(parents=True, exist_ok=True)
        command = [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(job.source),
            *ARGUMENTS[job.target],
            str(partial),
        ]
        try:
            run = subprocess.run(
                command, capture_output=True, text=True, errors="backslashreplace", timeout=timeout, check=False
            )  # ffmpeg repeats the input name, which need not be UTF-8
        except subprocess.TimeoutExpired:
            partial.unlink(missing_ok=True)
            return Outcome(job, False, f"ffmpeg did not finish within {timeout:.0f} s")
        if run.returncode != 0:
            partial.unlink(missing_ok=True)
            return Outcome(job, False, f"ffmpeg exited {run.returncode}: {run.stderr.strip()[-300:]}")
        return finished(job, partial)


@cache
def _version() -> str:
    if not shutil.which("ffmpeg"):
        return "ffmpeg"
    run = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=False)
    parts = run.stdout.split()
    return f"ffmpeg {parts[2]}" if len(parts) > 2 else "ffmpeg"
