"""Staging areas: one folder per running ingest, held with a lock so a crashed one can be told apart."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import time
from pathlib import Path
from typing import IO

LOCK = ".in-use"


def hold(staging: Path, existing: bool = False) -> IO[bytes]:
    """Create ``staging`` (or take over an ``existing`` abandoned one) and hold its lock for as long as the
    returned file stays open (this process and the worker processes it forks). A crash releases it."""
    staging.mkdir(parents=True, exist_ok=existing)
    handle = open(staging / LOCK, "wb")  # noqa: SIM115 - held open on purpose, closed by the caller
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def abandoned(staging_dir: Path, older_than: float) -> list[Path]:
    """Staging areas no live ingest holds, last changed more than ``older_than`` seconds ago."""
    if not staging_dir.is_dir():
        return []
    cutoff = time.time() - older_than
    found = []
    for area in sorted(p for p in staging_dir.iterdir() if p.is_dir()):
        if _newest(area) >= cutoff or held(area):
            continue
        found.append(area)
    return found


def resumable(staging_dir: Path, source: Path) -> Path | None:
    """The staging area of an interrupted ingest of ``source`` that no live ingest holds, if there is one."""
    wanted = source.resolve()
    for area in sorted(p for p in staging_dir.iterdir() if p.is_dir()) if staging_dir.is_dir() else []:
        if source_of(area) == wanted:
            return area
    return None


def source_of(area: Path) -> Path | None:
    """The source an interrupted ingest's staging area ``area`` was ingesting, if it can be resumed."""
    journal = area / "journal.sqlite"
    if not journal.is_file() or held(area):
        return None
    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'source'").fetchone()
    except sqlite3.Error:
        return None
    return Path(row[0]) if row else None


def remove(area: Path) -> None:
    """Delete an abandoned staging area."""
    shutil.rmtree(area, ignore_errors=True)


def held(area: Path) -> bool:
    """Whether a live ingest holds the staging area ``area``."""
    lock = area / LOCK
    if not lock.exists():
        return False
    with open(lock, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _newest(area: Path) -> float:
    newest = area.stat().st_mtime
    for folder, _dirs, files in os.walk(area):
        for name in files:
            try:
                newest = max(newest, os.stat(os.path.join(folder, name)).st_mtime)
            except FileNotFoundError:
                continue
    return newest
