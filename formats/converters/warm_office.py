"""LibreOffice kept warm: soffice started once and driven over UNO for document after document.

Starting soffice costs about a second; converting a small document in a running one about 40 ms.
``uno_bridge.py`` runs under a Python that has LibreOffice's ``uno`` module (Debian's python3-uno;
preserve's own Python need not have it) and answers one job a line. A bridge that dies or does not
answer within the time limit is killed with its soffice (its own process group) and started again,
and the document is tried once more: a document that kills LibreOffice twice fails alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Any

from formats.isolation import die_with_parent

BRIDGE = Path(__file__).with_name("uno_bridge.py")
UNO_PYTHONS = ("/usr/lib/libreoffice/program/python", "/usr/bin/python3", "python3")
START_SECONDS = 60.0
# LibreOffice draws a thumbnail of every document it saves (~100 ms a small document); ODF makes it optional
PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Save/Document"><prop oor:name="GenerateThumbnail" oor:op="fuse">\
<value>false</value></prop></item>
</oor:items>
"""


def prepare_profile(profile: Path) -> None:
    """A fresh soffice user profile with the settings conversions want (no thumbnails)."""
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(PROFILE_SETTINGS, encoding="utf-8")


@cache
def uno_python() -> str:
    """A Python that can import LibreOffice's ``uno`` module ('' when there is none): PRESERVE_UNO_PYTHON, or
    LibreOffice's own, or the system's."""
    wanted = os.environ.get("PRESERVE_UNO_PYTHON", "")
    for candidate in (wanted,) if wanted else UNO_PYTHONS:
        found = shutil.which(candidate)
        if not found:
            continue
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            check = subprocess.run([found, "-c", "import uno"], capture_output=True, timeout=30, check=False)
            if check.returncode == 0:
                return found
    return ""


class BridgeGone(Exception):
    """The bridge (or its soffice) died, or did not answer in time; it has been stopped."""


@dataclass(frozen=True)
class Answer:
    """What the bridge said of one job."""

    ok: bool
    message: str = ""


class WarmOffice:
    """One bridge and its soffice, using ``slot`` for its profile; started on first use."""

    def __init__(self, soffice: str, slot: Path) -> None:
        self.soffice = soffice
        self.slot = slot
        self.process: subprocess.Popen[str] | None = None
        self.starts = 0

    def convert(self, source: Path, output: Path, target: str, timeout: float) -> Answer:
        """Convert one document; raises BridgeGone if the bridge died or overran (it is stopped)."""
        deadline = time.monotonic() + timeout
        process = self._running(deadline)
        assert process.stdin is not None and process.stdout is not None
        job = {"source": str(source), "output": str(output), "target": target}
        try:
            process.stdin.write(json.dumps(job) + "\n")
            process.stdin.flush()
        except OSError:
            self.stop()
            raise BridgeGone("LibreOffice stopped") from None
        answer = self._line(process.stdout, deadline)
        return Answer(bool(answer.get("ok")), str(answer.get("message", "")))

    def _running(self, deadline: float) -> subprocess.Popen[str]:
        if self.process is not None and self.process.poll() is None:
            return self.process
        self.stop()
        profile = self.slot / f"profile-{self.starts}"  # a profile a killed soffice may have left broken is not reused
        prepare_profile(profile)
        self.starts += 1
        self.process = subprocess.Popen(
            [uno_python(), str(BRIDGE), str(profile)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PRESERVE_SOFFICE": self.soffice},
            start_new_session=True,  # its own process group: soffice is killed with it
            preexec_fn=die_with_parent,
        )
        assert self.process.stdout is not None
        ready = self._line(self.process.stdout, min(deadline, time.monotonic() + START_SECONDS))
        if not ready.get("ready"):
            self.stop()
            raise BridgeGone("LibreOffice did not start")
        return self.process

    def _line(self, stream: IO[str], deadline: float) -> dict[str, Any]:
        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            if not selector.select(max(0.0, deadline - time.monotonic())):
                self.stop()
                raise BridgeGone("timeout")
        line = stream.readline()
        if not line:
            self.stop()
            raise BridgeGone("LibreOffice stopped")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        """Stop the bridge: politely (end of input), then by killing its process group."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin:
                process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5 if process.poll() is None else 0)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if process.stdout:
            process.stdout.close()
