"""Ingest on Celery: two real worker processes and a real Redis broker give the same AIP as in-process work."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Preserve
from tests.crashes import make_collection
from tests.test_resume import _essence

PRESERVE = str(Path(sys.executable).parent / "preserve")


def _use_celery(preserve: Preserve, broker: str) -> None:
    config = preserve.home / "preserve.toml"
    text = config.read_text().replace('kind = "local"', 'kind = "celery"', 1)
    config.write_text(text.replace("[executor]\n", f'[executor]\nbroker = "{broker}"\n', 1))


@pytest.fixture
def workers(preserve, redis_url):
    _use_celery(preserve, redis_url)
    started = [subprocess.Popen([PRESERVE, "--home", str(preserve.home), "worker", "--loglevel", "WARNING"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    yield started
    for process in started:
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
    local = Preserve(tmp_path / "in-process")
    local("init")
    (local.home / "policies" / "formats.toml").write_text((preserve.home / "policies" / "formats.toml").read_text())
    other = local.json("ingest", str(collection))["aip_id"]
    assert _essence(preserve, aip_id) == _essence(local, other)
    assert preserve.json("audit")["ok"] is True


def test_an_unreachable_broker_stops_the_ingest_before_anything_starts(preserve, collection, tmp_path):
    _use_celery(preserve, f"redis+socket://{tmp_path}/no-broker.sock")
    result = preserve("ingest", str(collection), expect=32)
    assert "cannot reach the broker" in result.stderr
    assert not any((preserve.home / "staging").iterdir()) if (preserve.home / "staging").exists() else True
    assert preserve.json("aip", "list") == []
