"""Ingest on Celery: two real worker processes and a real Redis broker give the same AIP as in-process work."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Preserve
from tests.crashes import aip_essence, make_collection, undisturbed_essence

PRESERVE = str(Path(sys.executable).parent / "preserve")


def _use_celery(preserve: Preserve, broker: str, visibility_timeout: int = 3600) -> None:
    config = preserve.home / "preserve.toml"
    text = config.read_text().replace('kind = "local"', 'kind = "celery"', 1)
    config.write_text(text.replace("[executor]\n", f'[executor]\nbroker = "{broker}"\n'
                                                   f"visibility_timeout = {visibility_timeout}\n", 1))


@pytest.fixture
def workers(preserve, redis_url):
    _use_celery(preserve, redis_url, visibility_timeout=5)  # a dead worker's task goes to the other in 5 s
    started = [subprocess.Popen([PRESERVE, "--home", str(preserve.home), "worker", "--loglevel", "WARNING"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
               for _ in range(2)]
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        process.wait(30)


def test_two_workers_make_the_same_aip_as_in_process_work(preserve, workers, collection, tmp_path):
    make_collection(collection / "letters", files=120)
    run = subprocess.run([PRESERVE, "--home", str(preserve.home), "ingest", str(collection), "--json"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr + "".join(w.stderr.read() if w.poll() is not None else "" for w in workers)
    import json

    aip_id = json.loads(run.stdout)["aip_id"]
    assert all(w.poll() is None for w in workers)
    assert aip_essence(preserve, aip_id) == undisturbed_essence(preserve, tmp_path / "in-process", collection)
    assert preserve.json("audit")["ok"] is True


def test_an_unreachable_broker_stops_the_ingest_before_anything_starts(preserve, collection, tmp_path):
    _use_celery(preserve, f"redis+socket://{tmp_path}/no-broker.sock")
    result = preserve("ingest", str(collection), expect=32)
    assert "cannot reach the broker" in result.stderr
    assert not any((preserve.home / "staging").iterdir()) if (preserve.home / "staging").exists() else True
    assert preserve.json("aip", "list") == []


def test_a_worker_killed_mid_ingest_loses_nothing(preserve, workers, tmp_path):
    import json
    import os
    import time

    from tests.crashes import stored_files

    source = make_collection(tmp_path / "accession", files=300)
    ingest = subprocess.Popen([PRESERVE, "--home", str(preserve.home), "ingest", str(source), "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while stored_files(preserve.home) < 40:
        assert ingest.poll() is None and time.monotonic() < deadline, ingest.stderr.read() if ingest.poll() else ""
        time.sleep(0.01)
    os.killpg(workers[0].pid, signal.SIGKILL)  # a worker and its helpers die holding an unacknowledged batch
    out, err = ingest.communicate(timeout=300)
    assert ingest.returncode == 0, err
    aip_id = json.loads(out)["aip_id"]
    assert preserve.json("aip", "show", aip_id)["aip"]["file_count"] == 300
    assert aip_essence(preserve, aip_id) == undisturbed_essence(preserve, tmp_path / "in-process", source)
    assert preserve.json("audit")["ok"] is True
