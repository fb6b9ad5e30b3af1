"""Normalisation at ingest with the shipped format policy and the real converters."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from policies import DEFAULTS
from tests.conftest import require_tool
from tests.schemas import validate_mets


def _shipped_policy(preserve, **changes: str) -> None:
    text = (DEFAULTS / "formats.toml").read_text()
    for key, value in changes.items():
        text = text.replace(f'{key} = "', f'{key} = "{value}" # was "', 1)
    (preserve.home / "policies" / "formats.toml").write_text(text)


@pytest.fixture
def tools():
    for tool in ("soffice", "ffmpeg"):
        require_tool(tool, "normalisation")


def _video(path: Path) -> None:
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=1:size=160x120:rate=10",
            "-c:v",
            "mjpeg",
            str(path),
        ],
        check=True,
    )


def test_preservation_copies_are_made_stored_related_and_recorded(preserve, collection, tools, tmp_path):
    _shipped_policy(preserve)
    (collection / "film").mkdir()
    _video(collection / "film" / "procession.avi")
    Image.new("RGB", (40, 30), "olive").save(collection / "photographs" / "plan.bmp")
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    shown = preserve.json("aip", "show", aip_id)
    files = {f["path"]: f for f in shown["files"]}
    made = {p: f for p, f in files.items() if p.startswith("data/derivatives/")}
    assert set(made) == {
        "data/derivatives/preservation/documents/restoration-report.docx.odt",
        "data/derivatives/preservation/documents/tithe-accounts.xlsx.ods",
        "data/derivatives/preservation/film/procession.avi.mkv",
        "data/derivatives/preservation/photographs/plan.bmp.tif",
    }
    for path, record in made.items():
        source = files["data/objects/" + path.removeprefix("data/derivatives/preservation/").rsplit(".", 1)[0]]
        assert record["role"] == "preservation" and record["derived_from"] == source["id"]
        assert record["format"]["puid"], f"{path} was identified"
        events = [e for e in shown["events"] if e["file_id"] == record["id"]]
        assert [e["outcome"] for e in events if e["type"] == "normalization"] == ["success"]
        assert {"message digest calculation", "format identification", "fixity check"} <= {e["type"] for e in events}
    assert (
        files["data/derivatives/preservation/documents/restoration-report.docx.odt"]["format"]["mime_type"]
        == "application/vnd.oasis.opendocument.text"
    )
    tools_used = {a["name"] for a in shown["agents"]}
    assert {"LibreOffice", "ffmpeg", "Pillow"} <= tools_used
    mets = next((preserve.home / "storage" / "primary").rglob("METS.*.xml"))
    assert validate_mets(mets) == []
    assert b"<premis:relationshipSubType>has source</premis:relationshipSubType>" in mets.read_bytes()
    assert preserve.json("audit")["ok"] is True

    out = tmp_path / "export"
    out.mkdir()
    bag = Path(preserve.json("aip", "export", aip_id, str(out))["bag"])
    assert (bag / "data/derivatives/preservation/film/procession.avi.mkv").stat().st_size > 0

    preserve.lose_catalogue()
    preserve.json("catalogue", "rebuild")
    rebuilt = {f["path"]: f for f in preserve.json("aip", "show", aip_id)["files"]}
    for path, record in made.items():
        assert (rebuilt[path]["role"], rebuilt[path]["derived_from"]) == (record["role"], record["derived_from"])


def test_access_copies_at_ingest(preserve, collection, tools):
    _shipped_policy(preserve, access_copies="ingest")
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    paths = {f["path"]: f for f in preserve.json("aip", "show", aip_id)["files"]}
    access = {p for p in paths if p.startswith("data/derivatives/access/")}
    assert {
        "data/derivatives/access/documents/restoration-report.docx.pdf",
        "data/derivatives/access/documents/letter-to-the-bishop.odt.pdf",
        "data/derivatives/access/audio/oral-history-interview.wav.mp3",
        "data/derivatives/access/photographs/church-tower.png.jpg",
    } <= access
    pdf = paths["data/derivatives/access/documents/restoration-report.docx.pdf"]
    assert pdf["role"] == "access" and pdf["format"]["puid"] in ("fmt/477", "fmt/476", "fmt/276", "fmt/20")


def test_a_failed_conversion_keeps_the_original_and_the_policy_decides(preserve, collection, tools):
    _shipped_policy(preserve)
    (collection / "film").mkdir()
    (collection / "film" / "damaged.avi").write_bytes(b"RIFF\x10\x00\x00\x00AVI LIST" + bytes(64))
    report = preserve.json("ingest", str(collection))
    [failure] = report["conversion_failures"]  # said at once, not only in the AIP's events
    assert failure["path"] == "film/damaged.avi" and failure["role"] == "preservation" and failure["message"]
    assert {"path": "film/damaged.avi", "puid": "fmt/5"}.items() <= report["invalid"][0].items()
    shown = preserve.json("aip", "show", report["aip_id"])
    files = {f["path"]: f for f in shown["files"]}
    damaged = files["data/objects/film/damaged.avi"]
    assert damaged["format"]["puid"] == "fmt/5"
    failures = [e for e in shown["events"] if e["file_id"] == damaged["id"] and e["type"] == "normalization"]
    assert [e["outcome"] for e in failures] == ["failure"] and "the original is kept" in failures[0]["outcome_detail"]
    assert not any(p.startswith("data/derivatives/preservation/film/") for p in files)

    _shipped_policy(preserve, on_failure="stop")
    result = preserve("ingest", str(collection), expect=20)
    assert "film/damaged.avi" in result.stderr and "conversion(s) failed" in result.stderr
    assert len(preserve.json("aip", "list")) == 1


def test_without_the_converter_the_failure_is_recorded(preserve, collection, monkeypatch, tmp_path):
    _shipped_policy(preserve)
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("clamscan", "exiftool", "qpdf"):  # keep what the rest of ingest uses, not LibreOffice
        if shutil.which(tool):
            (bare / tool).symlink_to(shutil.which(tool))
    monkeypatch.setenv("PATH", str(bare))
    from formats.converters import libreoffice

    libreoffice._soffice.cache_clear()
    try:
        aip_id = preserve.json("ingest", str(collection))["aip_id"]
    finally:
        libreoffice._soffice.cache_clear()
    shown = preserve.json("aip", "show", aip_id)
    docx = next(f for f in shown["files"] if f["path"].endswith("restoration-report.docx"))
    [event] = [e for e in shown["events"] if e["file_id"] == docx["id"] and e["type"] == "normalization"]
    assert event["outcome"] == "failure" and "LibreOffice (soffice) is not installed" in event["outcome_detail"]


def test_the_format_report_profiles_holdings_with_risk_and_policy(preserve, collection, tools, tmp_path):
    _shipped_policy(preserve)
    preserve.json("ingest", str(collection))
    preserve.json("ingest", str(collection), "--title", "Second copy")
    page = tmp_path / "formats.html"
    holdings = {h["puid"]: h for h in preserve.json("report", "formats", "--html", str(page))}
    docx = holdings["fmt/412"]
    assert (docx["files"], docx["aips"], docx["normalised"], docx["risk"], docx["preservation"]) == (
        2,
        2,
        2,
        "medium",
        "odt",
    )
    assert sum(h["files"] for h in holdings.values()) == 2 * 11  # the originals only: derivatives are not holdings
    sizes = [h["bytes"] for h in holdings.values()]
    assert sizes == sorted(sizes, reverse=True)
    html = page.read_text()
    assert "<svg" in html and "fmt/412" in html and "Word-processing documents" in html


def test_migrate_applies_todays_policy_to_aips_already_held(preserve, collection, tools, tmp_path):
    first = preserve.json("ingest", str(collection))["aip_id"]  # under a keep-only policy: no derivatives
    _shipped_policy(preserve)
    dry = preserve.json("migrate", "--puid", "fmt/412", "--dry-run")
    assert [(a["aip_id"], a["outcome"], a["made"]) for a in dry["aips"]] == [
        (first, "would migrate", ["data/derivatives/preservation/documents/restoration-report.docx.odt"])
    ]
    assert preserve.json("aip", "show", first)["aip"]["head_version"] == "v1"

    done = preserve.json("migrate", "--puid", "fmt/412")
    [result] = done["aips"]
    assert (result["outcome"], result["version"]) == ("migrated", "v2")
    shown = preserve.json("aip", "show", first)
    files = {f["path"]: f for f in shown["files"]}
    odt = files["data/derivatives/preservation/documents/restoration-report.docx.odt"]
    assert odt["derived_from"] == files["data/objects/documents/restoration-report.docx"]["id"]
    assert odt["format"]["mime_type"] == "application/vnd.oasis.opendocument.text"
    assert shown["aip"]["head_version"] == "v2" and shown["aip"]["file_count"] == len(files)
    assert [e["outcome"] for e in shown["events"] if e["type"] == "normalization"] == ["success"]
    assert preserve.json("audit")["ok"] is True
    mets = sorted((preserve.home / "storage" / "primary").rglob("METS.*.xml"))[-1]
    assert validate_mets(mets) == []

    assert preserve.json("migrate", "--puid", "fmt/412")["aips"][0]["outcome"] == "up to date"
    out = tmp_path / "v1"
    out.mkdir()
    old = Path(preserve.json("aip", "export", first, str(out), "--version", "v1")["bag"])
    assert not (old / "data" / "derivatives").exists()  # the earlier version is unchanged
    assert "nothing to migrate" in preserve("migrate", "--puid", "fmt/353").stdout  # TIFF is kept as it is


@pytest.mark.parametrize(
    "script, message",
    [
        ('for last; do :; done; : > "$last"', "the converter wrote an empty file"),
        ('for last; do :; done; echo "not a video" > "$last"', "the output was identified as"),
    ],
)
def test_a_converter_that_writes_nothing_useful_fails_the_conversion(
    preserve, collection, tmp_path, monkeypatch, script, message
):
    _shipped_policy(preserve)
    (collection / "film").mkdir()
    require_tool("ffmpeg", "making the test video")
    _video(collection / "film" / "procession.avi")
    fake = tmp_path / "bin"
    fake.mkdir()
    # asked for its version it answers nothing; asked to convert it exits 0, having written nothing useful
    (fake / "ffmpeg").write_text(f'#!/bin/sh\n[ "$1" = -version ] && exit 0\n{script}\n')
    (fake / "ffmpeg").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    from formats.converters import ffmpeg

    ffmpeg._version.cache_clear()
    try:
        aip_id = preserve.json("ingest", str(collection))["aip_id"]
    finally:
        ffmpeg._version.cache_clear()
    shown = preserve.json("aip", "show", aip_id)
    video = next(f for f in shown["files"] if f["path"].endswith("procession.avi"))
    [event] = [e for e in shown["events"] if e["file_id"] == video["id"] and e["type"] == "normalization"]
    assert event["outcome"] == "failure" and message in event["outcome_detail"]
    assert not any("derivatives/preservation/film" in f["path"] for f in shown["files"])
