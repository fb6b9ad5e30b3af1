"""Ingest on Celery: two real worker processes and a real Redis broker give the same AIP as in-process work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Preserve
from tests.crashes import aip_essence, ingest_held_at, make_collection, undisturbed_essence

PRESERVE = str(Path(sys.executable).parent / "preserve")


def _use_celery(preserve: Preserve, broker: str, visibility_timeout: int = 3600) -> None:
    config = preserve.home / "preserve.toml"
    text = config.read_text().replace('kind = "local"', 'kind = "celery"', 1)
    config.write_text(
        text.replace("[executor]\n", f'[executor]\nbroker = "{broker}"\nvisibility_timeout = {visibility_timeout}\n', 1)
    )


@pytest.fixture
def workers(preserve, redis_url):
    _use_celery(preserve, redis_url, visibility_timeout=5)  # a dead worker's task goes to the other in 5 s
    started = [
        subprocess.Popen(
            [PRESERVE, "--home", str(preserve.home), "worker", "--loglevel", "WARNING"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        process.wait(30)


def test_two_workers_make_the_same_aip_as_in_process_work(preserve, workers, collection, tmp_path):
    make_collection(collection / "letters", files=120)
    run = subprocess.run(
        [PRESERVE, "--home", str(preserve.home), "ingest", str(collection), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
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


def test_with_no_worker_running_nothing_starts(preserve, redis_server, collection):
    _use_celery(preserve, redis_server.url)  # a broker of its own: no other test's worker is alive on it
    result = preserve("ingest", str(collection), expect=32)
    assert "no `preserve worker` is running" in result.stderr
    assert preserve.json("aip", "list") == [] and preserve.json("ingest", "status") == []
    assert "no `preserve worker` is running" in preserve("audit", expect=32).stderr


def test_a_worker_killed_mid_ingest_loses_nothing(preserve, workers, tmp_path):
    import json

    source = make_collection(tmp_path / "accession", files=300)
    with ingest_held_at(preserve.home, source, "recorded:40", tmp_path, "--json") as ingest:
        os.killpg(workers[0].pid, signal.SIGKILL)  # a worker and its helpers die holding an unacknowledged batch
    out, err = ingest.communicate(timeout=300)
    assert ingest.returncode == 0, err
    aip_id = json.loads(out)["aip_id"]
    assert preserve.json("aip", "show", aip_id)["aip"]["file_count"] == 300
    assert aip_essence(preserve, aip_id) == undisturbed_essence(preserve, tmp_path / "in-process", source)
    assert preserve.json("audit")["ok"] is True


def _start_worker(home: Path, fault: str = "") -> subprocess.Popen:
    """A `preserve worker`, with ``fault`` (Python run first) injecting a fault no real server produces."""
    code = f"import sys\n{fault}\nfrom cli.main import main\nsys.argv[0] = 'preserve'\nmain()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "--home", str(home), "worker", "--loglevel", "WARNING"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


BROKEN_SET_UP = """
from ingest.steps import FileWorker
def broken(self, setup):
    raise RuntimeError("the signature file on this worker is unreadable")
FileWorker.__init__ = broken
"""

KILLS_ITS_PROCESS = """
import os, signal
from formats.identify import Identifier
real = Identifier.identify
def identify(self, path, *args, **kwargs):
    if str(path).endswith("letter-0005.txt"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, path, *args, **kwargs)
Identifier.identify = identify
"""


def test_a_worker_error_is_shown_with_its_traceback_and_the_ingest_finishes_later(preserve, redis_url, tmp_path):
    _use_celery(preserve, redis_url)
    source = make_collection(tmp_path / "accession", files=30)
    broken = [_start_worker(preserve.home, BROKEN_SET_UP)]
    try:
        result = preserve("ingest", str(source), expect=23)
    finally:
        _stop(broken)
    assert "a worker failed: RuntimeError: the signature file on this worker is unreadable" in result.stderr
    [listed] = preserve.json("ingest", "status")
    assert listed["state"] == "incomplete" and listed["resumable"]
    trace = preserve.json("ingest", "status", listed["transfer_id"])["traceback"]
    assert "On the worker:" in trace and "in broken" in trace  # the worker's own frames
    assert "On the worker" in preserve("ingest", "status", listed["transfer_id"]).stdout

    good = [_start_worker(preserve.home)]
    try:
        report = preserve.json("ingest", "--resume", listed["transfer_id"])
    finally:
        _stop(good)
    assert aip_essence(preserve, report["aip_id"]) == undisturbed_essence(preserve, tmp_path / "whole", source)


def test_a_file_that_kills_its_worker_is_reported_not_passed_round_for_ever(preserve, redis_url, tmp_path):
    _use_celery(preserve, redis_url, visibility_timeout=3)
    source = make_collection(tmp_path / "accession", files=40)
    started = [_start_worker(preserve.home, KILLS_ITS_PROCESS) for _ in range(2)]
    try:
        ingest = subprocess.run(
            [PRESERVE, "--home", str(preserve.home), "ingest", str(source)], capture_output=True, text=True, timeout=240
        )
        assert sum(w.poll() is not None for w in started) == 1  # one worker died; the other isolated the file
    finally:
        _stop(started)
    assert ingest.returncode == 23, ingest.stderr
    [listed] = preserve.json("ingest", "status")
    [failed] = listed["failed_files"]
    assert failed["path"].endswith("letter-0005.txt") and "died (signal 9)" in failed["error"]
    assert (listed["files"], listed["files_done"]) == (40, 39)


def test_a_broker_restarted_mid_ingest_loses_nothing(preserve, redis_server, tmp_path):
    import json
    import time

    _use_celery(preserve, redis_server.url, visibility_timeout=5)
    source = make_collection(tmp_path / "accession", files=300)
    started = [_start_worker(preserve.home) for _ in range(2)]
    try:
        with ingest_held_at(preserve.home, source, "recorded:40", tmp_path, "--json") as ingest:
            redis_server.kill()  # every queued batch and stored result is lost with it (no persistence)
            time.sleep(2)
            redis_server.start()
        out, err = ingest.communicate(timeout=300)
        assert all(w.poll() is None for w in started)  # the workers reconnected by themselves
        assert ingest.returncode == 0, err
        essence = aip_essence(preserve, json.loads(out)["aip_id"])
        assert preserve.json("audit")["ok"] is True  # on the workers
    finally:
        _stop(started)
    assert essence == undisturbed_essence(preserve, tmp_path / "in-process", source)


def test_a_broker_that_does_not_come_back_stops_the_ingest_resumably(preserve, redis_server, tmp_path):
    import time

    _use_celery(preserve, redis_server.url)
    config = preserve.home / "preserve.toml"
    config.write_text(config.read_text().replace("[executor]\n", "[executor]\nbroker_wait = 3\n", 1))
    source = make_collection(tmp_path / "accession", files=300)
    started = [_start_worker(preserve.home)]
    try:
        with ingest_held_at(preserve.home, source, "recorded:100", tmp_path) as ingest:
            redis_server.kill()
        started_waiting = time.monotonic()
        out, err = ingest.communicate(timeout=120)
        assert time.monotonic() - started_waiting < 15  # broker_wait, not kombu's own retries
        assert ingest.returncode == 23, err
        assert "lost the broker" in err and "did not come back within 3 s" in err
        redis_server.start()
        [listed] = preserve.json("ingest", "status")
        assert listed["state"] == "incomplete" and listed["resumable"] and 0 < listed["files_done"] < 300
        report = preserve.json("ingest", "--resume", listed["transfer_id"])
    finally:
        _stop(started)
    assert aip_essence(preserve, report["aip_id"]) == undisturbed_essence(preserve, tmp_path / "whole", source)


def test_an_audit_on_workers_finds_and_repairs_what_an_in_process_audit_does(preserve, workers, tmp_path):
    import json

    second = preserve.home / "storage" / "second"
    config = preserve.home / "preserve.toml"
    text = config.read_text().replace(
        '[replication]\nlocations = ["primary"]',
        '[[storage]]\nname = "second"\nbackend = "local"\npath = "storage/second"\n\n'
        '[replication]\nlocations = ["primary", "second"]',
        1,
    )
    config.write_text(text)
    aips = [
        preserve.json("ingest", str(make_collection(tmp_path / f"accession-{n}", files=5)))["aip_id"] for n in range(3)
    ]
    victim = sorted(second.rglob("letter-0003.txt"))[0]
    victim.write_bytes(b"bit rot")
    run = subprocess.run(
        [PRESERVE, "--home", str(preserve.home), "audit", "--json"], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert sorted(a["aip_id"] for a in report["aips"]) == sorted(aips)
    repaired = [c for a in report["aips"] for c in a["copies"] if c["status"] == "repaired"]
    assert len(repaired) == 1 and repaired[0]["location"] == "second" and repaired[0]["repaired_from"] == "primary"
    assert victim.read_bytes() != b"bit rot"
    for aip_id in aips:  # the workers recorded their checks in the catalogue
        events = preserve.json("aip", "show", aip_id)["events"]
        assert sum(e["type"] == "fixity check" and not e["file_id"] for e in events) >= 2
    assert preserve.json("audit")["ok"] is True  # and again: all intact now
