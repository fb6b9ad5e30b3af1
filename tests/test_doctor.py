"""`preserve doctor`: a killed ingest leaves a staging area and an unregistered object; doctor finds and
cleans them, never a running ingest's, and the archive is whole afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ingest import staging


def _collection(root: Path, files: int = 400) -> Path:
    for n in range(files):
        folder = root / f"box-{n // 50:02}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"letter-{n:04}.txt").write_bytes(os.urandom(32 * 1024).hex().encode())
    return root


def _objects(home: Path) -> list[Path]:
    return [p for p in (home / "storage" / "primary").glob("*/*/*/*") if p.is_dir()]


def test_a_killed_ingest_is_found_and_cleaned(preserve, tmp_path):
    source = _collection(tmp_path / "accession")
    command = [str(Path(sys.executable).parent / "preserve"), "--home", str(preserve.home), "ingest", str(source)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while not any(p.is_file() and not p.name.startswith(".preserve-tmp-")  # a file stored, not one being written
                  for o in _objects(preserve.home) for p in o.rglob("*")):
        assert process.poll() is None and time.monotonic() < deadline, "the ingest ended before it could be killed"
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the CLI and its workers, mid-ingest
    process.wait()

    assert preserve.json("aip", "list") == []
    assert preserve.json("doctor")  # nothing is older than a day yet: nothing reported
    found = preserve.json("doctor", "--older-than", "0", expect=1)
    assert len(found["abandoned_staging"]) == 1
    assert [(o["location"], o["kind"], o["complete"]) for o in found["orphans"]] == [("primary", "object", False)]

    live = preserve.home / "staging" / "a-running-ingest"
    held = staging.hold(live)  # an ingest in progress is never touched
    try:
        fixed = preserve.json("doctor", "--older-than", "0", "--fix")
        assert fixed["fixed"] and live.exists()
    finally:
        held.close()
        staging.remove(live)
    assert _objects(preserve.home) == [] and list((preserve.home / "staging").iterdir()) == []
    assert preserve.json("doctor", "--older-than", "0")["orphans"] == []

    aip_id = preserve.json("ingest", str(source))["aip_id"]  # the same transfer goes in cleanly afterwards
    assert preserve.json("audit")["ok"] is True
    assert preserve.json("doctor", "--older-than", "0")["orphans"] == [], aip_id


def test_doctor_reports_a_broken_policy(preserve):
    (preserve.home / "policies" / "checks.toml").write_text("version = 1\n[virus]\non_infected = 'ignore'\n")
    result = preserve.json("doctor", expect=1)
    [problem] = [c for c in result["checks"] if not c["ok"]]
    assert problem["check"] == "policy checks" and "on_infected" in problem["detail"]
