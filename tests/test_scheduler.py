"""`preserve scheduler`: scheduled fixity audits under Celery beat, with a real Redis broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text as sql

from catalogue import Database
from preservation.config import load_settings
from tests.conftest import Preserve


def _with_broker(preserve: Preserve, broker: str) -> None:
    config = preserve.home / "preserve.toml"
    text = config.read_text().replace("[executor]\n", f'[executor]\nbroker = "{broker}"\n', 1)
    assert broker in text
    config.write_text(text)


def test_without_a_broker_setting_the_scheduler_says_what_to_add(preserve):
    result = preserve("scheduler", expect=11)
    assert "[executor] broker is not set" in result.stderr


def test_an_unreachable_broker_is_a_clear_error(preserve, tmp_path):
    _with_broker(preserve, f"redis+socket://{tmp_path}/nothing-here.sock")
    result = preserve("scheduler", expect=32)
    assert "cannot reach the broker" in result.stderr


def test_scheduled_runs_audit_every_aip_in_turn(preserve, collection, redis_url):
    ids = [preserve.json("ingest", str(collection), "--title", f"Accession {n}")["aip_id"] for n in range(2)]
    database = Database(load_settings(preserve.home).catalogue_url)
    with database.session() as session:  # checked at ingest two days ago: due for their share (not within a day)
        when = (datetime.now(UTC) - timedelta(days=2)).isoformat()
        session.execute(sql("UPDATE replicas SET verified_at = :when"), {"when": when})
    database.dispose()
    _with_broker(preserve, redis_url)
    command = [str(Path(sys.executable).parent / "preserve"), "--home", str(preserve.home), "scheduler", "--every", "1"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("PRESERVE_HOME")},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            checked = {
                e["aip_id"]
                for i in ids
                for e in preserve.json("aip", "show", i)["events"]
                if e["type"] == "fixity check" and "full re-read" in e["detail"]
            }
            if checked == set(ids):
                break
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the scheduler did not audit both AIPs within 60 s"
            time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert process.returncode == 0, output
    assert "fixity audit: 1 AIP(s) checked, all intact" in output
    report = {r["name"]: r for r in preserve.json("report", "fixity")}
    assert report["primary"]["months"][0]["full_checks"] >= 2
