"""Named points at which a crash test may stop an ingest dead, instead of guessing when to kill it.

``PRESERVE_CRASH_AT=NAME`` (or ``NAME:COUNT`` for a point passed many times, such as ``recorded:250``) makes the
ingest kill itself with SIGKILL when it reaches that point, exactly as a power cut or the out-of-memory killer
would: nothing is cleaned up, no handler runs. Unset (always, outside the tests), a point costs one lookup.
"""

from __future__ import annotations

import os
import signal

CRASH_AT = "PRESERVE_CRASH_AT"


def crash_point(name: str, count: int = 0) -> None:
    """Die here, by SIGKILL, if ``PRESERVE_CRASH_AT`` names this point (and ``count`` has reached its number)."""
    wanted = os.environ.get(CRASH_AT)
    if not wanted:
        return
    point, _, at = wanted.partition(":")
    if point == name and (not at or count >= int(at)):
        os.kill(os.getpid(), signal.SIGKILL)
