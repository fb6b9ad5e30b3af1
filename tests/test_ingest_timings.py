"""Where an ingest's time went: every step timed (wall and CPU of the whole process tree), the per-file work by
format family, conversions by target; in `ingest --json`, `ingest --timings` and `ingest status`."""

from __future__ import annotations

import subprocess
import sys
import time

from ingest.processes import tree_cpu_seconds
from ingest.samples import make_sample_collection
from ingest.timings import Timings
from policies import DEFAULTS
from preservation.model import FormatInfo
from tests.conftest import require_tool

STEPS = [
    "scan",
    "describe",
    "virus check",
    "store",
    "verify checksums",
    "normalise",
    "apply policies",
    "package",
    "commit",
    "register",
]


def test_the_cpu_of_worker_processes_counts_where_it_is_spent():
    """A child that burns a second of CPU and ends shows in its parent's tree, as work in a worker process would."""
    before = tree_cpu_seconds()
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1: pass"
    subprocess.run([sys.executable, "-c", burn], check=True)
    assert tree_cpu_seconds() - before >= 0.9


def test_a_step_is_timed_even_when_it_fails():
    timings = Timings()
    try:
        with timings.step("store"):
            time.sleep(0.2)
            raise RuntimeError("a storage location went away")
    except RuntimeError:
        pass
    [(name, wall, cpu)] = timings.steps
    assert name == "store" and 0.2 <= wall < 2 and cpu < 0.2  # asleep, not working


def test_per_file_work_is_added_up_by_family():
    timings = Timings()
    timings.add_file(FormatInfo(puid="fmt/11", mime_type="image/png"), 100, {"store": 0.5, "validate": 1.0})
    timings.add_file(FormatInfo(puid="fmt/43", mime_type="image/jpeg"), 50, {"store": 0.25, "validate": 0.5})
    timings.add_file(FormatInfo(puid="x-fmt/111", mime_type="text/plain"), 7, {"store": 0.1})
    families = {f["family"]: f for f in timings.to_json()["families"]}
    assert families["image"]["files"] == 2 and families["image"]["bytes"] == 150
    assert families["image"]["seconds"]["store"] == 0.75 and families["image"]["seconds"]["validate"] == 1.5
    assert [f["family"] for f in timings.to_json()["families"]] == ["image", "text"]  # most time first


def test_an_ingest_reports_its_timings_everywhere(preserve, tmp_path):
    require_tool("soffice", "the sample's Word document is normalised by LibreOffice")
    (preserve.home / "policies" / "formats.toml").write_text((DEFAULTS / "formats.toml").read_text())  # normalises
    source = tmp_path / "parish"
    make_sample_collection(source)
    report = preserve.json("ingest", str(source))
    timings = report["timings"]
    assert [s["step"] for s in timings["steps"]] == STEPS
    assert all(s["wall"] >= 0 and s["cpu"] >= 0 for s in timings["steps"])
    assert 0 < timings["wall"] <= report["seconds"] + 1
    by_step = {s["step"]: s for s in timings["steps"]}
    assert by_step["normalise"]["cpu"] > 0.1  # LibreOffice's own CPU, in its own processes, is counted
    families = {f["family"]: f for f in timings["families"]}
    assert families["image"]["files"] == 3  # JPEG, PNG, TIFF
    assert families["image"]["seconds"]["validate"] > 0
    targets = {c["target"]: c for c in timings["conversions"]}
    assert targets["odt"]["documents"] == 1 and targets["odt"]["wall"] > 0  # the Word document

    [listed] = preserve.json("ingest", "status")
    assert [s["step"] for s in listed["timings"]["steps"]] == STEPS
    shown = preserve("ingest", "status", listed["transfer_id"][:8]).stdout
    assert "time:" in shown and "normalise" in shown and "image: 3 file(s)" in shown

    again = preserve("ingest", str(source), "--timings", "--title", "Again").stdout
    assert "time:" in again and "to odt: 1 conversion(s)" in again


def test_a_failed_ingest_keeps_the_timings_of_the_steps_it_ran(preserve, tmp_path):
    source = tmp_path / "letters"
    make_sample_collection(source / "objects")
    (source / "metadata").mkdir()  # the depositor's checksum is wrong: found once the files are stored
    (source / "metadata" / "checksum.md5").write_text("0" * 32 + "  objects/documents/transcription-notes.txt\n")
    preserve("ingest", str(source), expect=20)  # a fixity failure
    [listed] = preserve.json("ingest", "status")
    assert listed["state"] == "failed"
    steps = [s["step"] for s in listed["timings"]["steps"]]
    assert steps[0] == "scan" and "store" in steps and "register" not in steps
