"""A poisoned file cannot stall a transfer: retried with a cap, reported with its traceback, resumable."""

from __future__ import annotations

import re
import time

import pytest

from formats.identify import Identifier
from tests.crashes import aip_essence, make_collection, undisturbed_essence

POISON = "letter-0007.txt"


def _poison(monkeypatch: pytest.MonkeyPatch, behaviour) -> list[str]:
    """Make identifying the poisoned file misbehave (a fault no real file reliably produces); returns the calls."""
    calls: list[str] = []
    real = Identifier.identify

    def identify(self, path, *args, **kwargs):
        if str(path).endswith(POISON):
            calls.append(str(path))
            behaviour(len(calls))
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(Identifier, "identify", identify)
    return calls


def _set_executor(preserve, **values) -> None:
    config = preserve.home / "preserve.toml"
    text = config.read_text()
    for key, value in values.items():
        text, found = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, count=1, flags=re.M)
        assert found, key
    config.write_text(text)


def _always_fails(_attempt: int) -> None:
    raise RuntimeError("the parser fell over")


@pytest.mark.both_catalogues
def test_a_file_that_always_fails_is_reported_and_the_rest_is_kept_for_a_resume(preserve, tmp_path, monkeypatch):
    source = make_collection(tmp_path / "accession", files=20)
    calls = _poison(monkeypatch, _always_fails)

    result = preserve("ingest", str(source), "--title", "Parish letters", expect=23)
    assert "1 file(s) could not be processed" in result.stderr and POISON in result.stderr
    assert len(calls) == 3  # the first attempt and two retries (the default cap)
    assert preserve.json("aip", "list") == []  # nothing packaged or registered

    [listed] = preserve.json("ingest", "status")
    assert listed["state"] == "incomplete" and listed["resumable"] is True
    assert (listed["files"], listed["files_done"]) == (20, 19)
    shown = preserve.json("ingest", "status", listed["transfer_id"][:8])
    [failed] = shown["failed_files"]
    assert failed["path"].endswith(POISON) and failed["attempts"] == 3
    assert "RuntimeError: the parser fell over" in failed["error"]
    assert "Traceback (most recent call last)" in failed["traceback"] and "in identify" in failed["traceback"]
    text = preserve("ingest", "status", listed["transfer_id"]).stdout
    assert "could not be processed" in text and "RuntimeError" in text and "--resume" in text

    monkeypatch.undo()  # the fault is gone (a fixed tool, a mount back): finish the ingest
    report = preserve.json("ingest", "--resume", listed["transfer_id"][:8])  # the id as `ingest status` shows it
    assert report["title"] == "Parish letters"  # the options it was started with
    assert preserve.json("ingest", "status", listed["transfer_id"])["state"] == "stored"
    assert aip_essence(preserve, report["aip_id"]) == undisturbed_essence(preserve, tmp_path / "whole", source)
    assert preserve.json("audit")["ok"] is True


def test_a_file_that_fails_once_is_retried_and_the_aip_is_whole(preserve, tmp_path, monkeypatch):
    source = make_collection(tmp_path / "accession", files=12)

    def fails_first_time(attempt: int) -> None:
        if attempt == 1:
            raise OSError("stale NFS file handle")

    calls = _poison(monkeypatch, fails_first_time)
    report = preserve.json("ingest", str(source))
    assert len(calls) == 2
    monkeypatch.undo()
    assert aip_essence(preserve, report["aip_id"]) == undisturbed_essence(preserve, tmp_path / "whole", source)


def test_a_file_that_hangs_is_stopped_by_the_time_limit(preserve, tmp_path, monkeypatch):
    source = make_collection(tmp_path / "accession", files=10)
    _set_executor(preserve, file_time_limit=1, file_retries=1)
    _poison(monkeypatch, lambda _attempt: time.sleep(60))
    started = time.monotonic()
    result = preserve("ingest", str(source), expect=23)
    assert time.monotonic() - started < 30
    assert "took longer than 1 s" in result.stderr
    [failed] = preserve.json("ingest", "status", "--state", "incomplete")[0]["failed_files"]
    assert failed["attempts"] == 2 and "FileTookTooLong" in failed["error"]


def test_a_refused_transfer_is_recorded_as_failed_and_cleaned_up(preserve, tmp_path):
    source = tmp_path / "accession"
    source.mkdir()
    (source / "metadata").mkdir()
    (source / "metadata" / "checksum.md5").write_text(f"{'0' * 32}  Minutes.txt\n")
    (source / "Minutes.txt").write_text("one")
    preserve("ingest", str(source), expect=20)
    [listed] = preserve.json("ingest", "status", "--state", "failed")
    assert "do not match the depositor's checksums" in listed["error"] and listed["resumable"] is False
    assert not any((preserve.home / "staging").iterdir())
    assert "TransferError" in preserve.json("ingest", "status", listed["transfer_id"])["traceback"]
    assert preserve("ingest", "--resume", listed["transfer_id"], expect=13).stderr.count("no staging area") == 1


def test_resume_needs_a_path_or_a_transfer_but_not_both(preserve, collection):
    assert "not both" in preserve("ingest", str(collection), "--resume", "x", expect=2).stderr
    assert preserve("ingest", "status", expect=0).stdout.strip() == "No ingests yet."


def test_an_incomplete_ingest_cleaned_up_by_doctor_is_shown_as_abandoned(preserve, tmp_path, monkeypatch):
    from tests.crashes import stored_files

    source = make_collection(tmp_path / "accession", files=10)
    _poison(monkeypatch, _always_fails)
    preserve("ingest", str(source), expect=23)
    assert stored_files(preserve.home) >= 9  # kept for a resume
    preserve("doctor", "--fix", "--older-than", "0", expect=None)
    [listed] = preserve.json("ingest", "status", "--state", "abandoned")
    assert listed["resumable"] is False
    assert stored_files(preserve.home) == 0
    assert "cannot be resumed" in preserve("ingest", "status", listed["transfer_id"]).stdout
