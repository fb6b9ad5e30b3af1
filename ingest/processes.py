"""What Linux's /proc says about processes: a process and its descendants, their CPU time, whether one runs.

Used to time an ingest's steps across its worker processes and tools (``ingest.timings``), to tell a
claim whose process has died from one still at work (``ingest.migrate``), and by the benchmarks.
Elsewhere than Linux, the answers are what the standard library can give.
"""

from __future__ import annotations

import contextlib
import os

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[bytes]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces and brackets)."""
    with open(f"/proc/{pid}/stat", "rb") as handle:
        return handle.read().rsplit(b")", 1)[1].split()


def process_tree(pid: int) -> list[int]:
    """``pid`` and every process descended from it that is running now (empty where /proc is not there)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        try:
            children = []
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", "rb") as handle:
                    children += [int(child) for child in handle.read().split()]
        except OSError:  # it ended while we looked
            continue
        found.append(current)
        stack.extend(children)
    return found


def tree_cpu_seconds(pid: int | None = None) -> float:
    """CPU seconds used so far by a process and every descendant, including descendants that have ended."""
    pid = pid or os.getpid()
    if not os.path.isdir(f"/proc/{pid}"):  # not Linux: this process and the children it has waited for
        own = os.times()
        return own.user + own.system + own.children_user + own.children_system
    total = 0.0
    for member in process_tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):  # it ended while we looked
            total += sum(int(value) for value in _stat(member)[11:15]) / _TICKS  # utime stime cutime cstime
    return total


def is_running(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine: not when it has ended, even if its parent has not yet
    reaped it (a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    with contextlib.suppress(OSError, IndexError):
        return _stat(pid)[0] != b"Z"
    return True
