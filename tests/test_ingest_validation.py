"""Validation during ingest: events, characteristics in PREMIS, the invalid-file policy, the migration."""

from __future__ import annotations

import shutil
from pathlib import Path

from lxml import etree

from catalogue import Database, head_revision
from preservation.errors import CatalogueError, TransferError
from tests.schemas import validate_mets
from tests.test_ingest_bad_input import assert_nothing_kept
from tests.test_validation_pdf import make_damaged_hint_table, make_truncated, qpdf_check_status

PREMIS = "{http://www.loc.gov/premis/v3}"


def _mets(home: Path) -> Path:
    return next((home / "storage").rglob("METS.*.xml"))


def test_each_file_gets_a_validation_event_and_its_characteristics(preserve, collection):
    aip = preserve.json("ingest", str(collection))["aip_id"]
    shown = preserve.json("aip", "show", aip)
    files = {f["original_name"]: f for f in shown["files"]}
    jpeg = files["objects/photographs/harbour-1923.jpg"]["validation"]
    assert jpeg["status"] == "valid" and jpeg["tool"].startswith("Pillow ")
    assert dict(jpeg["characteristics"])["width"] == "320"
    pdf = files["objects/documents/vestry-minutes-1923.pdf"]["validation"]
    assert pdf["status"] == "valid" and dict(pdf["characteristics"])["pages"] == "1"
    assert dict(pdf["characteristics"])["creating application"] == "Parish Office Scanner 2.1"
    checks = [e for e in shown["events"] if e["type"] == "validation"]
    tiff = files["objects/photographs/estate-map.tif"]  # Pillow leaves out XResolution; ExifTool says so
    warned = {tiff["id"]} if tiff["validation"]["status"] == "valid with warnings" else set()
    assert len(checks) >= 10 and all(
        e["outcome"] == ("warning" if e["file_id"] in warned else "success") for e in checks
    )
    tools = {a["name"] for a in shown["agents"]}
    assert {"Pillow", "pikepdf"} <= tools
    mets = _mets(preserve.home)
    assert validate_mets(mets) == []
    properties = etree.parse(str(mets)).findall(f".//{PREMIS}significantProperties")
    assert any(p.findtext(f"{PREMIS}significantPropertiesType") == "pages" for p in properties)
    applications = [a.text for a in etree.parse(str(mets)).iter(f"{PREMIS}creatingApplicationName")]
    assert applications == ["Parish Office Scanner 2.1"]


def _with_broken_jpeg(collection: Path) -> Path:
    photo = collection / "photographs" / "harbour-1923.jpg"
    data = photo.read_bytes()
    photo.write_bytes(data[: len(data) // 2])
    return photo


def test_an_invalid_file_is_accepted_with_a_failed_validation_by_default(preserve, collection):
    _with_broken_jpeg(collection)
    aip = preserve.json("ingest", str(collection))["aip_id"]
    shown = preserve.json("aip", "show", aip)
    broken = next(f for f in shown["files"] if f["original_name"].endswith("harbour-1923.jpg"))
    assert broken["validation"]["status"] == "invalid"
    event = next(e for e in shown["events"] if e["type"] == "validation" and e["file_id"] == broken["id"])
    assert event["outcome"] == "failure" and "invalid" in event["outcome_detail"]
    text = preserve("aip", "show", aip).stdout
    assert "invalid" in text


def test_a_policy_can_refuse_invalid_files(preserve, collection):
    broken = _with_broken_jpeg(collection)
    (preserve.home / "policies" / "formats.toml").write_text(
        'version = 2\n[default]\ninvalid = "accept"\n'
        '[[format]]\npuids = ["fmt/41", "fmt/42", "fmt/43", "fmt/44"]\ninvalid = "reject"\n'
    )
    result = preserve("ingest", str(collection), expect=TransferError.exit_code)
    assert "failed validation and the format policy refuses" in result.stderr
    assert "photographs/harbour-1923.jpg: invalid fmt/4" in result.stderr
    assert_nothing_kept(preserve)
    assert broken.exists()


def test_a_transfer_the_policy_refuses_is_refused_before_anything_is_converted(preserve, collection):
    _with_broken_jpeg(collection)
    (preserve.home / "policies" / "formats.toml").write_text(
        'version = 2\n[default]\ninvalid = "accept"\n'
        '[[format]]\npuids = ["fmt/41", "fmt/42", "fmt/43", "fmt/44"]\ninvalid = "reject"\n'
        '[[format]]\npuids = ["fmt/412"]\npreservation = "odt"\n'  # the sample's Word document would be converted
    )
    refused = preserve("ingest", str(collection), expect=TransferError.exit_code)
    [failed] = preserve.json("ingest", "status")
    assert f"`preserve ingest status {failed['transfer_id'][:8]}` shows this ingest's steps" in refused.stderr
    timings = preserve.json("ingest", "status", failed["transfer_id"])["timings"]
    assert timings["conversions"] == []  # nothing converted for a transfer that was going to be refused
    assert [s["step"] for s in timings["steps"]][-1] == "normalise"  # where the refusal came


PDF_PUIDS = (
    '["fmt/14", "fmt/15", "fmt/16", "fmt/17", "fmt/18", "fmt/19", "fmt/20", "fmt/276", "fmt/95", "fmt/354", '
    '"fmt/476", "fmt/477", "fmt/478", "fmt/479", "fmt/480", "fmt/481"]'
)


def test_a_pdf_with_qpdf_warnings_is_accepted_where_invalid_pdfs_are_refused(preserve, collection):
    (preserve.home / "policies" / "formats.toml").write_text(
        f'version = 2\n[default]\ninvalid = "accept"\n[[format]]\npuids = {PDF_PUIDS}\ninvalid = "reject"\n'
    )
    hinted = make_damaged_hint_table(collection / "documents" / "hinted.pdf")
    hinted.with_name("hinted-source.pdf").unlink()
    assert qpdf_check_status(hinted) == 3
    aip = preserve.json("ingest", str(collection))["aip_id"]
    shown = preserve.json("aip", "show", aip)
    record = next(f for f in shown["files"] if f["original_name"] == "objects/documents/hinted.pdf")
    assert record["validation"]["status"] == "valid with warnings"
    assert record["validation"]["messages"][0].startswith("qpdf warning: ")
    assert not any(str(collection) in m for f in shown["files"] for m in f["validation"]["messages"])
    event = next(e for e in shown["events"] if e["type"] == "validation" and e["file_id"] == record["id"])
    assert event["outcome"] == "warning" and event["outcome_detail"].startswith("valid with warnings; qpdf warning")
    assert validate_mets(_mets(preserve.home)) == []

    again = collection.parent / "second"
    (again / "letters").mkdir(parents=True)
    make_truncated(again / "letters" / "cut.pdf").with_name("cut-whole.pdf").unlink()
    shutil.copy(hinted, again / "letters" / "hinted.pdf")
    result = preserve("ingest", str(again), expect=TransferError.exit_code)
    assert "1 file(s) failed validation and the format policy refuses" in result.stderr
    assert "letters/cut.pdf: invalid fmt/" in result.stderr and "hinted.pdf" not in result.stderr
    assert "trailer" in result.stderr and str(again) not in result.stderr.replace(f"{again}\n", "")


def test_a_broken_policy_is_reported(preserve, collection):
    (preserve.home / "policies" / "formats.toml").write_text('version = 2\n[default]\ninvalid = "maybe"\n')
    result = preserve("ingest", str(collection), expect=40)
    assert "default.invalid must be one of accept, reject, not 'maybe'" in result.stderr


def test_a_catalogue_from_the_first_release_is_migrated_with_its_aips(preserve, collection, tmp_path):
    aip = preserve.json("ingest", str(collection))["aip_id"]
    database = Database(f"sqlite:///{preserve.home}/catalogue.db")
    database.migrate("0001")  # every migration's downgrade, then (below) every upgrade, must keep the AIPs
    database.dispose()
    refused = preserve("aip", "list", expect=CatalogueError.exit_code)
    assert "schema is at revision 0001" in refused.stderr
    assert preserve.json("upgrade") == {"before": "0001", "after": head_revision()}
    files = preserve.json("aip", "show", aip)["files"]
    assert len(files) == 11 and all(f["validation"]["status"] == "" for f in files)
    shutil.rmtree(tmp_path / "unused", ignore_errors=True)


def test_content_the_archive_already_holds_is_reported(preserve, collection, tmp_path):
    first = preserve.json("ingest", str(collection))["aip_id"]
    again = tmp_path / "again"
    again.mkdir()
    (again / "copy-of-notes.txt").write_bytes((collection / "documents" / "transcription-notes.txt").read_bytes())
    (again / "twice-a.csv").write_text("a,b\n1,2\n")
    (again / "twice-b.csv").write_text("a,b\n1,2\n")
    (again / "new.txt").write_text("something new\n")
    summary = preserve.json("ingest", str(again))
    found = {d["path"]: (d["held_in_aip"], d["held_as"]) for d in summary["duplicates"]}
    assert found == {
        "copy-of-notes.txt": (first, "objects/documents/transcription-notes.txt"),
        "twice-b.csv": (summary["aip_id"], "objects/twice-a.csv"),
    }
    end = next(e for e in preserve.json("aip", "show", summary["aip_id"])["events"] if e["type"] == "ingestion end")
    assert "2 file(s) with content the archive already held" in end["outcome_detail"]
    text = preserve("ingest", str(again)).stdout
    assert "file(s) hold content the archive already holds" in text
