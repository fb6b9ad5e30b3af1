"""Virus checking with real ClamAV (clamscan and clamd) and a test signature database made here: EICAR only."""

from __future__ import annotations

import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import Preserve, require_tool, tree_digest

# The EICAR test file, assembled at run time so that no file of the project is itself "infected".
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Preserve.Test.EICAR.UNOFFICIAL"


@pytest.fixture(scope="module")
def eicar_db(tmp_path_factory) -> Path:
    """A ClamAV signature folder holding one body signature: the EICAR test string."""
    require_tool("clamscan", "virus checking")
    folder = tmp_path_factory.mktemp("clamav-db")
    (folder / "preserve-test.ndb").write_text(f"Preserve.Test.EICAR:0:*:{EICAR.hex()}\n")
    return folder


@pytest.fixture(scope="module")
def clamd_socket(eicar_db, tmp_path_factory):
    """A real clamd on a unix socket, with the test signatures and a 64 KiB file size limit."""
    binary = require_tool("clamd", "virus checking through the daemon")
    folder = tmp_path_factory.mktemp("clamd")
    socket_path = folder / "clamd.sock"
    (folder / "clamd.conf").write_text(
        f"LocalSocket {socket_path}\nDatabaseDirectory {eicar_db}\nForeground yes\nTemporaryDirectory {folder}\n"
        "MaxFileSize 64K\nMaxScanSize 64K\nAlertExceedsMax yes\nAlertEncrypted yes\n"
    )
    daemon = subprocess.Popen(
        [binary, "-c", str(folder / "clamd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while not socket_path.exists():
        assert daemon.poll() is None and time.monotonic() < deadline, "clamd did not start"
        time.sleep(0.1)
    yield socket_path
    daemon.terminate()
    daemon.wait(15)


def _configure(preserve: Preserve, virus: str, checks: str = "") -> None:
    config = preserve.home / "preserve.toml"
    text = config.read_text()
    start = text.index("[virus]")
    config.write_text(text[:start] + "[virus]\n" + virus + "\n")
    if checks:
        (preserve.home / "policies" / "checks.toml").write_text("version = 1\n" + checks)


def _stored_objects(preserve: Preserve) -> list[Path]:
    return [p for p in (preserve.home / "storage" / "primary").rglob("inventory.json")]


def test_an_infected_file_stops_the_transfer_and_nothing_is_stored(preserve, collection, eicar_db):
    _configure(preserve, f'database = "{eicar_db}"')
    (collection / "documents" / "invoice.com").write_bytes(EICAR)
    before = tree_digest(collection)
    result = preserve("ingest", str(collection), expect=20)
    assert "1 infected file(s)" in result.stderr and "documents/invoice.com" in result.stderr
    assert SIGNATURE in result.stderr
    assert _stored_objects(preserve) == [] and preserve.json("aip", "list") == []
    assert tree_digest(collection) == before
    assert not list((preserve.home / "staging").iterdir())


def test_an_infected_file_inside_a_zip_is_found(preserve, collection, eicar_db):
    _configure(preserve, f'database = "{eicar_db}"')
    with zipfile.ZipFile(collection / "correspondence.zip", "w") as archive:
        archive.writestr("letters/1923-05-01.txt", "Dear Sir,")
        archive.writestr("letters/attachment.exe", EICAR)
    result = preserve("ingest", str(collection), expect=20)
    assert "correspondence.zip" in result.stderr and SIGNATURE in result.stderr


def test_quarantine_leaves_infected_files_out_and_records_it(preserve, collection, eicar_db):
    _configure(preserve, f'database = "{eicar_db}"', '[virus]\non_infected = "quarantine"\n')
    (collection / "documents" / "invoice.com").write_bytes(EICAR)
    report = preserve.json("ingest", str(collection))
    assert report["quarantined"] == [{"path": "documents/invoice.com", "signature": SIGNATURE}]
    assert "ClamAV" in report["virus_check"] and "1 infected file(s) quarantined" in report["virus_check"]
    kept = list((preserve.home / "quarantine").rglob("invoice.com"))
    assert len(kept) == 1 and kept[0].read_bytes() == EICAR
    shown = preserve.json("aip", "show", report["aip_id"])
    assert "data/objects/documents/invoice.com" not in {f["path"] for f in shown["files"]}
    checks = [e for e in shown["events"] if e["type"] == "virus check"]
    per_file = [e for e in checks if e["file_id"]]
    assert len(per_file) == len(shown["files"]) and all(e["outcome"] == "success" for e in per_file)
    [aip_level] = [e for e in checks if not e["file_id"]]
    assert aip_level["outcome"] == "failure" and "documents/invoice.com" in aip_level["outcome_detail"]
    clamav = [a for a in shown["agents"] if a["name"] == "ClamAV"]
    assert clamav and "preserve-test.ndb" in clamav[0]["version"]
    assert not any(p.name == "invoice.com" for p in (preserve.home / "storage").rglob("*"))


def test_without_signatures_the_check_is_recorded_as_not_performed(preserve, collection, tmp_path):
    empty = tmp_path / "no-signatures"
    empty.mkdir()
    _configure(preserve, f'database = "{empty}"')
    report = preserve.json("ingest", str(collection))
    assert report["virus_check"].startswith("not performed: no ClamAV signature database")
    shown = preserve.json("aip", "show", report["aip_id"])
    [event] = [e for e in shown["events"] if e["type"] == "virus check"]
    assert event["outcome"] == "warning" and "not performed" in event["outcome_detail"]

    _configure(preserve, f'database = "{empty}"', '[virus]\non_no_scanner = "stop"\n')
    result = preserve("ingest", str(collection), expect=20)
    assert "no virus check can be made" in result.stderr


def test_an_encrypted_pdf_is_recorded_as_not_scanned(preserve, collection, eicar_db):
    import pikepdf

    _configure(preserve, f'database = "{eicar_db}"')
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(collection / "documents" / "sealed.pdf", encryption=pikepdf.Encryption(owner="o", user="secret"))
    report = preserve.json("ingest", str(collection))
    assert "1 file(s) not scanned" in report["virus_check"]
    shown = preserve.json("aip", "show", report["aip_id"])
    sealed = next(f["id"] for f in shown["files"] if f["path"].endswith("sealed.pdf"))
    [event] = [e for e in shown["events"] if e["type"] == "virus check" and e["file_id"] == sealed]
    assert event["outcome"] == "warning" and "encrypted" in event["outcome_detail"]


def test_clamd_scans_over_its_socket_and_reports_files_beyond_its_limits(preserve, collection, clamd_socket):
    _configure(preserve, f'clamd_socket = "{clamd_socket}"')
    (collection / "big-scan.tif").write_bytes(b"II*\x00" + bytes(100_000))
    report = preserve.json("ingest", str(collection))
    assert "clamd" in report["virus_check"] and "1 file(s) not scanned" in report["virus_check"]
    shown = preserve.json("aip", "show", report["aip_id"])
    big = next(f["id"] for f in shown["files"] if f["path"].endswith("big-scan.tif"))
    [event] = [e for e in shown["events"] if e["type"] == "virus check" and e["file_id"] == big]
    assert event["outcome"] == "warning" and "size or scan limits" in event["outcome_detail"]

    (collection / "invoice.com").write_bytes(EICAR)
    result = preserve("ingest", str(collection), expect=20)
    assert SIGNATURE in result.stderr and "invoice.com" in result.stderr


def _encrypted_zip(path: Path) -> None:
    """A zip whose member is marked encrypted (as a password-protected archive is)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("secret/letter.txt", b"\x00" * 12 + b"ciphertext bytes")
    data = bytearray(path.read_bytes())
    data[6] |= 1  # the local header's "encrypted" flag
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1  # and the central directory's
    path.write_bytes(bytes(data))


def test_a_password_protected_zip_is_recorded_as_not_scanned(preserve, collection, eicar_db):
    _configure(preserve, f'database = "{eicar_db}"')
    _encrypted_zip(collection / "correspondence.zip")
    report = preserve.json("ingest", str(collection))
    assert "1 file(s) not scanned" in report["virus_check"]
    shown = preserve.json("aip", "show", report["aip_id"])
    sealed = next(f["id"] for f in shown["files"] if f["path"].endswith("correspondence.zip"))
    [event] = [e for e in shown["events"] if e["type"] == "virus check" and e["file_id"] == sealed]
    assert event["outcome"] == "warning" and "encrypted" in event["outcome_detail"]


def test_a_password_protected_zip_offered_as_the_transfer_is_refused(preserve, tmp_path):
    _encrypted_zip(tmp_path / "accession.zip")
    result = preserve("ingest", str(tmp_path / "accession.zip"), expect=20)
    assert "secret/letter.txt: encrypted member" in result.stderr and preserve.json("aip", "list") == []
