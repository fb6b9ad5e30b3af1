"""The child processes that validate and scan files never outlive the process that started them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

CHILDREN = """
import os, time
from formats.isolation import IsolatedFunction
first, second = IsolatedFunction(os.getpid, 10), IsolatedFunction(os.getpid, 10)
print(first(), second(), flush=True)  # each call answers with the child's own pid
time.sleep(120)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # exited, waiting only to be reaped


def test_isolated_children_exit_when_their_parent_is_killed():
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILDREN], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent
    )
    children = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(children) == 2 and not any(_gone(pid) for pid in children)
    parent.kill()  # as a worker killed with SIGKILL: no clean-up runs
    parent.wait()
    deadline = time.monotonic() + 15
    while not all(_gone(pid) for pid in children):
        assert time.monotonic() < deadline, "a child outlived its killed parent"
        time.sleep(0.1)
