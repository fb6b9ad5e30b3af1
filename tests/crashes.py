"""Helpers for crash tests: a transfer big enough to interrupt, and killing a real ingest part-way."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ingest.crash_points import CRASH_AT, HOLD_AT, HOLD_FILE


def make_collection(root: Path, files: int = 400) -> Path:
    """``files`` text files of 64 KiB in folders of 50."""
    for n in range(files):
        folder = root / f"box-{n // 50:02}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"letter-{n:04}.txt").write_bytes(os.urandom(32 * 1024).hex().encode())
    return root


def object_folders(home: Path) -> list[Path]:
    """The OCFL object folders in the archive's primary location."""
    return [p for p in (home / "storage" / "primary").glob("*/*/*/*") if p.is_dir()]


def stored_files(home: Path) -> int:
    """Files stored so far (not ones still being written)."""
    return sum(1 for o in object_folders(home) for p in o.rglob("*") if p.is_file() and not p.name.startswith("."))


def kill_ingest_part_way(home: Path, source: Path, after_files: int = 0, at: str = "") -> None:
    """Run `preserve ingest` and have it SIGKILL itself (``PRESERVE_CRASH_AT``) once ``after_files`` files are
    recorded in its journal (or at the crash point ``at``, such as "after package"), then kill its workers the
    same way: a crash at a named point, not a race against the clock."""
    command = [str(Path(sys.executable).parent / "preserve"), "--home", str(home), "ingest", str(source)]
    environment = {**os.environ, CRASH_AT: at or f"recorded:{after_files}"}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=environment
    )
    assert process.wait(timeout=300) == -signal.SIGKILL, "the ingest ended before it reached the crash point"
    with contextlib.suppress(ProcessLookupError):  # its workers, if it had a pool: they die with it in a crash
        os.killpg(process.pid, signal.SIGKILL)
    gone = time.monotonic() + 60
    while True:  # until the worker processes are gone too (they hold the staging lock)
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < gone, "the ingest's worker processes outlived SIGKILL by a minute"
        time.sleep(0.01)


@contextlib.contextmanager
def ingest_held_at(home: Path, source: Path, at: str, folder: Path, *options: str) -> Iterator[subprocess.Popen]:
    """`preserve ingest` started and held at the crash point ``at`` (``PRESERVE_HOLD_AT``): the body runs while
    the ingest is surely part-way (stop a server, kill a worker), then the ingest is let go. Text output."""
    release = folder / "release-ingest"
    command = [str(Path(sys.executable).parent / "preserve"), "--home", str(home), "ingest", str(source), *options]
    environment = {**os.environ, HOLD_AT: at, HOLD_FILE: str(release)}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment, start_new_session=True
    )
    reached, deadline = release.with_name(release.name + ".reached"), time.monotonic() + 300
    try:
        while not reached.exists():
            assert process.poll() is None, f"the ingest ended before it reached {at}: {process.stderr.read()}"
            assert time.monotonic() < deadline, f"the ingest did not reach {at} in 5 minutes"
            time.sleep(0.02)
        yield process
    finally:
        release.touch()


def aip_essence(preserve, aip_id: str) -> tuple:
    """What must be identical to an undisturbed run: files, digests, formats, event types and counts."""
    shown = preserve.json("aip", "show", aip_id)
    files = sorted((f["path"], f["sha256"], f["sha512"], f["size"], f["format"]["puid"]) for f in shown["files"])
    events = Counter((e["type"], e["outcome"], bool(e["file_id"])) for e in shown["events"])
    return files, sorted(events.items())


def undisturbed_essence(like, home: Path, source: Path) -> tuple:
    """The essence of an in-process ingest of ``source`` into a new archive at ``home`` with the same format
    policy as the archive ``like`` — what an interrupted or distributed ingest must come to."""
    from tests.conftest import Preserve

    other = Preserve(home)
    other("init")
    (home / "policies" / "formats.toml").write_text((like.home / "policies" / "formats.toml").read_text())
    return aip_essence(other, other.json("ingest", str(source))["aip_id"])
