"""Named points at which a test may stop an ingest dead, or hold it, instead of guessing when to act.

``PRESERVE_CRASH_AT=NAME`` (or ``NAME:COUNT`` for a point passed many times, such as ``recorded:250``) makes the
ingest kill itself with SIGKILL when it reaches that point, exactly as a power cut or the out-of-memory killer
would: nothing is cleaned up, no handler runs. ``PRESERVE_HOLD_AT=NAME[:COUNT]`` with ``PRESERVE_HOLD_FILE=PATH``
makes it write ``PATH.reached`` there and wait until ``PATH`` exists (at most ten minutes), so a test can stop a
server or kill a worker while the ingest is surely part-way. Unset (always, outside the tests), a point costs two
lookups.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

CRASH_AT = "PRESERVE_CRASH_AT"
HOLD_AT = "PRESERVE_HOLD_AT"
HOLD_FILE = "PRESERVE_HOLD_FILE"
HOLD_LIMIT = 600  # seconds: a test that never lets go does not hang the ingest for ever


def crash_point(name: str, count: int = 0) -> None:
    """Die here by SIGKILL, or hold here, if ``PRESERVE_CRASH_AT`` or ``PRESERVE_HOLD_AT`` names this point."""
    if _names(os.environ.get(CRASH_AT, ""), name, count):
        os.kill(os.getpid(), signal.SIGKILL)
    if _names(os.environ.get(HOLD_AT, ""), name, count):
        _hold(Path(os.environ[HOLD_FILE]))


def _names(wanted: str, name: str, count: int) -> bool:
    """Whether ``wanted`` ("NAME" or "NAME:COUNT") is this point (passed for the COUNTth time)."""
    if not wanted:
        return False
    point, _, at = wanted.partition(":")
    return point == name and (not at or count == int(at))


def _hold(release: Path) -> None:
    """Say the point is reached, then wait for the test to let go."""
    release.with_name(release.name + ".reached").touch()
    deadline = time.monotonic() + HOLD_LIMIT
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
