"""Virus checking with ClamAV, before anything of a transfer is stored.

Through clamd when a socket is configured (INSTREAM: the daemon never needs to read our files),
otherwise with one ``clamscan`` run over the whole transfer. ClamAV reports a file beyond its
size limits, or an encrypted archive or PDF, as clean unless told otherwise: both scanners are
asked to alert on them, and such files are recorded as *not scanned*, never as clean.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from preservation.config import Settings

CLEAN, INFECTED, NOT_SCANNED = "clean", "infected", "not scanned"
CHUNK = 1024 * 1024
CLAMSCAN_FLAGS = (
    "--no-summary",
    "--alert-exceeds-max=yes",
    "--alert-encrypted=yes",
    "--alert-encrypted-archive=yes",
    "--alert-encrypted-doc=yes",
)


@dataclass(frozen=True)
class ScanResult:
    """What the scanner said of one file."""

    status: str  # clean, infected or not scanned
    detail: str = ""  # the signature name, or why the file was not scanned


class ScannerUnavailable(Exception):
    """No scanner, or no signature database, so no virus check can be made."""


def classify(answer: str) -> ScanResult:
    """ClamAV's verdict on one file (``OK``, ``<name> FOUND``, ``… ERROR``) as a ScanResult."""
    answer = answer.strip()
    if answer == "OK":
        return ScanResult(CLEAN)
    if answer.endswith(" FOUND"):
        name = answer.removesuffix(" FOUND").strip()
        if name.startswith("Heuristics.Limits.Exceeded"):
            return ScanResult(NOT_SCANNED, f"beyond ClamAV's size or scan limits ({name})")
        if name.startswith("Heuristics.Encrypted"):
            return ScanResult(NOT_SCANNED, f"encrypted: its content could not be scanned ({name})")
        return ScanResult(INFECTED, name)
    return ScanResult(NOT_SCANNED, f"scanner error: {answer.removesuffix(' ERROR').strip() or 'no answer'}")


class ClamscanScanner:
    """One ``clamscan`` process per transfer (it loads the signatures once)."""

    def __init__(self, database: Path | None = None):
        binary = shutil.which("clamscan")
        if binary is None:
            raise ScannerUnavailable("ClamAV (clamscan) is not installed")
        self.binary = binary
        self.database = database
        self.engine = _first_line([self.binary, "--version"]).split("/")[0].strip()
        self.signatures = _database_version(database, self.engine)

    @property
    def label(self) -> str:
        """The tool and its signatures, for the PREMIS agent."""
        return f"{self.engine} (clamscan; signatures: {self.signatures})"

    def _command(self) -> list[str]:
        return [self.binary, *CLAMSCAN_FLAGS, *(["--database", str(self.database)] if self.database else [])]

    def scan(self, paths: Iterable[Path]) -> dict[Path, ScanResult]:
        """Scan every path; a path clamscan said nothing about is *not scanned*."""
        paths = list(paths)
        listed = [p for p in paths if "\n" not in os.fsdecode(p)]
        results: dict[Path, ScanResult] = {}
        if listed:
            by_name = {os.fsdecode(p): p for p in listed}
            with tempfile.NamedTemporaryFile(suffix=".list") as listing:
                listing.write(b"\n".join(map(os.fsencode, listed)) + b"\n")
                listing.flush()
                run = subprocess.run(
                    [*self._command(), f"--file-list={listing.name}"], capture_output=True, check=False
                )
            if run.returncode == 2 and not run.stdout:
                raise ScannerUnavailable(_tail(run.stderr) or "clamscan failed")
            for line in run.stdout.decode("utf-8", "surrogateescape").splitlines():
                name, _, answer = line.rpartition(": ")
                if name in by_name:
                    results[by_name[name]] = classify(answer)
        for path in paths:
            if path not in results and path not in listed:  # a newline in its name: scanned on its own
                run = subprocess.run([*self._command(), "--", path], capture_output=True, check=False)
                out = run.stdout.decode("utf-8", "surrogateescape")
                prefix = os.fsdecode(path) + ": "
                results[path] = classify(out[len(prefix) :]) if out.startswith(prefix) else classify("")
        return {path: results.get(path, classify("")) for path in paths}


class ClamdScanner:
    """Streams each file to clamd over its socket (INSTREAM), several files at once."""

    def __init__(self, socket_path: str, parallel: int = 4):
        self.socket_path = socket_path
        self.parallel = parallel
        try:
            version = self._command(b"zVERSION\0").strip()
        except OSError as exc:
            raise ScannerUnavailable(f"cannot reach clamd at {socket_path}: {exc.strerror or exc}") from None
        parts = version.split("/")
        self.engine = parts[0]
        self.signatures = f"daily {parts[1]} of {parts[2]}" if len(parts) >= 3 else "as loaded by clamd"

    @property
    def label(self) -> str:
        """The tool and its signatures, for the PREMIS agent."""
        return f"{self.engine} (clamd; signatures: {self.signatures})"

    def _connect(self) -> socket.socket:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(600)
        connection.connect(self.socket_path)
        return connection

    def _command(self, command: bytes) -> str:
        with self._connect() as connection:
            connection.sendall(command)
            return _receive(connection)

    def scan_one(self, path: Path) -> ScanResult:
        """Stream one file to clamd and classify its answer."""
        try:
            with self._connect() as connection, open(path, "rb") as handle:
                connection.sendall(b"zINSTREAM\0")
                while chunk := handle.read(CHUNK):
                    connection.sendall(struct.pack("!L", len(chunk)) + chunk)
                connection.sendall(struct.pack("!L", 0))
                answer = _receive(connection)
        except OSError as exc:
            return ScanResult(NOT_SCANNED, f"scanner error: {exc.strerror or exc}")
        if "INSTREAM size limit exceeded" in answer:
            return ScanResult(NOT_SCANNED, "beyond clamd's StreamMaxLength")
        return classify(answer.removeprefix("stream:").strip())

    def scan(self, paths: Iterable[Path]) -> dict[Path, ScanResult]:
        """Scan every path through clamd."""
        paths = list(paths)
        with ThreadPoolExecutor(self.parallel) as pool:
            return dict(zip(paths, pool.map(self.scan_one, paths), strict=True))


def find_scanner(settings: Settings) -> ClamdScanner | ClamscanScanner:
    """clamd if a socket is configured, otherwise clamscan; ScannerUnavailable if neither can scan."""
    if settings.clamd_socket:
        return ClamdScanner(settings.clamd_socket)
    return ClamscanScanner(settings.virus_database)


def _receive(connection: socket.socket) -> str:
    data = b""
    while not data.endswith(b"\0"):
        chunk = connection.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.rstrip(b"\0").decode("utf-8", "replace")


def _first_line(command: list[str]) -> str:
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    return (run.stdout.strip().splitlines() or ["ClamAV"])[0]


def _tail(data: bytes) -> str:
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else ""


def _database_version(database: Path | None, engine: str) -> str:
    """The signature database's version (daily.cvd/cld via sigtool), or a count of signature files;
    ScannerUnavailable when there is none (ClamAV would refuse to scan)."""
    folder = database or Path("/var/lib/clamav")
    files = sorted(
        p
        for p in folder.glob("*")
        if p.suffix in {".cvd", ".cld", ".ndb", ".hdb", ".hsb", ".ldb", ".cdb", ".yar", ".yara", ".ign2", ".fp"}
    )
    if not any(p.suffix not in {".ign2", ".fp"} for p in files):
        raise ScannerUnavailable(f"no ClamAV signature database in {folder}")
    daily = next((p for p in files if p.stem == "daily"), None)
    sigtool = shutil.which("sigtool")
    if daily is not None and sigtool:
        info = subprocess.run([sigtool, "--info", str(daily)], capture_output=True, text=True, check=False).stdout
        fields = dict(line.split(": ", 1) for line in info.splitlines() if ": " in line)
        if "Version" in fields:
            return f"daily {fields['Version']} ({fields.get('Build time', '').strip()})"
    return f"{folder}: " + ", ".join(p.name for p in files)
