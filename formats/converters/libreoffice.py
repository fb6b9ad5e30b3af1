"""LibreOffice headless: office documents to ODF and to PDF/A-2b.

Not one start-up per file: jobs go to a small pool of soffice processes, each with its own user
profile. Where a Python with LibreOffice's ``uno`` module is found (Debian: python3-uno), each
soffice stays running and converts one document after another over UNO (``warm_office``); a
document that kills or hangs it is tried once more in a fresh one. Otherwise each soffice call
converts a batch, and a batch that fails or runs out of time is retried file by file. Either way
one poisoned document costs only its own conversion.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from formats.converters import Job, Outcome, finished
from formats.converters.warm_office import Answer, BridgeGone, WarmOffice, prepare_profile, uno_python

PDFA = '{"SelectPdfVersion":{"type":"long","value":"2"}}'  # PDF/A-2b
SPREADSHEET = ("spreadsheet", "excel", "sheet", "csv")
PRESENTATION = ("presentation", "powerpoint")


def _filter(job: Job) -> tuple[str, str]:
    """(``--convert-to`` argument, output extension)."""
    if job.target == "pdfa":
        kind = (
            "calc"
            if any(w in job.mime for w in SPREADSHEET)
            else "impress"
            if any(w in job.mime for w in PRESENTATION)
            else "writer"
        )
        return f"pdf:{kind}_pdf_Export:{PDFA}", "pdf"
    return job.target, job.target


class LibreOffice:
    """Documents, spreadsheets and presentations through soffice."""

    name = "libreoffice"
    label = "LibreOffice"
    targets = {"odt": "odt", "ods": "ods", "odp": "odp", "pdfa": "pdf"}

    def __init__(self, pool: int = 2, batch: int = 20) -> None:
        self.pool = pool
        self.batch = batch

    def unavailable(self) -> str:
        """Why soffice cannot run here."""
        return "" if _soffice() else "LibreOffice (soffice) is not installed"

    def version(self) -> str:
        """E.g. ``LibreOffice 7.4.7.2``."""
        return _version()

    def convert(self, jobs: list[Job], timeout: float) -> list[Outcome]:
        """Convert over the pool: warm soffices one document at a time, else in batches (same filter)."""
        if uno_python():
            return self._convert_warm(jobs, timeout)
        return self._convert_batches(jobs, timeout)

    def _convert_warm(self, jobs: list[Job], timeout: float) -> list[Outcome]:
        """Each of the pool's threads drives one warm soffice through the shared list of jobs."""
        soffice = _soffice()
        if soffice is None:  # callers ask unavailable() first; this is what running a missing command raises
            raise FileNotFoundError("LibreOffice (soffice) is not installed")
        waiting: queue.SimpleQueue[tuple[int, Job]] = queue.SimpleQueue()
        for numbered in enumerate(jobs):
            waiting.put(numbered)
        outcomes: dict[int, Outcome] = {}
        with tempfile.TemporaryDirectory(prefix="preserve-soffice-") as work:

            def drive(slot: Path) -> None:
                office = WarmOffice(soffice, slot)
                try:
                    while True:
                        try:
                            index, job = waiting.get_nowait()
                        except queue.Empty:
                            return
                        outcomes[index] = _converted_warm(office, job, timeout)
                finally:
                    office.stop()

            with ThreadPoolExecutor(self.pool) as pool:
                for _ in pool.map(drive, [Path(work) / f"slot-{n}" for n in range(min(self.pool, len(jobs)))]):
                    pass
        return [outcomes[index] for index in range(len(jobs))]

    def _convert_batches(self, jobs: list[Job], timeout: float) -> list[Outcome]:
        """Convert in batches (same filter) spread over the pool; retry a failed batch file by file."""
        batches: list[list[Job]] = []
        by_filter: dict[str, list[Job]] = {}
        for job in jobs:
            by_filter.setdefault(_filter(job)[0], []).append(job)
        for group in by_filter.values():
            batches += [group[i : i + self.batch] for i in range(0, len(group), self.batch)]
        with tempfile.TemporaryDirectory(prefix="preserve-soffice-") as work, ThreadPoolExecutor(self.pool) as pool:
            free: queue.SimpleQueue[Path] = queue.SimpleQueue()
            for n in range(self.pool):  # one profile and folder per soffice process: never two at once
                free.put(Path(work) / f"slot-{n}")
                prepare_profile(Path(work) / f"slot-{n}" / "profile")

            def run(batch: list[Job]) -> list[Outcome]:
                slot = free.get()
                try:
                    return self._batch(batch, slot, timeout)
                finally:
                    free.put(slot)

            results = list(pool.map(run, batches))
        outcomes = {id(o.job): o for result in results for o in result}
        return [outcomes[id(job)] for job in jobs]

    def _batch(self, jobs: list[Job], slot: Path, timeout: float) -> list[Outcome]:
        outcomes = self._run(jobs, slot, timeout * len(jobs))
        if all(o.ok for o in outcomes) or len(jobs) == 1:
            return outcomes
        return [o if o.ok else self._run([o.job], slot, timeout)[0] for o in outcomes]

    def _run(self, jobs: list[Job], slot: Path, timeout: float) -> list[Outcome]:
        """One soffice call for jobs sharing a filter; inputs get unique names so outputs cannot collide."""
        inputs, outputs = slot / "in", slot / "out"
        for folder in (inputs, outputs):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        soffice = _soffice()
        if soffice is None:  # callers ask unavailable() first; this is what running a missing command raises
            raise FileNotFoundError("LibreOffice (soffice) is not installed")
        convert_to, extension = _filter(jobs[0])
        names = []
        for index, job in enumerate(jobs):
            name = inputs / f"{index:05}{job.source.suffix.lower()}"
            shutil.copyfile(job.source, name)
            names.append(name)
        command = [
            soffice,
            f"-env:UserInstallation={(slot / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            convert_to,
            "--outdir",
            str(outputs),
            *map(str, names),
        ]
        try:
            run = subprocess.run(
                command, capture_output=True, timeout=timeout, check=False, text=True, errors="backslashreplace"
            )
            problem = "" if run.returncode == 0 else f"soffice exited {run.returncode}: {run.stderr.strip()[-200:]}"
        except subprocess.TimeoutExpired:
            _kill_profile_processes(slot)
            problem = f"LibreOffice did not finish within {timeout:.0f} s"
        results = []
        for name, job in zip(names, jobs, strict=True):
            outcome = finished(job, outputs / f"{name.stem}.{extension}")
            results.append(outcome if outcome.ok or not problem else Outcome(job, False, problem))
        return results


def _converted_warm(office: WarmOffice, job: Job, timeout: float) -> Outcome:
    """One document through a warm soffice, tried once more in a fresh one if the first died or overran.

    The output is written in the slot and moved into place only when complete."""
    produced = office.slot / "out" / f"converted.{_filter(job)[1]}"
    problem = ""
    for _ in range(2):
        produced.unlink(missing_ok=True)
        try:
            answer: Answer = office.convert(job.source, produced, job.target, timeout)
        except BridgeGone as gone:
            problem = (
                f"LibreOffice did not finish within {timeout:.0f} s"
                if str(gone) == "timeout"
                else f"{gone} while converting it"
            )
            continue
        if not answer.ok:
            produced.unlink(missing_ok=True)
            return Outcome(job, False, f"LibreOffice could not convert it: {answer.message}")
        return finished(job, produced)
    produced.unlink(missing_ok=True)
    return Outcome(job, False, f"{problem} (tried twice)")


def _kill_profile_processes(slot: Path) -> None:
    """soffice forks: kill whatever still runs with this slot's profile."""
    subprocess.run(["pkill", "-9", "-f", str(slot / "profile")], check=False, capture_output=True)


@cache
def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@cache
def _version() -> str:
    soffice = _soffice()
    if not soffice:
        return "LibreOffice"
    run = subprocess.run([soffice, "--version"], capture_output=True, text=True, check=False, timeout=60)
    parts = run.stdout.split()
    return f"LibreOffice {parts[1]}" if len(parts) > 1 else "LibreOffice"
